#include "storage/migrations.h"

#include "base/timestamp.h"
#include "storage/keyorder.h"
#include "storage/timelinetables.h"

#include <algorithm>
#include <array>

namespace aether {

const char *const Migrations::recommendedPolicy = "{\"strategy\":\"aether_ceiling\"}";

namespace {

// A table of time-series rows (schema 8's narrow rows; minutes in console_timeline, hours in console_timeline_hours).
QString timelineTableDdl(const QString &name, bool pg)
{
    return QStringLiteral("CREATE TABLE IF NOT EXISTS %1 (key_no INTEGER NOT NULL, slot INTEGER NOT NULL, "
                          "limit_begin SMALLINT, limit_end SMALLINT, concurrent_429 INTEGER NOT NULL DEFAULT 0, "
                          "rpm_429 INTEGER NOT NULL DEFAULT 0, unknown_429 INTEGER NOT NULL DEFAULT 0, successes "
                          "INTEGER NOT NULL DEFAULT 0, adjustments INTEGER NOT NULL DEFAULT 0, "
                          "PRIMARY KEY (key_no, slot))%2")
        .arg(name, pg ? QString() : QStringLiteral(" WITHOUT ROWID"));
}

QStringList gatewayTablesDdl(const SqlDialect &dialect)
{
    // Column names, meanings and NOT NULL-ness follow the gateway's schema (../shared/spec/schema.md); SQLite keeps
    // ids, strings, timestamps (ISO 8601 UTC) and JSON as TEXT, integers and booleans as INTEGER.
    const bool pg = dialect.isPostgres();
    const QString id = pg ? QStringLiteral("VARCHAR(36)") : QStringLiteral("TEXT");
    const QString str100 = pg ? QStringLiteral("VARCHAR(100)") : QStringLiteral("TEXT");
    const QString str500 = pg ? QStringLiteral("VARCHAR(500)") : QStringLiteral("TEXT");
    const QString str50 = pg ? QStringLiteral("VARCHAR(50)") : QStringLiteral("TEXT");
    const QString ts = pg ? QStringLiteral("TIMESTAMP WITH TIME ZONE") : QStringLiteral("TEXT");
    const QString json = pg ? QStringLiteral("JSON") : QStringLiteral("TEXT");
    const QString boolean = pg ? QStringLiteral("BOOLEAN") : QStringLiteral("INTEGER");
    const QString yes = pg ? QStringLiteral("true") : QStringLiteral("1");
    const QString now = pg ? QStringLiteral("now()") : QStringLiteral("(strftime('%Y-%m-%dT%H:%M:%f+00:00','now'))");
    return {
        QStringLiteral("CREATE TABLE providers ("
                       "id %1 NOT NULL PRIMARY KEY, name %2 NOT NULL, display_name %2 NOT NULL, "
                       "is_active %3 NOT NULL DEFAULT %4, created_at %5 NOT NULL DEFAULT %6, "
                       "updated_at %5 NOT NULL DEFAULT %6)")
            .arg(id, str100, boolean, yes, ts, now),
        QStringLiteral("CREATE UNIQUE INDEX ix_providers_name ON providers (name)"),
        QStringLiteral("CREATE TABLE provider_endpoints ("
                       "id %1 NOT NULL PRIMARY KEY, "
                       "provider_id %1 NOT NULL REFERENCES providers (id) ON DELETE CASCADE, "
                       "api_format %2 NOT NULL, base_url %3 NOT NULL, is_active %4 NOT NULL DEFAULT %5, "
                       "created_at %6 NOT NULL DEFAULT %7, updated_at %6 NOT NULL DEFAULT %7, "
                       "CONSTRAINT uq_provider_api_format UNIQUE (provider_id, api_format))")
            .arg(id, str50, str500, boolean, yes, ts, now),
        QStringLiteral("CREATE TABLE provider_api_keys ("
                       "id %1 NOT NULL PRIMARY KEY, "
                       "endpoint_id %1 NOT NULL REFERENCES provider_endpoints (id) ON DELETE CASCADE, "
                       "name %2 NOT NULL, note %3, max_concurrent INTEGER, learned_max_concurrent INTEGER, "
                       "concurrent_429_count INTEGER NOT NULL DEFAULT 0, rpm_429_count INTEGER NOT NULL DEFAULT 0, "
                       "last_429_at %4, last_429_type %5, last_concurrent_peak INTEGER, adjustment_history %6, "
                       "utilization_samples %6, last_probe_increase_at %4, is_active %7 NOT NULL DEFAULT %8, "
                       "created_at %4 NOT NULL DEFAULT %9, updated_at %4 NOT NULL DEFAULT %9)")
            .arg(id, str100, str500, ts, str50, json, boolean, yes, now),
        QStringLiteral("CREATE INDEX ix_provider_api_keys_endpoint_id ON provider_api_keys (endpoint_id)"),
        QStringLiteral("CREATE INDEX ix_provider_endpoints_provider_id ON provider_endpoints (provider_id)"),
    };
}

// SQLite has no row version (PostgreSQL has xmin): on the console's own SQLite tables a revision column, renewed by
// triggers whenever a key's history is written or a key is inserted, lets the summary re-read only changed histories.
QStringList revisionDdl(const SqlDialect &dialect)
{
    if (dialect.isPostgres())
        return {};
    return {
        QStringLiteral("ALTER TABLE provider_api_keys ADD COLUMN console_revision INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("CREATE TRIGGER console_revision_on_insert AFTER INSERT ON provider_api_keys BEGIN "
                       "UPDATE provider_api_keys SET console_revision = random() WHERE rowid = NEW.rowid; END"),
        QStringLiteral("CREATE TRIGGER console_revision_on_update AFTER UPDATE OF adjustment_history "
                       "ON provider_api_keys BEGIN "
                       "UPDATE provider_api_keys SET console_revision = random() WHERE rowid = NEW.rowid; END"),
        // Covers the adaptive-key list and the summary's version scan, so neither reads the wide rows. Partial, so
        // that changing a fixed key's limit does not touch it.
        QStringLiteral("CREATE INDEX ix_console_adaptive_keys ON provider_api_keys (endpoint_id, id, name, "
                       "learned_max_concurrent, concurrent_429_count, rpm_429_count, console_revision, max_concurrent) "
                       "WHERE max_concurrent IS NULL"),
    };
}

QStringList consoleTablesDdl(const SqlDialect &dialect)
{
    return {
        QStringLiteral("CREATE TABLE IF NOT EXISTS console_tokens ("
                       "id %1, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, "
                       "created_at TEXT NOT NULL, last_used_at TEXT)")
            .arg(dialect.autoIncrementKey()),
        QStringLiteral("CREATE TABLE IF NOT EXISTS console_audit_log ("
                       "id %1, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, key_id TEXT, "
                       "detail TEXT)")
            .arg(dialect.autoIncrementKey()),
        QStringLiteral("CREATE TABLE IF NOT EXISTS console_meta (name TEXT NOT NULL PRIMARY KEY, value TEXT)"),
    };
}

} // namespace

Result<int> Migrations::currentVersion()
{
    return m_db.run<int>([this]() -> Result<int> {
        Result<SqlStatement> exists =
            m_db.exec(m_db.dialect().tableExistsQuery(), {QStringLiteral("console_schema_version")});
        if (!exists)
            return exists.error();
        if (!exists.value().next())
            return 0;
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT max(version) FROM console_schema_version"));
        if (!st)
            return st.error();
        return st.value().next() ? st.value().value(0).toInt() : 0;
    });
}

Result<bool> Migrations::gatewayOwnsTables()
{
    return m_db.run<bool>([this]() -> Result<bool> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"),
                                            {QStringLiteral("gateway_tables")});
        if (!st)
            return st.error();
        return st.value().next() && st.value().value(0).toString() == u"external";
    });
}

Result<bool> Migrations::createdTheTables()
{
    // The statement is finished before the caller's DDL (see run()).
    Result<SqlStatement> owner =
        m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"), {QStringLiteral("gateway_tables")});
    if (!owner)
        return owner.error();
    return owner.value().next() && owner.value().value(0).toString() == u"console";
}

Status Migrations::run()
{
    Result<int> version = currentVersion();
    if (!version)
        return version.error();
    if (version.value() >= latestVersion)
        return Done{};
    // Several processes may start on a fresh database at once: the write lock (SQLite) or an advisory lock
    // (PostgreSQL) lets one migrate while the others wait, then they find the work done.
    return m_db.transaction<Done>(Database::Mode::Write, [this]() -> Status {
        if (m_db.dialect().isPostgres()) {
            Result<SqlStatement> lock = m_db.exec(QStringLiteral("SELECT pg_advisory_xact_lock(7406177)"));
            if (!lock)
                return lock.error();
        }
        // Every statement is finished before the DDL runs: SQLite refuses to drop an index while one is active.
        int current = 0;
        {
            Result<SqlStatement> exists =
                m_db.exec(m_db.dialect().tableExistsQuery(), {QStringLiteral("console_schema_version")});
            if (!exists)
                return exists.error();
            if (exists.value().next()) {
                Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT max(version) FROM console_schema_version"));
                if (!st)
                    return st.error();
                current = st.value().next() ? st.value().value(0).toInt() : 0;
            }
        }
        if (current < 1) {
            bool gatewayTablesExist = false;
            {
                Result<SqlStatement> keys =
                    m_db.exec(m_db.dialect().tableExistsQuery(), {QStringLiteral("provider_api_keys")});
                if (!keys)
                    return keys.error();
                gatewayTablesExist = keys.value().next();
            }
            if (const Status applied = applyVersion1(gatewayTablesExist); !applied)
                return applied;
            // A database the console creates learns with the strategy it recommends; a gateway's keeps the
            // original service's (no stored policy: the defaults) until an operator switches.
            if (!gatewayTablesExist) {
                Result<SqlStatement> st =
                    m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?)"),
                              {QStringLiteral("learning_policy"), QString::fromLatin1(recommendedPolicy)});
                if (!st)
                    return st.error();
            }
        }
        // Versions 2 and later, in order, each recording itself.
        const std::array<Status (Migrations::*)(), latestVersion - 1> later{
            &Migrations::applyVersion2,  &Migrations::applyVersion3,  &Migrations::applyVersion4,
            &Migrations::applyVersion5,  &Migrations::applyVersion6,  &Migrations::applyVersion7,
            &Migrations::applyVersion8,  &Migrations::applyVersion9,  &Migrations::applyVersion10,
            &Migrations::applyVersion11, &Migrations::applyVersion12, &Migrations::applyVersion13,
            &Migrations::applyVersion14, &Migrations::applyVersion15};
        for (int version = std::max(current + 1, 2); version <= latestVersion; ++version) {
            if (const Status applied = (this->*later[size_t(version - 2)])(); !applied)
                return applied;
        }
        return Done{};
    });
}

Status Migrations::recordVersion(int version)
{
    Result<SqlStatement> st =
        m_db.exec(QStringLiteral("INSERT INTO console_schema_version (version, applied_at) VALUES (?, ?)"),
                  {version, Timestamp::now().toIsoString()});
    return st ? Status(Done{}) : Status(st.error());
}

Status Migrations::applyVersion2()
{
    // The key table of the window sorts and filters 100,000 keys in SQL. On the console's own SQLite tables a
    // trigger-kept count of history records and a covering index over the table's columns let it do so without
    // reading the wide rows (each ~2 KB of JSON). A gateway's own tables are left as they are.
    Result<SqlStatement> owner =
        m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"), {QStringLiteral("gateway_tables")});
    if (!owner)
        return owner.error();
    const bool consoleTables = owner.value().next() && owner.value().value(0).toString() == u"console";
    if (consoleTables && !m_db.dialect().isPostgres()) {
        const QString count = sqliteHistoryCount(QStringLiteral("NEW.adjustment_history"));
        const QStringList ddl{
            QStringLiteral("ALTER TABLE provider_api_keys ADD COLUMN console_adjustment_count INTEGER NOT NULL "
                           "DEFAULT 0"),
            QStringLiteral("UPDATE provider_api_keys SET console_adjustment_count = %1")
                .arg(sqliteHistoryCount(QStringLiteral("adjustment_history"))),
            QStringLiteral("DROP TRIGGER console_revision_on_insert"),
            QStringLiteral("DROP TRIGGER console_revision_on_update"),
            QStringLiteral("CREATE TRIGGER console_revision_on_insert AFTER INSERT ON provider_api_keys BEGIN "
                           "UPDATE provider_api_keys SET console_revision = random(), console_adjustment_count = %1 "
                           "WHERE rowid = NEW.rowid; END")
                .arg(count),
            QStringLiteral("CREATE TRIGGER console_revision_on_update AFTER UPDATE OF adjustment_history "
                           "ON provider_api_keys BEGIN "
                           "UPDATE provider_api_keys SET console_revision = random(), console_adjustment_count = %1 "
                           "WHERE rowid = NEW.rowid; END")
                .arg(count),
            QStringLiteral("CREATE INDEX ix_console_key_table ON provider_api_keys (name, id, endpoint_id, "
                           "max_concurrent, learned_max_concurrent, concurrent_429_count, rpm_429_count, last_429_at, "
                           "last_429_type, console_adjustment_count)"),
            // "Which keys got a 429 last" is a common question: sorting by that time walks this index.
            QStringLiteral("CREATE INDEX ix_console_last_429 ON provider_api_keys (last_429_at)"),
        };
        for (const QString &sql : ddl) {
            if (const Status status = m_db.execRaw(sql); !status)
                return status;
        }
    }
    return recordVersion(2);
}

Status Migrations::applyVersion3()
{
    // The audit view pages through one key's changes, newest first (the console's own table, on every database).
    if (const Status status = m_db.execRaw(
            QStringLiteral("CREATE INDEX IF NOT EXISTS ix_console_audit_key ON console_audit_log (key_id, id)"));
        !status)
        return status;
    return recordVersion(3);
}

Status Migrations::applyVersion4()
{
    // A first Summary of 100,000 keys would read every ~2 KB history for its last records' timestamps. On the
    // console's own SQLite tables the triggers keep those (sqliteHistoryTail) in a column that the adaptive keys'
    // index covers, with the count of records, so the Summary reads the index. A gateway's own tables are left as
    // they are (the Summary then has the database digest each history).
    bool consoleTables = false;
    {
        Result<SqlStatement> owner = m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"),
                                               {QStringLiteral("gateway_tables")});
        if (!owner)
            return owner.error();
        consoleTables = owner.value().next() && owner.value().value(0).toString() == u"console";
    }
    if (consoleTables && !m_db.dialect().isPostgres()) {
        const QString count = sqliteHistoryCount(QStringLiteral("NEW.adjustment_history"));
        const QString tail = sqliteHistoryTail(QStringLiteral("NEW.adjustment_history"));
        const QStringList ddl{
            QStringLiteral("ALTER TABLE provider_api_keys ADD COLUMN console_history_tail TEXT"),
            QStringLiteral("UPDATE provider_api_keys SET console_history_tail = %1")
                .arg(sqliteHistoryTail(QStringLiteral("adjustment_history"))),
            QStringLiteral("DROP TRIGGER console_revision_on_insert"),
            QStringLiteral("DROP TRIGGER console_revision_on_update"),
            QStringLiteral("CREATE TRIGGER console_revision_on_insert AFTER INSERT ON provider_api_keys BEGIN "
                           "UPDATE provider_api_keys SET console_revision = random(), console_adjustment_count = %1, "
                           "console_history_tail = %2 WHERE rowid = NEW.rowid; END")
                .arg(count, tail),
            QStringLiteral("CREATE TRIGGER console_revision_on_update AFTER UPDATE OF adjustment_history "
                           "ON provider_api_keys BEGIN "
                           "UPDATE provider_api_keys SET console_revision = random(), console_adjustment_count = %1, "
                           "console_history_tail = %2 WHERE rowid = NEW.rowid; END")
                .arg(count, tail),
            QStringLiteral("DROP INDEX ix_console_adaptive_keys"),
            QStringLiteral("CREATE INDEX ix_console_adaptive_keys ON provider_api_keys (endpoint_id, id, name, "
                           "learned_max_concurrent, concurrent_429_count, rpm_429_count, console_revision, "
                           "max_concurrent, console_adjustment_count, console_history_tail) "
                           "WHERE max_concurrent IS NULL"),
        };
        for (const QString &sql : ddl) {
            if (const Status status = m_db.execRaw(sql); !status)
                return status;
        }
    }
    return recordVersion(4);
}

Status Migrations::applyVersion5()
{
    // PostgreSQL has no trigger-kept tails (and a gateway's own tables must stay as they are): the Summary keeps each
    // adaptive key's history digest in a table of the console's own, tagged with the key row's xmin, so that a new
    // console process reads 70,000 small rows instead of converting 70,000 histories again. Per key: the number of
    // records (NULL: the history is not an array, the console reads it) and the timestamps of the last three records
    // that are objects ('' when a record's timestamp is not a string, NULL for anything else). No foreign key: that
    // would put triggers on the gateway's table; digests of deleted keys are cleared by the Summary.
    if (m_db.dialect().isPostgres()) {
        if (const Status status = m_db.execRaw(
                QStringLiteral("CREATE TABLE IF NOT EXISTS console_history_digests (key_id VARCHAR(36) NOT NULL "
                               "PRIMARY KEY, row_version TEXT NOT NULL, length INTEGER, third_last_at TEXT, "
                               "second_last_at TEXT, last_at TEXT)"));
            !status)
            return status;
    }
    return recordVersion(5);
}

Status Migrations::applyVersion6()
{
    // The time series of each key (timeline/timelinewriter.h) and the sampler's last view of each key's counters, on
    // every database (a gateway's own tables stay as they are; no foreign key, which would put triggers on them).
    // Clustered by key: one key's 30 days are one range, and "all keys over a day" seeks each key's range. SQLite:
    // WITHOUT ROWID, so the rows are the index (a row is ~55 bytes).
    const bool pg = m_db.dialect().isPostgres();
    const QString id = pg ? QStringLiteral("VARCHAR(36)") : QStringLiteral("TEXT");
    const QString big = pg ? QStringLiteral("BIGINT") : QStringLiteral("INTEGER");
    const QStringList ddl{
        QStringLiteral("CREATE TABLE IF NOT EXISTS console_timeline (key_id %1 NOT NULL, step INTEGER NOT NULL, "
                       "bucket %2 NOT NULL, concurrent_429 %2 NOT NULL DEFAULT 0, rpm_429 %2 NOT NULL DEFAULT 0, "
                       "unknown_429 %2 NOT NULL DEFAULT 0, successes %2 NOT NULL DEFAULT 0, "
                       "adjustments %2 NOT NULL DEFAULT 0, limit_begin INTEGER, limit_end INTEGER, "
                       "PRIMARY KEY (key_id, step, bucket))%3")
            .arg(id, big, pg ? QString() : QStringLiteral(" WITHOUT ROWID")),
        QStringLiteral("CREATE TABLE IF NOT EXISTS console_timeline_seen (key_id %1 NOT NULL PRIMARY KEY, "
                       "concurrent_429 %2 NOT NULL, rpm_429 %2 NOT NULL, limit_value INTEGER, history_mark TEXT, "
                       "last_record_us %2)")
            .arg(id, big),
    };
    for (const QString &sql : ddl) {
        if (const Status status = m_db.execRaw(sql); !status)
            return status;
    }
    return recordVersion(6);
}

Status Migrations::applyVersion7()
{
    // A key's view may be created by the console's own write before any sampler has seen the key: it then holds only
    // what the console counted, and the next pass takes the key's baseline (timeline/timelinesampler.h). The console's
    // writes can so always be one upsert, which finds its rows through the primary key on every database.
    // PostgreSQL: the key row's version (xmin) when the sampler last read it; while it is the same, the history's
    // digest is the one kept, and the sampler need not digest every key's history on every pass.
    // (A column that is there already, left by an interrupted upgrade, stays.)
    for (const auto &[column, type] :
         {std::pair{QStringLiteral("needs_baseline"), QStringLiteral("INTEGER NOT NULL DEFAULT 0")},
          std::pair{QStringLiteral("row_version"), QStringLiteral("TEXT")}}) {
        if (const Status added = addColumn(QStringLiteral("console_timeline_seen"), column, type); !added)
            return added;
    }
    return recordVersion(7);
}

Status Migrations::applyVersion8()
{
    // The time series' rows become narrow (timeline/timelinewriter.h): on PostgreSQL a row of the version 6 layout took
    // ~220 bytes with its index (the key's 36-character id twice, 8-byte numbers, a 24-byte row header), 30 days of
    // 10,000 keys ~106 MB. Now the key is a 4-byte number that its view in console_timeline_seen holds (PostgreSQL: a
    // sequence; SQLite: the view's AUTOINCREMENT key, so that no number is given twice), step and bucket are one
    // 4-byte slot, the counts 4-byte and the limits 2-byte integers (storage/timelinetables.h). A key that has rows but
    // no view (rows of version 6) gets a view that waits for its baseline. The rows are copied into the new table.
    // (Tables that have this layout already stay as they are.)
    const bool pg = m_db.dialect().isPostgres();
    {
        Result<SqlStatement> st =
            m_db.exec(pg ? QStringLiteral("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                                          "current_schema() AND table_name = 'console_timeline' AND column_name = ?")
                         : QStringLiteral("SELECT count(*) FROM pragma_table_info('console_timeline') WHERE name = ?"),
                      {QStringLiteral("slot")});
        if (!st)
            return st.error();
        if (st.value().next() && st.value().value(0).toInt() > 0)
            return recordVersion(8);
    }
    QStringList ddl;
    if (pg) {
        ddl << QStringLiteral("CREATE SEQUENCE console_timeline_key_no AS integer")
            << QStringLiteral("ALTER TABLE console_timeline_seen ADD COLUMN key_no INTEGER NOT NULL "
                              "DEFAULT nextval('console_timeline_key_no')")
            << QStringLiteral("ALTER SEQUENCE console_timeline_key_no OWNED BY console_timeline_seen.key_no")
            << QStringLiteral("INSERT INTO console_timeline_seen (key_id, concurrent_429, rpm_429, needs_baseline) "
                              "SELECT DISTINCT t.key_id, 0, 0, 1 FROM console_timeline t WHERE NOT EXISTS (SELECT 1 "
                              "FROM console_timeline_seen s WHERE s.key_id = t.key_id)");
    } else {
        ddl << QStringLiteral("CREATE TABLE console_timeline_seen_v8 (key_no INTEGER PRIMARY KEY AUTOINCREMENT, "
                              "key_id TEXT NOT NULL UNIQUE, concurrent_429 INTEGER NOT NULL, rpm_429 INTEGER NOT "
                              "NULL, limit_value INTEGER, history_mark TEXT, last_record_us INTEGER, needs_baseline "
                              "INTEGER NOT NULL DEFAULT 0, row_version TEXT)")
            << QStringLiteral("INSERT INTO console_timeline_seen_v8 (key_id, concurrent_429, rpm_429, limit_value, "
                              "history_mark, last_record_us, needs_baseline, row_version) SELECT key_id, "
                              "concurrent_429, rpm_429, limit_value, history_mark, last_record_us, needs_baseline, "
                              "row_version FROM console_timeline_seen ORDER BY key_id")
            << QStringLiteral("INSERT INTO console_timeline_seen_v8 (key_id, concurrent_429, rpm_429, needs_baseline) "
                              "SELECT DISTINCT key_id, 0, 0, 1 FROM console_timeline WHERE key_id NOT IN (SELECT "
                              "key_id FROM console_timeline_seen_v8) ORDER BY key_id")
            << QStringLiteral("DROP TABLE console_timeline_seen")
            << QStringLiteral("ALTER TABLE console_timeline_seen_v8 RENAME TO console_timeline_seen");
    }
    // 32 bytes of data, aligned (PostgreSQL: 56 bytes a row with its header, an index entry 16); SQLite: WITHOUT ROWID,
    // the row is its own index.
    const QString count = pg ? QStringLiteral("LEAST(t.%1, 2147483647)") : QStringLiteral("t.%1");
    QStringList counts;
    for (const char *column : {"concurrent_429", "rpm_429", "unknown_429", "successes", "adjustments"})
        counts << count.arg(QLatin1StringView(column));
    const QString limit = QStringLiteral("CASE WHEN t.%1 > %2 THEN %2 ELSE t.%1 END"); // NULL stays NULL
    ddl << timelineTableDdl(QStringLiteral("console_timeline_v8"), pg)
        << QStringLiteral("INSERT INTO console_timeline_v8 (key_no, slot, limit_begin, limit_end, concurrent_429, "
                          "rpm_429, unknown_429, successes, adjustments) SELECT s.key_no, CAST(t.bucket / 60 AS "
                          "integer) * 2 + CASE WHEN t.step = 3600 THEN 1 ELSE 0 END, %1, %2, %3 FROM console_timeline "
                          "t JOIN console_timeline_seen s ON s.key_id = t.key_id WHERE t.step IN (60, 3600)")
               .arg(limit.arg(QStringLiteral("limit_begin")).arg(timeline::maxStoredLimit),
                    limit.arg(QStringLiteral("limit_end")).arg(timeline::maxStoredLimit),
                    counts.join(QStringLiteral(", ")))
        << QStringLiteral("DROP TABLE console_timeline")
        << QStringLiteral("ALTER TABLE console_timeline_v8 RENAME TO console_timeline");
    if (pg)
        ddl << QStringLiteral("ALTER INDEX console_timeline_v8_pkey RENAME TO console_timeline_pkey");
    for (const QString &sql : std::as_const(ddl)) {
        if (const Status status = m_db.execRaw(sql); !status)
            return status;
    }
    return recordVersion(8);
}

Status Migrations::applyVersion9()
{
    // The console's writes no longer raise the sampler's view of a key in their transaction (a row update on every
    // learning event that writes the series, the series' largest cost on PostgreSQL): they append what they counted
    // to console_timeline_pending, a table without an index, and the sampler folds it into the view
    // (timeline/timelinesampler.h). Its rows of one key are numbered in the order their transactions held the key.
    // folded_seq: the last of a key's pending rows that its view holds.
    // (A table or column that is there already, left by an interrupted upgrade, stays.)
    const bool pg = m_db.dialect().isPostgres();
    QStringList ddl{
        pg ? QStringLiteral("CREATE TABLE IF NOT EXISTS console_timeline_pending (seq BIGINT GENERATED ALWAYS AS "
                            "IDENTITY, key_id VARCHAR(36) NOT NULL, concurrent_429 BIGINT NOT NULL, rpm_429 BIGINT "
                            "NOT NULL, last_record_us BIGINT, limit_value INTEGER)")
           : QStringLiteral("CREATE TABLE IF NOT EXISTS console_timeline_pending (seq INTEGER PRIMARY KEY "
                            "AUTOINCREMENT, key_id TEXT NOT NULL, concurrent_429 INTEGER NOT NULL, rpm_429 INTEGER "
                            "NOT NULL, last_record_us INTEGER, limit_value INTEGER)")};
    bool hasColumn = false;
    if (!pg) {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT count(*) FROM pragma_table_info('console_timeline_seen') WHERE name = ?"),
                      {QStringLiteral("folded_seq")});
        if (!st)
            return st.error();
        hasColumn = st.value().next() && st.value().value(0).toInt() > 0;
    }
    if (!hasColumn) {
        ddl << QStringLiteral("ALTER TABLE console_timeline_seen ADD COLUMN %1folded_seq %2 NOT NULL DEFAULT 0")
                   .arg(pg ? QStringLiteral("IF NOT EXISTS ") : QString(),
                        pg ? QStringLiteral("BIGINT") : QStringLiteral("INTEGER"));
    }
    for (const QString &sql : std::as_const(ddl)) {
        if (const Status status = m_db.execRaw(sql); !status)
            return status;
    }
    return recordVersion(9);
}

Status Migrations::applyVersion10()
{
    // PostgreSQL: each sampling pass rewrites the views of the keys that changed (on a busy console, all of them).
    // Half-filled pages let those updates stay on their page (no new index entry) and be pruned there, so the table
    // stays about twice its live size instead of growing by a version of every view between two vacuums. Applies to
    // the pages written from now on; SQLite rewrites rows in place.
    if (m_db.dialect().isPostgres()) {
        if (const Status status =
                m_db.execRaw(QStringLiteral("ALTER TABLE console_timeline_seen SET (fillfactor = 50)"));
            !status)
            return status;
    }
    return recordVersion(10);
}

Status Migrations::applyVersion11()
{
    // The hour rows (odd slots) move to a table of their own. Minute rows are added at the end of every key's range
    // and rolled up after 48 hours, so their index churns and splits; hour rows are added once an hour by the roll-up
    // and stay: in a table of their own their index can be rebuilt packed and stays so
    // (timeline/timelinemaintenance.h). On PostgreSQL one index of both held ~1.5 times the pages its entries need most
    // of the time.
    const bool pg = m_db.dialect().isPostgres();
    const QString columns = QStringLiteral("key_no, slot, limit_begin, limit_end, concurrent_429, rpm_429, "
                                           "unknown_429, successes, adjustments");
    const QStringList copyHours{
        timelineTableDdl(QStringLiteral("console_timeline_hours"), pg),
        QStringLiteral("INSERT INTO console_timeline_hours (%1) SELECT %1 FROM console_timeline WHERE slot % 2 <> 0 "
                       "ORDER BY key_no, slot")
            .arg(columns)};
    QStringList ddl;
    if (pg) {
        // Other processes of an older console may still write rows (their roll-up keeps hour rows here): held until
        // this commits, so that no row is written between the copy and the rebuild. The minute rows go to a new
        // table: deleted in place, the hour rows would leave two thirds of the old table's pages to a table that can
        // no longer use them.
        ddl << QStringLiteral("LOCK TABLE console_timeline IN SHARE ROW EXCLUSIVE MODE") << copyHours
            << timelineTableDdl(QStringLiteral("console_timeline_v11"), pg)
            << QStringLiteral("INSERT INTO console_timeline_v11 (%1) SELECT %1 FROM console_timeline WHERE "
                              "slot % 2 = 0 ORDER BY key_no, slot")
                   .arg(columns)
            << QStringLiteral("DROP TABLE console_timeline")
            << QStringLiteral("ALTER TABLE console_timeline_v11 RENAME TO console_timeline")
            << QStringLiteral("ALTER INDEX console_timeline_v11_pkey RENAME TO console_timeline_pkey");
    } else {
        // SQLite's writers wait for this write transaction, and the pages the hour rows leave are the database's to
        // reuse.
        ddl << copyHours << QStringLiteral("DELETE FROM console_timeline WHERE slot % 2 <> 0");
    }
    for (const QString &sql : std::as_const(ddl)) {
        if (const Status status = m_db.execRaw(sql); !status)
            return status;
    }
    return recordVersion(11);
}

Status Migrations::applyVersion12()
{
    // PostgreSQL: a pending count carries the key row's version (xmin) that the console's write found and the one it
    // left. When a key's pending counts link the version its view saw to the row's version now, nobody else wrote the
    // row in between, and the sampler need not look into its history (parsing 10,000 histories was most of a pass
    // after heavy learning through the console). SQLite keeps the columns NULL (one table layout for both). (A column
    // that is there already, left by an interrupted upgrade, stays.)
    for (const QString &column : {QStringLiteral("row_before"), QStringLiteral("row_after")}) {
        if (const Status added = addColumn(QStringLiteral("console_timeline_pending"), column, QStringLiteral("TEXT"));
            !added)
            return added;
    }
    return recordVersion(12);
}

Status Migrations::applyVersion13()
{
    // The ceiling strategy's per-key state (what it remembers beyond the key row's columns), in the console's own
    // table so that a gateway's tables stay as they are.
    const QString sql = QStringLiteral("CREATE TABLE IF NOT EXISTS console_learning_state (key_id %1 NOT NULL PRIMARY "
                                       "KEY, state TEXT NOT NULL)")
                            .arg(m_db.dialect().isPostgres() ? QStringLiteral("VARCHAR(36)") : QStringLiteral("TEXT"));
    if (const Status created = m_db.execRaw(sql); !created)
        return created;
    return recordVersion(13);
}

Status Migrations::applyVersion14()
{
    // The window pages through a million keys in any sort order (KeyTable::page): on the console's own tables every
    // sort order is an index, with the id that breaks ties, so a page is one index range wherever it lies; the text
    // search has an index of the names' and ids' trigrams (SQLite FTS5, PostgreSQL pg_trgm where it can be
    // installed). A gateway's own tables are left as they are: there the same queries sort without these indexes.
    const Result<bool> consoleTables = createdTheTables();
    if (!consoleTables)
        return consoleTables.error();
    if (!consoleTables.value())
        return recordVersion(14);
    const bool pg = m_db.dialect().isPostgres();
    bool keptCount = false;
    if (!pg) {
        std::optional<bool> known;
        keptCount = hasKeptKeyColumn(m_db, QStringLiteral("console_adjustment_count"), &known);
    }
    QStringList ddl;
    const QStringList names{QStringLiteral("name"),        QStringLiteral("mode"),      QStringLiteral("max"),
                            QStringLiteral("learned"),     QStringLiteral("effective"), QStringLiteral("c429"),
                            QStringLiteral("r429"),        QStringLiteral("last_429"),  QStringLiteral("last_type"),
                            QStringLiteral("adjustments"), QStringLiteral("active")};
    for (const KeyOrder order : keyOrders()) {
        if (order == KeyOrder::Name && !pg)
            continue; // ix_console_key_table starts with (name, id)
        ddl << QStringLiteral("CREATE INDEX IF NOT EXISTS ix_console_order_%1 ON provider_api_keys ((%2), id)")
                   .arg(names.at(int(order)), keyOrderExpression(order, m_db.dialect(), keptCount, QString()));
    }
    if (!pg) {
        ddl << QStringLiteral("CREATE VIRTUAL TABLE IF NOT EXISTS console_key_search USING fts5(name, id, "
                              "content='provider_api_keys', content_rowid='rowid', tokenize='trigram')")
            << QStringLiteral("INSERT INTO console_key_search (console_key_search) VALUES ('rebuild')")
            << QStringLiteral(
                   "CREATE TRIGGER IF NOT EXISTS console_key_search_insert AFTER INSERT ON provider_api_keys "
                   "BEGIN INSERT INTO console_key_search (rowid, name, id) VALUES (NEW.rowid, NEW.name, "
                   "NEW.id); END")
            << QStringLiteral(
                   "CREATE TRIGGER IF NOT EXISTS console_key_search_delete AFTER DELETE ON provider_api_keys "
                   "BEGIN INSERT INTO console_key_search (console_key_search, rowid, name, id) VALUES "
                   "('delete', OLD.rowid, OLD.name, OLD.id); END")
            << QStringLiteral("CREATE TRIGGER IF NOT EXISTS console_key_search_update AFTER UPDATE OF name, id ON "
                              "provider_api_keys BEGIN INSERT INTO console_key_search (console_key_search, rowid, "
                              "name, id) VALUES ('delete', OLD.rowid, OLD.name, OLD.id); INSERT INTO "
                              "console_key_search (rowid, name, id) VALUES (NEW.rowid, NEW.name, NEW.id); END");
    }
    for (const QString &sql : ddl) {
        if (const Status status = m_db.execRaw(sql); !status)
            return status;
    }
    if (pg) {
        // pg_trgm is a trusted extension (PostgreSQL 13 and later): the database's owner may install it. Where it
        // is missing or not allowed, the search scans, as on a gateway's tables.
        bool trigrams = false;
        {
            Result<SqlStatement> available = m_db.exec(
                QStringLiteral("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm' AND (installed_version IS "
                               "NOT NULL OR has_database_privilege(current_database(), 'CREATE'))"));
            if (!available)
                return available.error();
            trigrams = available.value().next();
        }
        if (trigrams) {
            for (const QString &sql :
                 {QStringLiteral("SAVEPOINT console_trigrams"),
                  QStringLiteral("CREATE EXTENSION IF NOT EXISTS pg_trgm"),
                  QStringLiteral("CREATE INDEX IF NOT EXISTS ix_console_search_name ON provider_api_keys USING gin "
                                 "(lower(name) gin_trgm_ops)"),
                  QStringLiteral("CREATE INDEX IF NOT EXISTS ix_console_search_id ON provider_api_keys USING gin "
                                 "(lower(id) gin_trgm_ops)"),
                  QStringLiteral("RELEASE SAVEPOINT console_trigrams")}) {
                if (const Status status = m_db.execRaw(sql); !status) {
                    m_db.execRaw(QStringLiteral("ROLLBACK TO SAVEPOINT console_trigrams"));
                    break;
                }
            }
        }
    }
    return recordVersion(14);
}

Status Migrations::applyVersion15()
{
    // SQLite sorts a page by provider or endpoint from the keys of each endpoint in id order (KeyTable::page), which
    // the gateway's index on endpoint_id alone does not give (it holds SQLite's rowid, not the id). PostgreSQL sorts
    // those pages fast enough from the join itself.
    if (m_db.dialect().isPostgres())
        return recordVersion(15);
    const Result<bool> consoleTables = createdTheTables();
    if (!consoleTables)
        return consoleTables.error();
    if (consoleTables.value()) {
        if (const Status status = m_db.execRaw(QStringLiteral(
                "CREATE INDEX IF NOT EXISTS ix_console_order_endpoint ON provider_api_keys (endpoint_id, id)"));
            !status)
            return status;
    }
    return recordVersion(15);
}

Status Migrations::addColumn(const QString &table, const QString &column, const QString &type)
{
    // SQLite has no ADD COLUMN IF NOT EXISTS.
    const bool pg = m_db.dialect().isPostgres();
    if (!pg) {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT count(*) FROM pragma_table_info('%1') WHERE name = ?").arg(table), {column});
        if (!st)
            return st.error();
        if (st.value().next() && st.value().value(0).toInt() > 0)
            return Done{};
    }
    return m_db.execRaw(QStringLiteral("ALTER TABLE %1 ADD COLUMN %2%3 %4")
                            .arg(table, pg ? QStringLiteral("IF NOT EXISTS ") : QString(), column, type));
}

QString sqliteHistoryTail(const QString &column)
{
    // '[]' for no history; for an array, [type, timestamp] of its third-last, second-last and last records (JSON
    // types as SQLite names them, the timestamp when it is text); NULL for anything else (the console reads it).
    QStringList parts;
    for (int k = 3; k >= 1; --k) {
        parts << QStringLiteral("json_type(%1, '$[#-%2]')").arg(column).arg(k)
              << QStringLiteral("CASE WHEN json_type(%1, '$[#-%2].timestamp') = 'text' THEN "
                                "json_extract(%1, '$[#-%2].timestamp') END")
                     .arg(column)
                     .arg(k);
    }
    return QStringLiteral("CASE WHEN %1 IS NULL THEN '[]' WHEN json_valid(%1) AND json_type(%1) = 'array' THEN "
                          "json_array(%2) END")
        .arg(column, parts.join(QStringLiteral(", ")));
}

bool hasKeptKeyColumn(Database &db, const QString &column, std::optional<bool> *known)
{
    if (*known)
        return **known;
    if (db.dialect().isPostgres()) {
        *known = false;
        return false;
    }
    Result<SqlStatement> st =
        db.exec(QStringLiteral("SELECT count(*) FROM pragma_table_info('provider_api_keys') WHERE name = ?"), {column});
    if (!st || !st.value().next())
        return false; // ask again next time
    *known = st.value().value(0).toInt() > 0;
    return **known;
}

QString sqliteHistoryCount(const QString &column)
{
    return QStringLiteral("COALESCE(CASE WHEN json_valid(%1) THEN CASE WHEN json_type(%1) = 'array' THEN "
                          "json_array_length(%1) END END, 0)")
        .arg(column);
}

Status Migrations::applyVersion1(bool gatewayTablesExist)
{
    QStringList ddl;
    if (!gatewayTablesExist)
        ddl << gatewayTablesDdl(m_db.dialect()) << revisionDdl(m_db.dialect());
    ddl << consoleTablesDdl(m_db.dialect());
    ddl << QStringLiteral("CREATE TABLE IF NOT EXISTS console_schema_version (version INTEGER NOT NULL PRIMARY KEY, "
                          "applied_at TEXT NOT NULL)");
    for (const QString &sql : ddl) {
        const Status status = m_db.execRaw(sql);
        if (!status)
            return status;
    }
    Result<SqlStatement> meta =
        m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?)"),
                  {QStringLiteral("gateway_tables"),
                   gatewayTablesExist ? QStringLiteral("external") : QStringLiteral("console")});
    if (!meta)
        return meta.error();
    return recordVersion(1);
}

} // namespace aether
