// Database: connecting, statements, transactions, change stamps, and what every operation answers when the storage
// cannot be reached (ErrorCode::StorageUnavailable, quickly, without a crash).

#include "auth/tokenstore.h"
#include "keyrow.h"
#include "keys/keyservice.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/demodata.h"
#include "storage/migrations.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QElapsedTimer>
#include <QFile>
#include <QLocale>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::test::bareKeySql;
using aether::test::executeAll;
using aether::test::ownerRowsSql;
using aether::test::SqlProbe;
using aether::test::TestDatabase;

namespace {

const aether::Actor actor{u"test"_s};

QString errorText(const aether::Error &e)
{
    return u"code %1, detail '%2'"_s.arg(int(e.code)).arg(e.detail);
}

template <typename T> ErrorCode codeOf(const aether::Result<T> &result)
{
    return result.ok() ? ErrorCode(-1) : result.error().code;
}

} // namespace

class TestDatabaseUnit : public QObject {
    Q_OBJECT

    // Every operation of the core on a database that cannot be reached answers StorageUnavailable.
    void checkEverythingUnavailable(aether::Database &db)
    {
        aether::KeyService keys(db);
        QCOMPARE(codeOf(keys.listAdaptiveKeys()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.listAdaptiveKeys(u"e1"_s)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.keyExists(u"k"_s)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.setMode(u"k"_s, false, 10, actor)), ErrorCode::StorageUnavailable);
        // The key lookup comes first, so invalid input cannot be told apart from an unknown key yet.
        QCOMPARE(codeOf(keys.setMode(u"k"_s, false, 0, actor)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.setMode(u"k"_s, true, std::nullopt, actor)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.stats(u"k"_s)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.resetLearning(u"k"_s, actor)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.setFixedLimit(u"k"_s, 10, actor)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.summary()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(keys.summary()), ErrorCode::StorageUnavailable);

        aether::Migrations migrations(db);
        QCOMPARE(codeOf(migrations.run()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(migrations.currentVersion()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(migrations.gatewayOwnsTables()), ErrorCode::StorageUnavailable);

        aether::TokenStore tokens(db);
        QCOMPARE(codeOf(tokens.create(u"ops"_s, aether::Role::Admin)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(tokens.list()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(tokens.authenticate(u"act_x")), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(tokens.hasAnyToken()), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(tokens.revoke(u"ops"_s)), ErrorCode::StorageUnavailable);
        // The environment token needs no database.
        aether::TokenStore withEnvironment(db, u"env"_s);
        QCOMPARE(withEnvironment.authenticate(u"env").value()->name, u"environment"_s);

        QCOMPARE(codeOf(aether::DemoData(db).fill(5)), ErrorCode::StorageUnavailable);
        QCOMPARE(codeOf(db.ping()), ErrorCode::StorageUnavailable);
        QVERIFY(!db.changeStamp().has_value());
    }

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    // Another thread stops a statement that would run for a long time: it fails at once, the connection stays
    // usable, and a cancel while nothing runs changes nothing.
    void cancelFromAnotherThread_data() { TestDatabase::addBackendRows(); }
    void cancelFromAnotherThread()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database via(tdb.location());
        QVERIFY(via.open().ok());
        auto db = std::make_unique<aether::Database>(tdb.location());
        const std::shared_ptr<aether::StatementCanceller> canceller = db->canceller();
        const QString endless = tdb.isPostgres() ? u"SELECT pg_sleep(60)"_s
                                                 : u"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                                                   u"SELECT count(*) FROM c"_s;
        std::atomic<bool> started = false;
        std::atomic<bool> failed = false;
        std::atomic<bool> usable = false;
        QElapsedTimer running;
        std::unique_ptr<QThread> worker(QThread::create([&] {
            if (!db->open().ok())
                return;
            started = true;
            failed = !db->run<aether::Done>([&]() -> aether::Status {
                            aether::Result<aether::SqlStatement> st = db->exec(endless);
                            return st ? aether::Status(aether::Done{}) : aether::Status(st.error());
                        }).ok();
            {
                aether::Result<aether::SqlStatement> after = db->exec(u"SELECT 1"_s);
                usable = after.ok() && after.value().next() && after.value().value(0).toInt() == 1;
            }
            db.reset();
        }));
        canceller->cancel(&via); // nothing runs yet: nothing happens
        running.start();
        worker->start();
        QVERIFY(QTest::qWaitFor([&] { return started.load(); }, 10000));
        QTest::qWait(300);
        canceller->cancel(&via);
        QVERIFY(worker->wait(10000));
        QVERIFY(running.elapsed() < 10000);
        QVERIFY(failed.load());
        QVERIFY(usable.load());
    }

    void unreachablePostgres_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("socket folder does not exist") << u"postgresql://postgres@/x?host=/nonexistent"_s;
        QTest::newRow("nothing listens on the port") << u"postgresql://postgres@127.0.0.1:1/x"_s;
    }
    void unreachablePostgres()
    {
        QFETCH(QString, url);
        const aether::Result<aether::DatabaseLocation> location = aether::DatabaseLocation::parse(url);
        QVERIFY(location.ok());
        aether::Database db(location.value());

        QElapsedTimer timer;
        timer.start();
        const aether::Status opened = db.open();
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, ErrorCode::StorageUnavailable);
        QVERIFY(!opened.error().detail.isEmpty());
        QVERIFY(!db.isOpen());
        QVERIFY2(timer.elapsed() < 3000, qPrintable(u"open() took %1 ms"_s.arg(timer.elapsed())));

        // Trying again is safe, and every operation fails the same way, quickly.
        QCOMPARE(codeOf(db.open()), ErrorCode::StorageUnavailable);
        checkEverythingUnavailable(db);
        QVERIFY2(timer.elapsed() < 5000, qPrintable(u"the calls took %1 ms"_s.arg(timer.elapsed())));
    }

    // A KeyService on a Database that was never opened (it opens on first use) behaves the same.
    void neverOpened()
    {
        aether::Database db(aether::DatabaseLocation::parse(u"postgresql://postgres@/x?host=/nonexistent"_s).value());
        QVERIFY(!db.isOpen());
        checkEverythingUnavailable(db);
    }

    void sqliteFolderCannotBeCreated()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile blocker(dir.filePath(u"file"_s));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        // The database's folder would have to be created inside a regular file.
        aether::Database db(aether::DatabaseLocation::parse(dir.filePath(u"file/sub/console.sqlite"_s)).value());
        const aether::Status opened = db.open();
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, ErrorCode::StorageUnavailable);
        checkEverythingUnavailable(db);
    }

    void notAnSqliteFile()
    {
        QTemporaryDir dir;
        QFile file(dir.filePath(u"garbage.sqlite"_s));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, 'x'));
        file.close();
        aether::Database db(aether::DatabaseLocation::parse(file.fileName()).value());
        const aether::Status opened = db.open();
        QVERIFY(!opened.ok());
        QCOMPARE(opened.error().code, ErrorCode::StorageFailure);
        QVERIFY(!db.isOpen());
        // Nothing was written over the file.
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray(4096, 'x'));
    }

    void openCreatesTheSqliteFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"new/folder/console.sqlite"_s);
        aether::Database db(aether::DatabaseLocation::parse(path).value());
        QVERIFY(db.open().ok());
        QVERIFY(db.isOpen());
        QVERIFY(QFile::exists(path));
        QVERIFY(!db.dialect().isPostgres());
        QCOMPARE(db.location().path, path);
    }

    // A connection waiting for SQLite's write lock gets it while another connection writes transaction after
    // transaction, 40 ms each with 0.2 ms between them, as a busy server on the same file does: it tries often enough
    // to meet a gap, where SQLite's own busy timeout (a try every 100 ms) is mostly starved.
    void sqliteWriterIsNotStarved()
    {
        QTemporaryDir dir;
        const aether::DatabaseLocation location = aether::DatabaseLocation::parse(dir.filePath(u"c.sqlite"_s)).value();
        aether::Database db(location);
        QVERIFY(db.open().ok());
        QVERIFY(db.execRaw(u"CREATE TABLE t (n INTEGER)"_s).ok());
        std::atomic<bool> stop{false};
        std::atomic<int> written{0};
        std::unique_ptr<QThread> other(QThread::create([&] {
            aether::Database busy(location);
            while (!stop && busy.open()) {
                const aether::Status done = busy.transaction<aether::Done>(aether::Database::Mode::Write, [&] {
                    const aether::Result<aether::SqlStatement> st = busy.exec(u"INSERT INTO t VALUES (1)"_s);
                    QThread::msleep(40);
                    return st ? aether::Status(aether::Done{}) : aether::Status(st.error());
                });
                written += done ? 1 : 0;
                QThread::usleep(200);
            }
        }));
        other->start();
        QTRY_VERIFY(written > 0);
        QElapsedTimer waited;
        waited.start();
        const aether::Status mine = db.transaction<aether::Done>(aether::Database::Mode::Write, [&] {
            const aether::Result<aether::SqlStatement> st = db.exec(u"INSERT INTO t VALUES (2)"_s);
            return st ? aether::Status(aether::Done{}) : aether::Status(st.error());
        });
        stop = true;
        other->wait();
        QVERIFY2(mine.ok(), qPrintable(mine.ok() ? QString() : errorText(mine.error())));
        qInfo("the write lock came after %lld ms, while the other connection committed %d transactions",
              waited.elapsed(), int(written));
        QCOMPARE(SqlProbe(location).value(u"SELECT count(*) FROM t WHERE n = 2"_s).toInt(), 1);
    }

    void statementsAndTransactions_data() { TestDatabase::addBackendRows(); }
    void statementsAndTransactions()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(db.isOpen());
        QCOMPARE(db.dialect().isPostgres(), tdb.isPostgres());
        QVERIFY(db.ping().ok());
        QVERIFY(db.execRaw(u"CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT)"_s).ok());

        // Positional binds, reused prepared statements.
        for (int i = 1; i <= 3; ++i) {
            const aether::Result<aether::SqlStatement> inserted =
                db.exec(u"INSERT INTO t (id, label) VALUES (?, ?)"_s, {i, u"label %1 中文"_s.arg(i)});
            QVERIFY2(inserted.ok(), qPrintable(inserted.ok() ? QString() : errorText(inserted.error())));
            QCOMPARE(inserted.value().rowsAffected(), 1);
        }
        {
            aether::Result<aether::SqlStatement> selected =
                db.exec(u"SELECT id, label FROM t WHERE id >= ? ORDER BY id"_s, {2});
            QVERIFY(selected.ok());
            QVERIFY(selected.value().next());
            QCOMPARE(selected.value().value(0).toInt(), 2);
            QCOMPARE(selected.value().value(1).toString(), u"label 2 中文"_s);
            QVERIFY(selected.value().next());
            QCOMPARE(selected.value().value(0).toInt(), 3);
            QVERIFY(!selected.value().next());
        }
        const aether::Result<aether::SqlStatement> broken = db.exec(u"SELECT no_such_column FROM t"_s);
        QVERIFY(!broken.ok());
        QCOMPARE(broken.error().code, ErrorCode::StorageFailure);
        QVERIFY(db.ping().ok());

        // A transaction whose body fails is rolled back.
        const aether::Result<int> failed =
            db.transaction<int>(aether::Database::Mode::Write, [&]() -> aether::Result<int> {
                const aether::Result<aether::SqlStatement> st = db.exec(u"DELETE FROM t WHERE id = ?"_s, {1});
                if (!st)
                    return st.error();
                return aether::Error::conflict(u"changed my mind"_s);
            });
        QVERIFY(!failed.ok());
        QCOMPARE(failed.error().code, ErrorCode::Conflict);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT count(*) FROM t"_s).toInt(), 3);

        // One that succeeds is committed.
        const aether::Result<int> done =
            db.transaction<int>(aether::Database::Mode::Write, [&]() -> aether::Result<int> {
                const aether::Result<aether::SqlStatement> st = db.exec(u"DELETE FROM t WHERE id = ?"_s, {1});
                if (!st)
                    return st.error();
                return st.value().rowsAffected();
            });
        QVERIFY(done.ok());
        QCOMPARE(done.value(), 1);
        QCOMPARE(probe.column(u"SELECT id FROM t ORDER BY id"_s), (QStringList{u"2"_s, u"3"_s}));

        // close() and use again: the connection comes back by itself.
        db.close();
        QVERIFY(!db.isOpen());
        QVERIFY(db.ping().ok());
        QVERIFY(db.isOpen());
    }

    // The change stamp moves with a write by this connection and by any other one.
    void statementCacheIsBounded_data() { TestDatabase::addBackendRows(); }
    void statementCacheIsBounded()
    {
        // Statements of many texts (multi-row upserts of 1 to 50 rows and the like): the connection keeps at most
        // maxCachedStatements prepared, never drops one whose rows are still being read, and reuses the others.
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(db.execRaw(u"CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT)"_s).ok());
        QVERIFY(db.exec(u"INSERT INTO t (id, label) VALUES (1, 'a'), (2, 'b'), (3, 'c')"_s).ok());
        // (execBulk: Qt's PostgreSQL driver ends a forward-only result when the connection runs another statement.)
        aether::Result<aether::SqlStatement> reading = db.execBulk(u"SELECT id FROM t ORDER BY id"_s);
        QVERIFY(reading.ok());
        QVERIFY(reading.value().next());
        QCOMPARE(reading.value().value(0).toInt(), 1);
        const qsizetype texts = 3 * aether::Database::maxCachedStatements;
        for (qsizetype i = 0; i < texts; ++i) {
            aether::Result<aether::SqlStatement> one = db.exec(u"SELECT id + %1 FROM t WHERE id = ?"_s.arg(i), {2});
            QVERIFY(one.ok());
            QVERIFY(one.value().next());
            QCOMPARE(one.value().value(0).toLongLong(), 2 + i);
            QVERIFY(db.cachedStatementCount() <= aether::Database::maxCachedStatements);
        }
        // The statement read all along is still there, with its rows.
        QVERIFY(reading.value().next());
        QCOMPARE(reading.value().value(0).toInt(), 2);
        QVERIFY(reading.value().next());
        QCOMPARE(reading.value().value(0).toInt(), 3);
        QVERIFY(!reading.value().next());
        if (tdb.isPostgres()) {
            // The server holds no more prepared statements than the cache.
            aether::Result<aether::SqlStatement> prepared = db.exec(u"SELECT count(*) FROM pg_prepared_statements"_s);
            QVERIFY(prepared.ok());
            QVERIFY(prepared.value().next());
            QVERIFY(prepared.value().value(0).toLongLong() <= aether::Database::maxCachedStatements);
        }
        // A statement used again after the others keeps working (prepared anew if it was dropped).
        aether::Result<aether::SqlStatement> again = db.exec(u"SELECT id + 0 FROM t WHERE id = ?"_s, {3});
        QVERIFY(again.ok());
        QVERIFY(again.value().next());
        QCOMPARE(again.value().value(0).toLongLong(), 3);
    }

    void changeStamp_data() { TestDatabase::addBackendRows(); }
    void changeStamp()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        QString error;
        QVERIFY2(executeAll(tdb, ownerRowsSql() << bareKeySql(u"k"_s, u"key"_s), &error), qPrintable(error));

        const std::optional<QByteArray> first = db.changeStamp();
        QVERIFY(first.has_value());
        QCOMPARE(db.changeStamp(), first); // nothing happened

        QVERIFY(tdb.execute(u"UPDATE provider_api_keys SET rpm_429_count = 1 WHERE id = 'k'"_s));
        const std::optional<QByteArray> second = db.changeStamp();
        QVERIFY(second.has_value());
        QVERIFY(second != first);

        QVERIFY(aether::KeyService(db).setFixedLimit(u"k"_s, 5, actor).ok());
        const std::optional<QByteArray> third = db.changeStamp();
        QVERIFY(third.has_value());
        QVERIFY(third != second);
        QVERIFY(third != first);

        // A transaction under way when a stamp is taken moves it when it commits.
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        std::optional<QByteArray> during;
        const aether::Status written =
            other.transaction<aether::Done>(aether::Database::Mode::Write, [&]() -> aether::Status {
                aether::Result<aether::SqlStatement> st =
                    other.exec(u"UPDATE provider_api_keys SET rpm_429_count = 2 WHERE id = 'k'"_s);
                if (!st)
                    return st.error();
                during = db.changeStamp();
                return aether::Done{};
            });
        QVERIFY(written.ok());
        QCOMPARE(during, third); // not committed yet
        const std::optional<QByteArray> fourth = db.changeStamp();
        QVERIFY(fourth.has_value());
        QVERIFY(fourth != third);
        QCOMPARE(db.changeStamp(), fourth);

        // PostgreSQL: a write to another table makes the stamp read again, to the same value (SQLite's data_version
        // moves with any commit of another connection).
        QVERIFY(tdb.execute(u"UPDATE console_meta SET value = value WHERE name = 'gateway_tables'"_s));
        if (tdb.isPostgres())
            QCOMPARE(db.changeStamp(), fourth);
    }

    // A connection killed by the server is replaced on the next call, which then succeeds (run()/transaction()
    // reconnect and run once more).
    void reconnectsAfterTheConnectionIsKilled_data() { TestDatabase::addBackendRows(); }
    void reconnectsAfterTheConnectionIsKilled()
    {
        AETHER_TEST_DATABASE(tdb);
        if (!tdb.isPostgres())
            QSKIP("only a server can drop a connection");
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        aether::KeyService keys(db);
        QVERIFY(keys.listAdaptiveKeys().ok());

        SqlProbe probe(tdb.location());
        const QString kill =
            u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = "
            u"current_database() AND pid <> pg_backend_pid() AND application_name = 'aether-console'"_s;
        // Database::open() waits 500 ms after a connection attempt before it tries again; stay clear of that here.
        const int pastBackoff = 600;

        QTest::qWait(pastBackoff);
        QCOMPARE(probe.value(kill).toInt(), 1);
        QTest::qWait(50);
        const aether::Result<QList<aether::KeyListItem>> read = keys.listAdaptiveKeys();
        QVERIFY2(read.ok(), qPrintable(read.ok() ? QString() : errorText(read.error())));

        QTest::qWait(pastBackoff);
        QCOMPARE(probe.value(kill).toInt(), 1);
        QTest::qWait(50);
        const aether::Result<aether::LearningReset> write = keys.resetLearning(u"nope"_s, actor);
        QVERIFY(!write.ok());
        QVERIFY2(write.error().code == ErrorCode::NotFound, qPrintable(errorText(write.error())));

        // The same right after a successful (re)connect: the connection above was opened a moment ago.
        QCOMPARE(probe.value(kill).toInt(), 1);
        QTest::qWait(50);
        const aether::Result<bool> soon = keys.keyExists(u"nope"_s);
        QVERIFY2(soon.ok(), qPrintable(soon.ok() ? QString() : errorText(soon.error())));
        // Either way it recovers by itself once the back-off is over.
        QTest::qWait(pastBackoff);
        QVERIFY(keys.keyExists(u"nope"_s).ok());
        QVERIFY(db.ping().ok());
    }

    // Notifications (PostgreSQL): a listener hears every committed notify() of any connection, by the event loop
    // alone, also when the last statement's rows were not all read; none of a rolled-back one; and after a
    // reconnection it is told that it may have missed some, and hears the next ones again. SQLite has none.
    void notificationsReachListeners_data() { TestDatabase::addBackendRows(); }
    void notificationsReachListeners()
    {
        AETHER_TEST_DATABASE(tdb);
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        const QString channel = u"aether_test_channel"_s;
        int heard = 0;
        QCOMPARE(db.listen(channel, [&heard]() { ++heard; }), tdb.isPostgres());
        QCOMPARE(db.isListening(channel), tdb.isPostgres());
        if (!tdb.isPostgres()) {
            QVERIFY(other.notify(channel).ok()); // nothing to do, and no failure
            QCOMPARE(heard, 0);
            return;
        }
        QCOMPARE(heard, 1); // subscribed on an open connection: what came before is unknown
        const auto send = [&](bool commit) {
            return other.transaction<aether::Done>(aether::Database::Mode::Write, [&]() -> aether::Status {
                if (const aether::Status sent = other.notify(channel); !sent)
                    return sent;
                return commit ? aether::Status(aether::Done{}) : aether::Status(aether::Error::failure(u"no"_s));
            });
        };
        // The last statement leaves rows unread: libpq would keep the notification until the next statement.
        const auto readOneOfThree = [&db]() {
            aether::Result<aether::SqlStatement> st = db.exec(u"SELECT generate_series(1, 3)"_s);
            return st.ok() && st.value().next() && st.value().value(0).toInt() == 1;
        };
        QVERIFY(readOneOfThree());
        // A statement released after a later one ended its result is not read again (Qt would warn).
        QTest::failOnWarning(QRegularExpression(u"results lost"_s));
        {
            aether::Result<aether::SqlStatement> first = db.exec(u"SELECT generate_series(1, 3)"_s);
            QVERIFY(first.ok() && first.value().next());
            QVERIFY(db.exec(u"SELECT 2"_s).ok());
        }
        QVERIFY(readOneOfThree());
        QVERIFY(!send(false).ok());
        QVERIFY(send(true).ok());
        QTRY_COMPARE(heard, 2);
        QTest::qWait(100);
        QCOMPARE(heard, 2); // the rolled-back one never arrives

        QVERIFY(
            other
                .transaction<aether::Done>(aether::Database::Mode::Write,
                                           [&]() -> aether::Status { return other.notify(u"aether_other_channel"_s); })
                .ok());
        QTest::qWait(100);
        QCOMPARE(heard, 2); // another channel

        // The server drops the connection: the next statement reconnects and subscribes again.
        SqlProbe probe(tdb.location());
        QTest::qWait(600); // past Database::open()'s back-off
        int backendPid = 0;
        {
            aether::Result<aether::SqlStatement> st = db.exec(u"SELECT pg_backend_pid()"_s);
            QVERIFY(st.ok() && st.value().next());
            backendPid = st.value().value(0).toInt();
        }
        QVERIFY(probe.value(u"SELECT pg_terminate_backend(%1)"_s.arg(backendPid)).toBool());
        QTest::qWait(50);
        QVERIFY(db.run<bool>([&]() -> aether::Result<bool> {
                      aether::Result<aether::SqlStatement> st = db.exec(u"SELECT 1"_s);
                      return st ? aether::Result<bool>(true) : aether::Result<bool>(st.error());
                  }).ok());
        QCOMPARE(heard, 3);
        QVERIFY(db.isListening(channel));
        QVERIFY(readOneOfThree());
        QVERIFY(send(true).ok());
        QTRY_COMPARE(heard, 4);

        db.stopListening(channel);
        QVERIFY(!db.isListening(channel));
        QVERIFY(send(true).ok());
        QTest::qWait(100);
        QCOMPARE(heard, 4);
    }
};

QTEST_GUILESS_MAIN(TestDatabaseUnit)
#include "tst_database.moc"
