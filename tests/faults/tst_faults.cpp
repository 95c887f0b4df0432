// Faults the endpoint must survive without losing an acknowledged change or freezing: kill -9 during changes, a
// PostgreSQL server stopped and started under load, a table and a row locked by another program, a full disk and a
// file that is not a database. The real program runs as a child process, as in production.

#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <memory>
#include <sys/mount.h>
#include <unistd.h>
#include <vector>

using namespace aether;
using namespace aether::test;
using namespace Qt::StringLiterals;

namespace {

// A database with demo keys and an admin token.
struct Fixture {
    explicit Fixture(const QByteArray &backend)
        : db(backend)
    {
    }
    bool prepare(QString *error)
    {
        const ProcessResult filled =
            runConsole({u"--database"_s, db.url(), u"--prepare"_s, u"--demo"_s, u"--demo-keys"_s, u"20"_s});
        if (!filled.finished || filled.exitCode != 0) {
            *error = filled.describe();
            return false;
        }
        admin = createToken(db.url(), u"ops"_s, u"admin"_s, error).toUtf8();
        return !admin.isEmpty();
    }
    // The ids of the keys, read behind the program's back.
    QStringList keyIds()
    {
        QStringList ids;
        const QString connection = u"fixture-%1"_s.arg(quintptr(this));
        {
            QSqlDatabase c = open(connection);
            QSqlQuery q(c);
            q.exec(u"SELECT id FROM provider_api_keys ORDER BY id"_s);
            while (q.next())
                ids << q.value(0).toString();
        }
        QSqlDatabase::removeDatabase(connection);
        return ids;
    }
    // A connection of the test's own (another program, as far as the console knows).
    QSqlDatabase open(const QString &name)
    {
        const DatabaseLocation loc = db.location();
        QSqlDatabase c = QSqlDatabase::addDatabase(loc.isSqlite() ? u"QSQLITE"_s : u"QPSQL"_s, name);
        if (loc.isSqlite()) {
            c.setDatabaseName(loc.path);
        } else {
            c.setHostName(loc.host);
            c.setPort(loc.port);
            c.setUserName(loc.user);
            c.setDatabaseName(loc.databaseName);
        }
        c.open();
        return c;
    }

    TestDatabase db;
    QByteArray admin;
};

QByteArray limitPath(const QString &id, int limit)
{
    return keyPath(id.toUtf8(), "limit?limit=") + QByteArray::number(limit);
}

int storedLimit(Fixture &f, const QString &id)
{
    int value = -1;
    const QString connection = u"check"_s;
    {
        QSqlDatabase c = f.open(connection);
        QSqlQuery q(c);
        q.prepare(u"SELECT max_concurrent FROM provider_api_keys WHERE id = ?"_s);
        q.addBindValue(id);
        if (q.exec() && q.next())
            value = q.value(0).isNull() ? 0 : q.value(0).toInt();
    }
    QSqlDatabase::removeDatabase(connection);
    return value;
}

QString pgServerScript()
{
    return QStringLiteral(AETHER_TEST_SOURCE_DIR "/pg/pgserver.sh");
}

// Runs pgserver.sh's `action` (start, stop, resume) on the server in `pgDir`.
bool pgServer(const QString &action, const QString &pgDir)
{
    QProcess p;
    p.start(pgServerScript(), {action, pgDir});
    return p.waitForFinished(60000) && p.exitCode() == 0;
}

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    // 20 × kill -9 while changes are being acknowledged: after each restart the file is intact and every key holds
    // its last acknowledged limit (or the one that was in flight when the process died).
    void killDuringChanges()
    {
        Fixture f("sqlite");
        QString error;
        QVERIFY2(f.prepare(&error), qPrintable(error));
        const QStringList ids = f.keyIds();
        QVERIFY(ids.size() >= 10);
        QHash<QString, int> acknowledged;
        qint64 acks = 0;
        for (int round = 0; round < 20; ++round) {
            ConsoleServer server;
            QVERIFY2(server.start(f.db.url(), &error), qPrintable(error));
            HttpClient client(server.port());
            // Whatever was acknowledged before this process started is still there.
            for (auto it = acknowledged.cbegin(); it != acknowledged.cend(); ++it)
                QCOMPARE(storedLimit(f, it.key()), it.value());
            const qint64 pid = server.processId();
            QTimer::singleShot(100 + int(QRandomGenerator::global()->bounded(300)),
                               [pid] { ::kill(pid_t(pid), SIGKILL); });
            QString inFlightKey;
            int inFlightValue = 0;
            for (int n = 0;; ++n) {
                const QString &id = ids.at(n % ids.size());
                const int value = (round * 37 + n) % 100 + 1;
                inFlightKey = id;
                inFlightValue = value;
                const Reply reply = client.send("PATCH", limitPath(id, value), f.admin, {}, english);
                if (reply.status != 200)
                    break; // the process is gone
                acknowledged[id] = value;
                ++acks;
            }
            QTest::qWait(50);
            // The one change that was in flight may or may not have been committed.
            const int stored = storedLimit(f, inFlightKey);
            if (stored == inFlightValue)
                acknowledged[inFlightKey] = inFlightValue;
        }
        for (auto it = acknowledged.cbegin(); it != acknowledged.cend(); ++it)
            QCOMPARE(storedLimit(f, it.key()), it.value());
        const std::optional<QVariantList> integrity = selectRow(f.db, u"PRAGMA integrity_check"_s, &error);
        QVERIFY2(integrity && integrity->value(0).toString() == u"ok"_s, qPrintable(error));
        QVERIFY2(acks > 100, qPrintable(u"only %1 changes acknowledged"_s.arg(acks)));
        qInfo("%lld acknowledged changes over 20 kills, none lost", acks);
    }

    // A PostgreSQL server that stops under load: 503 within 5 s (shape E), then normal answers once it is back, and
    // every change acknowledged before the stop is still there.
    void postgresStopAndStart()
    {
        QTemporaryDir dir(u"/tmp/aether-pgfault-XXXXXX"_s);
        QVERIFY(dir.isValid());
        QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup |
                                              QFile::ExeGroup | QFile::ReadOther | QFile::ExeOther); // for 'postgres'
        const QString pgDir = dir.filePath(u"pg"_s);
        const auto pg = [&](const QString &action) { return pgServer(action, pgDir); };
        if (!pg(u"start"_s)) {
            if (qEnvironmentVariableIsSet("CI"))
                QFAIL("cannot start a PostgreSQL server");
            QSKIP("cannot start a PostgreSQL server here");
        }
        const QString url = u"postgresql://postgres@/postgres?host="_s + pgDir;
        const ProcessResult filled =
            runConsole({u"--database"_s, url, u"--prepare"_s, u"--demo"_s, u"--demo-keys"_s, u"10"_s});
        QVERIFY2(filled.finished && filled.exitCode == 0, qPrintable(filled.describe()));
        QString error;
        const QByteArray admin = createToken(url, u"ops"_s, u"admin"_s, &error).toUtf8();
        QVERIFY2(!admin.isEmpty(), qPrintable(error));
        ConsoleServer server;
        QVERIFY2(server.start(url, &error), qPrintable(error));
        HttpClient client(server.port());
        const QJsonArray keys = client.send("GET", apiBase + "/keys", admin).json().toArray();
        QVERIFY(keys.size() >= 2);
        const QString id = keys.at(0).toObject().value(u"id"_s).toString();
        EXPECT_REPLY(client.send("PATCH", limitPath(id, 42), admin, {}, english), 200,
                     QJsonObject({{u"message"_s, u"Set to fixed-limit mode with a concurrency limit of 42"_s},
                                  {u"key_id"_s, id},
                                  {u"is_adaptive"_s, false},
                                  {u"max_concurrent"_s, 42},
                                  {u"previous_mode"_s, u"adaptive"_s}}));

        QVERIFY(pg(u"stop"_s));
        checkAnswersWhileDown(server, client, admin, id);
        if (QTest::currentTestFailed())
            return;

        QVERIFY(pg(u"resume"_s));
        QElapsedTimer back;
        back.start();
        const int status = waitForStats(client, admin, id, back);
        QCOMPARE(status, 200);
        qInfo("answering again %lld ms after PostgreSQL came back", back.elapsed());
        const QJsonObject stats = client.send("GET", keyPath(id.toUtf8(), "stats"), admin).json().toObject();
        QCOMPARE(stats.value(u"max_concurrent"_s).toInt(), 42); // acknowledged before the stop; the 503s wrote nothing
        QVERIFY2(server.stop(&error), qPrintable(error));
        pg(u"stop"_s);
    }

    // A table or row locked by another program: the routes that need it answer 503 with Retry-After after a bounded
    // wait, everything else keeps answering at once, and all is normal once the lock is gone.
    void lockedTableAndRow_data() { TestDatabase::addBackendRows(); }
    void lockedTableAndRow()
    {
        QFETCH(QByteArray, backend);
        Fixture f(backend);
        if (!f.db.isReady()) {
            if (f.db.mustNotSkip())
                QFAIL(qPrintable(f.db.skipReason()));
            QSKIP(qPrintable(f.db.skipReason()));
        }
        QString error;
        QVERIFY2(f.prepare(&error), qPrintable(error));
        const QStringList ids = f.keyIds();
        const QByteArray fresh = createToken(f.db.url(), u"fresh"_s, u"viewer"_s, &error).toUtf8();
        ConsoleServer server;
        QVERIFY2(server.start(f.db.url(), &error), qPrintable(error));
        HttpClient client(server.port());
        QCOMPARE(client.send("GET", apiBase + "/summary", f.admin).status, 200);
        // That request's token records its last use on the writer; once that is done, the change below is the only
        // write that waits for the lock.
        QTRY_VERIFY_WITH_TIMEOUT(adminLastUseRecorded(f), 10000);

        const QString lockName = u"locker"_s;
        {
            QSqlDatabase locker = f.open(lockName);
            QSqlQuery q(locker);
            checkWhileTableLocked(f, q, client, ids, fresh);
            if (QTest::currentTestFailed())
                return;
            if (f.db.isPostgres()) { // one row held FOR UPDATE: that key's changes wait; the others do not
                checkWhileRowLocked(q, client, f.admin, ids);
                if (QTest::currentTestFailed())
                    return;
            }
        }
        QSqlDatabase::removeDatabase(lockName);
        QCOMPARE(client.send("PATCH", limitPath(ids.at(0), 9), f.admin).status, 200);
        QCOMPARE(client.send("GET", apiBase + "/keys", f.admin).status, 200);
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // A full disk (a small tmpfs): changes answer 500 with a log reference, /healthz says why, and all is normal
    // again once there is room.
    void fullDisk()
    {
        QTemporaryDir dir(u"/tmp/aether-full-XXXXXX"_s);
        QVERIFY(dir.isValid());
        const QByteArray mountPoint = dir.path().toUtf8();
        if (::mount("tmpfs", mountPoint.constData(), "tmpfs", 0, "size=4m") != 0) {
            if (qEnvironmentVariableIsSet("CI"))
                QFAIL("cannot mount a tmpfs (the test needs root)");
            QSKIP("cannot mount a tmpfs here (needs root)");
        }
        const auto unmount = qScopeGuard([&] { ::umount2(mountPoint.constData(), MNT_DETACH); });
        const QString url = u"sqlite://"_s + dir.filePath(u"full.sqlite"_s);
        const ProcessResult filled =
            runConsole({u"--database"_s, url, u"--prepare"_s, u"--demo"_s, u"--demo-keys"_s, u"10"_s});
        QVERIFY2(filled.finished && filled.exitCode == 0, qPrintable(filled.describe()));
        QString error;
        const QByteArray admin = createToken(url, u"ops"_s, u"admin"_s, &error).toUtf8();
        ConsoleServer server;
        QVERIFY2(server.start(url, &error), qPrintable(error));
        HttpClient client(server.port());
        const QJsonArray keys = client.send("GET", apiBase + "/keys", admin).json().toArray();
        QVERIFY(!keys.isEmpty());
        const QString id = keys.at(0).toObject().value(u"id"_s).toString();
        // Fill the disk.
        QFile filler(dir.filePath(u"filler"_s));
        QVERIFY(filler.open(QIODevice::WriteOnly));
        const QByteArray block(64 * 1024, 'f');
        while (filler.write(block) == block.size() && filler.flush()) {
        }
        filler.close();
        Reply full;
        for (int value = 1; value <= 50 && full.status != 500; ++value) // until the WAL needs a new page
            full = client.send("PATCH", limitPath(id, value), admin);
        QVERIFY2(full.status == 500, qPrintable(full.describe() + u"\n"_s + QString::fromUtf8(server.standardError())));
        const QString message = full.json().toObject().value(u"error"_s).toObject().value(u"message"_s).toString();
        QVERIFY2(message.startsWith(u"数据库错误（参考编号 "_s), qPrintable(full.describe()));
        const QString reference = message.mid(10, 8);
        QVERIFY2(server.standardError().contains(reference.toUtf8()), server.standardError().constData());
        EXPECT_REPLY(client.send("GET", "/healthz", {}), 503,
                     parseJson(R"({"status":"degraded","database":"degraded","reason":"disk full"})"));
        // Room again: changes work and /healthz is fine.
        QVERIFY(filler.remove());
        QCOMPARE(client.send("PATCH", limitPath(id, 77), admin).status, 200);
        EXPECT_REPLY(client.send("GET", "/healthz", {}), 200, parseJson(R"({"status":"ok","database":"ok"})"));
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // A history column that is not JSON at all (SQLite can hold that): a learning event treats it as empty and writes
    // a valid array in its place, as the contract says, instead of failing in the database's JSON functions.
    void eventOnHistoryThatIsNotJson()
    {
        Fixture f("sqlite");
        QString error;
        QVERIFY2(f.prepare(&error), qPrintable(error));
        const QString id = f.keyIds().constFirst();
        QVERIFY(
            f.db.execute(u"UPDATE provider_api_keys SET max_concurrent = NULL, adjustment_history = 'not json at all' "
                         u"WHERE id = '%1'"_s.arg(id),
                         &error));
        ConsoleServer server;
        QVERIFY2(server.start(f.db.url(), &error), qPrintable(error));
        HttpClient client(server.port());
        const Reply event =
            client.send("POST", keyPath(id.toUtf8(), "events"), f.admin,
                        R"({"outcome":"rate_limited","current_concurrent":12,"headers":{"retry-after":"2"}})");
        QCOMPARE(event.status, 200);
        QCOMPARE(event.json().toObject().value(u"adjusted"_s).toBool(), true);
        const std::optional<QVariantList> row = selectRow(
            f.db, u"SELECT json_array_length(adjustment_history) FROM provider_api_keys WHERE id = '%1'"_s.arg(id),
            &error);
        QVERIFY2(row && row->value(0).toInt() == 1, qPrintable(error));
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // At the process's file limit the server neither stops answering nor spins: connections beyond the cap (kept below
    // the limit) get 503 at once, and the server idles while they are held.
    void descriptorLimit()
    {
        Fixture f("sqlite");
        QString error;
        QVERIFY2(f.prepare(&error), qPrintable(error));
        QProcess server;
        server.start(u"prlimit"_s,
                     {u"--nofile=160:160"_s, QStringLiteral(AETHER_CONSOLE_BINARY), u"--database"_s, f.db.url(),
                      u"--serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--max-connections-per-client"_s, u"10000"_s});
        QByteArray out;
        QElapsedTimer timer;
        timer.start();
        while (!out.contains('\n') && timer.elapsed() < 15000 && server.state() != QProcess::NotRunning) {
            server.waitForReadyRead(100);
            out += server.readAllStandardOutput();
        }
        const quint16 port = quint16(out.trimmed().split(':').last().toUInt());
        QVERIFY2(port != 0, out.constData());
        std::vector<std::unique_ptr<QTcpSocket>> held;
        int refused = 0;
        for (int i = 0; i < 200; ++i) { // more than the descriptors the process has
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port);
            QVERIFY(socket->waitForConnected(5000));
            if (socket->waitForReadyRead(30) && socket->readAll().startsWith("HTTP/1.1 503"))
                ++refused;
            else
                held.push_back(std::move(socket));
        }
        QVERIFY2(refused >= 100, qPrintable(u"%1 refused"_s.arg(refused)));
        const auto cpuTicks = [&server] {
            QFile stat(u"/proc/%1/stat"_s.arg(server.processId()));
            stat.open(QIODevice::ReadOnly);
            const QList<QByteArray> fields = stat.readAll().split(' ');
            return fields.value(13).toLongLong() + fields.value(14).toLongLong();
        };
        const qint64 before = cpuTicks();
        QTest::qWait(2000);
        const qint64 spent = cpuTicks() - before;
        QVERIFY2(spent < 50, qPrintable(u"%1 ticks of CPU in 2 s while at the cap"_s.arg(spent))); // 100 ticks = 1 s
        held.clear(); // room again: a normal request is answered
        QTest::qWait(300);
        HttpClient client(port);
        QCOMPARE(client.send("GET", "/healthz", {}).status, 200);
        server.terminate();
        QVERIFY(server.waitForFinished(5000));
    }

    // A file that is not a database (overwritten or truncated): the program says so and exits, it does not retry.
    void corruptFile_data()
    {
        QTest::addColumn<QByteArray>("damage");
        QTest::newRow("header overwritten") << "header"_ba;
        QTest::newRow("truncated") << "truncate"_ba;
    }
    void corruptFile()
    {
        QFETCH(QByteArray, damage);
        Fixture f("sqlite");
        QString error;
        QVERIFY2(f.prepare(&error), qPrintable(error));
        const QString path = f.db.location().path;
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        if (damage == "header")
            file.write(QByteArray(100, 'x'));
        else
            QVERIFY(file.resize(file.size() / 3 + 7));
        file.close();
        QFile::remove(path + u"-wal"_s);
        QFile::remove(path + u"-shm"_s);
        QElapsedTimer timer;
        timer.start();
        const ProcessResult run = runConsole(
            {u"--database"_s, f.db.url(), u"--serve"_s, u"--listen"_s, u"127.0.0.1:0"_s}, consoleEnvironment(), 20000);
        QVERIFY2(run.finished && run.exitCode != 0, qPrintable(run.describe()));
        QVERIFY2(run.err.contains("cannot open the database"), qPrintable(run.describe()));
        QVERIFY2(timer.elapsed() < 15000, qPrintable(run.describe()));
    }

private:
    // While PostgreSQL is down: changes and reads answer 503 quickly, and the outage is logged once, not per request.
    static void checkAnswersWhileDown(ConsoleServer &server, HttpClient &client, const QByteArray &admin,
                                      const QString &id)
    {
        const qsizetype logBytesBefore = server.standardError().size();
        for (int i = 0; i < 20; ++i) {
            const Reply down = client.send("PATCH", limitPath(id, 7), admin);
            QVERIFY2(down.elapsedMs < 6000, qPrintable(down.describe()));
            EXPECT_REPLY(down, 503, systemError(u"数据库连接异常，正在重试..."_s));
            QCOMPARE(down.header("Retry-After"), "1"_ba);
        }
        EXPECT_REPLY(client.send("GET", "/healthz", {}), 503,
                     parseJson(R"({"status":"degraded","database":"unavailable"})"));
        for (int i = 0; i < 20; ++i)
            QCOMPARE(client.send("GET", apiBase + "/summary", admin).status, 503);
        // The outage is logged when it starts (and when it ends), not once per failed request (41 here). Qt's driver
        // adds a line per prepared statement it drops with the connection (and an empty one): bounded by the
        // statements the process has prepared, not by requests, so they are not counted.
        const QByteArray log = server.standardError();
        const QByteArray outage = log.mid(logBytesBefore);
        QVERIFY2(outage.count("storage") <= 2, outage.constData());
        qsizetype lines = 0;
        for (const QByteArray &line : outage.split('\n')) {
            if (!line.trimmed().isEmpty() && !line.startsWith("Unable to free statement"))
                ++lines;
        }
        QVERIFY2(lines < 41, outage.constData());
    }

    // Asks for the key's stats until they answer 200 or `since` reaches 15 s; the last status.
    static int waitForStats(HttpClient &client, const QByteArray &admin, const QString &id, const QElapsedTimer &since)
    {
        int status = 0;
        while (since.elapsed() < 15000 && status != 200) {
            status = client.send("GET", keyPath(id.toUtf8(), "stats"), admin).status;
            if (status != 200)
                QTest::qWait(200);
        }
        return status;
    }

    static bool adminLastUseRecorded(Fixture &f)
    {
        bool recorded = false;
        {
            QSqlQuery q(f.open(u"probe"_s));
            recorded = q.exec(u"SELECT last_used_at FROM console_tokens WHERE name = 'ops'"_s) && q.next() &&
                       !q.value(0).isNull();
        }
        QSqlDatabase::removeDatabase(u"probe"_s);
        return recorded;
    }

    // Locks the key table through `q` (PostgreSQL: readers wait too; SQLite: only writers), checks what still
    // answers at once and what answers 503, then releases the lock.
    static void checkWhileTableLocked(Fixture &f, QSqlQuery &q, HttpClient &client, const QStringList &ids,
                                      const QByteArray &fresh)
    {
        if (f.db.isPostgres()) {
            QVERIFY2(q.exec(u"BEGIN"_s), qPrintable(q.lastError().text()));
            QVERIFY2(q.exec(u"LOCK TABLE provider_api_keys IN ACCESS EXCLUSIVE MODE"_s),
                     qPrintable(q.lastError().text()));
            const Reply list = client.send("GET", apiBase + "/keys", f.admin);
            QCOMPARE(list.status, 503);
            QCOMPARE(list.header("Retry-After"), "1"_ba);
            QVERIFY2(list.elapsedMs < 2000, qPrintable(list.describe()));
            qInfo("while locked: GET /keys answered 503 after %lld ms", list.elapsedMs);
        } else {
            // SQLite in WAL mode: readers never wait; the write lock is what another program can hold.
            QVERIFY2(q.exec(u"BEGIN EXCLUSIVE"_s), qPrintable(q.lastError().text()));
            QCOMPARE(client.send("GET", apiBase + "/keys", f.admin).status, 200);
        }
        const Reply health = client.send("GET", "/healthz", {});
        QCOMPARE(health.status, 200);
        QVERIFY2(health.elapsedMs < 1000, qPrintable(health.describe()));
        qInfo("while locked: /healthz answered in %lld ms", health.elapsedMs);
        QCOMPARE(client.send("GET", "/version", {}).status, 200);
        // A change waits for the lock for a bounded time, then answers 503.
        const Reply change = client.send("PATCH", limitPath(ids.at(0), 9), f.admin);
        QCOMPARE(change.status, 503);
        QCOMPARE(change.header("Retry-After"), "1"_ba);
        QVERIFY2(change.elapsedMs < 9000, qPrintable(change.describe()));
        qInfo("while locked: a change answered 503 after %lld ms", change.elapsedMs);
        // A token used for the first time records its last use (on the writer) without making its request wait.
        const Reply first = client.send("GET", apiBase + "/policy", fresh);
        QCOMPARE(first.status, 200);
        QVERIFY2(first.elapsedMs < 1000, qPrintable(first.describe()));
        QVERIFY(q.exec(u"ROLLBACK"_s));
    }

    // Holds the first key's row FOR UPDATE through `q` (PostgreSQL), then releases it.
    static void checkWhileRowLocked(QSqlQuery &q, HttpClient &client, const QByteArray &admin, const QStringList &ids)
    {
        QVERIFY(q.exec(u"BEGIN"_s));
        q.prepare(u"SELECT id FROM provider_api_keys WHERE id = ? FOR UPDATE"_s);
        q.addBindValue(ids.at(0));
        QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        const Reply locked = client.send("PATCH", limitPath(ids.at(0), 9), admin);
        QCOMPARE(locked.status, 503);
        QVERIFY2(locked.elapsedMs < 9000, qPrintable(locked.describe()));
        const Reply read = client.send("GET", keyPath(ids.at(0).toUtf8(), "stats"), admin);
        QCOMPARE(read.status, 200);
        QVERIFY2(read.elapsedMs < 1000, qPrintable(read.describe()));
        QCOMPARE(client.send("PATCH", limitPath(ids.at(1), 9), admin).status, 200);
        QVERIFY(q.exec(u"ROLLBACK"_s));
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
