#include "timeline/timelinewriter.h"

#include <QList>

#include <algorithm>

namespace aether {

namespace {

constexpr qsizetype rowsPerStatement = 50;

} // namespace

QString timelineUpsertSql(const SqlDialect &dialect, qsizetype rows)
{
    const QString one = dialect.isPostgres() ? QStringLiteral("(CAST(? AS varchar), ?, ?, ?, ?, ?, ?, ?, CAST(? AS "
                                                              "integer), CAST(? AS integer))")
                                             : QStringLiteral("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    return QStringLiteral("INSERT INTO console_timeline (key_id, step, bucket, concurrent_429, rpm_429, unknown_429, "
                          "successes, adjustments, limit_begin, limit_end) VALUES %1 "
                          "ON CONFLICT (key_id, step, bucket) DO UPDATE SET "
                          "concurrent_429 = console_timeline.concurrent_429 + excluded.concurrent_429, "
                          "rpm_429 = console_timeline.rpm_429 + excluded.rpm_429, "
                          "unknown_429 = console_timeline.unknown_429 + excluded.unknown_429, "
                          "successes = console_timeline.successes + excluded.successes, "
                          "adjustments = console_timeline.adjustments + excluded.adjustments, "
                          "limit_end = excluded.limit_end")
        .arg(sqlPlaceholders(rows, one));
}

TimelineRecorder::TimelineRecorder(Database &db)
    : m_db(db)
{
}

void TimelineRecorder::add(const QString &keyId, Timestamp at, const TimelineCounts &counts,
                           std::optional<int> limitBefore, std::optional<int> limitAfter)
{
    const auto key = std::make_pair(keyId, timeline::bucketOf(at, timeline::minute));
    auto found = m_rows.find(key);
    if (found == m_rows.end()) {
        found = m_rows.emplace(key, Row{}).first;
        found->second.limitBegin = limitBefore;
    }
    Row &row = found->second;
    row.counts += counts;
    row.limitEnd = limitAfter;
    row.limitChanged = row.limitChanged || limitBefore != limitAfter;
}

void TimelineRecorder::noteCounted(const QString &keyId, qint64 concurrent429, qint64 rpm429,
                                   std::optional<qint64> newestRecordUs, std::optional<int> limit)
{
    Seen &seen = m_seen[keyId];
    seen.concurrent429 += concurrent429;
    seen.rpm429 += rpm429;
    if (newestRecordUs && (!seen.newestRecordUs || *seen.newestRecordUs < *newestRecordUs))
        seen.newestRecordUs = newestRecordUs;
    seen.limit = limit;
}

void TimelineRecorder::noteReset(const QString &keyId, std::optional<int> limit)
{
    Seen &seen = m_seen[keyId];
    seen = Seen{};
    seen.reset = true;
    seen.limit = limit;
}

qsizetype TimelineRecorder::pendingRows() const
{
    return std::count_if(m_rows.begin(), m_rows.end(), [](const auto &entry) {
        return !entry.second.counts.onlySuccesses() || entry.second.limitChanged;
    });
}

void TimelineRecorder::clear()
{
    m_rows.clear();
    m_seen.clear();
}

Status TimelineRecorder::write()
{
    Status written = writeRows();
    if (written)
        written = writeSeen();
    clear();
    return written;
}

Status TimelineRecorder::writeRows()
{
    QList<const std::pair<const std::pair<QString, qint64>, Row> *> upserts;
    QList<std::pair<std::pair<QString, qint64>, qint64>> successes;
    const auto written = [this](const QString &key, qint64 minute) {
        const auto found = m_recentRows.constFind(key);
        return found != m_recentRows.constEnd() && (found->first == minute || found->second == minute);
    };
    for (const auto &entry : m_rows) {
        const Row &row = entry.second;
        if (row.counts.onlySuccesses() && !row.limitChanged) {
            if (row.counts.successes > 0 && written(entry.first.first, entry.first.second))
                successes.append({entry.first, row.counts.successes});
        } else {
            upserts.append(&entry);
        }
    }
    // Remember the rows written now (a rolled-back write leaves a wrong entry: the successes then update nothing).
    for (const auto *entry : std::as_const(upserts)) {
        const qint64 minute = entry->first.second;
        if (minute > m_newestMinute) {
            m_newestMinute = minute;
            if (m_recentRows.size() > 100000)
                m_recentRows.clear();
        }
        if (minute + timeline::minute < m_newestMinute)
            continue;
        auto &recent = m_recentRows[entry->first.first];
        if (recent.first != minute && recent.second != minute)
            recent = {std::max(recent.first, recent.second), minute};
    }
    for (qsizetype start = 0; start < upserts.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, upserts.size() - start);
        QVariantList binds;
        binds.reserve(count * 10);
        for (qsizetype i = start; i < start + count; ++i) {
            const auto &[key, row] = *upserts.at(i);
            binds << key.first << timeline::minute << key.second << row.counts.concurrent429 << row.counts.rpm429
                  << row.counts.unknown429 << row.counts.successes << row.counts.adjustments
                  << sqlNullableInt(row.limitBegin) << sqlNullableInt(row.limitEnd);
        }
        Result<SqlStatement> st = m_db.exec(timelineUpsertSql(m_db.dialect(), count), binds);
        if (!st)
            return st.error();
    }
    return addSuccesses(successes);
}

Status TimelineRecorder::addSuccesses(const QList<std::pair<std::pair<QString, qint64>, qint64>> &rows)
{
    // Successes alone add to a row that exists (a minute with a 429 or an adjustment) and create none: one statement
    // for many rows (VALUES columns are column1… on both databases).
    const QString one = m_db.dialect().isPostgres()
                            ? QStringLiteral("(CAST(? AS varchar), CAST(? AS bigint), CAST(? AS bigint))")
                            : QStringLiteral("(?, ?, ?)");
    for (qsizetype start = 0; start < rows.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, rows.size() - start);
        QVariantList binds;
        binds.reserve(count * 3);
        for (qsizetype i = start; i < start + count; ++i)
            binds << rows.at(i).first.first << rows.at(i).first.second << rows.at(i).second;
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("UPDATE console_timeline AS t SET successes = t.successes + v.column3 FROM (VALUES %1) AS v "
                           "WHERE t.key_id = v.column1 AND t.step = 60 AND t.bucket = v.column2")
                .arg(sqlPlaceholders(count, one)),
            binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

Status TimelineRecorder::writeSeen()
{
    // Only keys the sampler has seen have a row; for the others there is nothing to keep in step. The counters are
    // raised by what this transaction added, so that a sampler's pass in between loses nothing.
    QStringList ids = m_seen.keys();
    std::sort(ids.begin(), ids.end());
    const bool pg = m_db.dialect().isPostgres();
    const auto nullableLong = [](const std::optional<qint64> &v) {
        return v ? QVariant(*v) : QVariant(QMetaType::fromType<qint64>());
    };
    QStringList raised;
    for (const QString &id : std::as_const(ids)) {
        const Seen &seen = m_seen.value(id);
        if (!seen.reset) {
            raised << id;
            continue;
        }
        Result<SqlStatement> st = m_db.exec(QStringLiteral("UPDATE console_timeline_seen SET concurrent_429 = 0, "
                                                           "rpm_429 = 0, limit_value = ? WHERE key_id = ?"),
                                            {sqlNullableInt(seen.limit), id});
        if (!st)
            return st.error();
    }
    const QString one = pg ? QStringLiteral("(CAST(? AS varchar), CAST(? AS bigint), CAST(? AS bigint), CAST(? AS "
                                            "integer), CAST(? AS bigint))")
                           : QStringLiteral("(?, ?, ?, ?, ?)");
    for (qsizetype start = 0; start < raised.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, raised.size() - start);
        QVariantList binds;
        binds.reserve(count * 5);
        for (qsizetype i = start; i < start + count; ++i) {
            const Seen &seen = m_seen.value(raised.at(i));
            binds << raised.at(i) << seen.concurrent429 << seen.rpm429 << sqlNullableInt(seen.limit)
                  << nullableLong(seen.newestRecordUs);
        }
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("UPDATE console_timeline_seen AS s SET concurrent_429 = s.concurrent_429 + v.column2, "
                           "rpm_429 = s.rpm_429 + v.column3, limit_value = v.column4, last_record_us = "
                           "CASE WHEN v.column5 IS NOT NULL AND (s.last_record_us IS NULL OR s.last_record_us < "
                           "v.column5) THEN v.column5 ELSE s.last_record_us END FROM (VALUES %1) AS v "
                           "WHERE s.key_id = v.column1")
                .arg(sqlPlaceholders(count, one)),
            binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

} // namespace aether
