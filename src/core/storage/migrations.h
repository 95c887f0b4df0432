#pragma once

#include <optional>

#include "base/error.h"
#include "storage/database.h"

namespace aether {

// The console's versioned schema. Version 1 creates the gateway's three tables when the database has none (a fresh
// SQLite file or an empty PostgreSQL database) and the console's own console_* tables. When provider_api_keys
// already exists it belongs to a gateway: those tables are never created, altered or dropped.
// SQLite: the number of records in a JSON history column; 0 for NULL and anything that is not an array.
QString sqliteHistoryCount(const QString &column);
// The [type, timestamp] pairs of the last three records of a JSON history column (SQLite), as the triggers keep them in
// console_history_tail for the Summary; '[]' for NULL, NULL when it is not an array.
QString sqliteHistoryTail(const QString &column);
// Whether provider_api_keys has a column the console keeps there (console_adjustment_count, console_history_tail):
// only the console's own SQLite tables do. The answer is kept in *known once the database told; while it could not,
// false, and the next call asks again.
bool hasKeptKeyColumn(Database &db, const QString &column, std::optional<bool> *known);

class Migrations {
public:
    static constexpr int latestVersion = 15;
    // The policy a database the console creates starts with: LearningPolicy::recommendedStrategy() (storage comes
    // before learning; tst_migrations checks that the two agree).
    static const char *const recommendedPolicy;

    explicit Migrations(Database &db)
        : m_db(db)
    {
    }

    // Brings the schema to latestVersion; safe to run concurrently from several processes and to re-run.
    Status run();
    Result<int> currentVersion();
    // True when the gateway tables were there before the console (an existing gateway database).
    Result<bool> gatewayOwnsTables();

private:
    // 1: the gateway's tables when missing, the console's own tables.
    Status applyVersion1(bool gatewayTablesExist);
    // 2: on the console's own SQLite tables, a kept count of history records and a covering index for the key table.
    Status applyVersion2();
    // 3: an index for the audit log's pages by key.
    Status applyVersion3();
    // 4: on the console's own SQLite tables, the last records of each history kept beside its count (the Summary).
    Status applyVersion4();
    // 5: on PostgreSQL, a table of the console's own that keeps the Summary's history digests between processes.
    Status applyVersion5();
    // 6: the time series of each key and the sampler's view of the keys (console_timeline, console_timeline_seen).
    Status applyVersion6();
    Status applyVersion7();
    // 8: the time series' narrow rows: key numbers (kept with each key's view), minutes, 4-byte counts.
    Status applyVersion8();
    // 9: what the console's own writes counted, until the sampler has seen it (console_timeline_pending).
    Status applyVersion9();
    // 10: PostgreSQL leaves room on the views' pages for the sampler's updates.
    Status applyVersion10();
    // 11: the time series' hour rows in a table of their own (console_timeline_hours).
    Status applyVersion11();
    // 12: the key row's version before and after each of the console's own writes, with what it counted.
    Status applyVersion12();
    Status applyVersion13();
    // 14: on the console's own tables, an index for each sort order of the key table and a trigram index of the
    // keys' names and ids.
    Status applyVersion14();
    Status applyVersion15();
    // The console created the gateway's tables (console_meta gateway_tables = console): its own to index.
    Result<bool> createdTheTables();
    Status recordVersion(int version);
    // Adds the column unless it is there (left by an interrupted upgrade).
    Status addColumn(const QString &table, const QString &column, const QString &type);

    Database &m_db;
};

} // namespace aether
