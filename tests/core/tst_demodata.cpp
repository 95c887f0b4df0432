// DemoData: a reproducible demo in an empty console database; refused on a database that holds keys.

#include "keyrow.h"
#include "keys/keyservice.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/demodata.h"
#include "storage/migrations.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::test::bareKeySql;
using aether::test::executeAll;
using aether::test::ownerRowsSql;
using aether::test::SqlProbe;
using aether::test::TestDatabase;

#define AETHER_DEMO_DATABASE(tdb, db)                                                                                  \
    AETHER_TEST_DATABASE(tdb);                                                                                         \
    aether::Database db(tdb.location());                                                                               \
    QVERIFY(db.open().ok());                                                                                           \
    QVERIFY(aether::Migrations(db).run().ok());

class TestDemoData : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void fill_data() { TestDatabase::addBackendRows(); }
    void fill()
    {
        AETHER_DEMO_DATABASE(tdb, db);
        const aether::Result<aether::DemoSize> size = aether::DemoData(db).fill(40);
        QVERIFY2(size.ok(), qPrintable(size.ok() ? QString() : size.error().detail));
        QCOMPARE(size.value().providers, 3);
        QCOMPARE(size.value().endpoints, 5);
        QCOMPARE(size.value().keys, 40);

        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT count(*) FROM providers"_s).toInt(), 3);
        QCOMPARE(probe.value(u"SELECT count(*) FROM provider_endpoints"_s).toInt(), 5);
        QCOMPARE(probe.value(u"SELECT count(*) FROM provider_api_keys"_s).toInt(), 40);
        // Every key belongs to an existing endpoint, every endpoint to an existing provider.
        QCOMPARE(probe
                     .value(u"SELECT count(*) FROM provider_api_keys k JOIN provider_endpoints e "
                            u"ON e.id = k.endpoint_id JOIN providers p ON p.id = e.provider_id"_s)
                     .toInt(),
                 40);
        const int adaptive =
            probe.value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s).toInt();
        QVERIFY2(adaptive > 0 && adaptive < 40, qPrintable(u"%1 adaptive keys"_s.arg(adaptive)));
        QCOMPARE(probe
                     .value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent < 1 "
                            u"OR max_concurrent > 100"_s)
                     .toInt(),
                 0);
        QCOMPARE(probe.value(u"SELECT count(DISTINCT name) FROM provider_api_keys"_s).toInt(), 40);

        // Histories: valid arrays of at most 20 well-formed records, some of them non-empty.
        aether::KeyService keys(db);
        int withHistory = 0;
        int learned = 0;
        checkHistories(probe, keys, &withHistory, &learned);
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(withHistory > 0, "no key has a history");
        QVERIFY(learned > 0);

        const aether::Summary summary = keys.summary().value();
        QCOMPARE(summary.totalAdaptiveKeys, qint64(adaptive));
        QVERIFY(summary.totalAdjustments > 0);
        QVERIFY(!summary.recentAdjustments.isEmpty());
        QCOMPARE(keys.listAdaptiveKeys().value().size(), adaptive);

        // A second fill is refused and changes nothing.
        const QStringList before = probe.column(u"SELECT id FROM provider_api_keys ORDER BY id"_s);
        const aether::Result<aether::DemoSize> again = aether::DemoData(db).fill(40);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, ErrorCode::Conflict);
        QCOMPARE(probe.column(u"SELECT id FROM provider_api_keys ORDER BY id"_s), before);
        QCOMPARE(probe.value(u"SELECT count(*) FROM providers"_s).toInt(), 3);
    }

    // The same seed gives the same keys (ids, names, modes).
    void reproducible()
    {
        QStringList dumps;
        for (int i = 0; i < 2; ++i) {
            QTemporaryDir dir;
            const aether::DatabaseLocation location =
                aether::DatabaseLocation::parse(dir.filePath(u"demo.sqlite"_s)).value();
            aether::Database db(location);
            QVERIFY(aether::Migrations(db).run().ok());
            QVERIFY(aether::DemoData(db).fill(12, 7).ok());
            SqlProbe probe(location);
            dumps << probe.lines(u"SELECT id, endpoint_id, name, max_concurrent FROM provider_api_keys ORDER BY id"_s)
                         .join(u'\n');
        }
        QCOMPARE(dumps.at(0).count(u'\n'), 11);
        QCOMPARE(dumps.at(0), dumps.at(1));
    }

    void keyCountOutOfRange_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("count");
        for (const QByteArray &backend : TestDatabase::backends()) {
            QTest::addRow("%s: 0", backend.constData()) << backend << 0;
            QTest::addRow("%s: -1", backend.constData()) << backend << -1;
        }
    }
    void keyCountOutOfRange()
    {
        QFETCH(int, count);
        AETHER_DEMO_DATABASE(tdb, db);
        const aether::Result<aether::DemoSize> size = aether::DemoData(db).fill(count);
        QVERIFY(!size.ok());
        QCOMPARE(size.error().code, ErrorCode::InvalidInput);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT count(*) FROM providers"_s).toInt(), 0);
    }

    // Keys put there by someone else: demo data is only for an empty database.
    void refusedWhenKeysExist_data() { TestDatabase::addBackendRows(); }
    void refusedWhenKeysExist()
    {
        AETHER_DEMO_DATABASE(tdb, db);
        QString error;
        QVERIFY2(executeAll(tdb, ownerRowsSql() << bareKeySql(u"k"_s, u"mine"_s), &error), qPrintable(error));
        const aether::Result<aether::DemoSize> size = aether::DemoData(db).fill(10);
        QVERIFY(!size.ok());
        QCOMPARE(size.error().code, ErrorCode::Conflict);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.lines(u"SELECT id, name FROM provider_api_keys"_s), QStringList{u"k|mine"_s});
        QCOMPARE(probe.value(u"SELECT count(*) FROM providers"_s).toInt(), 1);
    }

private:
    // Every key's history is a valid array of at most 20 well-formed records, as many as its stats count;
    // *withHistory counts the keys with records and *learned those with a learned limit.
    static void checkHistories(SqlProbe &probe, aether::KeyService &keys, int *withHistory, int *learned)
    {
        const std::optional<QList<QVariantList>> rows =
            probe.rows(u"SELECT id, CAST(adjustment_history AS text), learned_max_concurrent FROM provider_api_keys"_s);
        QVERIFY(rows.has_value());
        const QStringList reasons{u"concurrent_429"_s, u"unknown_429"_s, u"high_utilization"_s, u"probe_increase"_s};
        for (const QVariantList &row : *rows) {
            const QJsonDocument doc = QJsonDocument::fromJson(row.at(1).toString().toUtf8());
            QVERIFY2(doc.isArray(), qPrintable(row.at(1).toString()));
            const QJsonArray history = doc.array();
            QVERIFY(history.size() <= 20);
            *withHistory += history.isEmpty() ? 0 : 1;
            *learned += row.at(2).isNull() ? 0 : 1;
            for (const QJsonValue &value : history) {
                const QJsonObject r = value.toObject();
                QVERIFY(aether::Timestamp::parse(r.value(u"timestamp").toString()).has_value());
                QVERIFY(r.value(u"old_limit").isDouble());
                QVERIFY(r.value(u"new_limit").isDouble());
                QVERIFY2(reasons.contains(r.value(u"reason").toString()), qPrintable(r.value(u"reason").toString()));
            }
            QCOMPARE(keys.stats(row.at(0).toString()).value().adjustmentCount, int(history.size()));
        }
    }
};

QTEST_GUILESS_MAIN(TestDemoData)
#include "tst_demodata.moc"
