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
    QString lastKey;
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

Result<bool> TimelineMaintenance::runChunk(Timestamp now, int retentionDays, int keysPerChunk, QString *lastKey,
                                           MaintenancePass *pass)
{
    const qint64 expireBefore = timeline::bucketOf(now, timeline::hour) - qint64(retentionDays) * timeline::day;
    const qint64 rollUpBefore =
        timeline::bucketOf(now.microseconds() / 1000000 - timeline::minuteRowsKeptSeconds, timeline::hour);
    // From the same key when the transaction is retried; "" (not NULL) before the first.
    const QString after = lastKey->isNull() ? QStringLiteral("") : *lastKey;
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
        QStringList ids;
        {
            Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT DISTINCT key_id FROM console_timeline WHERE "
                                                               "key_id > ? ORDER BY key_id LIMIT ?"),
                                                {after, keysPerChunk});
            if (!st)
                return st.error();
            while (st.value().next())
                ids << st.value().value(0).toString();
        }
        if (ids.isEmpty())
            return false;
        *lastKey = ids.constLast();
        pass->keys += ids.size();
        const QString in = sqlPlaceholders(ids.size());
        QVariantList binds;
        for (const QString &id : std::as_const(ids))
            binds << id;

        {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("DELETE FROM console_timeline WHERE key_id IN (%1) AND bucket < ?").arg(in),
                          QVariantList(binds) << expireBefore);
            if (!st)
                return st.error();
            pass->rowsExpired += std::max(0, st.value().rowsAffected());
        }

        std::map<std::pair<QString, qint64>, HourRow> hours;
        qsizetype minutes = 0;
        {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("SELECT key_id, bucket, concurrent_429, rpm_429, unknown_429, successes, "
                                         "adjustments, limit_begin, limit_end FROM console_timeline WHERE key_id IN "
                                         "(%1) AND step = 60 AND bucket < ? ORDER BY key_id, bucket")
                              .arg(in),
                          QVariantList(binds) << rollUpBefore);
            if (!st)
                return st.error();
            while (st.value().next()) {
                const SqlStatement &row = st.value();
                const auto key = std::make_pair(row.value(0).toString(),
                                                timeline::bucketOf(row.value(1).toLongLong(), timeline::hour));
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
        QList<const std::pair<const std::pair<QString, qint64>, HourRow> *> rows;
        for (const auto &entry : hours)
            rows.append(&entry);
        for (qsizetype start = 0; start < rows.size(); start += rowsPerUpsert) {
            const qsizetype count = std::min(rowsPerUpsert, rows.size() - start);
            QVariantList upsert;
            for (qsizetype i = start; i < start + count; ++i) {
                const auto &[key, hour] = *rows.at(i);
                upsert << key.first << timeline::hour << key.second << hour.counts.concurrent429 << hour.counts.rpm429
                       << hour.counts.unknown429 << hour.counts.successes << hour.counts.adjustments
                       << sqlNullableInt(hour.limitBegin) << sqlNullableInt(hour.limitEnd);
            }
            Result<SqlStatement> st = m_db.exec(timelineUpsertSql(m_db.dialect(), count), upsert);
            if (!st)
                return st.error();
        }
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("DELETE FROM console_timeline WHERE key_id IN (%1) AND step = 60 AND bucket < ?").arg(in),
            QVariantList(binds) << rollUpBefore);
        if (!st)
            return st.error();
        pass->minuteRowsRolledUp += minutes;
        return true;
    });
}

} // namespace aether
