#include "storage/timelinetables.h"

#include "base/jsoncolumn.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <functional>
#include <tuple>

namespace aether {

namespace {

constexpr qsizetype rowsPerStatement = 50;
constexpr qsizetype rowsPerJson = 2000;

// The number of the key whose id is bound here: the one its view has.
QString keyNumberOfId(const SqlDialect &dialect)
{
    return dialect.isPostgres()
               ? QStringLiteral("(SELECT key_no FROM console_timeline_seen WHERE key_id = CAST(? AS varchar))")
               : QStringLiteral("(SELECT key_no FROM console_timeline_seen WHERE key_id = ?)");
}

// For a view's insert: the number the key's view has, else the next one (the key id is bound here). A number is
// taken from the sequence only when the key has no view, not on every update; SQLite: NULL into the INTEGER PRIMARY
// KEY AUTOINCREMENT is the next number, and a number is never given twice there either.
QString keyNumberOrNext(const SqlDialect &dialect)
{
    return dialect.isPostgres()
               ? QStringLiteral("COALESCE(%1, nextval('console_timeline_key_no'))").arg(keyNumberOfId(dialect))
               : keyNumberOfId(dialect);
}

// An upsert's tail that adds the counts to an existing row of `table` and replaces its limit at the end.
QString addToExistingRow(const QString &table)
{
    return QStringLiteral("ON CONFLICT (key_no, slot) DO UPDATE SET "
                          "concurrent_429 = %1.concurrent_429 + excluded.concurrent_429, "
                          "rpm_429 = %1.rpm_429 + excluded.rpm_429, "
                          "unknown_429 = %1.unknown_429 + excluded.unknown_429, "
                          "successes = %1.successes + excluded.successes, "
                          "adjustments = %1.adjustments + excluded.adjustments, "
                          "limit_end = excluded.limit_end")
        .arg(table);
}

QString pendingInsertSql(const SqlDialect &dialect, qsizetype rows)
{
    const QString one = dialect.isPostgres()
                            ? QStringLiteral("(CAST(? AS varchar), CAST(? AS bigint), CAST(? AS bigint), "
                                             "CAST(? AS bigint), CAST(? AS integer), CAST(? AS text), "
                                             // The transaction's id as xmin shows it (the low 32 bits; txid_current()
                                             // rather than PostgreSQL 13's pg_current_xact_id(): older servers).
                                             "CAST(txid_current() % 4294967296 AS text))")
                            : QStringLiteral("(?, ?, ?, ?, ?, ?, NULL)");
    return QStringLiteral("INSERT INTO console_timeline_pending (key_id, concurrent_429, rpm_429, last_record_us, "
                          "limit_value, row_before, row_after) VALUES %1")
        .arg(sqlPlaceholders(rows, one));
}

void appendPendingBinds(QVariantList *binds, const TimelinePendingWrite &pending)
{
    *binds << pending.keyId << pending.concurrent429 << pending.rpm429
           << (pending.newestRecordUs ? QVariant(*pending.newestRecordUs) : QVariant(QMetaType::fromType<qint64>()))
           << sqlNullableInt(pending.limit) << sqlNullableText(pending.rowBefore);
}

void appendRowBinds(QVariantList *binds, const TimelineRowWrite &row)
{
    *binds << row.keyId << timeline::slotOf(row.bucket, row.step) << row.counts.concurrent429 << row.counts.rpm429
           << row.counts.unknown429 << row.counts.successes << row.counts.adjustments
           << sqlNullableInt(timeline::storedLimit(row.limitBegin))
           << sqlNullableInt(timeline::storedLimit(row.limitEnd));
}

QStringList distinctKeys(const QList<const TimelineRowWrite *> &rows)
{
    QStringList ids;
    for (const TimelineRowWrite *row : rows) {
        if (ids.isEmpty() || ids.constLast() != row->keyId)
            ids << row->keyId;
    }
    return ids;
}

// PostgreSQL: one statement that creates the views the rows' keys lack (tv; a key with a view costs an index lookup,
// nothing is written), appends `pending` pending counts (tp) when there are any, and adds the rows, which find their
// keys' numbers through the views or in tv. A view created meanwhile by another transaction (a sampler's pass) is
// taken over by the conflict clause, which returns its number.
QString rowsWithViewsSql(const SqlDialect &dialect, const QString &table, qsizetype keys, qsizetype rows,
                         qsizetype pending)
{
    QString sql =
        QStringLiteral("WITH tv AS (INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, "
                       "needs_baseline) SELECT v.key_id, nextval('console_timeline_key_no'), 0, 0, 1 FROM (VALUES %1) "
                       "AS v (key_id) WHERE (SELECT 1 FROM console_timeline_seen s WHERE s.key_id = v.key_id) IS NULL "
                       "ON CONFLICT (key_id) DO UPDATE SET key_no = console_timeline_seen.key_no "
                       "RETURNING key_id, key_no)")
            .arg(sqlPlaceholders(keys, QStringLiteral("(CAST(? AS varchar))")));
    if (pending > 0)
        sql += QStringLiteral(", tp AS (%1)").arg(pendingInsertSql(dialect, pending));
    return sql +
           QStringLiteral(
               " INSERT INTO %3 (key_no, slot, concurrent_429, rpm_429, unknown_429, successes, "
               "adjustments, limit_begin, limit_end) SELECT COALESCE((SELECT s.key_no FROM console_timeline_seen "
               "s WHERE s.key_id = x.key_id), (SELECT tv.key_no FROM tv WHERE tv.key_id = x.key_id)), x.slot, "
               "x.c, x.r, x.u, x.s, x.a, x.lb, x.le FROM (VALUES %1) AS x (key_id, slot, c, r, u, s, a, lb, le) %2")
               .arg(sqlPlaceholders(rows, QStringLiteral("(CAST(? AS varchar), CAST(? AS integer), CAST(? AS "
                                                         "integer), CAST(? AS integer), CAST(? AS integer), "
                                                         "CAST(? AS integer), CAST(? AS integer), CAST(? AS "
                                                         "smallint), CAST(? AS smallint))")),
                    addToExistingRow(table), table);
}

Status execChunks(Database &db, qsizetype count, const std::function<QString(qsizetype)> &sql,
                  const std::function<void(QVariantList *, qsizetype)> &bind)
{
    for (qsizetype start = 0; start < count; start += rowsPerStatement) {
        const qsizetype n = std::min(rowsPerStatement, count - start);
        QVariantList binds;
        for (qsizetype i = start; i < start + n; ++i)
            bind(&binds, i);
        Result<SqlStatement> st = db.exec(sql(n), binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

// PostgreSQL, many rows and no pending counts (the sampler, demo data): all of them as one JSON text (see
// timelineSeenUpsertJsonSql()), with the views their keys lack.
Status writeRowsAsJson(Database &db, const QString &table, const QList<const TimelineRowWrite *> &rows)
{
    QJsonArray json;
    for (const TimelineRowWrite *row : rows) {
        json.append(QJsonObject{{QStringLiteral("k"), row->keyId},
                                {QStringLiteral("s"), timeline::slotOf(row->bucket, row->step)},
                                {QStringLiteral("c"), row->counts.concurrent429},
                                {QStringLiteral("r"), row->counts.rpm429},
                                {QStringLiteral("u"), row->counts.unknown429},
                                {QStringLiteral("o"), row->counts.successes},
                                {QStringLiteral("a"), row->counts.adjustments},
                                {QStringLiteral("b"), jsonOrNull(timeline::storedLimit(row->limitBegin))},
                                {QStringLiteral("e"), jsonOrNull(timeline::storedLimit(row->limitEnd))}});
    }
    Result<SqlStatement> st = db.exec(
        QStringLiteral(
            "WITH x AS (SELECT * FROM json_to_recordset(CAST(? AS json)) AS x (k varchar, s integer, c integer, "
            "r integer, u integer, o integer, a integer, b smallint, e smallint)), "
            "tv AS (INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, needs_baseline) "
            "SELECT v.k, nextval('console_timeline_key_no'), 0, 0, 1 FROM (SELECT DISTINCT k FROM x) AS v "
            "WHERE (SELECT 1 FROM console_timeline_seen s WHERE s.key_id = v.k) IS NULL "
            "ON CONFLICT (key_id) DO UPDATE SET key_no = console_timeline_seen.key_no RETURNING key_id, key_no) "
            "INSERT INTO %2 (key_no, slot, concurrent_429, rpm_429, unknown_429, successes, "
            "adjustments, limit_begin, limit_end) SELECT COALESCE((SELECT s.key_no FROM console_timeline_seen s "
            "WHERE s.key_id = x.k), (SELECT tv.key_no FROM tv WHERE tv.key_id = x.k)), x.s, x.c, x.r, x.u, x.o, "
            "x.a, x.b, x.e FROM x %1")
            .arg(addToExistingRow(table), table),
        {QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact))});
    return st ? Status(Done{}) : Status(st.error());
}

// Rows of one step.
Status writeRows(Database &db, qint64 step, const QList<const TimelineRowWrite *> &rows, bool createViews,
                 const QList<TimelinePendingWrite> &pending)
{
    const SqlDialect &dialect = db.dialect();
    const QString table = timeline::tableOf(step);
    if (dialect.isPostgres() && pending.isEmpty() && rows.size() > rowsPerStatement) {
        for (qsizetype start = 0; start < rows.size(); start += rowsPerJson) {
            if (const Status written = writeRowsAsJson(db, table, rows.mid(start, rowsPerJson)); !written)
                return written;
        }
        return Done{};
    }
    if (createViews && dialect.isPostgres()) {
        // Each 50 rows with the views of their keys and the next 50 pending counts; the pending counts left over (a
        // writer has rows for every key it counted something of, so there are none but in theory) alone.
        qsizetype pendingDone = 0;
        for (qsizetype start = 0; start < rows.size(); start += rowsPerStatement) {
            const QList<const TimelineRowWrite *> chunk = rows.mid(start, rowsPerStatement);
            const QStringList keys = distinctKeys(chunk);
            const qsizetype pendingHere = std::min(rowsPerStatement, pending.size() - pendingDone);
            QVariantList binds;
            for (const QString &key : keys)
                binds << key;
            for (qsizetype i = pendingDone; i < pendingDone + pendingHere; ++i)
                appendPendingBinds(&binds, pending.at(i));
            for (const TimelineRowWrite *row : chunk)
                appendRowBinds(&binds, *row);
            Result<SqlStatement> st =
                db.exec(rowsWithViewsSql(dialect, table, keys.size(), chunk.size(), pendingHere), binds);
            if (!st)
                return st.error();
            pendingDone += pendingHere;
        }
        const QList<TimelinePendingWrite> rest = pending.mid(pendingDone);
        return execChunks(
            db, rest.size(), [&](qsizetype n) { return pendingInsertSql(dialect, n); },
            [&](QVariantList *binds, qsizetype i) { appendPendingBinds(binds, rest.at(i)); });
    }
    if (createViews) {
        const QStringList ids = distinctKeys(rows);
        const QString one = QStringLiteral("(?, %1, 0, 0, 1)").arg(keyNumberOrNext(dialect));
        const Status views = execChunks(
            db, ids.size(),
            [&](qsizetype n) {
                return QStringLiteral("INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, "
                                      "needs_baseline) VALUES %1 ON CONFLICT (key_id) DO NOTHING")
                    .arg(sqlPlaceholders(n, one));
            },
            [&](QVariantList *binds, qsizetype i) { *binds << ids.at(i) << ids.at(i); });
        if (!views)
            return views;
    }
    const Status appended = execChunks(
        db, pending.size(), [&](qsizetype n) { return pendingInsertSql(dialect, n); },
        [&](QVariantList *binds, qsizetype i) { appendPendingBinds(binds, pending.at(i)); });
    if (!appended)
        return appended;
    return execChunks(
        db, rows.size(), [&](qsizetype n) { return timelineUpsertSql(dialect, n, TimelineKeyBy::Id, step); },
        [&](QVariantList *binds, qsizetype i) { appendRowBinds(binds, *rows.at(i)); });
}

} // namespace

QString timelineUpsertSql(const SqlDialect &dialect, qsizetype rows, TimelineKeyBy keyBy, qint64 step)
{
    const QString key = keyBy == TimelineKeyBy::Id ? keyNumberOfId(dialect) : QStringLiteral("?");
    const QString one =
        dialect.isPostgres()
            ? QStringLiteral("(%1, ?, ?, ?, ?, ?, ?, CAST(? AS smallint), CAST(? AS smallint))").arg(key)
            : QStringLiteral("(%1, ?, ?, ?, ?, ?, ?, ?, ?)").arg(key);
    const QString table = timeline::tableOf(step);
    return QStringLiteral("INSERT INTO %3 (key_no, slot, concurrent_429, rpm_429, unknown_429, "
                          "successes, adjustments, limit_begin, limit_end) VALUES %1 %2")
        .arg(sqlPlaceholders(rows, one), addToExistingRow(table), table);
}

namespace {

// The view upsert's conflict clause (timelineSeenUpsertSql()).
QString seenConflictClause()
{
    return QStringLiteral("ON CONFLICT (key_id) DO UPDATE SET "
                          "concurrent_429 = console_timeline_seen.concurrent_429 + excluded.concurrent_429, "
                          "rpm_429 = console_timeline_seen.rpm_429 + excluded.rpm_429, "
                          "limit_value = excluded.limit_value, last_record_us = CASE WHEN "
                          "excluded.last_record_us IS NOT NULL AND (console_timeline_seen.last_record_us IS NULL OR "
                          "console_timeline_seen.last_record_us < excluded.last_record_us) THEN "
                          "excluded.last_record_us ELSE console_timeline_seen.last_record_us END, "
                          "history_mark = excluded.history_mark, needs_baseline = 0, "
                          "row_version = excluded.row_version, folded_seq = CASE WHEN "
                          "excluded.folded_seq > console_timeline_seen.folded_seq THEN excluded.folded_seq ELSE "
                          "console_timeline_seen.folded_seq END");
}

const QString seenColumns = QStringLiteral("key_id, key_no, concurrent_429, rpm_429, limit_value, history_mark, "
                                           "last_record_us, needs_baseline, row_version, folded_seq");

} // namespace

QString timelineSeenUpsertSql(const SqlDialect &dialect, qsizetype rows)
{
    // The sampler read the numbers of the views it writes (none for a new view).
    const QString one =
        dialect.isPostgres()
            ? QStringLiteral("(CAST(? AS varchar), COALESCE(CAST(? AS integer), nextval('console_timeline_key_no')), "
                             "CAST(? AS bigint), CAST(? AS bigint), CAST(? AS integer), CAST(? AS text), CAST(? AS "
                             "bigint), 0, CAST(? AS text), CAST(? AS bigint))")
            : QStringLiteral("(?, ?, ?, ?, ?, ?, ?, 0, ?, ?)");
    return QStringLiteral("INSERT INTO console_timeline_seen (%1) VALUES %2 %3")
        .arg(seenColumns, sqlPlaceholders(rows, one), seenConflictClause());
}

QString timelineSeenUpsertJsonSql()
{
    return QStringLiteral("INSERT INTO console_timeline_seen (%1) SELECT x.k, COALESCE(x.n, "
                          "nextval('console_timeline_key_no')), x.c, x.r, x.l, x.m, x.u, 0, x.v, x.f FROM "
                          "json_to_recordset(CAST(? AS json)) AS x (k varchar, n integer, c bigint, r bigint, "
                          "l integer, m text, u bigint, v text, f bigint) %2")
        .arg(seenColumns, seenConflictClause());
}

QString timelineSeenResetSql(const SqlDialect &dialect)
{
    const QString one = dialect.isPostgres() ? QStringLiteral("(CAST(? AS varchar), %1, 0, 0, CAST(? AS integer), 1)")
                                             : QStringLiteral("(?, %1, 0, 0, ?, 1)");
    return QStringLiteral("INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, limit_value, "
                          "needs_baseline) VALUES %1 ON CONFLICT (key_id) DO UPDATE SET concurrent_429 = 0, "
                          "rpm_429 = 0, limit_value = excluded.limit_value")
        .arg(one.arg(keyNumberOrNext(dialect)));
}

QString timelinePendingDropSql(const SqlDialect &dialect)
{
    return dialect.isPostgres()
               ? QStringLiteral("DELETE FROM console_timeline_pending WHERE key_id = CAST(? AS varchar)")
               : QStringLiteral("DELETE FROM console_timeline_pending WHERE key_id = ?");
}

Status writeTimelineRows(Database &db, const QList<TimelineRowWrite> &rows, TimelineViews views,
                         const QList<TimelinePendingWrite> &pending)
{
    QList<const TimelineRowWrite *> sorted;
    sorted.reserve(rows.size());
    for (const TimelineRowWrite &row : rows)
        sorted.append(&row);
    std::sort(sorted.begin(), sorted.end(), [](const TimelineRowWrite *a, const TimelineRowWrite *b) {
        return std::tie(a->keyId, a->step, a->bucket) < std::tie(b->keyId, b->step, b->bucket);
    });
    QList<TimelinePendingWrite> pendingSorted = pending;
    std::sort(pendingSorted.begin(), pendingSorted.end(),
              [](const TimelinePendingWrite &a, const TimelinePendingWrite &b) { return a.keyId < b.keyId; });
    // The console's writers have minute rows only; demo data and benchmarks hour rows too (their own table). Their
    // keys' views are then created in key order per table, not across both: they write from one connection alone.
    QList<const TimelineRowWrite *> minutes;
    QList<const TimelineRowWrite *> hours;
    minutes.reserve(sorted.size());
    for (const TimelineRowWrite *row : std::as_const(sorted))
        (row->step == timeline::hour ? hours : minutes).append(row);
    if (const Status written = writeRows(db, timeline::minute, minutes, views == TimelineViews::Create, pendingSorted);
        !written)
        return written;
    return hours.isEmpty() ? Status(Done{}) : writeRows(db, timeline::hour, hours, views == TimelineViews::Create, {});
}

} // namespace aether
