// Migrations: a fresh database gets the gateway's three tables and the console's own; re-running is a no-op; an
// existing gateway database (spec/aether-schema.sql) keeps its tables, columns, indexes and non-adaptive values.

#include "keyrow.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/demodata.h"
#include "storage/migrations.h"
#include "storage/timelinetables.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QFile>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::test::bareKeySql;
using aether::test::executeAll;
using aether::test::ownerRowsSql;
using aether::test::SqlProbe;
using aether::test::TestDatabase;

namespace {

const QStringList gatewayTables{u"providers"_s, u"provider_endpoints"_s, u"provider_api_keys"_s};
const QStringList consoleTables{u"console_audit_log"_s, u"console_meta"_s, u"console_schema_version"_s,
                                u"console_tokens"_s};

// The columns the console may write in an existing gateway database (spec/schema.md, "Existing gateway database").
const QStringList adaptiveColumns{u"max_concurrent"_s,
                                  u"learned_max_concurrent"_s,
                                  u"concurrent_429_count"_s,
                                  u"rpm_429_count"_s,
                                  u"last_429_at"_s,
                                  u"last_429_type"_s,
                                  u"last_concurrent_peak"_s,
                                  u"adjustment_history"_s,
                                  u"utilization_samples"_s,
                                  u"last_probe_increase_at"_s,
                                  u"updated_at"_s};

QStringList tableNames(SqlProbe &probe, bool postgres)
{
    return probe.column(postgres ? u"SELECT table_name FROM information_schema.tables "
                                   u"WHERE table_schema = current_schema() ORDER BY table_name"_s
                                 : u"SELECT name FROM sqlite_master WHERE type = 'table' "
                                   u"AND name NOT LIKE 'sqlite%' ORDER BY name"_s);
}

// The statements of spec/aether-schema.sql: comments dropped, split at a ';' that ends a line. SQLite gets the same
// tables without the PostgreSQL enum type (its column type name is only an affinity there).
// PostgreSQL's storage options of the sampler's views (schema version 10).
QString viewsStorageOptions(SqlProbe &probe)
{
    return probe
        .value(u"SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'console_timeline_seen'"_s)
        .toString();
}

QStringList gatewaySchemaStatements(bool postgres)
{
    QFile file(aether::test::sharedPath(u"spec/aether-schema.sql"_s));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QStringList statements;
    QString current;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    for (QString line : lines) {
        const qsizetype comment = line.indexOf(u"--");
        if (comment >= 0)
            line.truncate(comment);
        line = line.trimmed();
        if (line.isEmpty())
            continue;
        current += line + u'\n';
        if (line.endsWith(u';')) {
            current = current.trimmed();
            current.chop(1);
            if (postgres || !current.startsWith(u"CREATE TYPE"))
                statements << current;
            current.clear();
        }
    }
    return statements;
}

QString providerFixture()
{
    return u"INSERT INTO providers (id, name, display_name, description, website, billing_type, monthly_quota_usd, "
           u"monthly_used_usd, quota_reset_day, quota_last_reset_at, quota_expires_at, rpm_limit, rpm_used, "
           u"rpm_reset_at, provider_priority, is_active, rate_limit, concurrent_limit, config, created_at, updated_at) "
           u"VALUES ('0b9c7d8e-0000-4000-8000-000000000001', 'anthropic-prod', 'Anthropic 生产', 'primary — ü', "
           u"'https://console.anthropic.com', 'monthly_quota', 123.456, 0.1, 17, '2025-11-01 01:02:03.456789+00', "
           u"'2026-01-01 00:00:00+00', 0, 12, '2025-12-25 14:00:00.5+00', 7, true, 99, 12, "
           u"'{\"region\":  \"us-east-1\", \"tags\": [1, 2,  3]}', '2025-01-02 03:04:05.678901+00', "
           u"'2025-06-07 08:09:10.111213+00')"_s;
}

QString endpointFixture()
{
    return u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, headers, timeout, max_retries, "
           u"max_concurrent, rate_limit, is_active, custom_path, config, proxy, created_at, updated_at) VALUES ("
           u"'0b9c7d8e-0000-4000-8000-000000000002', '0b9c7d8e-0000-4000-8000-000000000001', 'CLAUDE', "
           u"'https://api.anthropic.com', '{\"anthropic-version\": \"2023-06-01\"}', 120, 5, 9, 77, false, "
           u"'/v1/messages', '{\"stream\":true}', "
           u"'{\"url\": \"socks5://proxy.internal:1080\", \"username\": \"u\", \"password\": \"p@ss\"}', "
           u"'2025-01-02 03:04:05.000001+00', '2025-02-03 04:05:06.999999+00')"_s;
}

// A row of provider_api_keys with `values` for every column.
QString keyFixture(const QString &values)
{
    const QString insert =
        u"INSERT INTO provider_api_keys (id, endpoint_id, api_key, name, note, rate_multiplier, internal_priority, "
        u"global_priority, max_concurrent, rate_limit, daily_limit, monthly_limit, allowed_models, capabilities, "
        u"learned_max_concurrent, concurrent_429_count, rpm_429_count, last_429_at, last_429_type, "
        u"last_concurrent_peak, adjustment_history, utilization_samples, last_probe_increase_at, health_score, "
        u"consecutive_failures, last_failure_at, request_results_window, cache_ttl_minutes, "
        u"max_probe_interval_minutes, circuit_breaker_open, circuit_breaker_open_at, next_probe_at, half_open_until, "
        u"half_open_successes, half_open_failures, request_count, success_count, error_count, total_response_time_ms, "
        u"last_used_at, last_error_at, last_error_msg, is_active, expires_at, created_at, updated_at) VALUES ("_s;
    return insert + values + u')';
}

// A key with every column filled.
QString firstKeyFixture()
{
    return keyFixture(
        u"'a1a1a1a1-0000-4000-8000-000000000001', '0b9c7d8e-0000-4000-8000-000000000002', "
        u"'gAAAAABnX3Yk_encrypted_secret_one==', 'prod-主密钥', 'rotated 2025-12', 1.25, 3, 9, NULL, 60, 1000, "
        u"30000, '[\"claude-3-opus\",  \"claude-3-haiku\"]', '{\"vision\": true, \"tools\": [\"web\"]}', 17, 4, 2, "
        u"'2025-12-25 14:47:08.123456+00', 'concurrent', 20, "
        u"'[{\"timestamp\": \"2025-12-25T14:47:08.123456+00:00\", \"old_limit\": 20, \"new_limit\": 17, "
        u"\"reason\": \"concurrent_429\", \"current_concurrent\": 20, \"gateway_note\": \"kept\"}]', "
        u"'[{\"ts\": 1766674028.5, \"util\": 0.75}]', '2025-12-24 10:00:00.000001+00', 0.875, 2, "
        u"'2025-12-25 13:00:00.250000+00', '[{\"ts\": 1766674028.123456, \"ok\": true},  {\"ts\":1766674029.5,"
        u"\"ok\":false}]', 7, 45, true, '2025-12-25 13:30:00+00', '2025-12-25 15:00:00.000100+00', "
        u"'2025-12-25 15:05:00+00', 1, 4, 1234, 1200, 34, 987654, '2025-12-25 14:50:00.999999+00', "
        u"'2025-12-25 14:49:00+00', 'upstream 529: overloaded; retry', true, '2026-12-31 23:59:59.999999+00', "
        u"'2025-01-02 03:04:05.678901+00', '2025-12-25 14:47:08.123456+00'"_s);
}

// A key with the optional columns left NULL.
QString secondKeyFixture()
{
    return keyFixture(
        u"'a1a1a1a1-0000-4000-8000-000000000002', '0b9c7d8e-0000-4000-8000-000000000002', "
        u"'gAAAAABnX3Yk_encrypted_secret_two==', 'batch', NULL, 0.5, NULL, NULL, 8, NULL, NULL, NULL, NULL, "
        u"'{}', 25, 10, 1, '2025-12-20 08:00:00+00', 'rpm', NULL, "
        u"'[{\"timestamp\": \"2025-12-20T08:00:00+00:00\", \"old_limit\": 30, \"new_limit\": 25, "
        u"\"reason\": \"unknown_429\", \"current_concurrent\": 1}]', NULL, NULL, 0.3333333333333333, 0, NULL, "
        u"'[]', 5, 32, false, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, false, NULL, "
        u"'2025-03-04 05:06:07+00', '2025-03-04 05:06:07+00'"_s);
}

// A provider, an endpoint and two keys with every NOT NULL column filled and distinctive values elsewhere
// (odd JSON spacing, microseconds, non-ASCII text), so that any rewrite of a column would show.
QStringList gatewayFixture()
{
    return {providerFixture(), endpointFixture(), firstKeyFixture(), secondKeyFixture()};
}

// Every row of a table as one line of text that shows each stored byte: row_to_json (PostgreSQL keeps json text
// verbatim there) or quote() (SQLite: type and exact value). Columns in `except` are left out.
QStringList dumpRows(SqlProbe &probe, bool postgres, const QString &table, const QStringList &except = {})
{
    const QStringList columns =
        probe.column(postgres ? u"SELECT column_name FROM information_schema.columns WHERE table_schema = "
                                u"current_schema() AND table_name = '%1' ORDER BY ordinal_position"_s.arg(table)
                              : u"SELECT name FROM pragma_table_info('%1') ORDER BY cid"_s.arg(table));
    QStringList kept;
    for (const QString &column : columns) {
        if (!except.contains(column))
            kept << column;
    }
    if (kept.isEmpty())
        return {u"<no columns>"_s};
    if (postgres) {
        return probe.column(
            u"SELECT row_to_json(t)::text FROM (SELECT %1 FROM %2 ORDER BY id) t"_s.arg(kept.join(u", "), table));
    }
    QStringList quoted;
    for (const QString &column : kept)
        quoted << u"'%1=' || quote(%1)"_s.arg(column);
    return probe.column(u"SELECT %1 FROM %2 ORDER BY id"_s.arg(quoted.join(u" || ', ' || "), table));
}

// The definition of the gateway tables: columns, indexes, constraints, triggers.
QStringList schemaSnapshot(SqlProbe &probe, bool postgres)
{
    if (!postgres) {
        return probe.column(u"SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') "
                            u"FROM sqlite_master WHERE tbl_name IN ('providers', 'provider_endpoints', "
                            u"'provider_api_keys') ORDER BY type, name"_s);
    }
    const QString tables = u"('providers', 'provider_endpoints', 'provider_api_keys')"_s;
    QStringList snapshot;
    snapshot << probe.column(
        u"SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
        u"coalesce(column_default, '-') || ' ' || coalesce(character_maximum_length::text, '-') || ' #' || "
        u"ordinal_position FROM information_schema.columns WHERE table_schema = current_schema() "
        u"AND table_name IN %1 ORDER BY table_name, ordinal_position"_s.arg(tables));
    snapshot << probe.column(
        u"SELECT 'index ' || tablename || ' ' || indexname || ' ' || indexdef FROM pg_indexes "
        u"WHERE schemaname = current_schema() AND tablename IN %1 ORDER BY indexname"_s.arg(tables));
    snapshot << probe.column(u"SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || "
                             u"pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text IN %1 "
                             u"ORDER BY 1"_s.arg(tables));
    snapshot << probe.column(u"SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname FROM pg_trigger "
                             u"WHERE tgrelid::regclass::text IN %1 ORDER BY 1"_s.arg(tables));
    return snapshot;
}

QStringList rowCounts(SqlProbe &probe)
{
    QStringList counts;
    for (const QString &table : gatewayTables)
        counts << table + u'=' + probe.value(u"SELECT count(*) FROM %1"_s.arg(table)).toString();
    return counts;
}

// The ids of the keys in gatewayFixture().
const QString firstGatewayKey = u"a1a1a1a1-0000-4000-8000-000000000001"_s;
const QString secondGatewayKey = u"a1a1a1a1-0000-4000-8000-000000000002"_s;

// What the gateway wrote, to compare with after the console's changes; the keys without their adaptive columns.
struct GatewayRows {
    QStringList schema;
    QStringList counts;
    QStringList providers;
    QStringList endpoints;
    QStringList keys;
};

GatewayRows gatewayRows(SqlProbe &probe, bool postgres)
{
    return {schemaSnapshot(probe, postgres), rowCounts(probe), dumpRows(probe, postgres, u"providers"_s),
            dumpRows(probe, postgres, u"provider_endpoints"_s),
            dumpRows(probe, postgres, u"provider_api_keys"_s, adaptiveColumns)};
}

} // namespace

class TestMigrations : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void freshDatabase_data() { TestDatabase::addBackendRows(); }
    void freshDatabase()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        aether::Migrations migrations(db);
        QCOMPARE(migrations.currentVersion().value(), 0);
        QVERIFY(migrations.run().ok());
        QCOMPARE(migrations.currentVersion().value(), aether::Migrations::latestVersion);
        QCOMPARE(aether::Migrations::latestVersion, 15);
        QCOMPARE(migrations.gatewayOwnsTables().value(), false);

        SqlProbe probe(tdb.location());
        QVERIFY2(probe.isOpen(), qPrintable(probe.lastError()));
        const QStringList tables = tableNames(probe, tdb.isPostgres());
        for (const QString &table : gatewayTables + consoleTables)
            QVERIFY2(tables.contains(table), qPrintable(table + u" is missing; tables: "_s + tables.join(u", ")));
        // PostgreSQL keeps the Summary's digests in a table (version 5); SQLite in the key rows (version 4).
        QCOMPARE(tables.contains(u"console_history_digests"_s), tdb.isPostgres());
        // The time series (version 6), on both.
        QVERIFY(tables.contains(u"console_timeline"_s));
        QVERIFY(tables.contains(u"console_timeline_seen"_s));
        QVERIFY(tables.contains(u"console_timeline_pending"_s));
        QVERIFY(tables.contains(u"console_timeline_hours"_s)); // version 11
        // Version 12: a pending count carries the key row's version before and after the write.
        QVERIFY2(probe.rows(u"SELECT row_before, row_after FROM console_timeline_pending WHERE 1 = 0"_s),
                 qPrintable(probe.lastError()));
        // Version 13: the ceiling strategy's per-key state; a database the console creates learns with it.
        QVERIFY(tables.contains(u"console_learning_state"_s));
        QCOMPARE(probe.lines(u"SELECT value FROM console_meta WHERE name = 'learning_policy'"_s),
                 QStringList{QString::fromLatin1(aether::Migrations::recommendedPolicy)});
        {
            aether::KeyService keys(db);
            QCOMPARE(keys.learningPolicy().value().strategy, aether::LearningPolicy::recommendedStrategy());
        }
        // Version 7: a key's view may wait for its baseline; PostgreSQL keeps the row version read last.
        QCOMPARE(probe.lines(u"SELECT count(*) FROM console_timeline_seen WHERE needs_baseline = 0 AND "
                             u"row_version IS NULL"_s),
                 QStringList{u"0"_s});
        // Version 10: PostgreSQL leaves room on the views' pages for their updates.
        if (tdb.isPostgres()) {
            QCOMPARE(viewsStorageOptions(probe), u"fillfactor=50"_s);
        }
        for (const QString &table : tables) {
            QVERIFY2(gatewayTables.contains(table) || table.startsWith(u"console_"),
                     qPrintable(u"unexpected table "_s + table));
        }

        // The columns the console relies on (spec/schema.md).
        QVERIFY2(probe.rows(u"SELECT id, name, display_name, is_active FROM providers WHERE 1 = 0"_s),
                 qPrintable(probe.lastError()));
        QVERIFY2(probe.rows(u"SELECT id, provider_id, api_format, base_url, is_active FROM provider_endpoints "
                            u"WHERE 1 = 0"_s),
                 qPrintable(probe.lastError()));
        QVERIFY2(probe.rows(u"SELECT id, endpoint_id, name, note, max_concurrent, learned_max_concurrent, "
                            u"concurrent_429_count, rpm_429_count, last_429_at, last_429_type, last_concurrent_peak, "
                            u"adjustment_history, utilization_samples, last_probe_increase_at, is_active, created_at, "
                            u"updated_at FROM provider_api_keys WHERE 1 = 0"_s),
                 qPrintable(probe.lastError()));

        QCOMPARE(probe.lines(u"SELECT version FROM console_schema_version ORDER BY version"_s),
                 (QStringList{u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s, u"6"_s, u"7"_s, u"8"_s, u"9"_s, u"10"_s, u"11"_s,
                              u"12"_s, u"13"_s, u"14"_s, u"15"_s}));
        QCOMPARE(probe.lines(u"SELECT name, value FROM console_meta ORDER BY name"_s),
                 (QStringList{u"gateway_tables|console"_s, u"learning_policy|{\"strategy\":\"aether_ceiling\"}"_s}));
        QVERIFY(
            aether::Timestamp::parse(probe.value(u"SELECT max(applied_at) FROM console_schema_version"_s).toString()));
    }

    // The 429 counters are NOT NULL with a default of 0 (spec/schema.md), so a row written without them works.
    void freshDatabaseCounterDefaults_data() { TestDatabase::addBackendRows(); }
    void freshDatabaseCounterDefaults()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        QString error;
        QVERIFY2(executeAll(tdb, ownerRowsSql() << bareKeySql(u"k"_s, u"key"_s, false), &error), qPrintable(error));
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.lines(u"SELECT concurrent_429_count, rpm_429_count FROM provider_api_keys"_s),
                 QStringList{u"0|0"_s});
    }

    void rerunIsANoOp_data() { TestDatabase::addBackendRows(); }
    void rerunIsANoOp()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        QString error;
        QVERIFY2(tdb.execute(u"INSERT INTO console_meta (name, value) VALUES ('marker', 'kept')"_s, &error),
                 qPrintable(error));
        SqlProbe probe(tdb.location());
        const QStringList before = tableNames(probe, tdb.isPostgres());

        for (int i = 0; i < 2; ++i) {
            const aether::Status again = aether::Migrations(db).run();
            QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().detail));
        }
        QCOMPARE(aether::Migrations(db).currentVersion().value(), aether::Migrations::latestVersion);
        QCOMPARE(tableNames(probe, tdb.isPostgres()), before);
        QCOMPARE(probe.lines(u"SELECT version FROM console_schema_version ORDER BY version"_s),
                 (QStringList{u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s, u"6"_s, u"7"_s, u"8"_s, u"9"_s, u"10"_s, u"11"_s,
                              u"12"_s, u"13"_s, u"14"_s, u"15"_s}));
        QCOMPARE(probe.lines(u"SELECT name, value FROM console_meta ORDER BY name"_s),
                 (QStringList{u"gateway_tables|console"_s, u"learning_policy|{\"strategy\":\"aether_ceiling\"}"_s,
                              u"marker|kept"_s}));
    }

    void twoDatabasesOneAfterTheOther_data() { TestDatabase::addBackendRows(); }
    void twoDatabasesOneAfterTheOther()
    {
        AETHER_TEST_DATABASE(tdb);
        // Both connections exist before either migrates, as when two processes start on the same fresh database.
        aether::Database first(tdb.location());
        aether::Database second(tdb.location());
        QVERIFY(first.open().ok());
        QVERIFY(second.open().ok());

        const aether::Status one = aether::Migrations(first).run();
        QVERIFY2(one.ok(), qPrintable(one.ok() ? QString() : one.error().detail));
        const aether::Status two = aether::Migrations(second).run();
        QVERIFY2(two.ok(), qPrintable(two.ok() ? QString() : two.error().detail));
        QCOMPARE(aether::Migrations(first).currentVersion().value(), aether::Migrations::latestVersion);
        QCOMPARE(aether::Migrations(second).currentVersion().value(), aether::Migrations::latestVersion);
        QCOMPARE(aether::Migrations(second).gatewayOwnsTables().value(), false);

        // A third connection opened afterwards finds the work done as well.
        aether::Database third(tdb.location());
        QVERIFY(third.open().ok());
        QVERIFY(aether::Migrations(third).run().ok());

        SqlProbe probe(tdb.location());
        QCOMPARE(probe.lines(u"SELECT version FROM console_schema_version ORDER BY version"_s),
                 (QStringList{u"1"_s, u"2"_s, u"3"_s, u"4"_s, u"5"_s, u"6"_s, u"7"_s, u"8"_s, u"9"_s, u"10"_s, u"11"_s,
                              u"12"_s, u"13"_s, u"14"_s, u"15"_s}));
        QCOMPARE(probe.lines(u"SELECT name, value FROM console_meta ORDER BY name"_s),
                 (QStringList{u"gateway_tables|console"_s, u"learning_policy|{\"strategy\":\"aether_ceiling\"}"_s}));
        // Both connections can use the tables.
        QVERIFY(aether::KeyService(first).listAdaptiveKeys().ok());
        QVERIFY(aether::KeyService(second).summary().ok());
    }

    // Version 2 on the console's SQLite tables: the number of history records is kept by triggers, whatever writes
    // the history (the console, a gateway, a script), and malformed histories count as empty.
    void keptHistoryCount()
    {
        TestDatabase tdb("sqlite");
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        QString error;
        QVERIFY2(executeAll(tdb,
                            ownerRowsSql() << bareKeySql(u"k"_s, u"key"_s)
                                           << u"UPDATE provider_api_keys SET adjustment_history = '[{}, {}, {}]'"_s,
                            &error),
                 qPrintable(error));
        SqlProbe probe(tdb.location());
        const QString count = u"SELECT console_adjustment_count FROM provider_api_keys WHERE id = 'k'"_s;
        QCOMPARE(probe.value(count).toInt(), 3);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '[1, 2, 3, 4, 5]'"_s));
        QCOMPARE(probe.value(count).toInt(), 5);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = 'not json ['"_s));
        QCOMPARE(probe.value(count).toInt(), 0);
        // The last three records' types and timestamps, for the Summary (version 4).
        const QString tail = u"SELECT console_history_tail FROM provider_api_keys WHERE id = 'k'"_s;
        QVERIFY(probe.value(tail).isNull()); // not JSON: the Summary reads the history itself
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '[1, {\"timestamp\": \"t1\"}, "
                            u"{\"timestamp\": 5}, {\"timestamp\": \"t\\u0033\"}]'"_s));
        QCOMPARE(probe.value(tail).toString(), u"[\"object\",\"t1\",\"object\",null,\"object\",\"t3\"]"_s);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '[7]'"_s));
        QCOMPARE(probe.value(tail).toString(), u"[null,null,null,null,\"integer\",null]"_s);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = NULL"_s));
        QCOMPARE(probe.value(tail).toString(), u"[]"_s);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '{\"a\": 1}'"_s));
        QCOMPARE(probe.value(count).toInt(), 0);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = NULL"_s));
        QCOMPARE(probe.value(count).toInt(), 0);
        // The key table's covering index is there and used for a scan sorted by name.
        const QStringList plan = probe.lines(u"EXPLAIN QUERY PLAN SELECT name, id, learned_max_concurrent, "
                                             u"console_adjustment_count FROM provider_api_keys ORDER BY name"_s);
        QVERIFY2(plan.join(u' ').contains(u"ix_console_key_table"_s), qPrintable(plan.join(u'\n')));
    }

    // A database of version 1 is brought to the latest version with its rows: the counts and tails are filled in.
    void upgradeFromVersion1()
    {
        TestDatabase tdb("sqlite");
        {
            aether::Database db(tdb.location());
            QVERIFY(db.open().ok());
            QVERIFY(aether::Migrations(db).run().ok());
        }
        QString error;
        // Back to what version 1 left: no count column, no index, the old triggers (and none of versions 14 and 15's
        // sort indexes and name search).
        QStringList version14;
        for (const char *index : {"mode", "max", "learned", "effective", "c429", "r429", "last_429", "last_type",
                                  "adjustments", "active", "endpoint"})
            version14 << u"DROP INDEX ix_console_order_%1"_s.arg(QLatin1String(index));
        version14 << u"DROP TRIGGER console_key_search_insert"_s << u"DROP TRIGGER console_key_search_delete"_s
                  << u"DROP TRIGGER console_key_search_update"_s << u"DROP TABLE console_key_search"_s
                  << u"DELETE FROM console_schema_version WHERE version >= 14"_s;
        QVERIFY2(executeAll(tdb, version14, &error), qPrintable(error));
        QVERIFY2(executeAll(tdb,
                            {u"DROP INDEX ix_console_key_table"_s, u"DROP INDEX ix_console_last_429"_s,
                             u"DROP INDEX ix_console_audit_key"_s, u"DROP TRIGGER console_revision_on_insert"_s,
                             u"DROP TRIGGER console_revision_on_update"_s, u"DROP INDEX ix_console_adaptive_keys"_s,
                             u"ALTER TABLE provider_api_keys DROP COLUMN console_history_tail"_s,
                             u"ALTER TABLE provider_api_keys DROP COLUMN console_adjustment_count"_s,
                             u"CREATE INDEX ix_console_adaptive_keys ON provider_api_keys (endpoint_id, id, name, "
                             u"learned_max_concurrent, concurrent_429_count, rpm_429_count, console_revision, "
                             u"max_concurrent) WHERE max_concurrent IS NULL"_s,
                             u"CREATE TRIGGER console_revision_on_insert AFTER INSERT ON provider_api_keys BEGIN "
                             u"UPDATE provider_api_keys SET console_revision = random() WHERE rowid = NEW.rowid; END"_s,
                             u"CREATE TRIGGER console_revision_on_update AFTER UPDATE OF adjustment_history ON "
                             u"provider_api_keys BEGIN UPDATE provider_api_keys SET console_revision = random() "
                             u"WHERE rowid = NEW.rowid; END"_s,
                             u"DELETE FROM console_schema_version WHERE version >= 2"_s},
                            &error),
                 qPrintable(error));
        QVERIFY2(executeAll(tdb,
                            ownerRowsSql() << bareKeySql(u"k"_s, u"key"_s)
                                           << u"UPDATE provider_api_keys SET adjustment_history = '[{}, {}]'"_s,
                            &error),
                 qPrintable(error));
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), 1);
        QVERIFY(aether::Migrations(db).run().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), aether::Migrations::latestVersion);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT console_adjustment_count FROM provider_api_keys"_s).toInt(), 2);
        QCOMPARE(probe.value(u"SELECT console_history_tail FROM provider_api_keys"_s).toString(),
                 u"[null,null,\"object\",null,\"object\",null]"_s);
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '[1]'"_s));
        QCOMPARE(probe.value(u"SELECT console_adjustment_count FROM provider_api_keys"_s).toInt(), 1);
    }

    // Version 8 narrows the time series' rows: a database of version 7 keeps every row and view, now under key
    // numbers and minutes; a key with rows but no view gets one that waits for its baseline; new keys get new numbers.
    // Version 9 then adds the pending counts of the console's writes (none yet) and what each view folded of them.
    // Version 12 adds the row versions to the pending counts: the counts waiting for the sampler keep their values
    // (no versions: not linked), and an upgrade interrupted after the columns were added completes. Version 13 adds the
    // ceiling strategy's table.
    void upgradeToVersion12_data() { TestDatabase::addBackendRows(); }
    void upgradeToVersion12()
    {
        AETHER_TEST_DATABASE(tdb);
        {
            aether::Database db(tdb.location());
            QVERIFY(db.open().ok());
            QVERIFY(aether::Migrations(db).run().ok());
        }
        QString error;
        QVERIFY2(executeAll(tdb,
                            {u"ALTER TABLE console_timeline_pending DROP COLUMN row_before"_s,
                             u"ALTER TABLE console_timeline_pending DROP COLUMN row_after"_s,
                             u"INSERT INTO console_timeline_pending (key_id, concurrent_429, rpm_429, last_record_us, "
                             u"limit_value) VALUES ('k', 3, 1, 1795694400000000, 7)"_s,
                             u"DROP TABLE console_learning_state"_s,
                             u"DELETE FROM console_schema_version WHERE version >= 12"_s},
                            &error),
                 qPrintable(error));
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), 11);
        QVERIFY(aether::Migrations(db).run().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), 15);
        SqlProbe probe(tdb.location());
        QVERIFY2(probe.rows(u"SELECT key_id, state FROM console_learning_state"_s), qPrintable(probe.lastError()));
        const QString pending = u"SELECT key_id, concurrent_429, rpm_429, last_record_us, limit_value, row_before, "
                                u"row_after FROM console_timeline_pending"_s;
        QCOMPARE(probe.lines(pending), QStringList{u"k|3|1|1795694400000000|7|<null>|<null>"_s});
        QVERIFY2(executeAll(tdb, {u"DELETE FROM console_schema_version WHERE version >= 12"_s}, &error),
                 qPrintable(error));
        QVERIFY(aether::Migrations(db).run().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), 15);
        QCOMPARE(probe.lines(pending), QStringList{u"k|3|1|1795694400000000|7|<null>|<null>"_s});
    }

    void upgradeTimelineToVersion8_data() { TestDatabase::addBackendRows(); }
    void upgradeTimelineToVersion8()
    {
        AETHER_TEST_DATABASE(tdb);
        {
            aether::Database db(tdb.location());
            QVERIFY(db.open().ok());
            QVERIFY(aether::Migrations(db).run().ok());
        }
        const bool pg = tdb.isPostgres();
        const QString id = pg ? u"VARCHAR(36)"_s : u"TEXT"_s;
        const QString big = pg ? u"BIGINT"_s : u"INTEGER"_s;
        QString error;
        // Back to what version 7 left, with rows.
        QVERIFY2(executeAll(tdb,
                            {u"DROP TABLE console_timeline"_s, u"DROP TABLE console_timeline_hours"_s,
                             u"DROP TABLE console_timeline_seen"_s,
                             u"CREATE TABLE console_timeline (key_id %1 NOT NULL, step INTEGER NOT NULL, bucket %2 "
                             u"NOT NULL, concurrent_429 %2 NOT NULL DEFAULT 0, rpm_429 %2 NOT NULL DEFAULT 0, "
                             u"unknown_429 %2 NOT NULL DEFAULT 0, successes %2 NOT NULL DEFAULT 0, adjustments %2 NOT "
                             u"NULL DEFAULT 0, limit_begin INTEGER, limit_end INTEGER, PRIMARY KEY (key_id, step, "
                             u"bucket))"_s.arg(id, big),
                             u"CREATE TABLE console_timeline_seen (key_id %1 NOT NULL PRIMARY KEY, concurrent_429 %2 "
                             u"NOT NULL, rpm_429 %2 NOT NULL, limit_value INTEGER, history_mark TEXT, last_record_us "
                             u"%2, needs_baseline INTEGER NOT NULL DEFAULT 0, row_version TEXT)"_s.arg(id, big),
                             u"INSERT INTO console_timeline_seen VALUES ('k-a', 41, 2, 20, 'm', 1795694400000000, 0, "
                             u"NULL)"_s,
                             u"INSERT INTO console_timeline VALUES ('k-a', 60, 1795694400, 3, 1, 0, 7, 1, 30, 20), "
                             u"('k-a', 3600, 1795500000, 9, 0, 2, 0, 3, NULL, 25), "
                             u"('k-old', 60, 1795694460, 1, 0, 0, 0, 0, 5, 40000)"_s,
                             u"DROP TABLE console_timeline_pending"_s,
                             u"DELETE FROM console_schema_version WHERE version >= 8"_s},
                            &error),
                 qPrintable(error));
        if (pg)
            QVERIFY2(executeAll(tdb, {u"DROP SEQUENCE IF EXISTS console_timeline_key_no"_s}, &error),
                     qPrintable(error));
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), 7);
        QVERIFY(aether::Migrations(db).run().ok());
        QCOMPARE(aether::Migrations(db).currentVersion().value(), aether::Migrations::latestVersion);
        SqlProbe probe(tdb.location());
        // Version 11 then moves the hour rows to a table of their own.
        QCOMPARE(probe.lines(u"SELECT s.key_id, CASE WHEN t.slot % 2 = 1 THEN 3600 ELSE 60 END, t.slot / 2 * 60, "
                             u"t.concurrent_429, t.rpm_429, t.unknown_429, "
                             u"t.successes, t.adjustments, COALESCE(CAST(t.limit_begin AS text), 'null'), t.limit_end "
                             u"FROM (SELECT *, 'm' AS tab FROM console_timeline UNION ALL SELECT *, 'h' FROM "
                             u"console_timeline_hours) t JOIN console_timeline_seen s ON s.key_no = t.key_no "
                             u"WHERE t.tab = CASE WHEN t.slot % 2 = 1 THEN 'h' ELSE 'm' END ORDER BY s.key_id, "
                             u"t.slot % 2"_s),
                 (QStringList{u"k-a|60|1795694400|3|1|0|7|1|30|20"_s, u"k-a|3600|1795500000|9|0|2|0|3|null|25"_s,
                              u"k-old|60|1795694460|1|0|0|0|0|5|32767"_s})); // a 2-byte limit
        QCOMPARE(probe.lines(u"SELECT key_id, concurrent_429, rpm_429, limit_value, history_mark, last_record_us, "
                             u"needs_baseline, folded_seq FROM console_timeline_seen ORDER BY key_id"_s),
                 (QStringList{u"k-a|41|2|20|m|1795694400000000|0|0"_s, u"k-old|0|0|<null>|<null>|<null>|1|0"_s}));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        if (pg) {
            QCOMPARE(viewsStorageOptions(probe), u"fillfactor=50"_s);
        }
        // The next view gets a number of its own.
        QVERIFY(db.transaction<bool>(aether::Database::Mode::Write, [&]() -> aether::Result<bool> {
                      if (const aether::Status written = aether::writeTimelineRows(
                              db, {{u"k-new"_s, 60, 1795694520, aether::TimelineCounts{1, 0, 0, 0, 0}, 4, 4}});
                          !written)
                          return written.error();
                      return true;
                  }).ok());
        QCOMPARE(probe.value(u"SELECT count(DISTINCT key_no) FROM console_timeline_seen"_s).toInt(), 3);
        QVERIFY(probe.value(u"SELECT key_no FROM console_timeline_seen WHERE key_id = 'k-new'"_s).toLongLong() >
                probe.value(u"SELECT max(key_no) FROM console_timeline_seen WHERE key_id <> 'k-new'"_s).toLongLong());
    }

    // An existing gateway database: the gateway's own DDL and rows with every column filled; then migrations and every
    // KeyService mutation. Only the adaptive columns and updated_at may change (spec/schema.md).
    void existingGatewayDatabase_data() { TestDatabase::addBackendRows(); }
    void existingGatewayDatabase()
    {
        AETHER_TEST_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("spec/aether-schema.sql is PostgreSQL DDL; existingGatewayTablesInSqlite covers SQLite");
        AETHER_REQUIRE_SHARED(QStringLiteral("spec/aether-schema.sql"));
        checkExistingGatewayDatabase(tdb);
    }

    // The same tables created by hand in an SQLite file (the DDL minus the enum type): the console must treat them
    // as the gateway's as well.
    void existingGatewayTablesInSqlite_data() { TestDatabase::addBackendRows(); }
    void existingGatewayTablesInSqlite()
    {
        AETHER_TEST_DATABASE(tdb);
        if (tdb.isPostgres())
            QSKIP("existingGatewayDatabase covers PostgreSQL");
        AETHER_REQUIRE_SHARED(QStringLiteral("spec/aether-schema.sql"));
        checkExistingGatewayDatabase(tdb);
    }

private:
    void checkExistingGatewayDatabase(const TestDatabase &tdb)
    {
        const bool pg = tdb.isPostgres();
        createGatewayTables(tdb);
        if (QTest::currentTestFailed())
            return;

        SqlProbe probe(tdb.location());
        QVERIFY2(probe.isOpen(), qPrintable(probe.lastError()));
        const GatewayRows before = gatewayRows(probe, pg);
        QVERIFY(before.schema.size() >= 3);
        QCOMPARE(before.counts, (QStringList{u"providers=1"_s, u"provider_endpoints=1"_s, u"provider_api_keys=2"_s}));
        QCOMPARE(before.keys.size(), 2);
        QVERIFY2(!before.keys.first().startsWith(u"<error"), qPrintable(before.keys.first()));

        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        migrateGatewayDatabase(db, probe, pg);
        if (QTest::currentTestFailed())
            return;
        // A gateway's database keeps learning as the gateway does (the reference) until an operator switches.
        QCOMPARE(probe.lines(u"SELECT count(*) FROM console_meta WHERE name = 'learning_policy'"_s),
                 QStringList{u"0"_s});
        QCOMPARE(aether::KeyService(db).learningPolicy().value().strategy, aether::LearningPolicy::defaultStrategy());
        changeGatewayKeys(db);
        if (QTest::currentTestFailed())
            return;

        // The writes did happen (so the comparison below is not vacuous)...
        QCOMPARE(
            probe.lines(u"SELECT id, max_concurrent, learned_max_concurrent, concurrent_429_count, "
                        u"CAST(adjustment_history AS text), CAST(utilization_samples AS text) "
                        u"FROM provider_api_keys ORDER BY id"_s),
            (QStringList{firstGatewayKey + u"|<null>|<null>|0|[]|[]"_s, secondGatewayKey + u"|8|<null>|0|[]|[]"_s}));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_audit_log"_s).toInt(), 9);
        QCOMPARE(probe
                     .value(u"SELECT count(*) FROM provider_api_keys WHERE updated_at = '2025-12-25 14:47:08.123456+00'"
                            u" OR updated_at = '2025-03-04 05:06:07+00'"_s)
                     .toInt(),
                 0);

        // ...and nothing else changed: no new column, index or constraint, no row added or removed, and every
        // non-adaptive column byte for byte as the gateway wrote it.
        QCOMPARE(schemaSnapshot(probe, pg), before.schema);
        QCOMPARE(rowCounts(probe), before.counts);
        QCOMPARE(dumpRows(probe, pg, u"providers"_s), before.providers);
        QCOMPARE(dumpRows(probe, pg, u"provider_endpoints"_s), before.endpoints);
        QCOMPARE(dumpRows(probe, pg, u"provider_api_keys"_s, adaptiveColumns), before.keys);

        // The window pages through the gateway's keys with the same queries, without any index of its own.
        aether::KeyTable table(db);
        for (int c = 0; c < aether::visibleKeyColumnCount; ++c) {
            for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
                QStringList streamed;
                QVERIFY(table.stream({}, aether::KeyColumn(c), order, [&](aether::KeyRow &&row) {
                    streamed << row.id;
                    return true;
                }));
                aether::KeyPageQuery query;
                query.column = aether::KeyColumn(c);
                query.order = order;
                query.limit = 1;
                const aether::Result<QList<aether::KeyRow>> first = table.page(query);
                QVERIFY(first.ok() && first.value().size() == 1);
                query.anchor = aether::KeyPageQuery::Anchor::After;
                query.value = first.value().first().sortValue;
                query.id = first.value().first().id;
                const aether::Result<QList<aether::KeyRow>> second = table.page(query);
                QVERIFY(second.ok() && second.value().size() == 1);
                QCOMPARE((QStringList{first.value().first().id, second.value().first().id}), streamed);
            }
        }
        aether::KeyFilter search;
        search.text = firstGatewayKey.mid(20).toUpper(); // the end of the id, upper case
        QCOMPARE(table.count(search).value(), 1);
        QCOMPARE(schemaSnapshot(probe, pg), before.schema);

        // Demo data never goes into a gateway's tables.
        const aether::Result<aether::DemoSize> demo = aether::DemoData(db).fill(40);
        QVERIFY(!demo.ok());
        QCOMPARE(demo.error().code, ErrorCode::Conflict);
        QCOMPARE(rowCounts(probe), before.counts);
        QCOMPARE(dumpRows(probe, pg, u"providers"_s), before.providers);
    }

    // The gateway's DDL and rows, as the gateway would have written them.
    static void createGatewayTables(const TestDatabase &tdb)
    {
        const bool pg = tdb.isPostgres();
        const QStringList ddl = gatewaySchemaStatements(pg);
        QCOMPARE(ddl.size(), pg ? 9 : 8);
        QString error;
        for (const QString &statement : ddl)
            QVERIFY2(tdb.execute(statement, &error), qPrintable(error + u" in: "_s + statement));
        for (const QString &statement : gatewayFixture())
            QVERIFY2(tdb.execute(statement, &error), qPrintable(error));
    }

    // The migrations leave the gateway's tables to the gateway and add the console's own.
    static void migrateGatewayDatabase(aether::Database &db, SqlProbe &probe, bool pg)
    {
        aether::Migrations migrations(db);
        const aether::Status migrated = migrations.run();
        QVERIFY2(migrated.ok(), qPrintable(migrated.ok() ? QString() : migrated.error().detail));
        QCOMPARE(migrations.gatewayOwnsTables().value(), true);
        QCOMPARE(migrations.currentVersion().value(), aether::Migrations::latestVersion);
        QVERIFY(migrations.run().ok());
        for (const QString &table : consoleTables)
            QVERIFY2(tableNames(probe, pg).contains(table), qPrintable(table));
        QCOMPARE(tableNames(probe, pg).contains(u"console_history_digests"_s), pg);
    }

    // The gateway's values read as they are, then every KeyService mutation on both keys.
    static void changeGatewayKeys(aether::Database &db)
    {
        const QString &k1 = firstGatewayKey;
        const QString &k2 = secondGatewayKey;
        aether::KeyService keys(db);
        const aether::Actor actor{u"test"_s};
        QCOMPARE(keys.stats(k1).value().learnedLimit, std::optional<int>(17));
        QCOMPARE(keys.stats(k1).value().last429At->toIsoString(), u"2025-12-25T14:47:08.123456+00:00"_s);
        QCOMPARE(keys.listAdaptiveKeys().value().size(), 1);
        QCOMPARE(keys.summary().value().totalAdjustments, qint64(1));
        QVERIFY(keys.setMode(k1, false, 30, actor).ok());
        QVERIFY(keys.setMode(k1, true, std::nullopt, actor).ok());
        QVERIFY(keys.setFixedLimit(k2, 12, actor).ok());
        QVERIFY(keys.setMode(k2, true, std::nullopt, actor).ok());
        QVERIFY(keys.setMode(k2, false, 8, actor).ok());
        QVERIFY(keys.setFixedLimit(k1, 40, actor).ok());
        QVERIFY(keys.setMode(k1, true, 5, actor).ok());
        QVERIFY(keys.resetLearning(k1, actor).ok());
        QVERIFY(keys.resetLearning(k2, actor).ok());
        QVERIFY(keys.stats(k2).ok());
        QVERIFY(keys.summary().ok());
    }
};

QTEST_GUILESS_MAIN(TestMigrations)
#include "tst_migrations.moc"
