#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"

#include <QHash>
#include <QString>

#include <map>
#include <optional>

namespace aether {

// The console's time series of each key (console_timeline, schema version 6): per key and minute (step 60) the
// concurrency, RPM and unknown 429s, the successes, the adjustments and the effective limit at the minute's start and
// end; minutes older than 48 hours are rolled up into hours (step 3600) and everything is kept retentionDays days.
// A minute has a row only when something other than successes happened in it (a 429, an adjustment, a change of the
// limit): most minutes of most keys have none, and successes alone would fill a row for every busy key and minute.
// Successes are counted where they come in one write with such a change of the same key and minute (a batch of
// events, or the events a writer groups into one transaction): adding them to rows written earlier would cost every
// success a statement.
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

// Collects what a write transaction does to keys (learning events, changes of mode and limit, resets) and writes it
// into the time series inside the same transaction, so that a rolled-back change leaves no trace and a committed one
// is counted once. It also keeps the sampler's last view of the key (console_timeline_seen) in step, so that the
// sampler does not count the same 429s and records again from the key's counters and history; for a key no sampler
// has seen yet it creates the view, marked as still needing its baseline.
class TimelineRecorder {
public:
    explicit TimelineRecorder(Database &db);

    // What happened to a key at `at`: counts, and the effective limit before and after (std::nullopt inside: no
    // limit). Several calls for one key and minute add up; the first one's "before" and the last one's "after" stay.
    void add(const QString &keyId, Timestamp at, const TimelineCounts &counts, std::optional<int> limitBefore,
             std::optional<int> limitAfter);
    // The key's counters went up by these amounts, and its history got records up to `newestRecordUs`.
    void noteCounted(const QString &keyId, qint64 concurrent429, qint64 rpm429, std::optional<qint64> newestRecordUs,
                     std::optional<int> limit);
    // The key's counters were set to 0 (a reset of its learning).
    void noteReset(const QString &keyId, std::optional<int> limit);
    bool isEmpty() const { return m_rows.empty() && m_seen.isEmpty(); }
    // The rows write() will create or add to (not counting successes added to existing ones).
    qsizetype pendingRows() const;

    // Writes and forgets what was collected. Must run inside the caller's write transaction.
    Status write();
    void clear();

private:
    struct Row {
        TimelineCounts counts;
        std::optional<int> limitBegin;
        std::optional<int> limitEnd;
        bool limitChanged = false;
    };
    struct Seen {
        qint64 concurrent429 = 0;
        qint64 rpm429 = 0;
        std::optional<qint64> newestRecordUs;
        std::optional<int> limit;
        bool reset = false;
    };
    struct Statement {
        QString sql;
        QVariantList binds;
    };
    QList<Statement> rowStatements() const;
    QList<Statement> seenStatements() const;

    Database &m_db;
    std::map<std::pair<QString, qint64>, Row> m_rows; // (key, minute) in order: rows are locked in one order
    QHash<QString, Seen> m_seen;
};

// The upsert of timeline rows (key, step, bucket, five counts, limit at start, limit at end) that adds the counts to
// an existing row and replaces its limit at the end; `rows` rows of placeholders.
QString timelineUpsertSql(const SqlDialect &dialect, qsizetype rows);

// The upsert of the sampler's view of keys (console_timeline_seen; placeholders per row: key, concurrency and RPM
// 429s to add, limit, history mark, newest record counted, needs baseline, row version), `rows` rows. It adds the
// counters, replaces the limit and keeps the newer of the newest records; `bySampler`: it also replaces the history
// mark and the row version and marks the baseline taken, else it keeps them. An upsert rather than an UPDATE … FROM
// (VALUES …): PostgreSQL's planner joins a small table by scanning all of it, an upsert finds each row through the
// primary key.
QString timelineSeenUpsertSql(const SqlDialect &dialect, qsizetype rows, bool bySampler);

} // namespace aether
