#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"
#include "timeline/timelinewriter.h"

#include <functional>

namespace aether {

// What a maintenance run did.
struct MaintenancePass {
    bool ran = false; // false: another process is maintaining the time series (PostgreSQL)
    qsizetype keys = 0;
    qsizetype minuteRowsRolledUp = 0;
    qsizetype rowsExpired = 0;
    bool indexRebuilt = false; // PostgreSQL: the series' index was rebuilt (compactIndex())
};

// Keeps the time series small: minute rows older than 48 hours become hour rows (sums; the limit at the start of the
// first minute and at the end of the last), and rows older than the retention are deleted. Works through the keys
// in chunks, each in a short transaction of its own, so that writers and readers are never held up for long; on
// PostgreSQL one process maintains at a time (an advisory lock per chunk).
class TimelineMaintenance {
public:
    explicit TimelineMaintenance(Database &db);

    // Every chunk; keepGoing (when given) is asked between chunks and stops the run when it answers false.
    Result<MaintenancePass> run(Timestamp now, int retentionDays, const std::function<bool()> &keepGoing = {},
                                int keysPerChunk = 200);

    static constexpr qint64 advisoryLockKey = 7406179;
    static constexpr qint64 indexLockKey = 7406180;

    // PostgreSQL: every key's rows grow at their own end of the series' indexes, so a full leaf page is split in half
    // (~58 % full after a month of random growth). The hour rows' index grows by a day's hours (~4 % of it) a day,
    // which the 10 % a rebuilt leaf keeps free takes in: rebuilt when it holds more than 1.2 times the pages its
    // entries need, it stays packed. The minute rows' index churns (its rows are rolled up after 48 hours): rebuilt
    // only beyond 1.5 times. At most once a day (after a run over every key), without holding up writers
    // (REINDEX CONCURRENTLY, PostgreSQL 12 and later; one process at a time). True when an index was rebuilt.
    Result<bool> compactIndex(Timestamp now);

private:
    // One chunk of keys (by their numbers in the series) after *lastKey, which then holds the last one done; false
    // when there were none.
    struct Bounds {
        qint64 expireBefore = 0; // slots
        qint64 rollUpFrom = 0;
        qint64 rollUpBefore = 0;
    };
    Result<bool> runChunk(const Bounds &bounds, int keysPerChunk, qint64 *lastKey, MaintenancePass *pass);
    Status rebuildIndex(const QString &index);

    Database &m_db;
};

} // namespace aether
