#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"
#include "storage/timelinetables.h"

#include <QHash>
#include <QString>

#include <map>
#include <optional>

namespace aether {

// Collects what a write transaction does to keys (learning events, changes of mode and limit, resets) and writes it
// into the time series inside the same transaction, so that a rolled-back change leaves no trace and a committed one
// is counted once. What it counted of a key's counters and history it appends to console_timeline_pending, so that
// the sampler does not count the same 429s and records again (it folds them into its view of the key); for a key no
// sampler has seen yet it creates the view, marked as still needing its baseline. The view itself is written only on
// a reset: raising it on every learning event was the series' largest cost on PostgreSQL (a row update).
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
    // PostgreSQL: the key row's version (xmin) that this transaction found before it wrote the row, for what
    // noteCounted() noted. The pending count then carries it and the version the write left, which is the
    // transaction's own id (no savepoints): the sampler knows that nobody else wrote the row in between.
    void noteRowVersion(const QString &keyId, const QString &before);
    // The key's counters were set to 0 (a reset of its learning). Every key with rows must have had one of these two
    // calls, or its view written before in the transaction (the sampler): the rows name the key by the view's number.
    void noteReset(const QString &keyId, std::optional<int> limit);
    bool isEmpty() const { return m_rows.empty() && m_counted.isEmpty(); }
    // The rows write() will create or add to (not counting successes added to existing ones).
    qsizetype pendingRows() const;

    // Writes and forgets what was collected. Must run inside the caller's write transaction, which holds the row
    // locks of the keys noted.
    Status write();

    void clear();

private:
    struct Row {
        TimelineCounts counts;
        std::optional<int> limitBegin;
        std::optional<int> limitEnd;
        bool limitChanged = false;
    };
    struct Counted {
        qint64 concurrent429 = 0;
        qint64 rpm429 = 0;
        std::optional<qint64> newestRecordUs;
        std::optional<int> limit;
        std::optional<QString> rowBefore;
        bool reset = false;   // the counters were set to 0 first
        bool counted = false; // noteCounted() since (or without) the reset
    };
    QList<TimelineRowWrite> pendingRowWrites() const;
    Status writeResets(const QStringList &ids);

    Database &m_db;
    std::map<std::pair<QString, qint64>, Row> m_rows; // (key, minute) in order: rows are locked in one order
    QHash<QString, Counted> m_counted;
};

} // namespace aether
