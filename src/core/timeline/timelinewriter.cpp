#include "timeline/timelinewriter.h"

#include <QList>

#include <algorithm>

namespace aether {

namespace {

constexpr qsizetype rowsPerStatement = 50;

} // namespace

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

std::optional<TimelineRecorder::StatementPrefix> TimelineRecorder::takeAsPrefix()
{
    if (!m_db.dialect().isPostgres())
        return std::nullopt;
    QList<Statement> views = seenStatements();
    if (views.size() != 1 || !views.constFirst().raised)
        return std::nullopt;
    const QList<TimelineRowWrite> rows = pendingRowWrites();
    if (rows.isEmpty() || rows.size() > rowsPerStatement)
        return std::nullopt;
    clear();
    StatementPrefix prefix{QStringLiteral("WITH tv AS (%1 RETURNING key_id, key_no), tr AS (%2) ")
                               .arg(views.constFirst().sql, timelineRowsOfViewsSql(rows.size())),
                           views.constFirst().binds};
    for (const TimelineRowWrite &row : rows)
        appendTimelineRowBinds(&prefix.binds, row);
    return prefix;
}

QList<TimelineRowWrite> TimelineRecorder::pendingRowWrites() const
{
    QList<TimelineRowWrite> rows;
    for (const auto &[key, row] : m_rows) {
        if (!row.counts.onlySuccesses() || row.limitChanged)
            rows.append({key.first, timeline::minute, key.second, row.counts, row.limitBegin, row.limitEnd});
    }
    return rows;
}

Status TimelineRecorder::write()
{
    // PostgreSQL, the common case: one statement.
    if (std::optional<StatementPrefix> prefix = takeAsPrefix()) {
        Result<SqlStatement> st = m_db.exec(prefix->sql + QStringLiteral("SELECT 1"), prefix->binds);
        return st ? Status(Done{}) : Status(st.error());
    }
    // The views, then the rows, each in key order: every writer (the sampler too) takes the row locks in this order, so
    // that none waits for another in a circle (PostgreSQL); and the rows name their key by the view's number.
    const QList<Statement> statements = seenStatements();
    const QList<TimelineRowWrite> rows = pendingRowWrites();
    clear();
    for (const Statement &statement : statements) {
        Result<SqlStatement> st = m_db.exec(statement.sql, statement.binds);
        if (!st)
            return st.error();
    }
    return writeTimelineRows(m_db, rows, TimelineViews::Exist);
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
    const SqlDialect &dialect = m_db.dialect();
    QList<Statement> statements;
    QStringList raised;
    for (const QString &id : std::as_const(ids)) {
        const Seen &seen = m_seen.value(id);
        if (!seen.reset) {
            raised << id;
            continue;
        }
        // A key no sampler has seen gets a view that waits for its baseline (the counters as they are then).
        const QString one = dialect.isPostgres()
                                ? QStringLiteral("(CAST(? AS varchar), %1, 0, 0, CAST(? AS integer), 1)")
                                : QStringLiteral("(?, %1, 0, 0, ?, 1)");
        statements.append({QStringLiteral("INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, "
                                          "limit_value, needs_baseline) VALUES %1 ON CONFLICT (key_id) DO UPDATE SET "
                                          "concurrent_429 = 0, rpm_429 = 0, limit_value = excluded.limit_value")
                               .arg(one.arg(timelineKeyNumberSql(dialect, true))),
                           {id, id, sqlNullableInt(seen.limit)}});
    }
    for (qsizetype start = 0; start < raised.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, raised.size() - start);
        QVariantList binds;
        binds.reserve(count * 9);
        for (qsizetype i = start; i < start + count; ++i) {
            const Seen &seen = m_seen.value(raised.at(i));
            binds << raised.at(i) << raised.at(i) << seen.concurrent429 << seen.rpm429 << sqlNullableInt(seen.limit)
                  << QVariant(QMetaType::fromType<QString>()) << nullableLong(seen.newestRecordUs) << 1
                  << QVariant(QMetaType::fromType<QString>());
        }
        statements.append({timelineSeenUpsertSql(dialect, count, false), binds, true});
    }
    return statements;
}

} // namespace aether
