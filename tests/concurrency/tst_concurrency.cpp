// Several processes mutate the same keys at once, some through the core and some through the HTTP endpoint. Every
// operation must succeed (no deadlock, no "database is locked"), every answer must match what was committed, and
// no update may be lost: each committed change leaves exactly one audit row, written in the same transaction.

#include "storage/database.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTest>

using namespace aether;

namespace {

constexpr int opsPerWorker = 250;
constexpr int coreWorkers = 2;
constexpr int httpWorkers = 2;
constexpr int sharedKeys = 6;
constexpr int eventWorkers = 4;
constexpr int eventsPerWorker = 500;

QString binary()
{
    return QStringLiteral(AETHER_CONSOLE_BINARY);
}

QString workerBinary()
{
    return QCoreApplication::applicationDirPath() + QStringLiteral("/concurrency_worker");
}

QByteArray runProgram(const QStringList &args, QProcessEnvironment env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(binary(), args);
    if (!p.waitForFinished(60000) || p.exitCode() != 0)
        qWarning() << "program failed:" << args << p.readAllStandardError();
    return p.readAllStandardOutput();
}

void prepareDemo(const QString &url)
{
    runProgram({QStringLiteral("--database"), url, QStringLiteral("--prepare"), QStringLiteral("--demo")});
}

// The program prints the new token on its last line.
QByteArray createToken(const QString &url, const QStringList &args)
{
    return runProgram(QStringList{QStringLiteral("--database"), url, QStringLiteral("--create-token")} + args)
        .trimmed()
        .split('\n')
        .last();
}

// Starts the program as a server on a free port; *base receives the http:// address it listens on.
void startServer(QProcess &server, const QString &url, QString *base)
{
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel); // its warnings explain a failed answer
    server.start(binary(), {QStringLiteral("--database"), url, QStringLiteral("--serve"), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:0")});
    QVERIFY(server.waitForReadyRead(15000));
    const QByteArray line = server.readLine().trimmed();
    QVERIFY2(line.startsWith("Listening on http://"), line.constData());
    *base = QString::fromLatin1(line.mid(int(qstrlen("Listening on "))));
}

void stopServer(QProcess &server)
{
    server.terminate();
    QVERIFY(server.waitForFinished(5000));
    QCOMPARE(server.exitCode(), 0);
}

void readKeyIds(Database &db, QStringList *ids)
{
    auto st = db.exec(QStringLiteral("SELECT id FROM provider_api_keys ORDER BY id"));
    QVERIFY(st.ok());
    while (st.value().next())
        *ids << st.value().value(0).toString();
}

// ---- mixedWriters --------------------------------------------------------------------------------------------------

// The first writers go through the core, the others through the endpoint at `base`.
std::vector<std::unique_ptr<QProcess>> startMixedWriters(const QStringList &keys, const QString &url,
                                                         const QString &base, const QByteArray &token)
{
    std::vector<std::unique_ptr<QProcess>> workers;
    for (int i = 0; i < coreWorkers + httpWorkers; ++i) {
        auto worker = std::make_unique<QProcess>();
        QStringList args{QStringLiteral("--keys"),      keys.join(u','),          QStringLiteral("--ops"),
                         QString::number(opsPerWorker), QStringLiteral("--seed"), QString::number(1000 + i)};
        if (i < coreWorkers)
            args << QStringLiteral("--database") << url;
        else
            args << QStringLiteral("--http") << base << QStringLiteral("--token") << QString::fromLatin1(token);
        worker->start(workerBinary(), args);
        workers.push_back(std::move(worker));
    }
    return workers;
}

// Waits for one writer; every operation succeeded and *answered counts them.
void checkWriterAnswers(QProcess &worker, int *answered)
{
    QVERIFY2(worker.waitForFinished(240000), "a writer did not finish: deadlock?");
    const QByteArray err = worker.readAllStandardError();
    const QList<QByteArray> lines = worker.readAllStandardOutput().trimmed().split('\n');
    for (const QByteArray &l : lines) {
        const QJsonObject op = QJsonDocument::fromJson(l).object();
        QVERIFY2(op.value(QStringLiteral("ok")).toBool(), l.constData());
        const QString kind = op.value(QStringLiteral("kind")).toString();
        // Each answer reports the state its own transaction committed.
        if (kind == u"fixed" || kind == u"limit")
            QCOMPARE(op.value(QStringLiteral("max_concurrent")).toInt(), op.value(QStringLiteral("value")).toInt());
        else if (kind == u"adaptive")
            QVERIFY(op.value(QStringLiteral("max_concurrent")).isNull());
        ++*answered;
    }
    QCOMPARE(worker.exitCode(), 0);
    QVERIFY2(!err.contains("locked"), err.constData());
}

// No lost update: one audit row per committed change, and each key's final row is what its last change wrote.
void checkAuditMatchesRows(Database &db, const QStringList &keys)
{
    auto audit = db.exec(QStringLiteral("SELECT key_id, action, detail FROM console_audit_log ORDER BY id"));
    QVERIFY(audit.ok());
    int auditRows = 0;
    QHash<QString, QJsonValue> lastMax;
    while (audit.value().next()) {
        ++auditRows;
        const QString key = audit.value().value(0).toString();
        const QString action = audit.value().value(1).toString();
        const QJsonObject detail = QJsonDocument::fromJson(audit.value().value(2).toString().toUtf8()).object();
        if (action == u"reset_learning")
            continue;
        lastMax[key] = detail.value(QStringLiteral("new_max_concurrent"));
    }
    QCOMPARE(auditRows, (coreWorkers + httpWorkers) * opsPerWorker);
    for (const QString &key : keys) {
        auto row = db.exec(QStringLiteral("SELECT max_concurrent FROM provider_api_keys WHERE id = ?"), {key});
        QVERIFY(row.ok());
        QVERIFY(row.value().next());
        if (!lastMax.contains(key))
            continue;
        const QJsonValue expected = lastMax.value(key);
        if (expected.isNull())
            QVERIFY2(row.value().isNull(0), qPrintable(key));
        else
            QCOMPARE(row.value().value(0).toInt(), expected.toInt());
    }
}

// The database is intact and no row appeared or vanished.
void checkDatabaseIntact(Database &db, bool postgres, qint64 rowsBefore)
{
    auto count = db.exec(QStringLiteral("SELECT count(*) FROM provider_api_keys"));
    QVERIFY(count.ok() && count.value().next());
    QCOMPARE(count.value().value(0).toLongLong(), rowsBefore);
    if (!postgres) {
        auto check = db.exec(QStringLiteral("PRAGMA integrity_check"));
        QVERIFY(check.ok() && check.value().next());
        QCOMPARE(check.value().value(0).toString(), QStringLiteral("ok"));
    }
}

// ---- groupedChangesAnswerEachOnItsOwn ------------------------------------------------------------------------------

struct ExpectedAnswer {
    int status;
    QString keyId;
    int limit; // 0: not a limit change
};
using PendingChange = std::pair<QNetworkReply *, ExpectedAnswer>;

// One change per key, all sent at once: a valid limit, a missing key, an invalid body and a valid mode, in turn.
std::vector<PendingChange> sendGroupedChanges(QNetworkAccessManager &nam, const QString &base, const QStringList &keys)
{
    std::vector<PendingChange> replies;
    const auto send = [&](const QString &path, const QByteArray &verb, const QByteArray &body,
                          ExpectedAnswer expected) {
        QNetworkRequest request{QUrl(base + path)};
        request.setRawHeader("Authorization", "Bearer grouped");
        request.setRawHeader("Accept-Language", "zh-CN");
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        replies.emplace_back(nam.sendCustomRequest(request, verb, body), expected);
    };
    for (int i = 0; i < 40; ++i) {
        const QString key = keys.at(i);
        switch (i % 4) {
        case 0:
            send(key + QStringLiteral("/limit?limit=%1").arg(i + 1), "PATCH", {}, {200, key, i + 1});
            break;
        case 1:
            send(QStringLiteral("missing-%1/limit?limit=5").arg(i), "PATCH", {}, {404, {}, 0});
            break;
        case 2:
            send(key + QStringLiteral("/mode"), "PATCH", R"({"enabled":false,"fixed_limit":101})", {400, key, 0});
            break;
        default:
            send(key + QStringLiteral("/mode"), "PATCH",
                 R"({"enabled":false,"fixed_limit":)" + QByteArray::number(i) + '}', {200, key, i});
        }
    }
    return replies;
}

// Waits for one answer; a success must also be what the key's row holds.
void checkGroupedAnswer(Database &db, QNetworkReply *reply, const ExpectedAnswer &expected)
{
    if (!reply->isFinished()) {
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(20000));
    }
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QJsonObject answer = QJsonDocument::fromJson(reply->readAll()).object();
    QCOMPARE(status, expected.status);
    if (expected.status == 200) {
        QCOMPARE(answer.value(QStringLiteral("key_id")).toString(), expected.keyId);
        QCOMPARE(answer.value(QStringLiteral("max_concurrent")).toInt(), expected.limit);
        auto row =
            db.exec(QStringLiteral("SELECT max_concurrent FROM provider_api_keys WHERE id = ?"), {expected.keyId});
        QVERIFY(row.ok() && row.value().next());
        QCOMPARE(row.value().value(0).toInt(), expected.limit);
    } else if (expected.status == 404) {
        QCOMPARE(answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString(),
                 QStringLiteral("Key not found"));
    } else {
        QCOMPARE(answer.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString(),
                 QStringLiteral("固定限制: 数值应小于或等于 100"));
    }
}

// ---- sameKeyEvents -------------------------------------------------------------------------------------------------

void findAdaptiveKey(Database &db, QString *key)
{
    auto st = db.exec(QStringLiteral("SELECT id FROM provider_api_keys WHERE max_concurrent IS NULL ORDER BY id"));
    QVERIFY(st.ok() && st.value().next());
    *key = st.value().value(0).toString();
}

// A learned limit of 40 and no counts or history, so that the final figures are the events' alone.
bool clearLearning(Database &db, bool postgres, const QString &key)
{
    return db
        .exec(QStringLiteral("UPDATE provider_api_keys SET learned_max_concurrent = 40, concurrent_429_count = 0, "
                             "rpm_429_count = 0, adjustment_history = %1, utilization_samples = NULL "
                             "WHERE id = ?")
                  .arg(postgres ? QStringLiteral("CAST('[]' AS json)") : QStringLiteral("'[]'")),
              {key})
        .ok();
}

// The policy keeps 1,000 history records.
// And the reference's learning, which writes a record for every concurrency 429.
void keepThousandRecords(const QString &base, const QByteArray &admin)
{
    QNetworkAccessManager nam;
    QNetworkRequest request{QUrl(base + QStringLiteral("/api/admin/adaptive/policy"))};
    request.setRawHeader("Authorization", "Bearer " + admin);
    QNetworkReply *reply =
        nam.put(request, QByteArrayLiteral(R"({"max_history_records":1000,"strategy":"aether_aimd"})"));
    QSignalSpy finished(reply, &QNetworkReply::finished);
    QVERIFY(finished.wait(15000));
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    reply->deleteLater();
}

// The writers alternate between the two servers.
std::vector<std::unique_ptr<QProcess>> startEventWriters(const QString &key, const QStringList &bases,
                                                         const QByteArray &gateway)
{
    std::vector<std::unique_ptr<QProcess>> workers;
    for (int i = 0; i < eventWorkers; ++i) {
        auto worker = std::make_unique<QProcess>();
        worker->start(workerBinary(), {QStringLiteral("--keys"), key, QStringLiteral("--events"),
                                       QString::number(eventsPerWorker), QStringLiteral("--http"), bases.at(i % 2),
                                       QStringLiteral("--token"), QString::fromLatin1(gateway)});
        workers.push_back(std::move(worker));
    }
    return workers;
}

// Waits for one writer; every event was accepted, and *adjusted counts those that wrote a record.
void checkEventAnswers(QProcess &worker, int *answers, int *adjusted)
{
    QVERIFY2(worker.waitForFinished(240000), "a writer did not finish: deadlock?");
    for (const QByteArray &l : worker.readAllStandardOutput().trimmed().split('\n')) {
        const QJsonObject answer = QJsonDocument::fromJson(l).object();
        QVERIFY2(answer.value(QStringLiteral("ok")).toBool(), l.constData());
        *adjusted += answer.value(QStringLiteral("adjusted")).toBool() ? 1 : 0;
        ++*answers;
    }
    QCOMPARE(worker.exitCode(), 0);
}

// The key's counts and history are those of the events applied one by one.
void checkSerialHistory(Database &db, const QString &key)
{
    auto row = db.exec(QStringLiteral("SELECT concurrent_429_count, rpm_429_count, %1, learned_max_concurrent "
                                      "FROM provider_api_keys WHERE id = ?")
                           .arg(db.dialect().asText(QStringLiteral("adjustment_history"))),
                       {key});
    QVERIFY(row.ok() && row.value().next());
    QCOMPARE(row.value().value(0).toInt(), eventWorkers * eventsPerWorker / 4);
    QCOMPARE(row.value().value(1).toInt(), eventWorkers * eventsPerWorker / 4);
    const QJsonArray history = QJsonDocument::fromJson(row.value().value(2).toString().toUtf8()).array();
    QCOMPARE(history.size(), eventWorkers * eventsPerWorker / 2);
    // Each record starts where the one before it ended: the events were applied one after another.
    for (qsizetype i = 1; i < history.size(); ++i)
        QCOMPARE(history.at(i).toObject().value(QStringLiteral("old_limit")).toInt(),
                 history.at(i - 1).toObject().value(QStringLiteral("new_limit")).toInt());
    QCOMPARE(history.first().toObject().value(QStringLiteral("old_limit")).toInt(), 40);
    QCOMPARE(row.value().value(3).toInt(), history.last().toObject().value(QStringLiteral("new_limit")).toInt());
}

} // namespace

class TestConcurrency : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }
    void mixedWriters_data() { test::TestDatabase::addBackendRows(); }
    void mixedWriters();
    void groupedChangesAnswerEachOnItsOwn_data() { test::TestDatabase::addBackendRows(); }
    void groupedChangesAnswerEachOnItsOwn();
    void sameKeyEvents_data() { test::TestDatabase::addBackendRows(); }
    void sameKeyEvents();
};

void TestConcurrency::mixedWriters()
{
    AETHER_TEST_DATABASE(tdb);
    prepareDemo(tdb.url());
    const QByteArray token = createToken(tdb.url(), {QStringLiteral("stress")});
    QVERIFY(!token.isEmpty());

    Database db(tdb.location());
    QVERIFY(db.open().ok());
    QStringList allKeys;
    readKeyIds(db, &allKeys);
    if (QTest::currentTestFailed())
        return;
    const QStringList keys = allKeys.mid(0, sharedKeys);
    const qint64 rowsBefore = allKeys.size();
    QCOMPARE(keys.size(), sharedKeys);

    QProcess server;
    QString base;
    startServer(server, tdb.url(), &base);
    if (QTest::currentTestFailed())
        return;

    const std::vector<std::unique_ptr<QProcess>> workers = startMixedWriters(keys, tdb.url(), base, token);
    int answered = 0;
    for (const auto &worker : workers) {
        checkWriterAnswers(*worker, &answered);
        if (QTest::currentTestFailed())
            return;
    }
    QCOMPARE(answered, (coreWorkers + httpWorkers) * opsPerWorker);
    stopServer(server);
    if (QTest::currentTestFailed())
        return;

    checkAuditMatchesRows(db, keys);
    if (QTest::currentTestFailed())
        return;
    checkDatabaseIntact(db, tdb.isPostgres(), rowsBefore);
}

// Changes that reach the server together share one commit; each must still get its own answer: a missing key or a
// bad body among valid changes fails alone and keeps the others.
void TestConcurrency::groupedChangesAnswerEachOnItsOwn()
{
    AETHER_TEST_DATABASE(tdb);
    prepareDemo(tdb.url());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AETHER_CONSOLE_TOKEN"), QStringLiteral("grouped"));
    QProcess server;
    server.setProcessEnvironment(env);
    QString base;
    startServer(server, tdb.url(), &base);
    if (QTest::currentTestFailed())
        return;

    Database db(tdb.location());
    QVERIFY(db.open().ok());
    QStringList keys;
    readKeyIds(db, &keys);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(keys.size(), 40);

    QNetworkAccessManager nam;
    const std::vector<PendingChange> replies = sendGroupedChanges(nam, base + u"/api/admin/adaptive/keys/", keys);
    for (const auto &[reply, expected] : replies) {
        checkGroupedAnswer(db, reply, expected);
        if (QTest::currentTestFailed())
            return;
        reply->deleteLater();
    }
    // Only the 20 successful changes were written, each with its audit row.
    auto audit = db.exec(QStringLiteral("SELECT count(*) FROM console_audit_log"));
    QVERIFY(audit.ok() && audit.value().next());
    QCOMPARE(audit.value().value(0).toInt(), 20);
    stopServer(server);
}

QTEST_GUILESS_MAIN(TestConcurrency)
#include "tst_concurrency.moc"

// Four processes report 500 learning events each on the same key, through two server processes on one database. Applied
// one by one, the 2,000 events give exactly 500 concurrency and 500 RPM 429s and 1,000 history records (the policy
// keeps 1,000): anything less is a lost update.
void TestConcurrency::sameKeyEvents()
{
    AETHER_TEST_DATABASE(tdb);
    prepareDemo(tdb.url());
    const QByteArray admin = createToken(tdb.url(), {QStringLiteral("ops")});
    const QByteArray gateway =
        createToken(tdb.url(), {QStringLiteral("gw"), QStringLiteral("--role"), QStringLiteral("gateway")});
    QVERIFY(!admin.isEmpty() && !gateway.isEmpty());
    Database db(tdb.location());
    QVERIFY(db.open().ok());
    QString key;
    findAdaptiveKey(db, &key);
    if (QTest::currentTestFailed())
        return;
    QVERIFY(clearLearning(db, tdb.isPostgres(), key));

    std::vector<std::unique_ptr<QProcess>> servers;
    QStringList bases;
    for (int i = 0; i < 2; ++i) {
        auto server = std::make_unique<QProcess>();
        QString base;
        startServer(*server, tdb.url(), &base);
        if (QTest::currentTestFailed())
            return;
        bases << base;
        servers.push_back(std::move(server));
    }
    keepThousandRecords(bases.first(), admin);
    if (QTest::currentTestFailed())
        return;

    const std::vector<std::unique_ptr<QProcess>> workers = startEventWriters(key, bases, gateway);
    int answers = 0;
    int adjusted = 0;
    for (const auto &worker : workers) {
        checkEventAnswers(*worker, &answers, &adjusted);
        if (QTest::currentTestFailed())
            return;
    }
    QCOMPARE(answers, eventWorkers * eventsPerWorker);
    QCOMPARE(adjusted, eventWorkers * eventsPerWorker / 2); // every concurrency and unknown 429 writes a record
    for (const auto &server : servers) {
        stopServer(*server);
        if (QTest::currentTestFailed())
            return;
    }
    checkSerialHistory(db, key);
}
