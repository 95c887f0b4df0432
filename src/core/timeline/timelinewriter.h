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
    // The key's counters were set to 0 (a reset of its learning). Every key with rows must have had one of these two
    // calls, or its view written before in the transaction (the sampler): the rows name the key by the view's number.
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
        bool raised = false; // the upsert that raises views (not a reset)
    };
    // PostgreSQL, the common case (rows of at most 50 keys and minutes, no reset): what write() does, as a WITH part
    // ("WITH tv AS (…), tr AS (…) ", data-modifying, so it runs whatever statement follows), with its binds; the
    // recorder is then empty. Every statement is a round trip on PostgreSQL, and most transactions of learning events
    // write the series: the views and the rows in one statement save one. std::nullopt otherwise (and on SQLite).
    struct StatementPrefix {
        QString sql;
        QVariantList binds;
    };
    std::optional<StatementPrefix> takeAsPrefix();
    QList<Statement> seenStatements() const;
    QList<TimelineRowWrite> pendingRowWrites() const;

    Database &m_db;
    std::map<std::pair<QString, qint64>, Row> m_rows; // (key, minute) in order: rows are locked in one order
    QHash<QString, Seen> m_seen;
};

} // namespace aether
