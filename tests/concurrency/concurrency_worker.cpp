// One writer of the concurrency test: performs N random mutations (mode, limit, reset) on a shared set of keys,
// either directly through the core or through the HTTP endpoint, and prints one JSON line per operation with what it
// asked for and what it was answered. Exit code 0 = every operation succeeded.

#include "keys/keyservice.h"
#include "storage/database.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QTimer>

#include <cstdio>
#include <optional>

using namespace aether;

namespace {

struct Op {
    QString key;
    QString kind; // adaptive | fixed | limit | reset
    int value = 0;
};

struct Outcome {
    bool ok = false;
    QString error;
    QJsonValue maxConcurrent; // as answered
};

Outcome viaCore(KeyService &keys, const Op &op)
{
    Outcome out;
    const Actor actor{QStringLiteral("worker")};
    if (op.kind == u"adaptive" || op.kind == u"fixed") {
        const bool adaptive = op.kind == u"adaptive";
        auto r = keys.setMode(op.key, adaptive, adaptive ? std::nullopt : std::optional<int>(op.value), actor);
        out.ok = r.ok();
        if (r)
            out.maxConcurrent = r.value().maxConcurrent ? QJsonValue(*r.value().maxConcurrent) : QJsonValue();
        else
            out.error = r.error().detail;
    } else if (op.kind == u"limit") {
        auto r = keys.setFixedLimit(op.key, op.value, actor);
        out.ok = r.ok();
        if (r)
            out.maxConcurrent = r.value().maxConcurrent;
        else
            out.error = r.error().detail;
    } else {
        auto r = keys.resetLearning(op.key, actor);
        out.ok = r.ok();
        if (!r)
            out.error = r.error().detail;
    }
    return out;
}

// One request to the endpoint, waited for; the answer's JSON object in *answer.
Outcome send(QNetworkAccessManager &nam, const QString &url, const QByteArray &token, const QByteArray &verb,
             const QByteArray &body, QJsonObject *answer)
{
    QNetworkRequest request{QUrl(url)};
    request.setRawHeader("Authorization", "Bearer " + token);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = nam.sendCustomRequest(request, verb, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(30000, &loop, &QEventLoop::quit);
    loop.exec();
    Outcome out;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray text = reply->readAll();
    out.ok = reply->isFinished() && status == 200;
    if (!out.ok)
        out.error = QStringLiteral("HTTP %1: %2").arg(status).arg(QString::fromUtf8(text));
    *answer = QJsonDocument::fromJson(text).object();
    reply->deleteLater();
    return out;
}

Outcome viaHttp(QNetworkAccessManager &nam, const QString &base, const QByteArray &token, const Op &op)
{
    QString path = base + QStringLiteral("/api/admin/adaptive/keys/") + op.key;
    QByteArray verb = "PATCH";
    QByteArray body;
    if (op.kind == u"adaptive") {
        path += QStringLiteral("/mode");
        body = R"({"enabled":true})";
    } else if (op.kind == u"fixed") {
        path += QStringLiteral("/mode");
        body = R"({"enabled":false,"fixed_limit":)" + QByteArray::number(op.value) + '}';
    } else if (op.kind == u"limit") {
        path += QStringLiteral("/limit?limit=") + QString::number(op.value);
    } else {
        path += QStringLiteral("/learning");
        verb = "DELETE";
    }
    QJsonObject answer;
    Outcome out = send(nam, path, token, verb, body, &answer);
    out.maxConcurrent = answer.value(QStringLiteral("max_concurrent"));
    return out;
}

// Event i of a worker's fixed sequence: a concurrency 429, an RPM 429, a success and an unknown 429, in turn.
QByteArray eventBody(int i)
{
    switch (i % 4) {
    case 0:
        return R"({"outcome":"rate_limited","kind":"concurrent","current_concurrent":)" +
               QByteArray::number(5 + i % 7) + '}';
    case 1:
        return R"({"outcome":"rate_limited","kind":"rpm","current_concurrent":4})";
    case 2:
        return R"({"outcome":"success","current_concurrent":3})";
    default:
        return R"({"outcome":"rate_limited","kind":"unknown","current_concurrent":1})";
    }
}

Outcome postEvent(QNetworkAccessManager &nam, const QString &base, const QByteArray &token, const QString &key, int i,
                  QJsonObject *answer)
{
    return send(nam, base + QStringLiteral("/api/admin/adaptive/keys/") + key + QStringLiteral("/events"), token,
                "POST", eventBody(i), answer);
}

struct Options {
    QString database;
    bool useHttp = false; // through the endpoint at `http` rather than the core
    QString http;
    QByteArray token;
    QString keys;
    int ops = 0;
    quint32 seed = 0;
    std::optional<int> events;
};

Options parseOptions(const QCoreApplication &app)
{
    QCommandLineParser parser;
    const QCommandLineOption database(QStringLiteral("database"), QString(), QStringLiteral("url"));
    const QCommandLineOption http(QStringLiteral("http"), QString(), QStringLiteral("base-url"));
    const QCommandLineOption token(QStringLiteral("token"), QString(), QStringLiteral("token"));
    const QCommandLineOption keysOption(QStringLiteral("keys"), QString(), QStringLiteral("id,id,..."));
    const QCommandLineOption ops(QStringLiteral("ops"), QString(), QStringLiteral("n"), QStringLiteral("250"));
    const QCommandLineOption seed(QStringLiteral("seed"), QString(), QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption events(QStringLiteral("events"), QString(), QStringLiteral("n"));
    parser.addOptions({database, http, token, keysOption, ops, seed, events});
    parser.process(app);
    Options options;
    options.database = parser.value(database);
    options.useHttp = parser.isSet(http);
    options.http = parser.value(http);
    options.token = parser.value(token).toUtf8();
    options.keys = parser.value(keysOption);
    options.ops = parser.value(ops).toInt();
    options.seed = parser.value(seed).toUInt();
    if (parser.isSet(events))
        options.events = parser.value(events).toInt();
    return options;
}

void printLine(const QJsonObject &line)
{
    std::fputs(QJsonDocument(line).toJson(QJsonDocument::Compact).constData(), stdout);
    std::fputc('\n', stdout);
}

// --events N: N learning events on the first key through the endpoint; one line per answer.
int postEvents(const Options &options)
{
    QNetworkAccessManager nam;
    const QString key = options.keys.split(u',').constFirst();
    int failures = 0;
    for (int i = 0; i < *options.events; ++i) {
        QJsonObject answer;
        const Outcome out = postEvent(nam, options.http, options.token, key, i, &answer);
        failures += out.ok ? 0 : 1;
        answer.insert(QStringLiteral("ok"), out.ok);
        answer.insert(QStringLiteral("error"), out.error);
        answer.insert(QStringLiteral("index"), i);
        printLine(answer);
    }
    std::fflush(stdout);
    return failures == 0 ? 0 : 1;
}

Op randomOp(QRandomGenerator &rng, const QStringList &keyIds)
{
    static const char *const kinds[] = {"adaptive", "fixed", "limit", "reset"};
    Op op;
    op.key = keyIds.at(rng.bounded(int(keyIds.size())));
    op.kind = QString::fromLatin1(kinds[rng.bounded(4)]);
    op.value = rng.bounded(1, 101);
    return op;
}

// --ops N: N random mutations, through the core or (--http) the endpoint; one line per operation.
int mutate(const Options &options)
{
    const QStringList keyIds = options.keys.split(u',', Qt::SkipEmptyParts);
    QRandomGenerator rng(options.seed);
    std::unique_ptr<Database> db;
    std::unique_ptr<KeyService> keys;
    QNetworkAccessManager nam;
    if (!options.useHttp) {
        db = std::make_unique<Database>(DatabaseLocation::parse(options.database).value());
        if (!db->open()) {
            std::fputs("cannot open database\n", stderr);
            return 2;
        }
        keys = std::make_unique<KeyService>(*db);
    }
    int failures = 0;
    for (int i = 0; i < options.ops; ++i) {
        const Op op = randomOp(rng, keyIds);
        const Outcome out = options.useHttp ? viaHttp(nam, options.http, options.token, op) : viaCore(*keys, op);
        if (!out.ok)
            ++failures;
        const QJsonObject line{
            {QStringLiteral("key"), op.key},      {QStringLiteral("kind"), op.kind},
            {QStringLiteral("value"), op.value},  {QStringLiteral("ok"), out.ok},
            {QStringLiteral("error"), out.error}, {QStringLiteral("max_concurrent"), out.maxConcurrent}};
        printLine(line);
    }
    std::fflush(stdout);
    return failures == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const Options options = parseOptions(app);
    return options.events ? postEvents(options) : mutate(options);
}
