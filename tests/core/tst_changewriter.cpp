// ChangeWriter: groups of key changes written from the writer thread (or in the caller's thread for a database held in
// memory), answered in the caller's thread in order, each group with its own outcomes.

#include "keyrow.h"
#include "keys/changewriter.h"
#include "keys/keyservice.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"

#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using aether::ChangeWriter;
using aether::ErrorCode;
using aether::KeyChange;
using aether::KeyChangeOutcome;
using aether::LimitChange;
using aether::ModeChange;
using namespace aether::test;

namespace {

const aether::Actor actor{u"token:ops"_s};

KeyChange setLimit(const QString &key, int limit)
{
    KeyChange change;
    change.kind = KeyChange::Kind::SetLimit;
    change.keyId = key;
    change.limit = limit;
    change.actor = actor;
    return change;
}

KeyChange setAdaptive(const QString &key)
{
    KeyChange change;
    change.kind = KeyChange::Kind::SetMode;
    change.keyId = key;
    change.adaptive = true;
    change.actor = actor;
    return change;
}

// What one group got back, and in which thread.
struct Delivery {
    ChangeWriter::Outcomes outcomes;
    QThread *thread = nullptr;
};

// Three adaptive keys a, b, c on a migrated database.
bool prepare(const TestDatabase &tdb, aether::Database &db, QString *error)
{
    if (!db.open().ok() || !aether::Migrations(db).run().ok()) {
        *error = u"cannot open or migrate"_s;
        return false;
    }
    return executeAll(tdb,
                      ownerRowsSql() << bareKeySql(u"a"_s, u"key a"_s) << bareKeySql(u"b"_s, u"key b"_s)
                                     << bareKeySql(u"c"_s, u"key c"_s),
                      error);
}

std::optional<int> limitOf(const ChangeWriter::Outcomes &outcomes, qsizetype i)
{
    if (!outcomes.at(i))
        return std::nullopt;
    return std::get<LimitChange>(outcomes.at(i).value()).maxConcurrent;
}

} // namespace

class TestChangeWriter : public QObject {
    Q_OBJECT

private:
    // Queues four groups at once and checks each group's outcomes, their order, and the rows and audit afterwards.
    void checkGroups(ChangeWriter &writer, const TestDatabase &tdb)
    {
        QList<Delivery> deliveries;
        const auto collect = [&](const ChangeWriter::Outcomes &outcomes) {
            deliveries.append({outcomes, QThread::currentThread()});
        };
        writer.apply({setLimit(u"a"_s, 3), setLimit(u"b"_s, 4)}, collect);
        writer.apply({setLimit(u"a"_s, 5), setLimit(u"missing"_s, 6), setLimit(u"c"_s, 101)}, collect);
        writer.apply({setAdaptive(u"b"_s)}, collect);
        writer.apply({}, collect); // an empty group is answered too
        // Nothing is answered from within apply(): the caller's own state is never re-entered.
        QCOMPARE(deliveries.size(), 0);
        QTRY_COMPARE(deliveries.size(), 4);

        for (const Delivery &d : deliveries)
            QCOMPARE(d.thread, QThread::currentThread());
        // Group 1: two changes, a was adaptive.
        QCOMPARE(deliveries.at(0).outcomes.size(), 2);
        QCOMPARE(limitOf(deliveries.at(0).outcomes, 0), 3);
        QVERIFY(std::get<LimitChange>(deliveries.at(0).outcomes.at(0).value()).wasAdaptive);
        QCOMPARE(limitOf(deliveries.at(0).outcomes, 1), 4);
        // Group 2: applied after group 1 (a was fixed at 3 by then); a missing key and a limit out of range fail
        // alone.
        const ChangeWriter::Outcomes &second = deliveries.at(1).outcomes;
        QCOMPARE(second.size(), 3);
        QCOMPARE(limitOf(second, 0), 5);
        QVERIFY(!std::get<LimitChange>(second.at(0).value()).wasAdaptive);
        QVERIFY(!second.at(1));
        QCOMPARE(second.at(1).error().code, ErrorCode::NotFound);
        QVERIFY(!second.at(2));
        QCOMPARE(second.at(2).error().code, ErrorCode::InvalidInput);
        QCOMPARE(second.at(2).error().field, u"limit"_s);
        // Group 3: b back to adaptive.
        QCOMPARE(deliveries.at(2).outcomes.size(), 1);
        QVERIFY(std::get<ModeChange>(deliveries.at(2).outcomes.at(0).value()).isAdaptive);
        QCOMPARE(deliveries.at(3).outcomes.size(), 0);

        SqlProbe probe(tdb.location());
        QVERIFY2(probe.isOpen(), qPrintable(probe.lastError()));
        QCOMPARE(probe.column(u"SELECT max_concurrent FROM provider_api_keys ORDER BY id"_s),
                 (QStringList{u"5"_s, u"<null>"_s, u"<null>"_s}));
        // One audit row per change that was made, in order.
        QCOMPARE(probe.column(u"SELECT action || ':' || key_id FROM console_audit_log ORDER BY id"_s),
                 (QStringList{u"set_limit:a"_s, u"set_limit:b"_s, u"set_limit:a"_s, u"set_mode:b"_s}));
    }

private slots:
    void writerThread_data() { TestDatabase::addBackendRows(); }
    void writerThread()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QString error;
        QVERIFY2(prepare(tdb, db, &error), qPrintable(error));
        ChangeWriter writer(tdb.location());
        checkGroups(writer, tdb);
    }

    void inlineWriter_data() { TestDatabase::addBackendRows(); }
    void inlineWriter()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QString error;
        QVERIFY2(prepare(tdb, db, &error), qPrintable(error));
        aether::KeyService keys(db);
        ChangeWriter writer(keys);
        checkGroups(writer, tdb);
    }

    // Changes queued when the writer goes away are still written (their answers are dropped).
    void queuedChangesSurviveTheWriter_data() { TestDatabase::addBackendRows(); }
    void queuedChangesSurviveTheWriter()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QString error;
        QVERIFY2(prepare(tdb, db, &error), qPrintable(error));
        int answered = 0;
        {
            ChangeWriter writer(tdb.location());
            for (int i = 1; i <= 50; ++i)
                writer.apply({setLimit(u"c"_s, i)}, [&](const ChangeWriter::Outcomes &) { ++answered; });
        }
        QCoreApplication::processEvents();
        QCOMPARE(answered, 0);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT max_concurrent FROM provider_api_keys WHERE id = 'c'"_s).toInt(), 50);
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_audit_log"_s).toInt(), 50);
    }

    // While the database cannot be reached every change of the group gets the storage error (no crash, no hang).
    void unreachableDatabase()
    {
        aether::DatabaseLocation nowhere =
            aether::DatabaseLocation::parse(u"postgresql://nobody@127.0.0.1:1/none"_s).value();
        ChangeWriter writer(nowhere);
        ChangeWriter::Outcomes outcomes;
        bool answered = false;
        writer.apply({setLimit(u"a"_s, 3), setLimit(u"b"_s, 4)}, [&](const ChangeWriter::Outcomes &o) {
            outcomes = o;
            answered = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, 15000);
        QCOMPARE(outcomes.size(), 2);
        for (const auto &outcome : outcomes) {
            QVERIFY(!outcome);
            QCOMPARE(outcome.error().code, ErrorCode::StorageUnavailable);
        }
    }
};

QTEST_GUILESS_MAIN(TestChangeWriter)
#include "tst_changewriter.moc"
