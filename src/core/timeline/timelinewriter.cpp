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

QString timelineSeenUpsertSql(const SqlDialect &dialect, qsizetype rows, bool bySampler)
{
    const QString one = dialect.isPostgres() ? QStringLiteral("(CAST(? AS varchar), CAST(? AS bigint), CAST(? AS "
                                                              "bigint), CAST(? AS integer), CAST(? AS text), CAST(? AS "
                                                              "bigint), CAST(? AS integer), CAST(? AS text))")
                                             : QStringLiteral("(?, ?, ?, ?, ?, ?, ?, ?)");
    return QStringLiteral("INSERT INTO console_timeline_seen (key_id, concurrent_429, rpm_429, limit_value, "
                          "history_mark, last_record_us, needs_baseline, row_version) VALUES %1 "
                          "ON CONFLICT (key_id) DO UPDATE SET "
                          "concurrent_429 = console_timeline_seen.concurrent_429 + excluded.concurrent_429, "
                          "rpm_429 = console_timeline_seen.rpm_429 + excluded.rpm_429, "
                          "limit_value = excluded.limit_value, last_record_us = CASE WHEN "
                          "excluded.last_record_us IS NOT NULL AND (console_timeline_seen.last_record_us IS NULL OR "
                          "console_timeline_seen.last_record_us < excluded.last_record_us) THEN "
                          "excluded.last_record_us ELSE console_timeline_seen.last_record_us END%2")
        .arg(sqlPlaceholders(rows, one),
             bySampler ? QStringLiteral(", history_mark = excluded.history_mark, needs_baseline = 0, "
                                        "row_version = excluded.row_version")
                       : QString());
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
    // Rows, then counters, each in key order: every writer (the sampler too) takes the row locks in this order, so
    // that none waits for another in a circle (PostgreSQL).
    QList<Statement> statements = rowStatements();
    statements += seenStatements();
    clear();
    for (const Statement &statement : std::as_const(statements)) {
        Result<SqlStatement> st = m_db.exec(statement.sql, statement.binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

QList<TimelineRecorder::Statement> TimelineRecorder::rowStatements() const
{
    QList<const std::pair<const std::pair<QString, qint64>, Row> *> upserts;
    for (const auto &entry : m_rows) {
        if (!entry.second.counts.onlySuccesses() || entry.second.limitChanged)
            upserts.append(&entry);
    }
    QList<Statement> statements;
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
        statements.append({timelineUpsertSql(m_db.dialect(), count), binds});
    }
    return statements;
}

QList<TimelineRecorder::Statement> TimelineRecorder::seenStatements() const
{
    // The counters are raised by what this transaction added, so that a sampler's pass in between loses nothing. A
    // key without a view gets one that waits for its baseline (the sampler's next pass).
    QStringList ids = m_seen.keys();
    std::sort(ids.begin(), ids.end());
    const auto nullableLong = [](const std::optional<qint64> &v) {
        return v ? QVariant(*v) : QVariant(QMetaType::fromType<qint64>());
    };
    QList<Statement> statements;
    QStringList raised;
    for (const QString &id : std::as_const(ids)) {
        const Seen &seen = m_seen.value(id);
        if (!seen.reset) {
            raised << id;
            continue;
        }
        // A key no sampler has seen has no view to reset: its baseline, when taken, is the counters as they are then.
        statements.append({QStringLiteral("UPDATE console_timeline_seen SET concurrent_429 = 0, rpm_429 = 0, "
                                          "limit_value = CAST(? AS integer) WHERE key_id = ?"),
                           {sqlNullableInt(seen.limit), id}});
    }
    for (qsizetype start = 0; start < raised.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, raised.size() - start);
        QVariantList binds;
        binds.reserve(count * 8);
        for (qsizetype i = start; i < start + count; ++i) {
            const Seen &seen = m_seen.value(raised.at(i));
            binds << raised.at(i) << seen.concurrent429 << seen.rpm429 << sqlNullableInt(seen.limit)
                  << QVariant(QMetaType::fromType<QString>()) << nullableLong(seen.newestRecordUs) << 1
                  << QVariant(QMetaType::fromType<QString>());
        }
        statements.append({timelineSeenUpsertSql(m_db.dialect(), count, false), binds});
    }
    return statements;
}

} // namespace aether
