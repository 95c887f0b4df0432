#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <optional>

namespace aether {

// The console's time series of each key (console_timeline): per key and minute (step 60) the concurrency, RPM and
// unknown 429s, the successes, the adjustments and the effective limit at the minute's start and end; minutes older
// than 48 hours are rolled up into hours (step 3600, console_timeline_hours) and everything is kept retentionDays days.
// Since schema version 8 a row is narrow, so that 30 days of 10,000 keys fit in 50 MB on PostgreSQL too: the key is
// its number (key_no, given by the key's view in console_timeline_seen and never given again), the bucket is a `slot`
// (slotOf()), the counts are 4-byte and the limits 2-byte integers: 32 bytes of data, and an index entry of 8. Outside
// the SQL of the time series (here and in timeline/) everything speaks of key ids, epoch seconds and steps, and
// limits above maxStoredLimit are kept as that (no concurrency limit comes near). A minute has a row only when
// something other than successes happened in it (a 429, an adjustment, a change of the limit): most minutes of most
// keys have none, and successes alone would fill a row for every busy key and minute. Successes are counted where they
// come in one write with such a change of the same key and minute (a batch of events, or the events a writer groups
// into one transaction): adding them to rows written earlier would cost every success a statement.
namespace timeline {
constexpr qint64 minute = 60;
constexpr qint64 hour = 3600;
constexpr qint64 day = 86400;
constexpr qint64 minuteRowsKeptSeconds = 48 * hour; // then rolled up into hours
constexpr int defaultRetentionDays = 30;
constexpr int minRetentionDays = 1;
constexpr int maxRetentionDays = 3650;
constexpr int defaultSamplingSeconds = 30;

// The start of the bucket of `step` seconds that holds `at` (UTC epoch seconds).
inline qint64 bucketOf(qint64 epochSeconds, qint64 step)
{
    const qint64 q = epochSeconds / step;
    return (epochSeconds % step < 0 ? q - 1 : q) * step;
}
inline qint64 bucketOf(Timestamp at, qint64 step)
{
    const qint64 us = at.microseconds();
    const qint64 seconds = us / 1000000 - (us % 1000000 < 0 ? 1 : 0);
    return bucketOf(seconds, step);
}
// A row's slot: the minute its bucket starts (minutes since the epoch) times two, plus one for an hour row. A key's
// rows are so one range in time order (a minute before the hour that begins with it), and one column tells both.
inline qint64 slotOf(qint64 bucketStart, qint64 step)
{
    return bucketOf(bucketStart, minute) / minute * 2 + (step == hour ? 1 : 0);
}
// The first slot of a bucket that starts at or after `epochSeconds`: `slot >= slotBound(s)` is "starts at or after s",
// `slot < slotBound(s)` is "starts before s".
inline qint64 slotBound(qint64 epochSeconds)
{
    return slotOf(epochSeconds, minute) + (bucketOf(epochSeconds, minute) == epochSeconds ? 0 : 2);
}
inline qint64 slotStart(qint64 slot)
{
    return (slot >= 0 ? slot / 2 : (slot - 1) / 2) * minute;
}
inline qint64 slotStep(qint64 slot)
{
    return slot % 2 != 0 ? hour : minute;
}
// The table of a step's rows: minute rows in console_timeline, hour rows in console_timeline_hours (schema 11). The
// slot is the same in both (hour rows odd), so one range of slots reads both.
inline QString tableOf(qint64 step)
{
    return step == hour ? QStringLiteral("console_timeline_hours") : QStringLiteral("console_timeline");
}
inline const QStringList &tables()
{
    static const QStringList both{tableOf(minute), tableOf(hour)};
    return both;
}
constexpr int maxStoredLimit = 32767;
inline std::optional<int> storedLimit(std::optional<int> limit)
{
    return limit ? std::optional<int>(std::min(*limit, maxStoredLimit)) : std::nullopt;
}
} // namespace timeline

struct TimelineCounts {
    qint64 concurrent429 = 0;
    qint64 rpm429 = 0;
    qint64 unknown429 = 0;
    qint64 successes = 0;
    qint64 adjustments = 0;

    qint64 total429() const { return concurrent429 + rpm429 + unknown429; }
    bool onlySuccesses() const { return total429() == 0 && adjustments == 0; }
    TimelineCounts &operator+=(const TimelineCounts &other)
    {
        concurrent429 += other.concurrent429;
        rpm429 += other.rpm429;
        unknown429 += other.unknown429;
        successes += other.successes;
        adjustments += other.adjustments;
        return *this;
    }
};

// How a key is named in the time series' rows: by its id (looked up in its view) or by its number.
enum class TimelineKeyBy { Id, Number };

// The upsert of timeline rows of one step (key, slot, five counts, limit at start, limit at end) that adds the
// counts to an existing row and replaces its limit at the end; `rows` rows of placeholders. A key named by id must
// have its view (console_timeline_seen) already, else the insert fails (key_no is NOT NULL).
QString timelineUpsertSql(const SqlDialect &dialect, qsizetype rows, TimelineKeyBy keyBy,
                          qint64 step = timeline::minute);

// The upsert of the sampler's view of keys (console_timeline_seen; placeholders per row: key, the view's number or
// NULL for a new view, concurrency and RPM 429s to add, limit, history mark, newest record counted, row version, last
// pending row folded), `rows` rows. It adds the counters, replaces the limit, the history mark and the row version,
// keeps the newer of the newest records and the later of the pending rows folded, and marks the baseline taken. A new
// view gets the next key number; an existing one keeps its own (named in the insert, so that no number is used up by
// an update). An upsert rather than an UPDATE … FROM (VALUES …): PostgreSQL's planner joins a small table by scanning
// all of it, an upsert finds each row through the primary key.
QString timelineSeenUpsertSql(const SqlDialect &dialect, qsizetype rows);
// PostgreSQL: the same upsert for any number of views given as one JSON text, an array of objects with the fields
// k (key), n (the view's number or null), c, r (429s to add), l (limit), m (history mark), u (newest record), v (row
// version), f (last pending row folded). Qt's driver sends every bound value as a literal of an EXECUTE (~3 µs each,
// ten a view): a pass that writes 10,000 views spent most of its time there.
QString timelineSeenUpsertJsonSql();

// A row written straight into the time series (demo data, benchmarks, tests): step and bucket in seconds.
struct TimelineRowWrite {
    QString keyId;
    qint64 step = timeline::minute;
    qint64 bucket = 0;
    TimelineCounts counts;
    std::optional<int> limitBegin;
    std::optional<int> limitEnd;
};
// What a writer of key rows counted in the time series itself, for the sampler (console_timeline_pending,
// timeline/timelinesampler.h): the increases of the key's 429 counters, the newest history record it added, and the
// key's effective limit after the write (std::nullopt: no limit).
struct TimelinePendingWrite {
    QString keyId;
    qint64 concurrent429 = 0;
    qint64 rpm429 = 0;
    std::optional<qint64> newestRecordUs;
    std::optional<int> limit;
    // PostgreSQL: the key row's version (xmin, as text) that the transaction found before it wrote the row; unknown:
    // not linked. The version the write left is the transaction's id, which the statement adds (row_after).
    std::optional<QString> rowBefore;
};
// Adds the rows and appends the pending counts (in the caller's transaction, which must hold the row locks of the
// pending counts' keys: a key's pending rows are numbered in that order), in key order. `Create`: a key without a
// view first gets one that waits for its baseline (timeline/timelinesampler.h); `Exist`: the caller wrote every key's
// view already in this transaction (the insert of a row whose key has none fails: key_no is NOT NULL).
// PostgreSQL, `Create`: every 50 rows are one statement with the views they need and up to 50 pending counts (every
// statement is a round trip, and most transactions of learning events write the series).
enum class TimelineViews { Create, Exist };
Status writeTimelineRows(Database &db, const QList<TimelineRowWrite> &rows, TimelineViews views = TimelineViews::Create,
                         const QList<TimelinePendingWrite> &pending = {});

// A reset through the console (placeholders: key id twice, limit): the key's view holds 0 and the limit; a key no
// sampler has seen gets a view that waits for its baseline.
QString timelineSeenResetSql(const SqlDialect &dialect);

// Drops what was counted of the key whose id is bound here and not yet folded into its view.
QString timelinePendingDropSql(const SqlDialect &dialect);

} // namespace aether
