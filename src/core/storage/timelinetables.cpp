#include "storage/timelinetables.h"

#include <algorithm>
#include <tuple>

namespace aether {

namespace {

constexpr qsizetype rowsPerStatement = 50;

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

// An upsert's tail that adds the counts to an existing row and replaces its limit at the end.
QString addToExistingRow()
{
    return QStringLiteral("ON CONFLICT (key_no, slot) DO UPDATE SET "
                          "concurrent_429 = console_timeline.concurrent_429 + excluded.concurrent_429, "
                          "rpm_429 = console_timeline.rpm_429 + excluded.rpm_429, "
                          "unknown_429 = console_timeline.unknown_429 + excluded.unknown_429, "
                          "successes = console_timeline.successes + excluded.successes, "
                          "adjustments = console_timeline.adjustments + excluded.adjustments, "
                          "limit_end = excluded.limit_end");
}

Status writeRows(Database &db, const QList<const TimelineRowWrite *> &rows, bool createViews)
{
    const SqlDialect &dialect = db.dialect();
    if (createViews) {
        QStringList ids;
        for (const TimelineRowWrite *row : rows) {
            if (ids.isEmpty() || ids.constLast() != row->keyId)
                ids << row->keyId;
        }
        const QString one = dialect.isPostgres()
                                ? QStringLiteral("(CAST(? AS varchar), %1, 0, 0, 1)").arg(keyNumberOrNext(dialect))
                                : QStringLiteral("(?, %1, 0, 0, 1)").arg(keyNumberOrNext(dialect));
        for (qsizetype start = 0; start < ids.size(); start += rowsPerStatement) {
            const qsizetype count = std::min(rowsPerStatement, ids.size() - start);
            QVariantList binds;
            for (qsizetype i = start; i < start + count; ++i)
                binds << ids.at(i) << ids.at(i);
            Result<SqlStatement> st =
                db.exec(QStringLiteral("INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, "
                                       "needs_baseline) VALUES %1 ON CONFLICT (key_id) DO NOTHING")
                            .arg(sqlPlaceholders(count, one)),
                        binds);
            if (!st)
                return st.error();
        }
    }
    for (qsizetype start = 0; start < rows.size(); start += rowsPerStatement) {
        const qsizetype count = std::min(rowsPerStatement, rows.size() - start);
        QVariantList binds;
        binds.reserve(count * 9);
        for (qsizetype i = start; i < start + count; ++i) {
            appendTimelineRowBinds(&binds, *rows.at(i));
        }
        Result<SqlStatement> st = db.exec(timelineUpsertSql(dialect, count, TimelineKeyBy::Id), binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

} // namespace

QString timelineUpsertSql(const SqlDialect &dialect, qsizetype rows, TimelineKeyBy keyBy)
{
    const QString key = keyBy == TimelineKeyBy::Id ? keyNumberOfId(dialect) : QStringLiteral("?");
    const QString one =
        dialect.isPostgres()
            ? QStringLiteral("(%1, ?, ?, ?, ?, ?, ?, CAST(? AS smallint), CAST(? AS smallint))").arg(key)
            : QStringLiteral("(%1, ?, ?, ?, ?, ?, ?, ?, ?)").arg(key);
    return QStringLiteral("INSERT INTO console_timeline (key_no, slot, concurrent_429, rpm_429, unknown_429, "
                          "successes, adjustments, limit_begin, limit_end) VALUES %1 %2")
        .arg(sqlPlaceholders(rows, one), addToExistingRow());
}

QString timelineRowsOfViewsSql(qsizetype rows)
{
    return QStringLiteral(
               "INSERT INTO console_timeline (key_no, slot, concurrent_429, rpm_429, unknown_429, "
               "successes, adjustments, limit_begin, limit_end) SELECT tv.key_no, x.slot, x.c, x.r, x.u, "
               "x.s, x.a, x.lb, x.le FROM (VALUES %1) AS x (key_id, slot, c, r, u, s, a, lb, le) LEFT JOIN tv "
               "ON tv.key_id = x.key_id %2")
        .arg(sqlPlaceholders(rows, QStringLiteral("(CAST(? AS varchar), CAST(? AS integer), CAST(? AS integer), "
                                                  "CAST(? AS integer), CAST(? AS integer), CAST(? AS integer), "
                                                  "CAST(? AS integer), CAST(? AS smallint), CAST(? AS smallint))")),
             addToExistingRow());
}

void appendTimelineRowBinds(QVariantList *binds, const TimelineRowWrite &row)
{
    *binds << row.keyId << timeline::slotOf(row.bucket, row.step) << row.counts.concurrent429 << row.counts.rpm429
           << row.counts.unknown429 << row.counts.successes << row.counts.adjustments
           << sqlNullableInt(timeline::storedLimit(row.limitBegin))
           << sqlNullableInt(timeline::storedLimit(row.limitEnd));
}

QString timelineSeenUpsertSql(const SqlDialect &dialect, qsizetype rows, bool bySampler)
{
    // The sampler read the numbers of the views it writes (none for a new view); other writers look them up.
    const QString number = !bySampler ? keyNumberOrNext(dialect)
                           : dialect.isPostgres()
                               ? QStringLiteral("COALESCE(CAST(? AS integer), nextval('console_timeline_key_no'))")
                               : QStringLiteral("?");
    const QString one =
        dialect.isPostgres()
            ? QStringLiteral("(CAST(? AS varchar), %1, CAST(? AS bigint), CAST(? AS bigint), CAST(? AS integer), "
                             "CAST(? AS text), CAST(? AS bigint), CAST(? AS integer), CAST(? AS text))")
                  .arg(number)
            : QStringLiteral("(?, %1, ?, ?, ?, ?, ?, ?, ?)").arg(number);
    return QStringLiteral("INSERT INTO console_timeline_seen (key_id, key_no, concurrent_429, rpm_429, limit_value, "
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

QString timelineKeyNumberSql(const SqlDialect &dialect, bool orNext)
{
    return orNext ? keyNumberOrNext(dialect) : keyNumberOfId(dialect);
}

Status writeTimelineRows(Database &db, const QList<TimelineRowWrite> &rows, TimelineViews views)
{
    QList<const TimelineRowWrite *> sorted;
    sorted.reserve(rows.size());
    for (const TimelineRowWrite &row : rows)
        sorted.append(&row);
    std::sort(sorted.begin(), sorted.end(), [](const TimelineRowWrite *a, const TimelineRowWrite *b) {
        return std::tie(a->keyId, a->step, a->bucket) < std::tie(b->keyId, b->step, b->bucket);
    });
    return writeRows(db, sorted, views == TimelineViews::Create);
}

} // namespace aether
