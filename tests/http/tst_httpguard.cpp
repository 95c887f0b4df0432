// The connection guard in front of the routes, seen from a client over real sockets: bodies refused from their
// Content-Length before they are read, strict request heads, answers in request order, Connection: close, HTTP/1.0
// and half-close honoured, timeouts, connection caps, a client that does not read, the wrong-token throttle and TLS.
// The guard is the same on every database, so these run on SQLite.

#include "consoletestsupport.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>

using namespace aether::test;
using namespace Qt::StringLiterals;

namespace {

// One answer read off a raw connection.
struct RawAnswer {
    int status = 0;
    QByteArray head;
    QByteArray body;
    bool complete = false;
};

// Reads one answer (status line, headers, Content-Length body) from `socket`.
RawAnswer readAnswer(QAbstractSocket &socket, QByteArray &buffer, int timeoutMs = 10000)
{
    RawAnswer answer;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd >= 0) {
            const QByteArray head = buffer.left(headEnd);
            qint64 length = 0;
            for (const QByteArray &line : head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() >= headEnd + 4 + length) {
                answer.head = head;
                answer.status = head.mid(9, 3).toInt();
                answer.body = buffer.mid(headEnd + 4, length);
                answer.complete = true;
                buffer.remove(0, headEnd + 4 + length);
                if (answer.status == 100) // an interim answer: the final one follows
                    continue;
                return answer;
            }
        }
        if (timer.elapsed() > timeoutMs)
            return answer;
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(100) &&
            socket.state() != QAbstractSocket::ConnectedState && socket.bytesAvailable() == 0)
            return answer;
        buffer += socket.readAll();
    }
}

// True when the server closes the connection within `timeoutMs` (after any answer bytes, which are dropped).
bool closedByServer(QAbstractSocket &socket, int timeoutMs = 5000)
{
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < timeoutMs) {
        if (socket.state() == QAbstractSocket::UnconnectedState)
            return true;
        socket.waitForReadyRead(50);
        socket.readAll();
    }
    return socket.state() == QAbstractSocket::UnconnectedState;
}

// Under AddressSanitizer (scripts/sanitize.sh) freed memory is held in quarantine: RSS says nothing there.
bool rssIsMeaningful()
{
    return !qEnvironmentVariableIsSet("AETHER_SANITIZED");
}

qint64 residentKiB(qint64 pid)
{
    QFile status(u"/proc/%1/status"_s.arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

QByteArray errorJson(const char *message)
{
    return R"({"error":{"message":")" + QByteArray(message) + R"(","type":"http_error"}})";
}

} // namespace

class TestHttpGuard : public QObject {
    Q_OBJECT

    TestDatabase m_db{QByteArrayLiteral("sqlite")};
    ConsoleServer m_server;
    QByteArray m_admin;

    bool connectTo(QTcpSocket &socket, quint16 port, const QHostAddress &from = {})
    {
        if (!from.isNull())
            socket.bind(from, 0);
        socket.connectToHost(QHostAddress::LocalHost, port);
        return socket.waitForConnected(5000);
    }

private slots:
    void initTestCase()
    {
        QVERIFY2(m_db.isReady(), qPrintable(m_db.skipReason()));
        QString error;
        m_admin = createToken(m_db.url(), u"ops"_s, u"admin"_s, &error).toUtf8();
        QVERIFY2(!m_admin.isEmpty(), qPrintable(error));
        QVERIFY2(m_server.start(m_db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s,
                                {u"--auth-failures-per-minute"_s, u"0"_s, u"--max-connections-per-client"_s, u"64"_s}),
                 qPrintable(error));
    }

    void cleanupTestCase()
    {
        QString error;
        QVERIFY2(m_server.stop(&error), qPrintable(error));
    }

    // A body over the route's limit is never read: the answer comes from the head alone, in the contract's order
    // (routing, then authentication, then 413), and the connection is closed.
    void oversizedBody_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<bool>("withToken");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("body");
        const QByteArray tooLarge = errorJson("请求体过大");
        QTest::newRow("no token: 401") << "PATCH"_ba << apiBase + "/keys/k/mode" << false << 401
                                       << errorJson("缺少管理员凭证");
        QTest::newRow("admin: 413") << "PATCH"_ba << apiBase + "/keys/k/mode" << true << 413 << tooLarge;
        QTest::newRow("unknown path: 404") << "POST"_ba
                                           << "/nope"_ba << false << 404 << R"({"detail":"Not Found"})"_ba;
        QTest::newRow("wrong method: 405")
            << "PUT"_ba << apiBase + "/summary" << true << 405 << R"({"detail":"Method Not Allowed"})"_ba;
        QTest::newRow("events over 1 MiB") << "POST"_ba << apiBase + "/events" << true << 413 << tooLarge;
        QTest::newRow("healthz: 413") << "GET"_ba
                                      << "/healthz"_ba << false << 413 << tooLarge;
    }

    void oversizedBody()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(bool, withToken);
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        const qint64 before = residentKiB(m_server.processId());
        QList<QTcpSocket *> sockets;
        for (int i = 0; i < 4; ++i) { // four at once, each announcing 1 GiB
            auto *socket = new QTcpSocket(this);
            QVERIFY(connectTo(*socket, m_server.port()));
            socket->write(method + ' ' + path + " HTTP/1.1\r\nHost: t\r\n" +
                          (withToken ? "Authorization: Bearer " + m_admin + "\r\n" : QByteArray()) +
                          "Content-Length: 1073741824\r\n\r\n" + QByteArray(256 * 1024, 'x'));
            sockets.append(socket);
        }
        for (QTcpSocket *socket : sockets) {
            QByteArray buffer;
            const RawAnswer answer = readAnswer(*socket, buffer);
            QVERIFY2(answer.complete, buffer.constData());
            QCOMPARE(answer.status, status);
            QCOMPARE(answer.body, body);
            QVERIFY2(answer.head.contains("Connection: close"), answer.head.constData());
            QVERIFY(closedByServer(*socket));
            delete socket;
        }
        const qint64 after = residentKiB(m_server.processId());
        if (rssIsMeaningful())
            QVERIFY2(after - before < 10 * 1024, qPrintable(u"RSS grew from %1 to %2 KiB"_s.arg(before).arg(after)));
    }

    // Heads that Qt's own parser would misread are refused before it sees them, and the connection is closed.
    void strictHeads_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        const QByteArray start = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
        QByteArray manyHeaders = start;
        for (int i = 0; i < 101; ++i)
            manyHeaders += "X-H" + QByteArray::number(i) + ": v\r\n";
        QTest::newRow("101 header lines") << manyHeaders + "\r\n" << 431;
        QTest::newRow("17 KiB head") << start + "X-Big: " + QByteArray(17 * 1024, 'a') + "\r\n\r\n" << 431;
        QTest::newRow("200 KB field") << start + "X-Big: " + QByteArray(200 * 1000, 'a') + "\r\n\r\n" << 431;
        QTest::newRow("non-ASCII name") << start + "N\xc3\xa4me: v\r\n\r\n" << 400;
        QTest::newRow("space before colon") << start + "Name : v\r\n\r\n" << 400;
        QTest::newRow("no colon") << start + "NoColonHere\r\n\r\n" << 400;
        QTest::newRow("folded line") << start + "X-A: v\r\n  more\r\n\r\n" << 400;
        QTest::newRow("bare LF") << "GET /healthz HTTP/1.1\nHost: t\n\n"_ba << 400;
        QTest::newRow("NUL in value") << start + "X-A: a\0b\r\n\r\n"_ba << 400;
        QTest::newRow("two Content-Length values") << start + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab" << 400;
        QTest::newRow("Content-Length list differs") << start + "Content-Length: 1, 2\r\n\r\nab" << 400;
        QTest::newRow("negative Content-Length") << start + "Content-Length: -1\r\n\r\n" << 400;
        QTest::newRow("Content-Length and chunked")
            << start + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            << 400;
        QTest::newRow("gzip, chunked") << start + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" << 501;
        QTest::newRow("chunked, gzip") << start + "Transfer-Encoding: chunked, gzip\r\n\r\n" << 400;
        QTest::newRow("HTTP/2.0 line") << "GET /healthz HTTP/2.0\r\n\r\n"_ba << 400;
        QTest::newRow("absolute target") << "GET http://x/healthz HTTP/1.1\r\n\r\n"_ba << 400;
        QTest::newRow("bad chunk size") << start + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" << 400;
    }

    void strictHeads()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        socket.write(request);
        QByteArray buffer;
        const RawAnswer answer = readAnswer(socket, buffer);
        QVERIFY2(answer.complete, buffer.constData());
        QCOMPARE(answer.status, status);
        QVERIFY2(answer.body.contains(R"("type":"http_error")"), answer.body.constData());
        QVERIFY(closedByServer(socket));
    }

    // The same checks answer in English when asked to.
    void guardAnswersInEnglish()
    {
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        socket.write("GET /healthz HTTP/1.1\r\nAccept-Language: en\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        QByteArray buffer;
        const RawAnswer answer = readAnswer(socket, buffer);
        QCOMPARE(answer.status, 501);
        QCOMPARE(answer.body, errorJson("Transfer encoding not supported"));
    }

    // A chunked body is decoded for the routes and counted against the limit as it arrives.
    void chunkedBodies()
    {
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        const QByteArray head = "PATCH " + keyPath("nope", "mode") + " HTTP/1.1\r\nAuthorization: Bearer " + m_admin +
                                "\r\nTransfer-Encoding: chunked\r\n\r\n";
        socket.write(head + "5\r\n{\"ena\r\nb;ext=1\r\nbled\":true}\r\n0\r\nX-T: 1\r\n\r\n");
        QByteArray buffer;
        RawAnswer answer = readAnswer(socket, buffer);
        QCOMPARE(answer.status, 404); // the decoded body is fine; the key does not exist
        QCOMPARE(answer.body, errorJson("Key not found"));
        // Over 64 KiB in chunks: 413 and closed.
        QByteArray big;
        for (int i = 0; i < 80; ++i)
            big += "400\r\n" + QByteArray(1024, ' ') + "\r\n";
        socket.write(head + big);
        answer = readAnswer(socket, buffer);
        QCOMPARE(answer.status, 413);
        QVERIFY(closedByServer(socket));
    }

    // Pipelined requests are answered in order, even when the first one waits for the database writer.
    void pipelinedOrder()
    {
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        QByteArray requests;
        for (int i = 0; i < 20; ++i) {
            requests += "PATCH " + keyPath("nope", "limit?limit=5") + " HTTP/1.1\r\nAuthorization: Bearer " + m_admin +
                        "\r\n\r\n";
            requests += "GET /version HTTP/1.1\r\n\r\n";
        }
        socket.write(requests);
        QByteArray buffer;
        for (int i = 0; i < 20; ++i) {
            const RawAnswer patch = readAnswer(socket, buffer);
            QCOMPARE(patch.status, 404);
            const RawAnswer version = readAnswer(socket, buffer);
            QCOMPARE(version.status, 200);
            QVERIFY2(version.body.contains("aether-console"), version.body.constData());
        }
        QCOMPARE(socket.state(), QAbstractSocket::ConnectedState); // kept alive
    }

    void connectionClose_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::newRow("Connection: close") << "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"_ba;
        QTest::newRow("HTTP/1.0") << "GET /healthz HTTP/1.0\r\n\r\n"_ba;
        QTest::newRow("keep-alive, close") << "GET /healthz HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n"_ba;
    }

    void connectionClose()
    {
        QFETCH(QByteArray, request);
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        socket.write(request + "GET /version HTTP/1.1\r\n\r\n"); // never answered: the connection ends first
        QByteArray buffer;
        const RawAnswer answer = readAnswer(socket, buffer);
        QCOMPARE(answer.status, 200);
        QVERIFY(answer.head.contains("Connection: close"));
        QVERIFY(closedByServer(socket));
        QVERIFY2(!buffer.contains("HTTP/1.1"), buffer.constData());
    }

    // A client that half-closes after its request still gets the answer, also one that waits for the writer.
    void halfClose()
    {
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        socket.write("PATCH " + keyPath("nope", "limit?limit=5") + " HTTP/1.1\r\nAuthorization: Bearer " + m_admin +
                     "\r\n\r\nGET /version HTTP/1.1\r\n\r\n");
        QVERIFY(socket.waitForBytesWritten(2000));
        QCOMPARE(::shutdown(int(socket.socketDescriptor()), SHUT_WR), 0);
        QByteArray buffer;
        const RawAnswer patch = readAnswer(socket, buffer);
        QCOMPARE(patch.status, 404);
        const RawAnswer version = readAnswer(socket, buffer);
        QCOMPARE(version.status, 200);
        QVERIFY(closedByServer(socket));
    }

    // A client that sends pipelined requests and never reads their answers is not read either: the server's memory
    // stays bounded, and every answer arrives in order once the client reads.
    void clientThatDoesNotRead()
    {
        QTcpSocket socket;
        QVERIFY(connectTo(socket, m_server.port()));
        socket.setReadBufferSize(4096);
        const qint64 before = residentKiB(m_server.processId());
        const QByteArray request = "GET " + apiBase + "/keys HTTP/1.1\r\nAuthorization: Bearer " + m_admin + "\r\n\r\n";
        // The key list is short here, so ask for many: 20,000 answers of ~100 bytes each = 2 MB unread.
        const QByteArray burst = request.repeated(20000);
        socket.write(burst);
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 3000)
            socket.waitForBytesWritten(100);
        const qint64 during = residentKiB(m_server.processId());
        if (rssIsMeaningful())
            QVERIFY2(during - before < 30 * 1024, qPrintable(u"RSS grew from %1 to %2 KiB"_s.arg(before).arg(during)));
        socket.setReadBufferSize(0);
        QByteArray buffer;
        int answered = 0;
        while (answered < 20000) {
            const RawAnswer answer = readAnswer(socket, buffer);
            if (!answer.complete || answer.status != 200)
                break;
            ++answered;
        }
        QCOMPARE(answered, 20000);
    }

    // Timeouts: a head that stops halfway gets 408; a silent or idle connection is closed.
    void timeouts()
    {
        ConsoleServer server;
        QString error;
        QVERIFY2(server.start(m_db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s,
                              {u"--header-timeout"_s, u"1"_s, u"--idle-timeout"_s, u"1"_s}),
                 qPrintable(error));
        {
            QTcpSocket slow;
            QVERIFY(connectTo(slow, server.port()));
            slow.write("GET /healthz HTTP/1.1\r\nHost: t\r\n");
            QByteArray buffer;
            const RawAnswer answer = readAnswer(slow, buffer, 5000);
            QCOMPARE(answer.status, 408);
            QVERIFY(closedByServer(slow));
        }
        {
            QTcpSocket silent;
            QVERIFY(connectTo(silent, server.port()));
            QVERIFY(closedByServer(silent, 4000));
        }
        {
            QTcpSocket idle;
            QVERIFY(connectTo(idle, server.port()));
            idle.write("GET /healthz HTTP/1.1\r\n\r\n");
            QByteArray buffer;
            QCOMPARE(readAnswer(idle, buffer).status, 200);
            QVERIFY(closedByServer(idle, 4000));
        }
        {
            QTcpSocket body; // a body that stops arriving
            QVERIFY(connectTo(body, server.port()));
            body.write("PATCH /api/admin/adaptive/keys/k/mode HTTP/1.1\r\nContent-Length: 10\r\n\r\n{");
            QByteArray buffer;
            QCOMPARE(readAnswer(body, buffer, 5000).status, 408);
        }
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // Connections beyond the per-address cap get 503 and are closed; other addresses are still served.
    void connectionCaps()
    {
        ConsoleServer server;
        QString error;
        QVERIFY2(server.start(m_db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s,
                              {u"--max-connections-per-client"_s, u"2"_s, u"--max-connections"_s, u"3"_s}),
                 qPrintable(error));
        QTcpSocket first, second, third;
        QVERIFY(connectTo(first, server.port()));
        QVERIFY(connectTo(second, server.port()));
        QVERIFY(connectTo(third, server.port()));
        QByteArray buffer;
        const RawAnswer refused = readAnswer(third, buffer);
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.body, errorJson("连接数过多，请稍后重试"));
        QVERIFY(closedByServer(third));
        QTcpSocket other; // another client address
        QVERIFY(connectTo(other, server.port(), QHostAddress(u"127.0.0.2"_s)));
        other.write("GET /healthz HTTP/1.1\r\n\r\n");
        buffer.clear();
        QCOMPARE(readAnswer(other, buffer).status, 200);
        // The total cap (3) is reached now: a fourth connection from yet another address is refused too.
        QTcpSocket fourth;
        QVERIFY(connectTo(fourth, server.port(), QHostAddress(u"127.0.0.3"_s)));
        buffer.clear();
        QCOMPARE(readAnswer(fourth, buffer).status, 503);
        // Closing one makes room again.
        first.disconnectFromHost();
        QTest::qWait(200);
        QTcpSocket again;
        QVERIFY(connectTo(again, server.port(), QHostAddress(u"127.0.0.3"_s)));
        again.write("GET /healthz HTTP/1.1\r\n\r\n");
        buffer.clear();
        QCOMPARE(readAnswer(again, buffer).status, 200);
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // 20 wrong tokens a minute from one address: then 429 with Retry-After for every token from there.
    void wrongTokenThrottle()
    {
        ConsoleServer server;
        QString error;
        QVERIFY2(server.start(m_db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s, {}), qPrintable(error));
        HttpClient client(server.port());
        for (int i = 0; i < 20; ++i)
            EXPECT_REPLY(client.send("GET", apiBase + "/summary", "wrong-token"), 401, httpError(u"无效的Token"_s));
        const Reply throttled = client.send("GET", apiBase + "/summary", "wrong-token", {}, english);
        EXPECT_REPLY(throttled, 429, httpError(u"Too many failed authentication attempts, try again later"_s));
        const int retryAfter = throttled.header("Retry-After").toInt();
        QVERIFY2(retryAfter >= 1 && retryAfter <= 60, throttled.header("Retry-After").constData());
        EXPECT_REPLY(client.send("GET", apiBase + "/summary", m_admin), 429,
                     httpError(u"认证失败次数过多，请稍后重试"_s));
        // /healthz needs no token and stays open; another client address is not affected.
        QCOMPARE(client.send("GET", "/healthz", {}).status, 200);
        QTcpSocket other;
        QVERIFY(connectTo(other, server.port(), QHostAddress(u"127.0.0.2"_s)));
        other.write("GET " + apiBase + "/summary HTTP/1.1\r\nAuthorization: Bearer " + m_admin + "\r\n\r\n");
        QByteArray buffer;
        QCOMPARE(readAnswer(other, buffer).status, 200);
        QVERIFY2(server.stop(&error), qPrintable(error));
    }

    // HTTPS with a self-signed certificate made here; plain HTTP on that port gets nothing.
    void tls()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
        QTemporaryDir dir;
        const QString cert = dir.filePath(u"cert.pem"_s), key = dir.filePath(u"key.pem"_s);
        const ProcessResult made = [&] {
            QProcess openssl;
            openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-subj"_s,
                                         u"/CN=localhost"_s, u"-days"_s, u"2"_s, u"-keyout"_s, key, u"-out"_s, cert});
            ProcessResult r;
            r.finished = openssl.waitForFinished(30000);
            r.exitCode = openssl.exitCode();
            r.err = openssl.readAllStandardError();
            return r;
        }();
        QVERIFY2(made.finished && made.exitCode == 0, qPrintable(made.describe()));
        ConsoleServer server;
        QString error;
        QVERIFY2(server.start(m_db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s,
                              {u"--tls-cert"_s, cert, u"--tls-key"_s, key}),
                 qPrintable(error));
        QSslSocket secure;
        secure.setPeerVerifyMode(QSslSocket::VerifyNone);
        secure.connectToHostEncrypted(u"127.0.0.1"_s, server.port());
        QVERIFY2(secure.waitForEncrypted(10000), qPrintable(secure.errorString()));
        secure.write("GET " + apiBase + "/summary HTTP/1.1\r\nAuthorization: Bearer " + m_admin + "\r\n\r\n");
        QByteArray buffer;
        const RawAnswer answer = readAnswer(secure, buffer);
        QCOMPARE(answer.status, 200);
        QVERIFY2(answer.body.contains("total_adaptive_keys"), answer.body.constData());
        QTcpSocket plain;
        QVERIFY(connectTo(plain, server.port()));
        plain.write("GET /healthz HTTP/1.1\r\n\r\n");
        buffer.clear();
        QVERIFY(!readAnswer(plain, buffer, 3000).complete);
        QVERIFY2(server.stop(&error), qPrintable(error));
        // Files that are not a certificate and a key are refused with their name.
        const ProcessResult refused = runConsole({u"--database"_s, m_db.url(), u"--serve"_s, u"--listen"_s,
                                                  u"127.0.0.1:0"_s, u"--tls-cert"_s, key, u"--tls-key"_s, key});
        QVERIFY2(refused.finished && refused.exitCode != 0 && refused.err.contains("holds no PEM certificate"),
                 qPrintable(refused.describe()));
    }
};

QTEST_GUILESS_MAIN(TestHttpGuard)
#include "tst_httpguard.moc"
