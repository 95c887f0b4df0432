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

private:
    // One chunk of keys (by their numbers in the series) after *lastKey, which then holds the last one done; false
    // when there were none.
    Result<bool> runChunk(Timestamp now, int retentionDays, int keysPerChunk, qint64 *lastKey, MaintenancePass *pass);

    Database &m_db;
};

} // namespace aether
