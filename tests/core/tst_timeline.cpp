// The time series of keys on both backends: bucketing at minute and hour borders (UTC), what learning events and
// changes write (in their transaction: a rollback leaves nothing), the sampler of counters a gateway writes (resets,
// new and deleted keys, history records, several samplers at once, events before its first pass), roll-up and
// retention, and the queries.

#include "keyfixture.h"
#include "keys/keychangebatch.h"
#include "keys/keyservice.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"
#include "testenvironment.h"
#include "timeline/timelinemaintenance.h"
#include "timeline/timelinequery.h"
#include "timeline/timelinesampler.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace Qt::StringLiterals;
using aether::KeyChange;
using aether::KeyService;
using aether::LearningEvent;
using aether::RateLimitKind;
using aether::TimelineCounts;
using aether::TimelineQuery;
using aether::TimelineRowWrite;
using aether::TimelineSampler;
using aether::Timestamp;
using namespace aether::test;
namespace timeline = aether::timeline;

namespace {

const aether::Actor actor{u"token:ops"_s};
constexpr qint64 t0s = 1795694400; // 2026-11-26T12:00:00Z, a minute's and an hour's start
const Timestamp t0 = Timestamp::fromMicroseconds(t0s * 1000000);

Timestamp at(qint64 seconds, qint64 us = 0)
{
    return Timestamp::fromMicroseconds((t0s + seconds) * 1000000 + us);
}

LearningEvent reported(const QString &key, std::optional<RateLimitKind> kind, Timestamp when, int cc = 10)
{
    LearningEvent e;
    e.keyId = key;
    e.success = !kind;
    e.kind = kind;
    e.currentConcurrent = cc;
    e.at = when;
    return e;
}

// key|step|bucket offset from t0|c|r|u|s|a|limit_begin|limit_end, in key and bucket order (the rows name their key by
// its view's number; a key that is gone shows as "gone").
QStringList timelineRows(SqlProbe &probe)
{
    return probe.lines(
        // The step as the table says (minute rows in console_timeline, hour rows in console_timeline_hours), and
        // whether the slot agrees.
        u"SELECT COALESCE(s.key_id, 'gone'), CASE WHEN (t.slot % 2 = 1) = (t.step = 3600) THEN CAST(t.step AS text) "
        u"ELSE 'wrong table' END, t.slot / 2 * 60 - %1, "
        u"t.concurrent_429, t.rpm_429, t.unknown_429, t.successes, t.adjustments, "
        u"COALESCE(CAST(t.limit_begin AS text), 'null'), COALESCE(CAST(t.limit_end AS text), 'null') FROM "
        u"(SELECT *, 60 AS step FROM console_timeline UNION ALL SELECT *, 3600 FROM console_timeline_hours) t "
        u"LEFT JOIN console_timeline_seen s ON s.key_no = t.key_no ORDER BY s.key_id, t.slot % 2, t.slot"_s.arg(t0s));
}

bool writeRows(aether::Database &db, const QList<TimelineRowWrite> &rows)
{
    return db
        .transaction<bool>(aether::Database::Mode::Write,
                           [&]() -> aether::Result<bool> {
                               if (const aether::Status written = aether::writeTimelineRows(db, rows); !written)
                                   return written.error();
                               return true;
                           })
        .ok();
}

// " FROM … WHERE …" of the time series' rows of one key, joined as t.
QString rowsOf(const QString &keyId)
{
    return u" FROM console_timeline t JOIN console_timeline_seen s ON s.key_no = t.key_no WHERE s.key_id = '%1'"_s.arg(
        keyId);
}

QString iso(qint64 seconds)
{
    return at(seconds).toIsoString();
}

// A gateway's writes: `sql`, `times` times over a connection of its own, `pauseMs` apart; how many succeeded.
int gatewayWrites(const aether::DatabaseLocation &location, const QString &sql, int times, int pauseMs)
{
    aether::Database own(location);
    if (!own.open())
        return 0;
    int done = 0;
    for (int i = 0; i < times; ++i) {
        if (own.exec(sql).ok())
            ++done;
        QTest::qWait(pauseMs);
    }
    return done;
}

// Samples over a connection of its own until `stop`, counting the passes that ran.
void sampleUntil(const aether::DatabaseLocation &location, const std::atomic<bool> &stop, std::atomic<int> &passes)
{
    aether::Database own(location);
    if (!own.open())
        return;
    TimelineSampler sampler(own);
    while (!stop) {
        auto pass = sampler.sample(Timestamp::now());
        if (pass.ok() && pass.value().ran)
            ++passes;
    }
}

} // namespace

class TestTimeline : public QObject {
    Q_OBJECT

    static QList<KeyFixture> keys()
    {
        KeyFixture a = key(u"k-a"_s, u"alpha"_s, u"e"_s);
        a.learned = 20;
        a.history = u"[]"_s;
        KeyFixture b = key(u"k-b"_s, u"beta"_s, u"e"_s);
        b.learned = 30;
        b.history = u"[]"_s;
        KeyFixture f = key(u"k-f"_s, u"fixed"_s, u"e"_s);
        f.maxConcurrent = 8;
        f.history = u"[]"_s;
        return {a, b, f};
    }

    // k-a with 40 concurrency 429s and a record from two hours ago, from before the console ever looked.
    static QList<KeyFixture> keysWithAPast()
    {
        QList<KeyFixture> rows = keys();
        rows[0].concurrent429 = 40;
        rows[0].history =
            u"[{\"timestamp\":\"%1\",\"old_limit\":30,\"new_limit\":20,\"reason\":\"concurrent_429\"}]"_s.arg(
                iso(-7200));
        return rows;
    }

    // Every backend, with a pass reading all keys in one part and one key per part (TimelineSampler::keysPerRead).
    static void addPartRows()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("keysPerRead");
        for (const QByteArray &backend : TestDatabase::backends()) {
            QTest::newRow(QByteArray(backend + ": one part").constData())
                << backend << TimelineSampler::defaultKeysPerRead;
            QTest::newRow(QByteArray(backend + ": a key per part").constData()) << backend << 1;
        }
    }
    static void usePartsOfTheRow()
    {
        QFETCH(int, keysPerRead);
        TimelineSampler::setKeysPerRead(keysPerRead);
    }

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }
    void cleanup() { TimelineSampler::setKeysPerRead(TimelineSampler::defaultKeysPerRead); }

    void buckets()
    {
        QCOMPARE(timeline::bucketOf(t0, timeline::minute), t0s);
        QCOMPARE(timeline::bucketOf(at(59, 999999), timeline::minute), t0s);
        QCOMPARE(timeline::bucketOf(at(60), timeline::minute), t0s + 60);
        QCOMPARE(timeline::bucketOf(at(-1, 999999), timeline::minute), t0s - 60); // 11:59:59.999999
        QCOMPARE(timeline::bucketOf(at(3599, 999999), timeline::hour), t0s);
        QCOMPARE(timeline::bucketOf(at(3600), timeline::hour), t0s + 3600);
        QCOMPARE(timeline::bucketOf(qint64(-1), timeline::minute), qint64(-60)); // before 1970 rounds down too
        QCOMPARE(timeline::bucketOf(Timestamp::fromMicroseconds(-1), timeline::minute), qint64(-60));
        // The stored slot: minute rows even, hour rows odd, in time order; bounds select by the bucket's start.
        const qint64 m0 = t0s / 60;
        QCOMPARE(timeline::slotOf(t0s, timeline::minute), 2 * m0);
        QCOMPARE(timeline::slotOf(t0s, timeline::hour), 2 * m0 + 1);
        QCOMPARE(timeline::slotOf(t0s + 60, timeline::minute), 2 * m0 + 2);
        QCOMPARE(timeline::slotBound(t0s), 2 * m0);         // both rows that start at t0 are at or after it
        QCOMPARE(timeline::slotBound(t0s + 1), 2 * m0 + 2); // neither starts at or after t0 + 1 s
        QCOMPARE(timeline::slotBound(t0s + 60), 2 * m0 + 2);
        QCOMPARE(timeline::slotStart(2 * m0 + 1), t0s);
        QCOMPARE(timeline::slotStep(2 * m0 + 1), timeline::hour);
        QCOMPARE(timeline::slotStep(2 * m0), timeline::minute);
        QCOMPARE(timeline::slotStart(timeline::slotOf(-60, timeline::minute)), qint64(-60));
        QCOMPARE(timeline::storedLimit(40000), std::optional<int>(timeline::maxStoredLimit));
        QCOMPARE(timeline::storedLimit(std::nullopt), std::optional<int>());
        QCOMPARE(TimelineQuery::range(t0s + 90, t0s + 600, 300).from, t0s);
        QCOMPARE(TimelineQuery::range(t0s + 90, t0s + 600, 300).pointCount(), 2);
        QCOMPARE(TimelineQuery::defaultStep(t0s, t0s + 86400), timeline::minute); // 1,440 minutes
        QCOMPARE(TimelineQuery::defaultStep(t0s, t0s + 7 * 86400), timeline::hour);
        QCOMPARE(TimelineQuery::defaultStep(t0s, t0s + 30 * 86400), timeline::hour);
    }

    void eventsAreRecorded_data() { TestDatabase::addBackendRows(); }
    void eventsAreRecorded()
    {
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        KeyService service(db);
        // Minute 0, one event a transaction: successes before and after a concurrency 429 at 10 in flight (20 -> 8),
        // an RPM 429 (no change); minute 1: an unknown 429 at its first microsecond (8 -> 7); minute 2: successes
        // only (no row).
        QVERIFY(service.applyEvent(reported(u"k-a"_s, std::nullopt, at(1))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(2))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, std::nullopt, at(3))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Rpm, at(59, 999999))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Unknown, at(60))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, std::nullopt, at(120))).ok());
        // A batch: two keys, several events of one of them in one minute.
        aether::KeyChangeBatch batch(db);
        const auto applied = db.transaction<bool>(aether::Database::Mode::Write, [&]() -> aether::Result<bool> {
            LearningEvent e1 = reported(u"k-b"_s, RateLimitKind::Concurrent, at(61));
            LearningEvent e2 = reported(u"k-b"_s, RateLimitKind::Concurrent, at(61));
            LearningEvent e3 = reported(u"k-f"_s, RateLimitKind::Rpm, at(61));
            auto result =
                batch.apply({KeyChange::learningEvent(e1), KeyChange::learningEvent(e2), KeyChange::learningEvent(e3),
                             KeyChange::learningEvent(reported(u"k-b"_s, std::nullopt, at(62)))});
            if (!result)
                return result.error();
            return true;
        });
        QVERIFY(applied.ok());

        SqlProbe probe(tdb.location());
        QCOMPARE(timelineRows(probe), (QStringList{
                                          // Successes count where they come in one write with a 429 of the minute.
                                          u"k-a|60|0|1|1|0|0|1|20|8"_s,
                                          u"k-a|60|60|0|0|1|0|1|8|7"_s,
                                          u"k-b|60|60|2|0|0|1|2|30|8"_s, // the second 429 records 8 -> 8
                                          u"k-f|60|60|0|1|0|0|0|8|8"_s,
                                      }));
    }

    void rollbackLeavesNoTrace_data() { TestDatabase::addBackendRows(); }
    void rollbackLeavesNoTrace()
    {
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        aether::KeyChangeBatch batch(db);
        const QList<KeyChange> changes{KeyChange::learningEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(5))),
                                       KeyChange::setLimit(u"k-b"_s, 9, actor)};
        const auto failed = db.transaction<bool>(aether::Database::Mode::Write, [&]() -> aether::Result<bool> {
            if (!batch.apply(changes))
                return aether::Error::failure(u"unexpected"_s);
            return aether::Error::failure(u"rolled back on purpose"_s);
        });
        QVERIFY(!failed.ok());
        SqlProbe probe(tdb.location());
        QCOMPARE(timelineRows(probe), QStringList());
        const auto committed = db.transaction<bool>(aether::Database::Mode::Write, [&]() -> aether::Result<bool> {
            if (!batch.apply(changes))
                return aether::Error::failure(u"unexpected"_s);
            return true;
        });
        QVERIFY(committed.ok());
        const QStringList rows = timelineRows(probe);
        QCOMPARE(rows.size(), 2);
        QVERIFY2(rows.at(0).startsWith(u"k-a|60|0|1|0|0|0|1|20|8"_s), qPrintable(rows.join(u"; ")));
        QVERIFY2(rows.at(1).startsWith(u"k-b|60|"_s) && rows.at(1).endsWith(u"|0|0|0|0|0|30|9"_s),
                 qPrintable(rows.join(u"; ")));
    }
    // A gateway writes the key rows itself: the sampler records what changed between its passes.
    void samplerRecordsGatewayWrites_data() { addPartRows(); }
    void samplerRecordsGatewayWrites()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keysWithAPast());
        SqlProbe probe(tdb.location());
        TimelineSampler sampler(db);
        auto pass = sampler.sample(at(0));
        QVERIFY(pass.ok());
        QVERIFY(pass.value().ran);
        QCOMPARE(pass.value().keys, 3);
        QCOMPARE(pass.value().newKeys, 3);
        // The baseline: the history's record (two hours ago) is in, the counters are not.
        QCOMPARE(timelineRows(probe), QStringList{u"k-a|60|-7200|0|0|0|0|1|30|20"_s});

        const auto gateway = [&](const QString &sql) {
            QString error;
            QVERIFY2(executeAll(tdb, {sql}, &error), qPrintable(error));
        };
        // 10 s later: +3 concurrency 429s and a new record (unknown 429, 20 -> 18) at 00:05; k-b's RPM counter; k-f
        // made adaptive by the gateway (no limit now).
        gateway(u"UPDATE provider_api_keys SET concurrent_429_count = 43, learned_max_concurrent = 18, "
                u"last_429_at = '%1', adjustment_history = '[{\"timestamp\":\"%2\",\"old_limit\":30,\"new_limit\":20,"
                u"\"reason\":\"concurrent_429\"},{\"timestamp\":\"%1\",\"old_limit\":20,\"new_limit\":18,"
                u"\"reason\":\"unknown_429\"}]' WHERE id = 'k-a'"_s.arg(iso(5), iso(-7200)));
        gateway(u"UPDATE provider_api_keys SET rpm_429_count = 2 WHERE id = 'k-b'"_s);
        gateway(u"UPDATE provider_api_keys SET max_concurrent = NULL WHERE id = 'k-f'"_s);
        pass = sampler.sample(at(10));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().historiesRead, 1);
        QCOMPARE(timelineRows(probe), (QStringList{u"k-a|60|-7200|0|0|0|0|1|30|20"_s,
                                                   u"k-a|60|0|3|0|1|0|1|20|18"_s, // 429s at last_429_at's minute
                                                   u"k-b|60|0|0|2|0|0|0|30|30"_s, u"k-f|60|0|0|0|0|0|0|8|null"_s}));
        // Nothing changed: nothing written.
        pass = sampler.sample(at(40));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);
        QCOMPARE(pass.value().historiesRead, 0);
        // The gateway trims its history (the oldest record out, no new one): nothing new to count, nothing read.
        gateway(u"UPDATE provider_api_keys SET adjustment_history = '[{\"timestamp\":\"%1\",\"old_limit\":20,"
                u"\"new_limit\":18,\"reason\":\"unknown_429\"}]' WHERE id = 'k-a'"_s.arg(iso(5)));
        pass = sampler.sample(at(70));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);
        QCOMPARE(pass.value().historiesRead, 0);

        // A reset by the gateway (43 -> 0, then 2 new ones), a key deleted, a key added.
        gateway(u"UPDATE provider_api_keys SET concurrent_429_count = 2, last_429_at = NULL WHERE id = 'k-a'"_s);
        gateway(u"DELETE FROM provider_api_keys WHERE id = 'k-b'"_s);
        KeyFixture added = key(u"k-new"_s, u"new"_s, u"e"_s);
        added.concurrent429 = 5;
        gateway(insertSql(added));
        pass = sampler.sample(at(130));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().newKeys, 1);
        QCOMPARE(pass.value().goneKeys, 1);
        QCOMPARE(probe.lines(u"SELECT key_id, concurrent_429 FROM console_timeline_seen ORDER BY key_id"_s),
                 (QStringList{u"k-a|2"_s, u"k-f|0"_s, u"k-new|5"_s}));
        QVERIFY(timelineRows(probe).contains(u"k-a|60|120|2|0|0|0|0|18|18"_s));

        // The console's own events after that are counted by the console, not again by the sampler.
        KeyService service(db);
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(200))).ok());
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Unknown, at(201))).ok());
        QCOMPARE(probe.lines(u"SELECT concurrent_429, rpm_429 FROM console_timeline_pending ORDER BY seq"_s),
                 (QStringList{u"1|0"_s, u"0|0"_s}));
        pass = sampler.sample(at(230));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);
        QCOMPARE(pass.value().pendingFolded, 1);
        // The history changed, but only by the console's records, which are counted: it is not read.
        QCOMPARE(pass.value().historiesRead, 0);
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        QCOMPARE(probe
                     .value(u"SELECT sum(t.concurrent_429 + t.unknown_429)"_s + rowsOf(u"k-a"_s) +
                            u" AND t.slot >= %1"_s.arg((t0s + 180) / 60 * 2))
                     .toInt(),
                 2);
        // A reset through the console: the sampler's view follows it, and what the console counted before it and no
        // pass has folded yet is dropped with the counters.
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(240))).ok());
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 1);
        QVERIFY(service.resetLearning(u"k-a"_s, actor).ok());
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        pass = sampler.sample(at(260));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);
        // A key the gateway deletes after the console counted something of it: its view and pending counts go.
        QVERIFY(service.applyEvent(reported(u"k-f"_s, RateLimitKind::Concurrent, at(270))).ok());
        gateway(u"DELETE FROM provider_api_keys WHERE id = 'k-f'"_s);
        pass = sampler.sample(at(300));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().goneKeys, 1);
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        QCOMPARE(probe.lines(u"SELECT key_id FROM console_timeline_seen ORDER BY key_id"_s),
                 (QStringList{u"k-a"_s, u"k-new"_s}));
    }

    // The console's own writes of a key carry the row versions they found and left (PostgreSQL): a pass folds pending
    // counts that link the version it saw last to the row's version now without reading the key, and a pass that
    // finds another writer in between (a gateway's record, no counter moved) reads the history and counts that
    // record. SQLite, where the versions stay NULL, counts the same.
    void consoleWritesLinkRowVersions_data() { addPartRows(); }
    void consoleWritesLinkRowVersions()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keysWithAPast());
        SqlProbe probe(tdb.location());
        TimelineSampler sampler(db);
        QVERIFY(sampler.sample(at(0)).ok());
        const bool pg = tdb.isPostgres();
        const auto versions = [&]() {
            return probe.lines(u"SELECT row_before, row_after FROM console_timeline_pending WHERE key_id = 'k-a' "
                               u"ORDER BY seq"_s);
        };
        const auto keyVersion = [&]() {
            return probe.value(u"SELECT CAST(xmin AS text) FROM provider_api_keys WHERE id = 'k-a'"_s).toString();
        };
        const auto viewVersion = [&]() {
            return probe.value(u"SELECT row_version FROM console_timeline_seen WHERE key_id = 'k-a'"_s).toString();
        };
        // " offset|c|r|u|a" of k-a's minute rows after t0.
        const auto rows = [&]() {
            return probe.lines(u"SELECT t.slot / 2 * 60 - %1, t.concurrent_429, t.rpm_429, t.unknown_429, "
                               u"t.adjustments"_s.arg(t0s) +
                               rowsOf(u"k-a"_s) + u" AND t.slot >= %1 ORDER BY t.slot"_s.arg(t0s / 60 * 2));
        };
        KeyService service(db);
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(100))).ok()); // a record
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Rpm, at(110))).ok());        // the counter only
        if (pg) {
            const QStringList linked = versions();
            QCOMPARE(linked.size(), 2);
            const QStringList first = linked.at(0).split(u'|');
            const QStringList second = linked.at(1).split(u'|');
            QCOMPARE(first.at(0), viewVersion());
            QVERIFY(first.at(1) != first.at(0));
            QCOMPARE(second.at(0), first.at(1));
            QCOMPARE(second.at(1), keyVersion());
        } else {
            QCOMPARE(versions(), (QStringList{u"<null>|<null>"_s, u"<null>|<null>"_s}));
        }
        auto pass = sampler.sample(at(130));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().pendingFolded, 1);
        QCOMPARE(pass.value().historiesRead, 0);
        QCOMPARE(pass.value().rowsWritten, 0);
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        QCOMPARE(probe.lines(u"SELECT s.concurrent_429 - k.concurrent_429_count, s.rpm_429 - k.rpm_429_count, "
                             u"s.limit_value - k.learned_max_concurrent FROM console_timeline_seen s JOIN "
                             u"provider_api_keys k ON k.id = s.key_id WHERE s.key_id = 'k-a'"_s),
                 QStringList{u"0|0|0"_s});
        if (pg) {
            QCOMPARE(viewVersion(), keyVersion());
        }
        QCOMPARE(rows(), QStringList{u"60|1|1|0|1"_s});

        // The gateway adds a record between two of the console's writes, no counter or limit moved.
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(200))).ok());
        QString error;
        QVERIFY2(executeAll(tdb,
                            {u"UPDATE provider_api_keys SET adjustment_history = %1 WHERE id = 'k-a'"_s.arg(
                                pg ? u"CAST(CAST(adjustment_history AS jsonb) || jsonb_build_array(jsonb_build_object("
                                     u"'timestamp', '%1', 'old_limit', learned_max_concurrent, 'new_limit', "
                                     u"learned_max_concurrent, 'reason', 'unknown_429')) AS json)"_s.arg(iso(205))
                                   : u"json_insert(adjustment_history, '$[#]', json_object('timestamp', '%1', "
                                     u"'old_limit', learned_max_concurrent, 'new_limit', learned_max_concurrent, "
                                     u"'reason', 'unknown_429'))"_s.arg(iso(205)))},
                            &error),
                 qPrintable(error));
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Rpm, at(210))).ok());
        if (pg) {
            const QStringList linked = versions();
            QCOMPARE(linked.size(), 2);
            QVERIFY(linked.at(1).split(u'|').at(0) != linked.at(0).split(u'|').at(1)); // the gateway in between
        }
        pass = sampler.sample(at(230));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().historiesRead, 1);
        QCOMPARE(pass.value().pendingFolded, 1);
        // The console's 429s and record at 200 and 210, the gateway's record (an unknown 429) at 205.
        QCOMPARE(rows(), (QStringList{u"60|1|1|0|1"_s, u"180|1|1|1|2"_s}));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        pass = sampler.sample(at(260));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);
        QCOMPARE(pass.value().historiesRead, 0);
    }

    // The console's events on keys no sampler has seen yet: they create the key's view, which still needs its
    // baseline; the first pass takes it (the counters from before are not counted, the events not twice, the older
    // history is filled in) and counts the gateway's writes from then on.
    void eventsBeforeTheFirstPass_data() { addPartRows(); }
    void eventsBeforeTheFirstPass()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keysWithAPast());
        SqlProbe probe(tdb.location());
        KeyService service(db);
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(5))).ok());
        // The view waits for its baseline; what the event counted waits for the sampler.
        QCOMPARE(probe.lines(u"SELECT key_id, concurrent_429, needs_baseline FROM console_timeline_seen"_s),
                 QStringList{u"k-a|0|1"_s});
        QCOMPARE(probe.lines(u"SELECT key_id, concurrent_429, rpm_429, limit_value FROM console_timeline_pending"_s),
                 QStringList{u"k-a|1|0|8"_s});
        const QStringList afterEvent = timelineRows(probe);
        QCOMPARE(afterEvent.size(), 1);
        QVERIFY2(afterEvent.first().startsWith(u"k-a|60|0|1|0|0|"_s), qPrintable(afterEvent.join(u"; ")));

        TimelineSampler sampler(db);
        auto pass = sampler.sample(at(30));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().newKeys, 3);
        // The record from two hours ago is filled in; the event's 429 and its adjustment are there once.
        QCOMPARE(timelineRows(probe), QStringList{u"k-a|60|-7200|0|0|0|0|1|30|20"_s} + afterEvent);
        QCOMPARE(probe.lines(u"SELECT key_id, concurrent_429, needs_baseline FROM console_timeline_seen ORDER BY "
                             u"key_id"_s),
                 (QStringList{u"k-a|41|0"_s, u"k-b|0|0"_s, u"k-f|0|0"_s}));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
        // PostgreSQL: the row versions read, so that the next pass digests only the histories of rows written since.
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_seen WHERE row_version IS NOT NULL"_s).toInt(),
                 tdb.isPostgres() ? 3 : 0);
        pass = sampler.sample(at(60));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 0);

        // From now on the gateway's increases count.
        QString error;
        QVERIFY2(executeAll(tdb,
                            {u"UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + 3 "
                             u"WHERE id = 'k-a'"_s},
                            &error),
                 qPrintable(error));
        pass = sampler.sample(at(125));
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().rowsWritten, 1); // in the minute of the key's last 429 (the event's)
        QCOMPARE(probe.value(u"SELECT sum(t.concurrent_429)"_s + rowsOf(u"k-a"_s)).toInt(), 4);
    }

    // Several samplers on one database, while a gateway raises counters: every increase is counted exactly once.
    void concurrentSamplersCountOnce_data() { addPartRows(); }
    void concurrentSamplersCountOnce()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        QVERIFY(TimelineSampler(db).sample(at(0)).ok());
        std::atomic<bool> stop{false};
        std::atomic<int> passes{0};
        const auto samplerThread = [&]() { sampleUntil(tdb.location(), stop, passes); };
        std::thread a(samplerThread);
        std::thread b(samplerThread);
        const int raised = gatewayWrites(
            tdb.location(),
            u"UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + 1 WHERE id = 'k-b'"_s, 60, 5);
        QCOMPARE(raised, 60);
        stop = true;
        a.join();
        b.join();
        QVERIFY(TimelineSampler(db).sample(Timestamp::now()).ok());
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT sum(t.concurrent_429)"_s + rowsOf(u"k-b"_s)).toInt(), raised);
        QVERIFY(passes > 1);
    }

    // The console's own events, a gateway's writes and samplers, all at once on one key: every 429 is in the time
    // series once, the events' by the console, the gateway's by a sampler, whichever pass reads what the events
    // appended, and nothing is left pending.
    void eventsGatewayAndSamplersCountOnce_data() { addPartRows(); }
    void eventsGatewayAndSamplersCountOnce()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        QVERIFY(TimelineSampler(db).sample(Timestamp::now()).ok());
        std::atomic<bool> stop{false};
        std::atomic<int> passes{0};
        std::atomic<int> events{0};
        std::atomic<int> adjusted{0};
        std::atomic<bool> eventFailed{false};
        const auto samplerThread = [&]() { sampleUntil(tdb.location(), stop, passes); };
        std::thread sampling(samplerThread);
        std::thread console([&]() {
            aether::Database own(tdb.location());
            if (!own.open()) {
                eventFailed = true;
                return;
            }
            KeyService service(own);
            for (int i = 0; i < 60; ++i) {
                const RateLimitKind kind = i % 3 == 0 ? RateLimitKind::Rpm : RateLimitKind::Concurrent;
                const auto outcome = service.applyEvent(reported(u"k-b"_s, kind, Timestamp::now(), 5));
                if (!outcome.ok()) {
                    eventFailed = true;
                    continue;
                }
                ++events;
                if (outcome.value().adjusted)
                    ++adjusted;
                QTest::qWait(3);
            }
        });
        const int raised = gatewayWrites(tdb.location(),
                                         u"UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + "
                                         u"1, rpm_429_count = rpm_429_count + 2 WHERE id = 'k-b'"_s,
                                         60, 3);
        QCOMPARE(raised, 60);
        console.join();
        stop = true;
        sampling.join();
        QVERIFY(!eventFailed);
        QCOMPARE(events.load(), 60);
        QVERIFY(passes > 1);
        QVERIFY(TimelineSampler(db).sample(Timestamp::now()).ok());
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT sum(t.concurrent_429)"_s + rowsOf(u"k-b"_s)).toInt(), raised + 40);
        QCOMPARE(probe.value(u"SELECT sum(t.rpm_429)"_s + rowsOf(u"k-b"_s)).toInt(), 2 * raised + 20);
        QCOMPARE(probe.value(u"SELECT sum(t.adjustments)"_s + rowsOf(u"k-b"_s)).toInt(), adjusted.load());
        QVERIFY(adjusted > 0);
        QCOMPARE(probe.lines(u"SELECT s.concurrent_429 = k.concurrent_429_count, s.rpm_429 = k.rpm_429_count FROM "
                             u"console_timeline_seen s JOIN provider_api_keys k ON k.id = s.key_id WHERE k.id = "
                             u"'k-b'"_s),
                 QStringList{tdb.isPostgres() ? u"true|true"_s : u"1|1"_s});
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_pending"_s).toInt(), 0);
    }

    // Many rows at once (demo data, a sampling pass; one JSON text on PostgreSQL): created, then added to, under the
    // keys' numbers, keys without a view getting one.
    void manyRowsAtOnce_data() { addPartRows(); }
    void manyRowsAtOnce()
    {
        usePartsOfTheRow();
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        QList<TimelineRowWrite> rows;
        for (const QString &id : {u"k-a"_s, u"k-b"_s, u"k-f"_s}) {
            for (int m = 0; m < 60; ++m)
                rows.append({id, timeline::minute, t0s + m * 60, TimelineCounts{1, 2, 3, 4, 5}, 40000, m});
        }
        QVERIFY(writeRows(db, rows));
        QVERIFY(writeRows(db, rows));
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline"_s).toInt(), 180);
        QCOMPARE(probe.lines(u"SELECT s.key_id, count(*), sum(t.concurrent_429), sum(t.rpm_429), sum(t.unknown_429), "
                             u"sum(t.successes), sum(t.adjustments), min(t.limit_begin), max(t.limit_end) FROM "
                             u"console_timeline t JOIN console_timeline_seen s ON s.key_no = t.key_no GROUP BY "
                             u"s.key_id ORDER BY s.key_id"_s),
                 (QStringList{u"k-a|60|120|240|360|480|600|32767|59"_s, u"k-b|60|120|240|360|480|600|32767|59"_s,
                              u"k-f|60|120|240|360|480|600|32767|59"_s}));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_seen WHERE needs_baseline = 1"_s).toInt(), 3);
    }

    // On PostgreSQL a pass is skipped while another process holds the sampler's slot, and when another process
    // sampled less than the interval ago.
    void samplerSlotOnPostgres()
    {
        TestDatabase tdb("postgres");
        if (!tdb.isReady())
            QSKIP(qPrintable(tdb.skipReason()));
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        const auto held = other.transaction<bool>(aether::Database::Mode::Write, [&]() -> aether::Result<bool> {
            auto lock = other.exec(u"SELECT pg_advisory_xact_lock(?)"_s, {TimelineSampler::advisoryLockKey});
            if (!lock)
                return lock.error();
            auto pass = TimelineSampler(db).sample(at(0));
            if (!pass)
                return pass.error();
            return pass.value().ran;
        });
        QVERIFY(held.ok());
        QCOMPARE(held.value(), false);
        QVERIFY(TimelineSampler(db).sample(at(0), 30).value().ran);
        QVERIFY(!TimelineSampler(other).sample(at(20), 30).value().ran); // sampled 20 s ago
        QVERIFY(TimelineSampler(other).sample(at(31), 30).value().ran);
    }

    void rollUpAndRetention_data() { TestDatabase::addBackendRows(); }
    void rollUpAndRetention()
    {
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        QString error;
        const auto row = [](const QString &key, qint64 step, qint64 offset, int c, int a, std::optional<int> begin,
                            std::optional<int> end) {
            return TimelineRowWrite{key, step, t0s + offset, TimelineCounts{c, 1, 0, 5, a}, begin, end};
        };
        const qint64 h = 3600;
        QVERIFY(writeRows(db, {row(u"k-a"_s, 60, -50 * h, 2, 1, 20, 17), row(u"k-a"_s, 60, -50 * h + 600, 3, 1, 17, 14),
                               row(u"k-a"_s, 60, -50 * h + 3600, 1, 0, 14, 14), // the next hour
                               row(u"k-a"_s, 60, -47 * h, 4, 0, 14, 14),        // younger than 48 h: stays
                               row(u"k-a"_s, 3600, -31 * 24 * h, 9, 9, 9, 9),   // older than 30 days: expires
                               row(u"k-b"_s, 60, -49 * h, 1, 1, 30, 25), row(u"k-b"_s, 3600, -49 * h, 1, 0, 30, 30)}));
        aether::TimelineMaintenance maintenance(db);
        auto pass = maintenance.run(at(0), 30, {}, 1); // one key per chunk
        QVERIFY(pass.ok());
        QCOMPARE(pass.value().keys, 2);
        QCOMPARE(pass.value().minuteRowsRolledUp, 4);
        QCOMPARE(pass.value().rowsExpired, 1);
        SqlProbe probe(tdb.location());
        QCOMPARE(timelineRows(probe),
                 (QStringList{
                     u"k-a|60|%1|4|1|0|5|0|14|14"_s.arg(-47 * h), u"k-a|3600|%1|5|2|0|10|2|20|14"_s.arg(-50 * h),
                     u"k-a|3600|%1|1|1|0|5|0|14|14"_s.arg(-49 * h),
                     u"k-b|3600|%1|2|2|0|10|1|30|25"_s.arg(-49 * h), // added to the hour row
                 }));
        // Again: nothing left to do. A shorter retention expires more.
        QCOMPARE(maintenance.run(at(0), 30).value().minuteRowsRolledUp, 0);
        QCOMPARE(maintenance.run(at(0), 1).value().rowsExpired, 4); // everything older than a day
    }

    // PostgreSQL: the series' indexes, grown at every key's own end and so half empty, are rebuilt at most once a day;
    // SQLite has nothing to rebuild (the rows are the index).
    void indexRebuiltOnceADay_data() { TestDatabase::addBackendRows(); }
    void indexRebuiltOnceADay()
    {
        AETHER_FIXTURE_DATABASE(tdb, db, ownerRowsSql(), keys());
        aether::TimelineMaintenance maintenance(db);
        if (!tdb.isPostgres()) {
            QCOMPARE(maintenance.compactIndex(at(0)).value(), false);
            return;
        }
        QString error;
        // 30 minutes of 3,000 keys, written minute by minute as a console writes them; then two minutes of every three
        // gone (rolled up or expired): the index keeps its pages.
        const qint64 first = timeline::slotOf(t0s, timeline::minute);
        QVERIFY2(executeAll(tdb,
                            {u"INSERT INTO console_timeline (key_no, slot, concurrent_429) SELECT k, %1 + 2 * m, 1 "
                             u"FROM generate_series(0, 29) m, generate_series(1, 3000) k ORDER BY m, k"_s.arg(first),
                             u"DELETE FROM console_timeline WHERE mod((slot - %1) / 2, 3) <> 0"_s.arg(first),
                             u"VACUUM ANALYZE console_timeline"_s},
                            &error),
                 qPrintable(error));
        SqlProbe probe(tdb.location());
        const auto indexBytes = [&] {
            return probe.value(u"SELECT pg_relation_size('console_timeline_pkey')"_s).toLongLong();
        };
        const qint64 before = indexBytes();
        QVERIFY(maintenance.compactIndex(at(0)).value());
        const qint64 after = indexBytes();
        QVERIFY2(after * 3 < before * 2, qPrintable(u"%1 -> %2 bytes"_s.arg(before).arg(after)));
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline"_s).toInt(), 30000);
        QVERIFY(!maintenance.compactIndex(at(3600)).value());      // not twice a day
        QVERIFY(!maintenance.compactIndex(at(2 * 86400)).value()); // a day later: packed still
        QVERIFY(probe.value(u"SELECT to_regclass('console_timeline_pkey_ccnew') IS NULL"_s).toBool());

        // The hour rows' index, grown hour by hour at every key's end: rebuilt at a lower bloat than the minutes' (it
        // only grows), and then a day's hours fit in the room its pages keep.
        const qint64 firstHour = timeline::slotOf(timeline::bucketOf(t0s, timeline::hour), timeline::hour);
        QVERIFY2(executeAll(tdb,
                            {u"INSERT INTO console_timeline_hours (key_no, slot, concurrent_429) SELECT k, "
                             u"%1 - 120 * h, 1 FROM generate_series(0, 19) h, generate_series(1, 4000) k "
                             u"ORDER BY h DESC, k"_s.arg(firstHour),
                             u"VACUUM ANALYZE console_timeline_hours"_s},
                            &error),
                 qPrintable(error));
        const auto hourIndexBytes = [&] {
            return probe.value(u"SELECT pg_relation_size('console_timeline_hours_pkey')"_s).toLongLong();
        };
        const qint64 grown = hourIndexBytes();
        QVERIFY(maintenance.compactIndex(at(3 * 86400)).value());
        const qint64 packed = hourIndexBytes();
        QVERIFY2(packed * 100 < grown * 85, qPrintable(u"%1 -> %2 bytes"_s.arg(grown).arg(packed)));
        QVERIFY2(executeAll(tdb,
                            {u"INSERT INTO console_timeline_hours (key_no, slot, concurrent_429) SELECT k, %1 + 120, "
                             u"1 FROM generate_series(1, 4000) k"_s.arg(firstHour)},
                            &error),
                 qPrintable(error));
        QCOMPARE(hourIndexBytes(), packed); // the next day's hours in the room left
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_timeline_hours"_s).toInt(), 84000);
        QVERIFY(probe.value(u"SELECT to_regclass('console_timeline_hours_pkey_ccnew') IS NULL"_s).toBool());
    }

    void queries_data() { TestDatabase::addBackendRows(); }
    void queries()
    {
        QList<KeyFixture> rows = keys();
        KeyFixture other = key(u"k-o"_s, u"other endpoint"_s, u"e2"_s);
        other.learned = 12;
        rows << other;
        QStringList owners = ownerRowsSql();
        owners << u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES ('p2', "
                  u"'q', 'Q', true, '%1', '%1')"_s.arg(fixtureTime)
               << u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
                  u"updated_at) VALUES ('e2', 'p2', 'OPENAI', 'https://y', true, '%1', '%1')"_s.arg(fixtureTime);
        AETHER_FIXTURE_DATABASE(tdb, db, owners, rows);
        KeyService service(db);
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Concurrent, at(65))).ok()); // 20 -> 8
        QVERIFY(service.applyEvent(reported(u"k-a"_s, RateLimitKind::Rpm, at(190))).ok());
        QVERIFY(service.applyEvent(reported(u"k-b"_s, RateLimitKind::Rpm, at(70))).ok());
        QVERIFY(service.applyEvent(reported(u"k-o"_s, RateLimitKind::Rpm, at(70))).ok());
        QVERIFY(service.applyEvent(reported(u"k-o"_s, RateLimitKind::Rpm, at(71))).ok());
        // An hour row two days back.
        QVERIFY(
            writeRows(db, {TimelineRowWrite{u"k-a"_s, 3600, t0s - 50 * 3600, TimelineCounts{7, 0, 0, 0, 0}, 25, 20}}));
        TimelineQuery query(db);
        auto series = query.keySeries(u"k-a"_s, TimelineQuery::range(t0s, t0s + 300, 60));
        QVERIFY(series.ok());
        QCOMPARE(series.value().points.size(), 5); // every minute, zero where nothing happened
        QList<std::optional<int>> limits;
        QList<qint64> total;
        for (const aether::TimelinePoint &p : series.value().points) {
            limits << p.limit;
            total << p.counts.total429();
        }
        QCOMPARE(total, (QList<qint64>{0, 1, 0, 1, 0}));
        QCOMPARE(limits, (QList<std::optional<int>>{20, 8, 8, 8, 8})); // before the 429: the older row's end
        QCOMPARE(series.value().points.at(0).t, t0s);
        QCOMPARE(series.value().points.at(1).counts.adjustments, 1);
        // Five minutes wide, the hour row falls into the bucket where its hour begins.
        series = query.keySeries(u"k-a"_s, TimelineQuery::range(t0s - 51 * 3600, t0s + 600, 300));
        QVERIFY(series.ok());
        QCOMPARE(series.value().total.concurrent429, 8);
        QCOMPARE(series.value().points.at(12).counts.concurrent429, 7);
        QCOMPARE(series.value().points.at(0).limit, std::optional<int>(25)); // the first row's start
        QVERIFY(!query.keySeries(u"nope"_s, TimelineQuery::range(t0s, t0s + 60, 60)).ok());
        // A key without rows: its limit now.
        series = query.keySeries(u"k-f"_s, TimelineQuery::range(t0s, t0s + 120, 60));
        QCOMPARE(series.value().points.at(1).limit, std::optional<int>(8));

        const auto totalOf = [&](const aether::TimelineScope &scope) {
            return query.scopeSeries(scope, TimelineQuery::range(t0s, t0s + 3600, 3600)).value().total.total429();
        };
        QCOMPARE(totalOf({}), 5);
        QCOMPARE(totalOf({{}, u"e"_s, {}}), 3);
        QCOMPARE(totalOf({{}, u"e2"_s, {}}), 2);
        QCOMPARE(totalOf({{}, {}, u"p2"_s}), 2);
        QCOMPARE(totalOf({{}, u"missing"_s, {}}), 0);
        const auto top = query.topKeys({}, t0s, t0s + 3600);
        QVERIFY(top.ok());
        QCOMPARE(top.value().size(), 3);
        QCOMPARE(top.value().at(0).keyId, u"k-a"_s); // 2, ahead of k-o by id
        QCOMPARE(top.value().at(1).keyId, u"k-o"_s);
        QCOMPARE(top.value().at(1).name, u"other endpoint"_s);
        QCOMPARE(top.value().at(2).counts.rpm429, 1);
        QCOMPARE(query.topKeys({{}, u"e2"_s, {}}, t0s, t0s + 3600).value().size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestTimeline)
#include "tst_timeline.moc"
