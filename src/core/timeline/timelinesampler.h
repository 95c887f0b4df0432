#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"
#include "timeline/timelinewriter.h"

#include <atomic>
#include <optional>

namespace aether {

// What one sampling pass did.
struct SamplingPass {
    bool ran = false; // false: another process holds the sampler's slot or sampled less than the interval ago
    qsizetype keys = 0;
    qsizetype newKeys = 0;
    qsizetype goneKeys = 0;
    qsizetype historiesRead = 0;
    qsizetype rowsWritten = 0;   // time-series rows added to or created
    qsizetype pendingFolded = 0; // keys whose counts the console's own writes had appended (pending) were folded in
};

// The time series of keys whose rows a gateway writes itself: reads every key's 429 counters, effective limit and
// (when it changed) adjustment history, and records what changed since the last pass (console_timeline_seen):
// counter increases (a counter that went down was reset: what it holds now is new), history records newer than the
// newest one counted (adjustments, unknown 429s, which have no counter, each in the minute of its own timestamp),
// and changes of the limit. A key seen for the first time is a baseline: its counters count from now on, and its
// history's records are recorded as far as the time series has nothing of that key yet. Keys deleted since are
// forgotten (their rows stay until they expire, under a key number never given again).
// The console's own writes record their 429s and records in the time series themselves and append what they counted to
// console_timeline_pending (TimelineRecorder); a pass reads those with the counters (one snapshot), takes them out of
// the increases it records, folds them into the view and deletes them, so nothing is counted twice. A key's pending
// rows are numbered in the order of the transactions that wrote them (each held the key's row lock): the view keeps
// the last one folded, and rows appended after the pass read stay for the next pass. A view the console created for
// a key no pass has seen yet still needs its baseline, and the key is new to the pass. When a counter went down
// (reset outside the console) while pending counts wait, the console's counts are taken out of what it holds now.
// On PostgreSQL the pending counts also carry the key row's version (xmin) before and after each write: a key whose
// counts link the version the view saw to the row's version now, and explain its counters and limit, is folded in one
// statement before the read (foldLinkedPending()), which then finds it unchanged.
// A pass takes the keys in parts of keysPerRead() keys, in id order, each read and written before the next, so that its
// memory does not grow with the number of keys (a million keys: bench/README.md).
// Several processes may sample one database: on PostgreSQL one pass runs at a time (an advisory lock, taken or
// skipped; the whole pass is one transaction) and a pass is skipped when another process sampled less than
// `minIntervalSeconds` ago; on SQLite each part is read in a snapshot and written only if no other pass wrote a part in
// between (a random mark in console_meta, renewed with every part written).
class TimelineSampler {
public:
    explicit TimelineSampler(Database &db);

    Result<SamplingPass> sample(Timestamp now, qint64 minIntervalSeconds = 0,
                                int retentionDays = timeline::defaultRetentionDays);

    static constexpr qint64 advisoryLockKey = 7406178;
    // A pass reads and writes the keys this many at a time (in id order), so that its memory does not grow with the
    // number of keys; tests make the parts small.
    static constexpr int defaultKeysPerRead = 10000;
    static int keysPerRead();
    static void setKeysPerRead(int keys);

private:
    struct KeyRead {
        QString id;
        qint64 concurrent429 = 0;
        qint64 rpm429 = 0;
        std::optional<int> limit; // effective
        std::optional<Timestamp> last429At;
        bool seen = false;
        qint64 seenConcurrent429 = 0;
        qint64 seenRpm429 = 0;
        std::optional<int> seenLimit;
        std::optional<qint64> seenLastRecordUs;
        std::optional<QString> seenMark;
        std::optional<QString> mark;
        std::optional<QString> history;    // read only when the mark changed and the last record is new
        std::optional<QString> rowVersion; // PostgreSQL: the row's xmin
        std::optional<qint64> keyNo;       // the view's number; none: no view yet
        // What the console's own writes counted since the last pass (console_timeline_pending); pendingSeq: the last
        // such row read, none: there was none.
        qint64 pendingConcurrent429 = 0;
        qint64 pendingRpm429 = 0;
        std::optional<qint64> pendingLastRecordUs;
        std::optional<int> pendingLimit; // the limit after the last of them
        std::optional<qint64> pendingSeq;
    };
    struct SeenWrite {
        QString id;
        std::optional<qint64> keyNo; // none: a new view, with the next number
        qint64 concurrent429 = 0;    // what to add (a key without a view: its counters)
        qint64 rpm429 = 0;
        std::optional<int> limit;
        std::optional<QString> mark;
        std::optional<qint64> lastRecordUs;
        std::optional<QString> rowVersion;
        qint64 foldedSeq = 0;
    };
    // The keys of one part of a pass: ids after `after` up to `upTo` (none: from the first, to the last).
    struct KeyRange {
        std::optional<QString> after;
        std::optional<QString> upTo;
    };
    struct Plan {
        std::optional<qint64> pendingReadUpTo; // SQLite: the last pending row of the part's keys read
        QList<KeyRead> keys;
        qsizetype views = 0;                 // keys read that have a view
        QHash<QString, qint64> firstBuckets; // new keys: the earliest bucket of their time series
    };

    Result<std::optional<QString>> metaValue(const QString &name);
    Status recordMeta(const QString &name, const QString &value);
    // The last id of the part after `after` that holds `keys` keys; none when no more are left.
    Result<std::optional<QString>> rangeEnd(const std::optional<QString> &after, int keys);
    // " WHERE column > after AND column <= upTo" (as far as they are set), the values added to *binds.
    static QString rangeCondition(const KeyRange &range, const QString &column, QVariantList *binds);
    // SQLite: deletes the pending rows of the part's keys up to the last one it read.
    Status dropPartPending(const KeyRange &range, qint64 readUpTo);
    // The newest history record that was counted (a key the sampler has seen).
    static std::optional<qint64> countedUpTo(const KeyRead &key);
    // PostgreSQL: folds, in one statement, the pending counts of every key that only the console wrote since the last
    // pass (its pending counts link the row version the view holds to the row's xmin now) and whose counters and
    // limit they explain in full (what the pass would do with the key after reading it), and deletes them; returns
    // how many keys. After heavy learning through the console that is nearly every key, which the read that follows
    // then finds unchanged. (SQLite: measured slower than the read's own path, one UPDATE over 10,000 views ~150 ms.)
    Result<qsizetype> foldLinkedPending();
    Status readKeys(Plan *plan, const KeyRange &range);
    void planKey(const KeyRead &key, const Plan &plan, Timestamp now, qint64 oldest, SamplingPass *pass,
                 QList<SeenWrite> *seen);
    Status writeSeen(const QList<SeenWrite> &unsorted);
    // Deletes the views of keys that are gone; `viewsOfKeys`: the views the pass read with their keys.
    Result<qsizetype> forgetGoneKeys(qsizetype viewsOfKeys);
    // Deletes the pending rows the views hold now, and, when `keysGone`, those of keys without a view.
    Status dropFoldedPending(bool keysGone);

    static inline std::atomic<int> s_keysPerRead{defaultKeysPerRead};

    Database &m_db;
    TimelineRecorder m_rows;
    std::optional<bool> m_hasRevision;
};

} // namespace aether
