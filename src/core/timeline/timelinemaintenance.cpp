#include "timeline/timelinemaintenance.h"

#include <QList>

#include <map>

namespace aether {

namespace {

constexpr qsizetype rowsPerUpsert = 50;

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
    qint64 lastKey = 0; // key numbers begin at 1
    for (;;) {
        Result<bool> more = runChunk(now, retentionDays, keysPerChunk, &lastKey, &pass);
        if (!more)
            return more.error();
        if (!more.value())
            return pass;
        if (keepGoing && !keepGoing())
            return pass;
    }
}

Result<bool> TimelineMaintenance::runChunk(Timestamp now, int retentionDays, int keysPerChunk, qint64 *lastKey,
                                           MaintenancePass *pass)
{
    const qint64 expireBefore =
        timeline::slotBound(timeline::bucketOf(now, timeline::hour) - qint64(retentionDays) * timeline::day);
    const qint64 rollUpBefore = timeline::slotBound(
        timeline::bucketOf(now.microseconds() / 1000000 - timeline::minuteRowsKeptSeconds, timeline::hour));
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
            Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT DISTINCT key_no FROM console_timeline WHERE "
                                                               "key_no > ? ORDER BY key_no LIMIT ?"),
                                                {after, keysPerChunk});
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

        {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("DELETE FROM console_timeline WHERE key_no IN (%1) AND slot < ?").arg(in),
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
                                         "(%1) AND slot < ? AND slot % 2 = 0 ORDER BY key_no, slot")
                              .arg(in),
                          QVariantList(binds) << rollUpBefore);
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
                m_db.exec(timelineUpsertSql(m_db.dialect(), count, TimelineKeyBy::Number), upsert);
            if (!st)
                return st.error();
        }
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("DELETE FROM console_timeline WHERE key_no IN (%1) AND slot < ? AND slot % 2 = 0").arg(in),
            QVariantList(binds) << rollUpBefore);
        if (!st)
            return st.error();
        pass->minuteRowsRolledUp += minutes;
        return true;
    });
}

} // namespace aether
