#include "consoletestsupport.h"

#include "testenvironment.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QStringDecoder>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUrl>

#include <cmath>
#include <sys/types.h>

using namespace Qt::StringLiterals;

namespace aether::test {

// ---- the program --------------------------------------------------------------------------------------------------

QProcessEnvironment consoleEnvironment()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(u"AETHER_CONSOLE_TOKEN"_s);
    env.remove(u"AETHER_CONSOLE_DATABASE"_s);
    env.insert(u"LC_ALL"_s, u"C.UTF-8"_s);
    return env;
}

QString ProcessResult::describe() const
{
    return u"finished=%1 exit=%2 stdout=[%3] stderr=[%4]"_s.arg(finished ? u"yes"_s : u"no"_s)
        .arg(exitCode)
        .arg(QString::fromUtf8(out).trimmed(), QString::fromUtf8(err).trimmed());
}

ProcessResult runConsole(const QStringList &arguments, const QProcessEnvironment &env, int timeoutMs)
{
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(AETHER_CONSOLE_BINARY), arguments);
    ProcessResult result;
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString createToken(const QString &databaseUrl, const QString &name, const QString &role, QString *error)
{
    const ProcessResult result =
        runConsole({u"--database"_s, databaseUrl, u"--create-token"_s, name, u"--role"_s, role});
    const QList<QByteArray> lines = result.out.trimmed().split('\n');
    if (!result.finished || result.exitCode != 0 || lines.last().trimmed().isEmpty()) {
        *error = u"--create-token %1 failed: %2"_s.arg(name, result.describe());
        return {};
    }
    return QString::fromUtf8(lines.last().trimmed());
}

ConsoleServer::~ConsoleServer()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

qint64 ConsoleServer::processId() const
{
    return m_process ? m_process->processId() : 0;
}

bool ConsoleServer::start(const QString &databaseUrl, QString *error, const QProcessEnvironment &env,
                          const QString &listen, const QStringList &extraArguments)
{
    m_process = std::make_unique<QProcess>();
    m_process->setProcessEnvironment(env);
    m_process->start(QStringLiteral(AETHER_CONSOLE_BINARY),
                     QStringList{u"--database"_s, databaseUrl, u"--serve"_s, u"--listen"_s, listen} + extraArguments);
    QElapsedTimer timer;
    timer.start();
    QByteArray out;
    while (!out.contains('\n') && timer.elapsed() < 15000) {
        if (m_process->state() == QProcess::NotRunning)
            break;
        m_process->waitForReadyRead(100);
        out += m_process->readAllStandardOutput();
    }
    const qsizetype newline = out.indexOf('\n');
    static const QRegularExpression pattern(u"^Listening on https?://([^/]+):(\\d+)$"_s);
    const QRegularExpressionMatch match =
        newline < 0 ? QRegularExpressionMatch() : pattern.match(QString::fromUtf8(out.left(newline)));
    if (!match.hasMatch() || match.captured(2).toUInt() == 0 || newline != out.size() - 1) {
        m_process->kill();
        m_process->waitForFinished(5000);
        *error = u"the server did not start: stdout=[%1] stderr=[%2]"_s.arg(
            QString::fromUtf8(out + m_process->readAllStandardOutput()),
            QString::fromUtf8(m_process->readAllStandardError()));
        return false;
    }
    m_listeningLine = out;
    m_port = quint16(match.captured(2).toUInt());
    return true;
}

QByteArray ConsoleServer::standardError()
{
    if (m_process)
        m_err += m_process->readAllStandardError();
    return m_err;
}

bool ConsoleServer::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

bool ConsoleServer::stop(QString *error, int signalNumber)
{
    if (!isRunning()) {
        *error = u"the server is not running (it ended by itself)"_s;
        return false;
    }
    QElapsedTimer timer;
    timer.start();
    ::kill(pid_t(m_process->processId()), signalNumber);
    const bool finished = m_process->waitForFinished(5000);
    const qint64 elapsed = timer.elapsed();
    if (!finished) {
        m_process->kill();
        m_process->waitForFinished(5000);
        *error = u"the server did not exit within 5 s of signal %1"_s.arg(signalNumber);
        return false;
    }
    const QByteArray rest = m_process->readAllStandardOutput();
    if (m_process->exitStatus() != QProcess::NormalExit || m_process->exitCode() != 0) {
        *error = u"the server exited with %1 after signal %2; stderr=[%3]"_s.arg(m_process->exitCode())
                     .arg(signalNumber)
                     .arg(QString::fromUtf8(standardError()));
        return false;
    }
    if (!rest.isEmpty()) {
        *error = u"the server printed more than its one stdout line: [%1]"_s.arg(QString::fromUtf8(rest));
        return false;
    }
    if (elapsed >= 5000) {
        *error = u"the server needed %1 ms to exit"_s.arg(elapsed);
        return false;
    }
    return true;
}

// ---- the API ------------------------------------------------------------------------------------------------------

QByteArray keyPath(const QByteArray &id, const char *tail)
{
    return apiBase + "/keys/" + id + '/' + tail;
}

void addBackendRows(const char *name)
{
    for (const QByteArray &backend : TestDatabase::backends())
        QTest::addRow("%s: %s", backend.constData(), name) << backend;
}

// ---- the client ---------------------------------------------------------------------------------------------------

QByteArray Reply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QJsonValue Reply::json() const
{
    return parseJson(body);
}

QString Reply::describe() const
{
    if (!transportError.isEmpty())
        return u"transport error: "_s + transportError;
    return u"%1 %2"_s.arg(status).arg(QString::fromUtf8(body.left(2000)));
}

HttpClient::HttpClient(quint16 port)
    : m_port(port)
    , m_manager(std::make_unique<QNetworkAccessManager>())
{
}

HttpClient::~HttpClient() = default;

Reply HttpClient::send(const QByteArray &method, const QByteArray &path, const QByteArray &token,
                       const QByteArray &body, const QByteArray &language)
{
    Request request;
    request.method = method;
    request.path = path;
    request.token = token;
    request.body = body;
    request.language = language;
    return send(request);
}

Reply HttpClient::send(const Request &request, int timeoutMs)
{
    QNetworkRequest req(QUrl::fromEncoded("http://127.0.0.1:" + QByteArray::number(m_port) + request.path));
    req.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    req.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    req.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    if (!request.contentType.isEmpty())
        req.setRawHeader("Content-Type", request.contentType);
    if (!request.token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + request.token);
    // Always sent: QNetworkAccessManager would otherwise add one of its own.
    req.setRawHeader("Accept-Language", request.language);
    for (const auto &[name, value] : request.headers)
        req.setRawHeader(name, value);

    Reply result;
    QElapsedTimer timer;
    timer.start();
    QNetworkReply *reply = m_manager->sendCustomRequest(req, request.method, request.body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
    result.elapsedMs = timer.elapsed();
    if (!reply->isFinished()) {
        reply->abort();
        result.transportError = u"no answer within %1 ms"_s.arg(timeoutMs);
    } else {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.body = reply->readAll();
        result.headers = reply->rawHeaderPairs();
        if (result.status == 0)
            result.transportError = reply->errorString();
    }
    reply->deleteLater();
    return result;
}

Reply rawExchange(quint16 port, const QByteArray &requestBytes, int timeoutMs)
{
    Reply result;
    QTcpSocket socket;
    socket.connectToHost(u"127.0.0.1"_s, port);
    if (!socket.waitForConnected(timeoutMs)) {
        result.transportError = socket.errorString();
        return result;
    }
    socket.write(requestBytes);
    QElapsedTimer timer;
    timer.start();
    QByteArray data;
    qsizetype headerEnd = -1;
    qsizetype contentLength = -1;
    while (timer.elapsed() < timeoutMs) {
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(100) &&
            socket.state() != QAbstractSocket::ConnectedState)
            break;
        data += socket.readAll();
        if (headerEnd < 0 && (headerEnd = data.indexOf("\r\n\r\n")) >= 0) {
            for (const QByteArray &line : data.left(headerEnd).split('\n').mid(1)) {
                const qsizetype colon = line.indexOf(':');
                if (colon > 0)
                    result.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
            }
            contentLength = result.header("Content-Length").toLongLong();
            result.status = data.split(' ').value(1).toInt();
        }
        if (headerEnd >= 0 && data.size() >= headerEnd + 4 + contentLength)
            break;
    }
    result.elapsedMs = timer.elapsed();
    if (headerEnd < 0) {
        result.transportError = u"no complete response: [%1]"_s.arg(QString::fromLatin1(data));
        return result;
    }
    result.body = data.mid(headerEnd + 4, contentLength);
    return result;
}

// ---- expected bodies ----------------------------------------------------------------------------------------------

namespace {

QJsonObject typedError(const QString &type, const QString &message)
{
    return {{u"error"_s, QJsonObject{{u"type"_s, type}, {u"message"_s, message}}}};
}

QString show(const QJsonValue &value)
{
    if (value.isUndefined())
        return u"(undefined)"_s;
    const QByteArray text = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(text.mid(1, text.size() - 2));
}

// Numbers in a JSON value that are not integers.
int fractionalNumbers(const QJsonValue &value)
{
    int count = 0;
    if (value.isObject()) {
        for (const QJsonValue &v : value.toObject())
            count += fractionalNumbers(v);
    } else if (value.isArray()) {
        for (const QJsonValue &v : value.toArray())
            count += fractionalNumbers(v);
    } else if (value.isDouble()) {
        count += value.toDouble() != std::floor(value.toDouble()) ? 1 : 0;
    }
    return count;
}

// Number literals in JSON text written with a fraction or an exponent ("5.0", "1e2"). The parsed value cannot tell
// "5.0" from "5"; the text can.
int fractionalLiterals(const QByteArray &text)
{
    int count = 0;
    bool inString = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text.at(i);
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            bool fractional = false;
            while (i + 1 < text.size() && QByteArrayView("0123456789.eE+-").contains(text.at(i + 1)))
                fractional = QByteArrayView(".eE").contains(text.at(++i)) || fractional;
            count += fractional ? 1 : 0;
        }
    }
    return count;
}

} // namespace

QJsonObject httpError(const QString &message)
{
    return typedError(u"http_error"_s, message);
}

QJsonObject invalidRequest(const QString &message)
{
    return typedError(u"invalid_request"_s, message);
}

QJsonObject routingDetail(const char *text)
{
    return {{u"detail"_s, QString::fromUtf8(text)}};
}

QJsonObject systemError(const QString &message)
{
    return typedError(u"system_error"_s, message);
}

QJsonObject queryDetail(const char *field, const char *type, const QString &msg, const QJsonValue &input,
                        const QJsonObject &ctx)
{
    QJsonObject item{{u"type"_s, QString::fromLatin1(type)},
                     {u"loc"_s, QJsonArray{u"query"_s, QString::fromLatin1(field)}},
                     {u"msg"_s, msg},
                     {u"input"_s, input}};
    if (!ctx.isEmpty())
        item.insert(u"ctx"_s, ctx);
    return QJsonObject{{u"detail"_s, QJsonArray{item}}};
}

QJsonValue parseJson(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson("[" + text + "]", &error);
    if (error.error != QJsonParseError::NoError || doc.array().size() != 1)
        return QJsonValue(QJsonValue::Undefined);
    return doc.array().first();
}

QString compact(const QJsonValue &value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).chopped(1).mid(1));
}

QJsonObject adjustmentRecord(const QString &tag, const QString &timestamp, int oldLimit)
{
    QJsonObject r{{u"old_limit"_s, oldLimit},          {u"new_limit"_s, oldLimit + 1},
                  {u"reason"_s, u"probe_increase"_s},  {u"avg_utilization"_s, 0.85},
                  {u"high_util_ratio"_s, 0.9},         {u"sample_count"_s, 12},
                  {u"current_concurrent"_s, oldLimit}, {u"tag"_s, tag}};
    if (!timestamp.isEmpty())
        r.insert(u"timestamp"_s, timestamp);
    return r;
}

QJsonObject blankStats(bool adaptive, const QJsonValue &maxConcurrent, int effectiveLimit)
{
    return {{u"adaptive_mode"_s, adaptive},
            {u"max_concurrent"_s, maxConcurrent},
            {u"effective_limit"_s, effectiveLimit},
            {u"learned_limit"_s, QJsonValue::Null},
            {u"concurrent_429_count"_s, 0},
            {u"rpm_429_count"_s, 0},
            {u"last_429_at"_s, QJsonValue::Null},
            {u"last_429_type"_s, QJsonValue::Null},
            {u"adjustment_count"_s, 0},
            {u"recent_adjustments"_s, QJsonArray()}};
}

QString compareJson(const QJsonValue &actual, const QJsonValue &expected, const QString &where)
{
    const QString differs = u"%1: expected %2, got %3"_s.arg(where, show(expected), show(actual));
    if (actual.type() != expected.type())
        return differs;
    switch (expected.type()) {
    case QJsonValue::Object: {
        const QJsonObject a = actual.toObject();
        const QJsonObject e = expected.toObject();
        for (auto it = e.begin(); it != e.end(); ++it) {
            if (!a.contains(it.key()))
                return u"%1: missing field \"%2\" (expected %3)"_s.arg(where, it.key(), show(it.value()));
            const QString inner = compareJson(a.value(it.key()), it.value(), where + u'.' + it.key());
            if (!inner.isEmpty())
                return inner;
        }
        for (auto it = a.begin(); it != a.end(); ++it) {
            if (!e.contains(it.key()))
                return u"%1: unexpected field \"%2\": %3"_s.arg(where, it.key(), show(it.value()));
        }
        return {};
    }
    case QJsonValue::Array: {
        const QJsonArray a = actual.toArray();
        const QJsonArray e = expected.toArray();
        if (a.size() != e.size())
            return u"%1: expected %2 elements, got %3: %4"_s.arg(where).arg(e.size()).arg(a.size()).arg(show(actual));
        for (qsizetype i = 0; i < e.size(); ++i) {
            const QString inner = compareJson(a.at(i), e.at(i), u"%1[%2]"_s.arg(where).arg(i));
            if (!inner.isEmpty())
                return inner;
        }
        return {};
    }
    case QJsonValue::Double:
        return actual.toDouble() == expected.toDouble() ? QString() : differs;
    case QJsonValue::String:
    case QJsonValue::Bool:
        return actual == expected ? QString() : differs;
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    }
    return differs;
}

QString checkJsonReply(const Reply &reply, int status, const QJsonValue &expected)
{
    if (reply.status != status)
        return u"expected status %1, got %2"_s.arg(status).arg(reply.describe());
    const QList<QByteArray> contentType = reply.header("Content-Type").split(';');
    bool typeOk = contentType.first().trimmed().toLower() == "application/json";
    for (qsizetype i = 1; i < contentType.size(); ++i)
        typeOk = typeOk && contentType.at(i).trimmed().toLower().replace("\"", "") == "charset=utf-8";
    if (!typeOk)
        return u"Content-Type is \"%1\", not application/json"_s.arg(QString::fromLatin1(reply.header("Content-Type")));
    QStringDecoder decoder(QStringDecoder::Utf8);
    const QString text = decoder.decode(reply.body);
    if (decoder.hasError())
        return u"the body is not valid UTF-8"_s;
    if (reply.body.contains("\\u"))
        return u"the body escapes characters as \\u instead of sending raw UTF-8: "_s + text;
    const QJsonValue actual = reply.json();
    if (actual.isUndefined())
        return u"the body is not JSON: "_s + text;
    QString mismatch = compareJson(actual, expected);
    if (mismatch.isEmpty() && fractionalLiterals(reply.body) != fractionalNumbers(expected))
        mismatch = u"integers must be written as integers (no fraction or exponent)"_s;
    return mismatch.isEmpty() ? QString() : mismatch + u"\n   body: "_s + text;
}

// ---- fixtures -----------------------------------------------------------------------------------------------------

bool insertEndpoints(const TestDatabase &db, QString *error)
{
    return db.execute(u"INSERT INTO providers (id, name, display_name) VALUES ('prov-1', 'openai', 'OpenAI')"_s,
                      error) &&
           db.execute(u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url) VALUES "
                      "('ep-1', 'prov-1', 'OPENAI', 'https://api.openai.example'), "
                      "('ep-2', 'prov-1', 'CLAUDE', 'https://api.anthropic.example')"_s,
                      error);
}

std::optional<QVariantList> selectRow(const TestDatabase &db, const QString &sql, QString *error)
{
    static int counter = 0;
    const QString name = u"aether-http-test-read-%1"_s.arg(++counter);
    const DatabaseLocation loc = db.location();
    std::optional<QVariantList> row;
    {
        QSqlDatabase conn = addConnection(loc, name);
        if (!conn.open()) {
            *error = conn.lastError().text();
        } else {
            QSqlQuery query(conn);
            if (!query.exec(sql)) {
                *error = query.lastError().text();
            } else if (!query.next()) {
                *error = u"no row: "_s + sql;
            } else {
                QVariantList values;
                for (int i = 0; i < query.record().count(); ++i)
                    values.append(query.isNull(i) ? QVariant() : QVariant(query.value(i).toString()));
                row = values;
            }
        }
        conn.close();
    }
    QSqlDatabase::removeDatabase(name);
    return row;
}

QString checkKeyRow(const TestDatabase &db, const QString &id, const QString &columns, const QStringList &expected)
{
    QString error;
    const auto row =
        selectRow(db, u"SELECT "_s + columns + u" FROM provider_api_keys WHERE id = "_s + sqlText(id), &error);
    if (!row)
        return error;
    const auto show = [](const QVariant &v) { return v.isNull() ? u"NULL"_s : v.toString(); };
    for (qsizetype i = 0; i < expected.size() && i < row->size(); ++i) {
        if (row->at(i).isNull() != expected.at(i).isNull() || row->at(i).toString() != expected.at(i))
            return u"key %1, column %2 of (%3): expected %4, got %5"_s.arg(id).arg(i + 1).arg(
                columns, show(expected.at(i)), show(row->at(i)));
    }
    return row->size() == expected.size() ? QString()
                                          : u"%1 columns, %2 expected"_s.arg(row->size()).arg(expected.size());
}

QString malformedJson(const TestDatabase &db)
{
    return db.isPostgres() ? u"{\"not\":\"an array\"}"_s : u"not json ["_s;
}

QString asText(const TestDatabase &db, const QString &column)
{
    return db.isPostgres() ? u"CAST(%1 AS text)"_s.arg(column) : column;
}

bool Session::start(QString *error)
{
    const QString url = db.url();
    admin = createToken(url, u"ops"_s, u"admin"_s, error).toUtf8();
    viewer = admin.isEmpty() ? QByteArray() : createToken(url, u"watcher"_s, u"viewer"_s, error).toUtf8();
    gateway = viewer.isEmpty() ? QByteArray() : createToken(url, u"gw"_s, u"gateway"_s, error).toUtf8();
    revoked = gateway.isEmpty() ? QByteArray() : createToken(url, u"old"_s, u"admin"_s, error).toUtf8();
    if (revoked.isEmpty())
        return false;
    const ProcessResult revoke = runConsole({u"--database"_s, url, u"--revoke-token"_s, u"old"_s});
    if (!revoke.finished || revoke.exitCode != 0) {
        *error = u"--revoke-token failed: "_s + revoke.describe();
        return false;
    }
    // The contract suites check the original service's answers: its learning, not the recommended strategy.
    if (!insertEndpoints(db, error) || !db.useReferenceLearning(error))
        return false;
    QProcessEnvironment env = consoleEnvironment();
    env.insert(u"AETHER_CONSOLE_TOKEN"_s, QString::fromUtf8(environmentToken));
    if (!server.start(url, error, env))
        return false;
    client = std::make_unique<HttpClient>(server.port());
    return true;
}

} // namespace aether::test

namespace aether::test {

Session *SessionPool::get(const QByteArray &backend, QString *reason, bool *skip)
{
    if (const auto found = m_sessions.find(backend); found != m_sessions.end())
        return found->second.get();
    if (const auto failed = m_failures.find(backend); failed != m_failures.end()) {
        *reason = failed->second;
        return nullptr;
    }
    auto session = std::make_unique<Session>(backend);
    if (!session->db.isReady()) {
        *reason = session->db.skipReason();
        *skip = !session->db.mustNotSkip();
        return nullptr;
    }
    if (!session->start(reason) || !m_setup(*session, reason)) {
        m_failures[backend] = *reason;
        return nullptr;
    }
    return (m_sessions[backend] = std::move(session)).get();
}

bool SessionPool::stopAll(QString *error)
{
    bool ok = true;
    for (auto &[backend, session] : m_sessions) {
        QString why;
        if (!session->stop(&why)) {
            *error += QString::fromLatin1(backend) + u": "_s + why + u'\n';
            ok = false;
        }
    }
    m_sessions.clear();
    return ok;
}

void HttpSuite::initTestCase()
{
    useTestEnvironment();
}

void HttpSuite::cleanupTestCase()
{
    QString error;
    QVERIFY2(m_pool.stopAll(&error), qPrintable(error));
}

} // namespace aether::test
