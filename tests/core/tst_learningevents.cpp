// Learning events and the policy on both backends, through KeyService (the endpoint's path): what is written to the key
// row, what is left alone, corrupt JSON columns, the policy shared by connections, events of one batch in order.

#include "keyfixture.h"
#include "keys/keyservice.h"
#include "learning/ceilingstrategy.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::KeyChange;
using aether::KeyService;
using aether::LearningEvent;
using aether::RateLimitKind;
using aether::Timestamp;
using namespace aether::test;

namespace {

const aether::Actor actor{u"token:ops"_s};
const Timestamp t0 = Timestamp::fromMicroseconds(1795694400LL * 1000000); // 2026-11-26T12:00:00Z

LearningEvent success(const QString &key, int cc, qint64 offsetUs = 0)
{
    LearningEvent e;
    e.keyId = key;
    e.success = true;
    e.currentConcurrent = cc;
    e.at = Timestamp::fromMicroseconds(t0.microseconds() + offsetUs);
    return e;
}

LearningEvent limited(const QString &key, std::optional<int> cc, std::optional<RateLimitKind> kind = std::nullopt,
                      aether::HeaderList headers = {}, std::optional<QString> provider = std::nullopt)
{
    LearningEvent e;
    e.keyId = key;
    e.success = false;
    e.currentConcurrent = cc;
    e.kind = kind;
    if (!headers.isEmpty())
        e.headers = headers;
    e.provider = provider;
    e.at = t0;
    return e;
}

QJsonArray jsonArray(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).array();
}

} // namespace

#define AETHER_EVENT_DATABASE(tdb, db, keys) AETHER_FIXTURE_DATABASE(tdb, db, ownerRows(), keys)

class TestLearningEvents : public QObject {
    Q_OBJECT

    static QStringList ownerRows()
    {
        return {
            u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES "
            u"('p1', 'openai', 'OpenAI', true, '%1', '%1')"_s.arg(fixtureTime),
            u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
            u"updated_at) VALUES ('e1', 'p1', 'OPENAI', 'https://api.openai.com', true, '%1', '%1')"_s.arg(fixtureTime),
        };
    }

    // PostgreSQL's json columns only hold JSON: there the corrupt key holds JSON that is not an array.
    static QList<KeyFixture> keys(bool postgres = false)
    {
        KeyFixture a = key(u"k-a"_s, u"adaptive"_s);
        a.learned = 20;
        a.history = u"[{\"timestamp\":\"2025-01-01T00:00:00+00:00\",\"old_limit\":22,\"new_limit\":20,"
                    u"\"reason\":\"manual\",\"by\":\"gateway\"}]"_s;
        a.samples = u"[]"_s;
        a.note = u"keep me"_s;
        KeyFixture fresh = key(u"k-new"_s, u"fresh"_s);
        KeyFixture fixed = key(u"k-f"_s, u"fixed"_s);
        fixed.maxConcurrent = 8;
        fixed.learned = 30;
        fixed.history = u"[]"_s;
        KeyFixture corrupt = key(u"k-bad"_s, u"corrupt"_s);
        corrupt.learned = 10;
        corrupt.history = u"{\"not\": \"an array\"}"_s;
        corrupt.samples = postgres ? u"{\"samples\": 1}"_s : u"not json at all"_s;
        return {a, fresh, fixed, corrupt};
    }

    // k-a with a history of 19 records, "by" stored-0 … stored-18.
    static QList<KeyFixture> withLongHistory(QList<KeyFixture> fixtures)
    {
        QStringList stored;
        for (int i = 0; i < 19; ++i)
            stored << u"{\"timestamp\":\"2025-01-01T00:00:%1+00:00\",\"old_limit\":20,\"new_limit\":20,"
                      u"\"reason\":\"manual\",\"by\":\"stored-%2\"}"_s.arg(i, 2, 10, QLatin1Char('0'))
                          .arg(i);
        fixtures[0].history = u"[%1]"_s.arg(stored.join(u','));
        return fixtures;
    }

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void concurrent429Written_data() { TestDatabase::addBackendRows(); }
    void concurrent429Written()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        const aether::Result<aether::EventOutcome> outcome = service.applyEvent(limited(u"k-a"_s, 12));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().classification, RateLimitKind::Concurrent); // cc ≥ 2, no headers
        QCOMPARE(outcome.value().learned, 10);
        QCOMPARE(outcome.value().effectiveLimit, 10);
        QVERIFY(outcome.value().adjusted);

        SqlProbe probe(tdb.location());
        const QMap<QString, QString> row = keyRow(probe, u"k-a"_s);
        QCOMPARE(row[u"learned_max_concurrent"_s], u"10"_s);
        QCOMPARE(row[u"concurrent_429_count"_s], u"1"_s);
        QCOMPARE(row[u"last_429_type"_s], u"concurrent"_s);
        QCOMPARE(row[u"last_concurrent_peak"_s], u"12"_s);
        QCOMPARE(Timestamp::parse(row[u"last_429_at"_s]), t0);
        const QJsonArray history = jsonArray(row[u"adjustment_history"_s]);
        QCOMPARE(history.size(), 2);
        QCOMPARE(history.at(0).toObject().value(u"by"_s).toString(), u"gateway"_s); // others' fields kept
        QCOMPARE(history.at(1).toObject(), outcome.value().adjustment);
        QCOMPARE(jsonArray(row[u"utilization_samples"_s]).size(), 0);
        QCOMPARE(row[u"note"_s], u"keep me"_s); // untouched columns stay
        QCOMPARE(row[u"name"_s], u"adaptive"_s);

        // Stats and the summary see it.
        const aether::Result<aether::KeyStats> stats = service.stats(u"k-a"_s);
        QVERIFY(stats.ok());
        QCOMPARE(stats.value().adjustmentCount, 2);
        QCOMPARE(stats.value().concurrent429Count, 1);
    }

    void classificationUsesTheKeysProvider_data() { TestDatabase::addBackendRows(); }
    void classificationUsesTheKeysProvider()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        // The key's provider is "openai": its header family decides.
        const aether::HeaderList openaiZero{{u"X-RateLimit-Remaining-Requests"_s, u"0"_s}};
        aether::Result<aether::EventOutcome> outcome = service.applyEvent(limited(u"k-a"_s, 5, {}, openaiZero));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().classification, RateLimitKind::Rpm);
        QVERIFY(!outcome.value().adjusted);
        QCOMPARE(outcome.value().learned, 20);
        // A provider given with the event picks another family; then the OpenAI header means nothing.
        outcome = service.applyEvent(limited(u"k-a"_s, 5, {}, openaiZero, u"anthropic"_s));
        QCOMPARE(outcome.value().classification, RateLimitKind::Concurrent);
        // An explicit kind wins over both.
        outcome = service.applyEvent(limited(u"k-a"_s, 5, RateLimitKind::Unknown, openaiZero));
        QCOMPARE(outcome.value().classification, RateLimitKind::Unknown);
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> row = keyRow(probe, u"k-a"_s);
        QCOMPARE(row[u"rpm_429_count"_s], u"1"_s);
        QCOMPARE(row[u"concurrent_429_count"_s], u"1"_s);
        QCOMPARE(row[u"last_429_type"_s], u"unknown"_s);
    }

    void successWritesSamples_data() { TestDatabase::addBackendRows(); }
    void successWritesSamples()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        const aether::Result<aether::EventOutcome> outcome = service.applyEvent(success(u"k-new"_s, 1, 500000));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().classification, std::nullopt);
        QCOMPARE(outcome.value().learned, std::nullopt);
        QCOMPARE(outcome.value().effectiveLimit, std::nullopt); // nothing learned: no key-level limit
        QVERIFY(!outcome.value().adjusted);
        SqlProbe probe(tdb.location());
        const QJsonArray samples = jsonArray(keyRow(probe, u"k-new"_s)[u"utilization_samples"_s]);
        QCOMPARE(samples.size(), 1);
        QCOMPARE(samples.at(0).toObject().value(u"util"_s).toDouble(), 0.02);
        QCOMPARE(samples.at(0).toObject().value(u"ts"_s).toDouble(), 1795694400.5);
        const aether::Result<aether::EnforcedLimit> limit = service.enforcedLimit(u"k-new"_s);
        QVERIFY(limit.ok() && limit.value().adaptive && !limit.value().limit);
    }

    void fixedKeyIsLeftAlone_data() { TestDatabase::addBackendRows(); }
    void fixedKeyIsLeftAlone()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-f"_s);
        KeyService service(db);
        aether::Result<aether::EventOutcome> outcome = service.applyEvent(limited(u"k-f"_s, 9));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().classification, RateLimitKind::Concurrent);
        QVERIFY(!outcome.value().adjusted);
        QCOMPARE(outcome.value().effectiveLimit, 8);
        QCOMPARE(outcome.value().learned, 30);
        QVERIFY(service.applyEvent(success(u"k-f"_s, 3)).ok());
        QCOMPARE(keyRow(probe, u"k-f"_s), before); // not even updated_at
        const aether::Result<aether::EnforcedLimit> limit = service.enforcedLimit(u"k-f"_s);
        QVERIFY(limit.ok() && !limit.value().adaptive);
        QCOMPARE(limit.value().limit, 8);
    }

    void unknownKeyWritesNothing_data() { TestDatabase::addBackendRows(); }
    void unknownKeyWritesNothing()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        const QList<aether::Result<aether::KeyChangeOutcome>> outcomes = service.applyChanges(
            {KeyChange::learningEvent(limited(u"k-zz"_s, 4)), KeyChange::learningEvent(limited(u"K-A"_s, 4)),
             KeyChange::learningEvent(limited(u"k-a"_s, 40))});
        QCOMPARE(outcomes.size(), 3);
        QCOMPARE(outcomes.at(0).error().code, aether::ErrorCode::NotFound);
        QCOMPARE(outcomes.at(1).error().code, aether::ErrorCode::NotFound); // ids are exact
        QVERIFY(outcomes.at(2).ok());
        QCOMPARE(service.enforcedLimit(u"k-zz"_s).error().code, aether::ErrorCode::NotFound);
    }

    void eventsOfOneBatchInOrder_data() { TestDatabase::addBackendRows(); }
    void eventsOfOneBatchInOrder()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        // 20 → trunc(20·0.9)=18 → 16 → 14; a reset in between starts from nothing.
        QList<KeyChange> changes;
        for (int i = 0; i < 3; ++i)
            changes << KeyChange::learningEvent(limited(u"k-a"_s, 1, RateLimitKind::Unknown));
        KeyChange reset;
        reset.kind = KeyChange::Kind::ResetLearning;
        reset.keyId = u"k-a"_s;
        reset.actor = actor;
        changes << reset << KeyChange::learningEvent(limited(u"k-a"_s, 1, RateLimitKind::Unknown));
        const QList<aether::Result<aether::KeyChangeOutcome>> outcomes = service.applyChanges(changes);
        QList<int> learned;
        for (const auto &outcome : outcomes) {
            if (const auto *e = std::get_if<aether::EventOutcome>(&outcome.value()))
                learned << e->learned.value_or(-1);
        }
        QCOMPARE(learned, (QList<int>{18, 16, 14, 45}));
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> row = keyRow(probe, u"k-a"_s);
        QCOMPARE(row[u"learned_max_concurrent"_s], u"45"_s);
        QCOMPARE(jsonArray(row[u"adjustment_history"_s]).size(), 1);
    }

    void batchKeepsTheLastRecords_data() { TestDatabase::addBackendRows(); }
    void batchKeepsTheLastRecords()
    {
        // A stored history one short of the kept 20, and a batch that adds three records to it and one to a key
        // without any: the stored records come first, then the batch's in order, the oldest dropped.
        AETHER_EVENT_DATABASE(tdb, db, withLongHistory(keys(backend == "postgres")));
        KeyService service(db);
        QList<KeyChange> changes;
        for (int i = 0; i < 3; ++i) {
            changes << KeyChange::learningEvent(limited(u"k-a"_s, 1, RateLimitKind::Unknown));
            changes << KeyChange::learningEvent(success(u"k-f"_s, 3)); // fixed: no record
        }
        changes << KeyChange::learningEvent(limited(u"k-new"_s, 12));
        const QList<aether::Result<aether::KeyChangeOutcome>> outcomes = service.applyChanges(changes);
        QList<QJsonObject> added;
        for (qsizetype i = 0; i < 6; i += 2)
            added << std::get<aether::EventOutcome>(outcomes.at(i).value()).adjustment;
        SqlProbe probe(tdb.location());
        const QJsonArray history = jsonArray(keyRow(probe, u"k-a"_s)[u"adjustment_history"_s]);
        QCOMPARE(history.size(), 20);
        for (int i = 0; i < 17; ++i)
            QCOMPARE(history.at(i).toObject().value(u"by"_s).toString(), u"stored-%1"_s.arg(i + 2));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(history.at(17 + i).toObject(), added.at(i));
        QCOMPARE(history.at(19).toObject().value(u"new_limit"_s).toInt(), 14);
        const QJsonArray fresh = jsonArray(keyRow(probe, u"k-new"_s)[u"adjustment_history"_s]);
        QCOMPARE(fresh.size(), 1);
        QCOMPARE(fresh.at(0).toObject(), std::get<aether::EventOutcome>(outcomes.at(6).value()).adjustment);
    }

    void batchOfSeveralKeys_data() { TestDatabase::addBackendRows(); }
    void batchOfSeveralKeys()
    {
        // Several keys changed by one batch (PostgreSQL writes them with one statement): each row gets its own
        // values, a history only where a record was added, and the corrupt key its replacement.
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        SqlProbe probe(tdb.location());
        const QString historyBefore = keyRow(probe, u"k-a"_s)[u"adjustment_history"_s];
        KeyService service(db);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"k-bad: adjustment_history .*replaced"_s));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"k-bad: utilization_samples .*replaced"_s));
        const QList<aether::Result<aether::KeyChangeOutcome>> outcomes = service.applyChanges({
            KeyChange::learningEvent(success(u"k-a"_s, 4)),
            KeyChange::learningEvent(limited(u"k-new"_s, 10, RateLimitKind::Concurrent)),
            KeyChange::learningEvent(limited(u"k-bad"_s, 4, RateLimitKind::Rpm)),
            KeyChange::learningEvent(success(u"k-a"_s, 6, 1000)),
            KeyChange::learningEvent(limited(u"k-f"_s, 4, RateLimitKind::Concurrent)),
        });
        for (const auto &outcome : outcomes)
            QVERIFY2(outcome.ok(), qPrintable(outcome.ok() ? QString() : outcome.error().detail));
        const QMap<QString, QString> a = keyRow(probe, u"k-a"_s);
        QCOMPARE(a[u"adjustment_history"_s], historyBefore); // no record: the history is left as it was
        QCOMPARE(jsonArray(a[u"utilization_samples"_s]).size(), 2);
        QCOMPARE(a[u"learned_max_concurrent"_s], u"20"_s);
        const QMap<QString, QString> fresh = keyRow(probe, u"k-new"_s);
        QCOMPARE(fresh[u"learned_max_concurrent"_s], u"8"_s);
        QCOMPARE(fresh[u"concurrent_429_count"_s], u"1"_s);
        QCOMPARE(fresh[u"last_429_type"_s], u"concurrent"_s);
        QCOMPARE(jsonArray(fresh[u"adjustment_history"_s]).size(), 1);
        const QMap<QString, QString> bad = keyRow(probe, u"k-bad"_s);
        QCOMPARE(bad[u"rpm_429_count"_s], u"1"_s);
        QCOMPARE(bad[u"adjustment_history"_s].remove(u' '), u"[]"_s);
        QCOMPARE(bad[u"utilization_samples"_s].remove(u' '), u"[]"_s);
        QCOMPARE(bad[u"learned_max_concurrent"_s], u"10"_s);
        QCOMPARE(keyRow(probe, u"k-f"_s)[u"concurrent_429_count"_s], u"0"_s); // fixed: untouched
    }

    void unreadableTimestampsAreKept_data() { TestDatabase::addBackendRows(); }
    void unreadableTimestampsAreKept()
    {
        // A value the console cannot read is not its to overwrite: a batch that changes other columns keeps it.
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        const QString odd = tdb.isPostgres() ? u"infinity"_s : u"not a time"_s;
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET last_probe_increase_at = '%1' WHERE id = 'k-a'"_s.arg(odd)));
        SqlProbe probe(tdb.location());
        const QString before = keyRow(probe, u"k-a"_s)[u"last_probe_increase_at"_s];
        KeyService service(db);
        const auto outcomes = service.applyChanges(
            {KeyChange::learningEvent(success(u"k-a"_s, 3)), KeyChange::learningEvent(success(u"k-new"_s, 3))});
        QVERIFY(outcomes.at(0).ok() && outcomes.at(1).ok());
        const QMap<QString, QString> row = keyRow(probe, u"k-a"_s);
        QCOMPARE(row[u"last_probe_increase_at"_s], before);
        QCOMPARE(jsonArray(row[u"utilization_samples"_s]).size(), 1);
    }

    void corruptColumnsAreReplaced_data() { TestDatabase::addBackendRows(); }
    void corruptColumnsAreReplaced()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(u"k-bad: adjustment_history .*replaced.*not\\\": \\\"an array"_s));
        QTest::ignoreMessage(
            QtWarningMsg,
            QRegularExpression(u"k-bad: utilization_samples .*replaced \\(old value: (not json at all|\\{)"_s));
        const aether::Result<aether::EventOutcome> outcome = service.applyEvent(success(u"k-bad"_s, 2));
        QVERIFY(outcome.ok());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> row = keyRow(probe, u"k-bad"_s);
        QCOMPARE(row[u"adjustment_history"_s], u"[]"_s);
        QCOMPARE(jsonArray(row[u"utilization_samples"_s]).size(), 1);
        QCOMPARE(row[u"learned_max_concurrent"_s], u"10"_s);
    }

    void corruptJsonArrayOnPostgres_data() { TestDatabase::addBackendRows(); }
    void corruptJsonArrayOnPostgres()
    {
        // Valid JSON that is not an array (what PostgreSQL's json column can hold) is replaced on both backends.
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = '{\"a\": 1}', "
                            u"utilization_samples = '[1, {\"ts\": \"x\"}, {\"ts\": 1795694399, \"util\": 0.5}]' "
                            u"WHERE id = 'k-a'"_s));
        KeyService service(db);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"k-a: adjustment_history .*replaced"_s));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"k-a: utilization_samples .*replaced"_s));
        QVERIFY(service.applyEvent(limited(u"k-a"_s, 10)).ok());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> row = keyRow(probe, u"k-a"_s);
        QCOMPARE(jsonArray(row[u"adjustment_history"_s]).size(), 1);
        QCOMPARE(row[u"utilization_samples"_s].remove(u' '), u"[]"_s);
    }

    void policyIsShared_data() { TestDatabase::addBackendRows(); }
    void policyIsShared()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        QCOMPARE(service.learningPolicy().value(), aether::LearningPolicy{});
        const aether::Result<aether::LearningPolicy> updated = service.updateLearningPolicy(
            {{u"decrease_multiplier"_s, 0.5}, {u"min_limit"_s, 5}, {u"initial_limit"_s, 40}}, actor);
        QVERIFY(updated.ok());
        QCOMPARE(updated.value().decreaseMultiplier, 0.5);
        QCOMPARE(updated.value().maxLimit, 200); // the rest unchanged

        // Another connection (another process) applies the stored values; learned values were not rewritten.
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        KeyService otherService(other);
        QCOMPARE(otherService.enforcedLimit(u"k-a"_s).value().limit, 20);
        QCOMPARE(otherService.applyEvent(limited(u"k-a"_s, 12)).value().learned, 6); // trunc(12 × 0.5)
        const aether::Result<aether::EventOutcome> fresh =
            otherService.applyEvent(limited(u"k-new"_s, 0, RateLimitKind::Concurrent));
        QVERIFY2(fresh.ok(), qPrintable(fresh.ok() ? QString() : fresh.error().detail));
        QCOMPARE(fresh.value().learned, 20); // cc 0: the initial 40 × 0.5

        // Invalid updates change nothing.
        const aether::Result<aether::LearningPolicy> refused =
            otherService.updateLearningPolicy({{u"min_limit"_s, 50}}, actor);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().field, u"initial_limit"_s);
        QCOMPARE(service.learningPolicy().value().minLimit, 5);

        QCOMPARE(otherService.resetLearningPolicy(actor).value(), aether::LearningPolicy{});
        QCOMPARE(service.learningPolicy().value(), aether::LearningPolicy{});
        SqlProbe probe(tdb.location());
        const auto audit = probe.rows(u"SELECT action, actor FROM console_audit_log ORDER BY id"_s);
        QVERIFY(audit);
        QCOMPARE(audit->size(), 2);
        QCOMPARE(audit->at(0).at(0).toString(), u"update_policy"_s);
        QCOMPARE(audit->at(1).at(0).toString(), u"reset_policy"_s);
    }

    // The ceiling strategy through the store: its state is kept in console_learning_state between events (a success
    // at 11 then a 429 at 11 is a fall of the capacity, which only the kept window can tell), the key row gets the
    // seed's columns and a record that explains the move, and a reset forgets the state with what was learned.
    void ceilingStrategyKeepsItsState_data() { TestDatabase::addBackendRows(); }
    void ceilingStrategyKeepsItsState()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        KeyService service(db);
        QVERIFY(service.updateLearningPolicy({{u"strategy"_s, u"aether_ceiling"_s}}, actor).ok());
        aether::Result<aether::EventOutcome> outcome =
            service.applyEvent(limited(u"k-a"_s, 12, RateLimitKind::Concurrent));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().learned, 11); // nothing worked at 12 lately: hold just below
        QCOMPARE(outcome.value().adjustment.value(u"signal"_s).toString(), u"ceiling_found"_s);
        QVERIFY(service.applyEvent(success(u"k-a"_s, 11, 1000)).ok());
        outcome = service.applyEvent(limited(u"k-a"_s, 11, RateLimitKind::Concurrent));
        QVERIFY(outcome.ok());
        QCOMPARE(outcome.value().learned, 10);
        QCOMPARE(outcome.value().adjustment.value(u"signal"_s).toString(), u"capacity_fell"_s);
        QCOMPARE(outcome.value().adjustment.value(u"ceiling"_s).toInt(), 11);

        SqlProbe probe(tdb.location());
        QVERIFY2(probe.isOpen(), qPrintable(probe.lastError()));
        const QStringList stored = probe.lines(u"SELECT state FROM console_learning_state WHERE key_id = 'k-a'"_s);
        QCOMPARE(stored.size(), 1);
        const std::optional<aether::CeilingState> state = aether::CeilingState::fromJson(stored.first().toUtf8());
        QVERIFY(state);
        QCOMPARE(state->limit, 10);
        QCOMPARE(state->ceiling, std::optional<int>(11));
        QCOMPARE(probe.lines(u"SELECT learned_max_concurrent, concurrent_429_count FROM provider_api_keys "
                             u"WHERE id = 'k-a'"_s),
                 QStringList{u"10|2"_s});

        QVERIFY(service.resetLearning(u"k-a"_s, actor).ok());
        QCOMPARE(probe.lines(u"SELECT count(*) FROM console_learning_state"_s), QStringList{u"0"_s});
    }

    void invalidStoredPolicyMeansDefaults_data() { TestDatabase::addBackendRows(); }
    void invalidStoredPolicyMeansDefaults()
    {
        AETHER_EVENT_DATABASE(tdb, db, keys(backend == "postgres"));
        QVERIFY(tdb.execute(u"UPDATE console_meta SET value = '{\"min_limit\": -4}' WHERE name = 'learning_policy'"_s));
        KeyService service(db);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(u"stored learning policy is not valid"_s));
        QCOMPARE(service.learningPolicy().value(), aether::LearningPolicy{});
        QVERIFY(service.updateLearningPolicy({{u"max_limit"_s, 100}}, actor).ok());
        QCOMPARE(service.learningPolicy().value().maxLimit, 100);
    }
};

QTEST_GUILESS_MAIN(TestLearningEvents)
#include "tst_learningevents.moc"
