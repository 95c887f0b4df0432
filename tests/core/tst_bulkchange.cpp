// BulkChange on both backends over demo data: a change for every key of a filter or of a list, counted as changed,
// unchanged or failed; checked before anything is written; chunked, audited per key, and cancellable between chunks.

#include "keys/bulkchange.h"
#include "keys/keyservice.h"
#include "storage/databasesetup.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether;
using aether::test::TestDatabase;

namespace {

const Actor actor{u"test"_s};

qint64 scalar(Database &db, const QString &sql)
{
    qint64 value = -1;
    db.run<Done>([&]() -> Status {
        Result<SqlStatement> st = db.exec(sql);
        if (st && st.value().next())
            value = st.value().value(0).toLongLong();
        return Done{};
    });
    return value;
}

} // namespace

class TestBulkChange : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { test::useTestEnvironment(); }

    void setLimitOverAFilter_data() { TestDatabase::addBackendRows(); }
    void setLimitOverAFilter()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(60); }).ready.ok());
        KeyService keys(db);
        KeyTable table(db);
        const QStringList all = table.ids({}).value();
        QCOMPARE(all.size(), 60);
        KeyFilter filter;
        filter.mode = KeyFilter::Mode::Adaptive;
        const qint64 adaptive = scalar(db, u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s);
        const qint64 auditBefore = scalar(db, u"SELECT count(*) FROM console_audit_log"_s);

        BulkRequest request;
        request.action = BulkRequest::Action::SetLimit;
        request.filter = filter;
        request.limit = 7;
        request.actor = actor;
        const Result<BulkResult> first = BulkChange(keys, table).apply(request);
        QVERIFY(first.ok());
        QCOMPARE(first.value().matched, adaptive);
        QCOMPARE(first.value().changed, adaptive);
        QCOMPARE(first.value().unchanged, 0);
        QVERIFY(first.value().failed.isEmpty());
        QCOMPARE(scalar(db, u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent = 7"_s) >= adaptive, true);
        QCOMPARE(scalar(db, u"SELECT count(*) FROM console_audit_log"_s), auditBefore + adaptive); // one row per key

        // The same keys by id, twice each, and one unknown key: nothing to change, one failure.
        request.keyIds = table.ids(KeyFilter{}).value().mid(0, 5) + table.ids(KeyFilter{}).value().mid(0, 5);
        request.keyIds->append(u"no-such-key"_s);
        const Result<BulkResult> again = BulkChange(keys, table).apply(request);
        QVERIFY(again.ok());
        QCOMPARE(again.value().matched, 6);
        QCOMPARE(again.value().failed.size(), 1);
        QCOMPARE(again.value().failed.first().keyId, u"no-such-key"_s);
        QCOMPARE(again.value().failed.first().error.code, ErrorCode::NotFound);
        QCOMPARE(again.value().changed + again.value().unchanged, 5);
    }

    void invalidRequestsWriteNothing_data() { TestDatabase::addBackendRows(); }
    void invalidRequestsWriteNothing()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(20); }).ready.ok());
        KeyService keys(db);
        KeyTable table(db);
        const qint64 auditBefore = scalar(db, u"SELECT count(*) FROM console_audit_log"_s);
        BulkRequest request;
        request.action = BulkRequest::Action::SetLimit;
        request.limit = 101;
        Result<BulkResult> refused = BulkChange(keys, table).apply(request);
        QCOMPARE(refused.error().code, ErrorCode::InvalidInput);
        QCOMPARE(refused.error().field, u"limit"_s);
        QCOMPARE(refused.error().reason, reason::lessThanEqual);
        request.action = BulkRequest::Action::SetMode;
        request.adaptive = false;
        refused = BulkChange(keys, table).apply(request);
        QCOMPARE(refused.error().reason, reason::requiredWhenFixed);
        request.fixedLimit = 0;
        refused = BulkChange(keys, table).apply(request);
        QCOMPARE(refused.error().reason, reason::greaterThanEqual);
        QCOMPARE(scalar(db, u"SELECT count(*) FROM console_audit_log"_s), auditBefore);
    }

    void resetTwiceChangesOnce_data() { TestDatabase::addBackendRows(); }
    void resetTwiceChangesOnce()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(30); }).ready.ok());
        KeyService keys(db);
        KeyTable table(db);
        BulkRequest request;
        request.action = BulkRequest::Action::ResetLearning;
        request.actor = actor;
        const qint64 withState =
            scalar(db, u"SELECT count(*) FROM provider_api_keys WHERE learned_max_concurrent IS NOT NULL OR "
                       "concurrent_429_count > 0 OR rpm_429_count > 0 OR last_429_at IS NOT NULL"_s);
        const Result<BulkResult> first = BulkChange(keys, table).apply(request);
        QVERIFY(first.ok());
        QCOMPARE(first.value().matched, 30);
        QVERIFY(first.value().changed >= withState);
        const Result<BulkResult> second = BulkChange(keys, table).apply(request);
        QVERIFY(second.ok());
        QCOMPARE(second.value().changed, 0);
        QCOMPARE(second.value().unchanged, 30);
    }

    void cancelStopsBetweenChunks()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(1200); }).ready.ok());
        KeyService keys(db);
        KeyTable table(db);
        BulkRequest request;
        request.action = BulkRequest::Action::SetMode;
        request.adaptive = false;
        request.fixedLimit = 3;
        request.actor = actor;
        QList<qint64> reported;
        const Result<BulkResult> result = BulkChange(keys, table).apply(request, [&](qint64 done, qint64 total) {
            reported << done;
            return total == 1200 && done < BulkChange::chunkSize;
        });
        QVERIFY(result.ok());
        QVERIFY(result.value().canceled);
        QCOMPARE(reported, (QList<qint64>{500}));
        QCOMPARE(result.value().changed + result.value().unchanged, 500);
        QCOMPARE(scalar(db, u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent = 3"_s) >= 500, true);
        QVERIFY(scalar(db, u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s) > 0);
    }
};

QTEST_GUILESS_MAIN(TestBulkChange)
#include "tst_bulkchange.moc"
