// The write path's parts on their own, on both backends: LearningBatch (events only, in order, each key read once),
// KeyChangeBatch (admin changes and events mixed, each seeing the ones before), and the WAL checkpointer that copies
// SQLite's log back into the database file.

#include "keys/keychangebatch.h"
#include "keys/keyservice.h"
#include "learning/learningbatch.h"
#include "storage/databasesetup.h"
#include "storage/walcheckpointer.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QFileInfo>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether;
using aether::test::TestDatabase;

namespace {

const Actor actor{u"test"_s};

LearningEvent concurrency429(const QString &keyId, int currentConcurrent)
{
    LearningEvent event;
    event.keyId = keyId;
    event.success = false;
    event.kind = RateLimitKind::Concurrent;
    event.currentConcurrent = currentConcurrent;
    event.at = Timestamp::now();
    return event;
}

// The first adaptive and the first fixed key of the demo data.
struct DemoKeys {
    QString adaptive;
    QString fixed;
};

DemoKeys demoKeys(Database &db)
{
    DemoKeys keys;
    Result<QList<KeyListItem>> adaptive = KeyService(db).listAdaptiveKeys();
    if (adaptive && !adaptive.value().isEmpty())
        keys.adaptive = adaptive.value().first().id;
    db.run<Done>([&]() -> Status {
        Result<SqlStatement> st =
            db.exec(u"SELECT id FROM provider_api_keys WHERE max_concurrent IS NOT NULL ORDER BY id"_s);
        if (st && st.value().next())
            keys.fixed = st.value().value(0).toString();
        return Done{};
    });
    return keys;
}

} // namespace

class TestBatches : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { test::useTestEnvironment(); }

    void learningBatchAppliesEventsInOrder_data() { TestDatabase::addBackendRows(); }
    void learningBatchAppliesEventsInOrder()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(20); }).ready.ok());
        const DemoKeys keys = demoKeys(db);
        QVERIFY(!keys.adaptive.isEmpty());
        const std::optional<qint64> before = KeyService(db).stats(keys.adaptive).value().concurrent429Count;

        const LearningEvent first = concurrency429(keys.adaptive, 40);
        const LearningEvent unknown = concurrency429(u"no-such-key"_s, 10);
        const LearningEvent second = concurrency429(keys.adaptive, 30);
        LearningBatch batch(db);
        Result<QList<Result<EventOutcome>>> applied =
            db.transaction<QList<Result<EventOutcome>>>(Database::Mode::Write, [&] {
                return batch.apply({&first, &unknown, &second});
            });
        QVERIFY(applied.ok());
        const QList<Result<EventOutcome>> &outcomes = applied.value();
        QCOMPARE(outcomes.size(), 3);
        QVERIFY(outcomes.at(0).ok());
        QCOMPARE(outcomes.at(1).error().code, ErrorCode::NotFound);
        QVERIFY(outcomes.at(2).ok());
        QCOMPARE(outcomes.at(0).value().classification, RateLimitKind::Concurrent);
        // Both events of the key were counted, the second on top of the first, and the row holds the last outcome.
        const KeyStats stats = KeyService(db).stats(keys.adaptive).value();
        QCOMPARE(stats.concurrent429Count, *before + 2);
        QCOMPARE(stats.learnedLimit, outcomes.at(2).value().learned);
    }

    void keyChangeBatchMixesChangesAndEvents_data() { TestDatabase::addBackendRows(); }
    void keyChangeBatchMixesChangesAndEvents()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(20); }).ready.ok());
        const DemoKeys keys = demoKeys(db);
        QVERIFY(!keys.adaptive.isEmpty() && !keys.fixed.isEmpty());

        KeyChange eventWithout; // a change of kind LearningEvent without its event
        eventWithout.kind = KeyChange::Kind::LearningEvent;
        eventWithout.keyId = keys.fixed;
        const QList<KeyChange> changes{
            KeyChange::setLimit(keys.adaptive, 7, actor),                    // adaptive → fixed 7
            KeyChange::learningEvent(concurrency429(keys.adaptive, 5)),      // sees the fixed limit
            KeyChange::resetLearning(keys.fixed, actor),                     //
            KeyChange::setMode(u"no-such-key"_s, true, std::nullopt, actor), // not found, nothing written
            KeyChange::setMode(keys.fixed, false, std::nullopt, actor),      // invalid: fixed needs a limit
            eventWithout,                                                    // not found
            KeyChange::setMode(keys.adaptive, true, std::nullopt, actor),    // back to adaptive
        };
        KeyChangeBatch batch(db);
        Result<QList<Result<KeyChangeOutcome>>> applied = db.transaction<QList<Result<KeyChangeOutcome>>>(
            Database::Mode::Write, [&] { return batch.apply(changes); });
        QVERIFY(applied.ok());
        const QList<Result<KeyChangeOutcome>> &outcomes = applied.value();
        QCOMPARE(outcomes.size(), changes.size());
        QVERIFY(outcomes.at(0).ok());
        QVERIFY(std::get<LimitChange>(outcomes.at(0).value()).wasAdaptive);
        QVERIFY(outcomes.at(1).ok());
        QCOMPARE(std::get<EventOutcome>(outcomes.at(1).value()).effectiveLimit, 7); // the limit set just before
        QVERIFY(outcomes.at(2).ok());
        QVERIFY(std::holds_alternative<LearningReset>(outcomes.at(2).value()));
        QCOMPARE(outcomes.at(3).error().code, ErrorCode::NotFound);
        QCOMPARE(outcomes.at(4).error().code, ErrorCode::InvalidInput);
        QCOMPARE(outcomes.at(5).error().code, ErrorCode::NotFound);
        QVERIFY(std::get<ModeChange>(outcomes.at(6).value()).isAdaptive);

        KeyService service(db);
        QVERIFY(service.stats(keys.adaptive).value().adaptiveMode);
        const KeyStats fixed = service.stats(keys.fixed).value();
        QVERIFY(!fixed.adaptiveMode); // the refused change left it fixed
        QCOMPARE(fixed.concurrent429Count, 0);
        QCOMPARE(fixed.adjustmentCount, 0);
    }

    void walCheckpointerCopiesTheLogBack()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        const DatabaseLocation location = tdb.location();
        Database db(location);
        db.setAutoCheckpointPages(0); // SQLite's own checkpoints off: only the checkpointer copies the log back
        QVERIFY(setUpDatabase(db).ready.ok());
        const qint64 empty = QFileInfo(location.path).size();
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(3000); }).demo->ok());
        QVERIFY(QFileInfo(location.path + u"-wal"_s).size() > empty);
        QCOMPARE(QFileInfo(location.path).size(), empty); // the keys are in the log only

        WalCheckpointer checkpointer(location);
        checkpointer.start();
        QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(location.path).size() > empty * 4, 10000);
        QCOMPARE(KeyService(db).listAdaptiveKeys().value().size() > 0, true);
    }
};

QTEST_GUILESS_MAIN(TestBatches)
#include "tst_batches.moc"
