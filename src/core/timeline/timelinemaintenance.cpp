#include "timeline/timelinemaintenance.h"

#include <QList>

#include <limits>
#include <map>

namespace aether {

namespace {

constexpr qsizetype rowsPerUpsert = 50;
const QString rolledUpToName = QStringLiteral("timeline_rolled_up_to"); // a slot

struct HourRow {
    TimelineCounts counts;
    std::optional<int> limitBegin;
    std::optional<int> limitEnd;
};

} // namespace

TimelineMaintenance::TimelineMaintenance(Database &db)
    : m_db(db)
{
}

Result<MaintenancePass> TimelineMaintenance::run(Timestamp now, int retentionDays,
                                                 const std::function<bool()> &keepGoing, int keysPerChunk)
{
    MaintenancePass pass;
    pass.ran = true;
    Bounds bounds;
    bounds.expireBefore =
        timeline::slotBound(timeline::bucketOf(now, timeline::hour) - qint64(retentionDays) * timeline::day);
    bounds.rollUpBefore = timeline::slotBound(
        timeline::bucketOf(now.microseconds() / 1000000 - timeline::minuteRowsKeptSeconds, timeline::hour));
    // The minute rows to roll up lie below rollUpBefore and, but for late events, above where the last run over every
    // key rolled up to: from a day before that (scanning every key's hours on every run cost ~300 ms at 10,000 keys).
    {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"), {rolledUpToName});
        if (!st)
            return st.error();
        bool known = false;
        const qint64 to = st.value().next() ? st.value().value(0).toString().toLongLong(&known) : 0;
        bounds.rollUpFrom = known ? std::min(to, bounds.rollUpBefore) - 2 * (timeline::day / timeline::minute)
                                  : std::numeric_limits<int>::min();
    }
    qint64 lastKey = 0; // key numbers begin at 1
    for (;;) {
        Result<bool> more = runChunk(bounds, keysPerChunk, &lastKey, &pass);
        if (!more)
            return more.error();
        if (!more.value()) {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO "
                                         "UPDATE SET value = excluded.value"),
                          {rolledUpToName, QString::number(bounds.rollUpBefore)});
            if (!st)
                return st.error();
            Result<bool> rebuilt = compactIndex(now);
            if (!rebuilt)
                return rebuilt.error();
            pass.indexRebuilt = rebuilt.value();
            return pass;
        }
        if (keepGoing && !keepGoing())
            return pass;
    }
}

Result<bool> TimelineMaintenance::compactIndex(Timestamp now)
{
    if (!m_db.dialect().isPostgres())
        return false;
    const QString rebuiltAt = QStringLiteral("timeline_index_rebuilt_at");
    struct Index {
        QString name;
        double rebuildAbove; // times the pages its entries need
    };
    const QList<Index> indexes{{QStringLiteral("console_timeline_hours_pkey"), 1.2},
                               {QStringLiteral("console_timeline_pkey"), 1.5}};
    QStringList due;
    {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"), {rebuiltAt});
        if (!st)
            return st.error();
        const std::optional<Timestamp> last =
            st.value().next() ? Timestamp::parse(st.value().value(0).toString()) : std::nullopt;
        if (last && now.microseconds() - last->microseconds() < timeline::day * 1000000)
            return false;
    }
    for (const Index &index : indexes) {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT COALESCE(pg_relation_size(to_regclass(?)), 0), COALESCE((SELECT reltuples FROM "
                           "pg_class WHERE oid = to_regclass(?)), -1), "
                           "current_setting('server_version_num')::integer"),
            {index.name, index.name});
        if (!st)
            return st.error();
        if (!st.value().next())
            continue;
        const double bytes = st.value().value(0).toDouble();
        const double entries = st.value().value(1).toDouble(); // -1: not counted yet (before the first VACUUM)
        // An entry is 16 bytes and a 4-byte pointer; a rebuilt leaf page is 90 % full.
        const double needed = entries * 20 / 0.9;
        if (st.value().value(2).toInt() >= 120000 && entries >= 0 && bytes >= 1e6 &&
            bytes >= index.rebuildAbove * needed)
            due << index.name;
    }
    if (due.isEmpty())
        return false;
    Result<SqlStatement> locked = m_db.exec(QStringLiteral("SELECT pg_try_advisory_lock(?)"), {indexLockKey});
    if (!locked)
        return locked.error();
    if (!locked.value().next() || !locked.value().value(0).toBool())
        return false;
    // Not in a transaction (REINDEX CONCURRENTLY cannot be), and with time to wait for the transactions it must
    // outlast.
    QString lockTimeout;
    if (Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT current_setting('lock_timeout')"));
        st && st.value().next())
        lockTimeout = st.value().value(0).toString();
    m_db.execRaw(QStringLiteral("SET lock_timeout = '60s'"));
    Status rebuilt = Done{};
    for (const QString &index : std::as_const(due)) {
        if (rebuilt)
            rebuilt = rebuildIndex(index);
    }
    if (!lockTimeout.isEmpty())
        m_db.execRaw(QStringLiteral("SET lock_timeout = '%1'").arg(lockTimeout));
    // Tried today, whatever came of it: not again at every run.
    Result<SqlStatement> recorded = m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?) "
                                                             "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                                              {rebuiltAt, now.toIsoString()});
    m_db.exec(QStringLiteral("SELECT pg_advisory_unlock(?)"), {indexLockKey});
    if (!rebuilt)
        return rebuilt.error();
    if (!recorded)
        return recorded.error();
    return true;
}

Status TimelineMaintenance::rebuildIndex(const QString &index)
{
    // An interrupted rebuild leaves an invalid copy of the index behind, which is dropped.
    const QString leftover = index + QStringLiteral("_ccnew");
    const auto dropLeftover = [this, &leftover]() {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT to_regclass(?) IS NOT NULL"), {leftover});
        if (st && st.value().next() && st.value().value(0).toBool())
            m_db.execRaw(QStringLiteral("DROP INDEX CONCURRENTLY %1").arg(leftover));
    };
    dropLeftover();
    const Status rebuilt = m_db.execRaw(QStringLiteral("REINDEX INDEX CONCURRENTLY %1").arg(index));
    if (!rebuilt)
        dropLeftover();
    return rebuilt;
}

Result<bool> TimelineMaintenance::runChunk(const Bounds &bounds, int keysPerChunk, qint64 *lastKey,
                                           MaintenancePass *pass)
{
    const qint64 expireBefore = bounds.expireBefore;
    const qint64 rollUpBefore = bounds.rollUpBefore;
    const qint64 after = *lastKey; // from the same key when the transaction is retried
    return m_db.transaction<bool>(Database::Mode::Write, [&]() -> Result<bool> {
        if (m_db.dialect().isPostgres()) {
            Result<SqlStatement> lock =
                m_db.exec(QStringLiteral("SELECT pg_try_advisory_xact_lock(?)"), {advisoryLockKey});
            if (!lock)
                return lock.error();
            if (!lock.value().next() || !lock.value().value(0).toBool()) {
                pass->ran = false;
                return false;
            }
        }
        QVariantList binds; // the chunk's key numbers
        {
            // The next keys of either table (each side stops at as many as a chunk takes).
            Result<SqlStatement> st = m_db.exec(
                QStringLiteral("SELECT key_no FROM (SELECT key_no FROM (SELECT DISTINCT key_no FROM console_timeline "
                               "WHERE key_no > ? ORDER BY key_no LIMIT ?) AS m UNION SELECT key_no FROM (SELECT "
                               "DISTINCT key_no FROM console_timeline_hours WHERE key_no > ? ORDER BY key_no LIMIT ?) "
                               "AS h) AS k ORDER BY key_no LIMIT ?"),
                {after, keysPerChunk, after, keysPerChunk, keysPerChunk});
            if (!st)
                return st.error();
            while (st.value().next())
                binds << st.value().value(0).toLongLong();
        }
        if (binds.isEmpty())
            return false;
        *lastKey = binds.constLast().toLongLong();
        pass->keys += binds.size();
        const QString in = sqlPlaceholders(binds.size());

        for (const QString &table : timeline::tables()) {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("DELETE FROM %1 WHERE key_no IN (%2) AND slot < ?").arg(table, in),
                          QVariantList(binds) << expireBefore);
            if (!st)
                return st.error();
            pass->rowsExpired += std::max(0, st.value().rowsAffected());
        }

        std::map<std::pair<qint64, qint64>, HourRow> hours; // (key number, hour's start in seconds)
        qsizetype minutes = 0;
        {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("SELECT key_no, slot, concurrent_429, rpm_429, unknown_429, successes, "
                                         "adjustments, limit_begin, limit_end FROM console_timeline WHERE key_no IN "
                                         "(%1) AND slot >= ? AND slot < ? ORDER BY key_no, slot")
                              .arg(in),
                          QVariantList(binds) << bounds.rollUpFrom << rollUpBefore);
            if (!st)
                return st.error();
            while (st.value().next()) {
                const SqlStatement &row = st.value();
                const auto key =
                    std::make_pair(row.value(0).toLongLong(),
                                   timeline::bucketOf(timeline::slotStart(row.value(1).toLongLong()), timeline::hour));
                auto found = hours.find(key);
                if (found == hours.end()) {
                    found = hours.emplace(key, HourRow{}).first;
                    found->second.limitBegin = row.optionalInt(7);
                }
                HourRow &hour = found->second;
                hour.counts +=
                    TimelineCounts{row.value(2).toLongLong(), row.value(3).toLongLong(), row.value(4).toLongLong(),
                                   row.value(5).toLongLong(), row.value(6).toLongLong()};
                hour.limitEnd = row.optionalInt(8);
                ++minutes;
            }
        }
        if (minutes == 0)
            return true;
        QList<const std::pair<const std::pair<qint64, qint64>, HourRow> *> rows;
        for (const auto &entry : hours)
            rows.append(&entry);
        for (qsizetype start = 0; start < rows.size(); start += rowsPerUpsert) {
            const qsizetype count = std::min(rowsPerUpsert, rows.size() - start);
            QVariantList upsert;
            for (qsizetype i = start; i < start + count; ++i) {
                const auto &[key, hour] = *rows.at(i);
                upsert << key.first << timeline::slotOf(key.second, timeline::hour) << hour.counts.concurrent429
                       << hour.counts.rpm429 << hour.counts.unknown429 << hour.counts.successes
                       << hour.counts.adjustments << sqlNullableInt(hour.limitBegin) << sqlNullableInt(hour.limitEnd);
            }
            Result<SqlStatement> st =
                m_db.exec(timelineUpsertSql(m_db.dialect(), count, TimelineKeyBy::Number, timeline::hour), upsert);
            if (!st)
                return st.error();
        }
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("DELETE FROM console_timeline WHERE key_no IN (%1) AND slot >= ? AND slot < ?").arg(in),
            QVariantList(binds) << bounds.rollUpFrom << rollUpBefore);
        if (!st)
            return st.error();
        pass->minuteRowsRolledUp += minutes;
        return true;
    });
}

} // namespace aether
