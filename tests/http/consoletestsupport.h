#pragma once

#include "keyrow.h"
#include "testdatabase.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPair>
#include <QProcess>
#include <QString>
#include <QVariantList>

#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <optional>

class QNetworkAccessManager;

// Black-box helpers for the HTTP contract tests: run the real program (command-line actions and the --serve
// endpoint), talk to it over HTTP, build the exact bodies spec/api.md prescribes, and read the database behind the
// program's back. Check functions return an empty string on success and a description of the mismatch otherwise.
namespace aether::test {

// ---- the program --------------------------------------------------------------------------------------------------

// The test's environment without the variables that would change the program's behaviour behind a test's back.
QProcessEnvironment consoleEnvironment();

struct ProcessResult {
    bool finished = false;
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    QString describe() const;
};

// Runs one command-line action of the program to its end.
ProcessResult runConsole(const QStringList &arguments, const QProcessEnvironment &env = consoleEnvironment(),
                         int timeoutMs = 30000);

// Creates a token with --create-token and returns the secret (the last stdout line); empty on failure.
QString createToken(const QString &databaseUrl, const QString &name, const QString &role, QString *error);

// One `--serve` process.
class ConsoleServer {
public:
    ConsoleServer() = default;
    ~ConsoleServer();
    ConsoleServer(const ConsoleServer &) = delete;
    ConsoleServer &operator=(const ConsoleServer &) = delete;

    // Starts it and waits for its one "Listening on http(s)://HOST:PORT" line. The contract suites send many wrong
    // tokens on purpose, so the wrong-token throttle is off unless `extraArguments` say otherwise.
    bool start(const QString &databaseUrl, QString *error, const QProcessEnvironment &env = consoleEnvironment(),
               const QString &listen = QStringLiteral("127.0.0.1:0"),
               const QStringList &extraArguments = {QStringLiteral("--auth-failures-per-minute"), QStringLiteral("0")});
    qint64 processId() const;
    quint16 port() const { return m_port; }
    bool isRunning() const;
    // Sends SIGTERM (or `signalNumber`); true when the program exited 0 within 5 s having printed exactly the one
    // stdout line.
    bool stop(QString *error, int signalNumber = SIGTERM);
    // Everything the program wrote to stderr so far (its log).
    QByteArray standardError();

private:
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    QByteArray m_listeningLine;
    QByteArray m_err;
};

// ---- the API ------------------------------------------------------------------------------------------------------

inline const QByteArray apiBase = QByteArrayLiteral("/api/admin/adaptive");
// apiBase/keys/<id>/<tail>; `id` percent-encoded.
QByteArray keyPath(const QByteArray &id, const char *tail);
// Adds one row per backend, named "<backend>: <name>", to a _data() function whose only column is "backend".
void addBackendRows(const char *name);

// ---- the client ---------------------------------------------------------------------------------------------------

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

inline const QByteArray chinese = QByteArrayLiteral("zh-CN,zh;q=0.9");
inline const QByteArray english = QByteArrayLiteral("en-US,en;q=0.9");

struct Request {
    QByteArray method = QByteArrayLiteral("GET");
    QByteArray path; // percent-encoded path and query
    QByteArray body;
    QByteArray token; // sent as "Bearer <token>" unless empty
    QByteArray language = chinese;
    QByteArray contentType = QByteArrayLiteral("application/json");
    HeaderList headers; // sent as given; "Authorization" here replaces the token's header
};

struct Reply {
    int status = 0;
    QByteArray body;
    HeaderList headers;
    QString transportError;
    qint64 elapsedMs = 0;

    QByteArray header(const QByteArray &name) const;
    QJsonValue json() const; // Undefined when the body is not JSON
    QString describe() const;
};

class HttpClient {
public:
    explicit HttpClient(quint16 port);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    Reply send(const Request &request, int timeoutMs = 15000);
    Reply send(const QByteArray &method, const QByteArray &path, const QByteArray &token, const QByteArray &body = {},
               const QByteArray &language = chinese);

private:
    quint16 m_port;
    std::unique_ptr<QNetworkAccessManager> m_manager;
};

// Sends bytes as they are over a plain socket (for requests QNetworkAccessManager would alter) and reads one
// response of a server that honours "Connection: close".
Reply rawExchange(quint16 port, const QByteArray &requestBytes, int timeoutMs = 15000);

// ---- expected bodies ----------------------------------------------------------------------------------------------

QJsonObject httpError(const QString &message);      // A
QJsonObject invalidRequest(const QString &message); // B
QJsonObject routingDetail(const char *text);        // C
QJsonObject systemError(const QString &message);    // E
// FastAPI's 422 for one query parameter: {"detail": [{"type", "loc": ["query", field], "msg", "input"[, "ctx"]}]}.
QJsonObject queryDetail(const char *field, const char *type, const QString &msg, const QJsonValue &input,
                        const QJsonObject &ctx = {});

QJsonValue parseJson(const QByteArray &text); // Undefined when not JSON; accepts scalars
QString compact(const QJsonValue &value);     // JSON text of any value

// An adjustment record as the console writes them (a probe increase), tagged so that a test can tell records apart;
// `timestamp` empty = no timestamp field.
QJsonObject adjustmentRecord(const QString &tag, const QString &timestamp, int oldLimit = 10);
// The stats answer of a key with nothing learned and nothing recorded.
QJsonObject blankStats(bool adaptive, const QJsonValue &maxConcurrent, int effectiveLimit);

// Deep comparison (object key order ignored, numbers by value). Empty result = equal.
QString compareJson(const QJsonValue &actual, const QJsonValue &expected, const QString &where = QStringLiteral("$"));
// Status, Content-Type application/json, UTF-8 text without \u escapes, integers written as integers, the body.
QString checkJsonReply(const Reply &reply, int status, const QJsonValue &expected);

#define EXPECT_REPLY(reply, status, expected)                                                                          \
    do {                                                                                                               \
        const QString mismatch_ = aether::test::checkJsonReply((reply), (status), (expected));                         \
        QVERIFY2(mismatch_.isEmpty(), qPrintable(mismatch_));                                                          \
    } while (false)

// ---- fixtures -----------------------------------------------------------------------------------------------------

// Provider "prov-1" with endpoints "ep-1" and "ep-2" (the program must have created the tables already).
bool insertEndpoints(const TestDatabase &db, QString *error);
// The first row of a query on a connection of the test's own; columns as text (NULL stays a null QVariant).
std::optional<QVariantList> selectRow(const TestDatabase &db, const QString &sql, QString *error);
// Compares the columns (SQL expressions) of one provider_api_keys row with texts; a null QString expects NULL.
QString checkKeyRow(const TestDatabase &db, const QString &id, const QString &columns, const QStringList &expected);
// A JSON column's value that is not an array (PostgreSQL's json type takes only valid JSON).
QString malformedJson(const TestDatabase &db);
// A column read as text (json and timestamptz columns of PostgreSQL).
QString asText(const TestDatabase &db, const QString &column);

#define EXPECT_ROW(session, id, columns, ...)                                                                          \
    do {                                                                                                               \
        const QString mismatch_ = aether::test::checkKeyRow((session).db, (id), (columns), QStringList{__VA_ARGS__});  \
        QVERIFY2(mismatch_.isEmpty(), qPrintable(mismatch_));                                                          \
    } while (false)

// A database with tokens and a running server: admin, viewer, gateway and a revoked token, plus the environment
// admin token "secret".
struct Session {
    explicit Session(const QByteArray &backend)
        : db(backend)
    {
    }
    bool start(QString *error);
    bool stop(QString *error) { return server.stop(error); }

    TestDatabase db;
    ConsoleServer server;
    std::unique_ptr<HttpClient> client;
    QByteArray admin;
    QByteArray viewer;
    QByteArray gateway;
    QByteArray revoked;
    QByteArray environmentToken = QByteArrayLiteral("secret");
};

// Sessions shared by the rows of a data-driven test (one per backend, started on first use with `setup` run on the
// fresh session) so that a matrix of requests costs one server. stopAll() stops them and checks they exit cleanly.
class SessionPool {
public:
    using Setup = std::function<bool(Session &, QString *)>;
    explicit SessionPool(Setup setup)
        : m_setup(std::move(setup))
    {
    }
    // nullptr when the backend cannot be used (*skip true) or the session did not start (*skip false).
    Session *get(const QByteArray &backend, QString *reason, bool *skip);
    bool stopAll(QString *error);

private:
    Setup m_setup;
    std::map<QByteArray, std::unique_ptr<Session>> m_sessions;
    std::map<QByteArray, QString> m_failures;
};

// The base of the HTTP contract suites: the test environment before the first test, a pool of servers shared by the
// rows of data-driven tests (each started on first use with `setup`), and at the end the check that every server
// exits cleanly.
class HttpSuite : public QObject {
    Q_OBJECT
public:
    explicit HttpSuite(SessionPool::Setup setup = [](Session &, QString *) { return true; })
        : m_pool(std::move(setup))
    {
    }

protected:
    SessionPool m_pool;

private slots:
    void initTestCase();
    void cleanupTestCase();
};

} // namespace aether::test

// In a data-driven test with a "backend" column: `var` = the pool's session for the row's backend.
#define AETHER_SHARED_SESSION(var, pool)                                                                               \
    QFETCH(QByteArray, backend);                                                                                       \
    aether::test::Session *var = nullptr;                                                                              \
    {                                                                                                                  \
        QString reason_;                                                                                               \
        bool skip_ = false;                                                                                            \
        var = (pool).get(backend, &reason_, &skip_);                                                                   \
        if (!var && skip_)                                                                                             \
            QSKIP(qPrintable(reason_));                                                                                \
        QVERIFY2(var, qPrintable(reason_));                                                                            \
    }

// Like AETHER_TEST_DATABASE, for a Session called `var` that starts the server.
#define AETHER_TEST_SESSION(var)                                                                                       \
    QFETCH(QByteArray, backend);                                                                                       \
    aether::test::Session var(backend);                                                                                \
    if (!var.db.isReady()) {                                                                                           \
        if (var.db.mustNotSkip())                                                                                      \
            QFAIL(qPrintable(var.db.skipReason()));                                                                    \
        QSKIP(qPrintable(var.db.skipReason()));                                                                        \
    }                                                                                                                  \
    {                                                                                                                  \
        QString startError_;                                                                                           \
        QVERIFY2(var.start(&startError_), qPrintable(startError_));                                                    \
    }
