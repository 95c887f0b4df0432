// GET /metrics and GET …/openapi.json through the real program: the text exposition format (checked by promtool
// where it is installed), the values after known changes, the endpoint's own counters and histogram, the roles and
// --metrics-open, gzip; the OpenAPI document against the route table both ways (every registered path is described,
// every described path and method is served, every other method is a 405).

#include "auth/tokenstore.h"
#include "consoletestsupport.h"
#include "httpendpoint.h"
#include "keymetrics.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "storage/database.h"
#include "storage/migrations.h"

#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether;
using namespace aether::test;

namespace {

// The value of the one sample whose name and labels are given exactly ("name{a="b",…}"); NaN when absent.
double sample(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(QByteArray(series + ' ')))
            return line.mid(series.size() + 1).toDouble();
    }
    return qQNaN();
}

QByteArray keyLabels(const char *id, const char *name, const char *format)
{
    return QByteArray("{key_id=\"") + id + "\",key_name=\"" + name + "\",provider=\"OpenAI\",endpoint=\"" + format +
           "\"}";
}

// promtool check metrics on the text; empty when it passed or promtool is not installed (*ran false).
QString promtool(const QByteArray &text, bool *ran)
{
    const QString tool = QStandardPaths::findExecutable(u"promtool"_s);
    *ran = !tool.isEmpty();
    if (tool.isEmpty())
        return {};
    QProcess p;
    p.start(tool, {u"check"_s, u"metrics"_s});
    p.write(text);
    p.closeWriteChannel();
    if (!p.waitForFinished(30000))
        return u"promtool did not finish"_s;
    if (p.exitCode() != 0)
        return QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
    return {};
}

QByteArray gunzip(const QByteArray &data)
{
    QProcess p;
    p.start(u"gzip"_s, {u"-dc"_s});
    p.write(data);
    p.closeWriteChannel();
    p.waitForFinished(10000);
    return p.exitCode() == 0 ? p.readAllStandardOutput() : QByteArray("gzip failed: ") + p.readAllStandardError();
}

bool addKeys(Session &s, QString *error)
{
    // (Session::start added provider prov-1 with endpoints ep-1, OPENAI, and ep-2, CLAUDE.)
    test::KeyRow a1{u"ka1"_s, u"ep-1"_s, u"alpha"_s};
    a1.learned = 12;
    a1.concurrent429 = 3;
    a1.rpm429 = 4;
    a1.history = u"[{\"timestamp\":\"2026-12-01T10:00:00+00:00\",\"old_limit\":14,\"new_limit\":12,"
                 "\"reason\":\"concurrent_429\"}]"_s;
    test::KeyRow a2{u"ka2"_s, u"ep-1"_s, u"quote \" and \\ back"_s};
    test::KeyRow f1{u"kf1"_s, u"ep-2"_s, u"fixed"_s};
    f1.maxConcurrent = 9;
    f1.concurrent429 = 2;
    for (const test::KeyRow &key : {a1, a2, f1}) {
        if (!insertKey(s.db, key, error))
            return false;
    }
    return true;
}

// GET /metrics with an Accept-Encoding of the test's own (the client asks for gzip and inflates it itself otherwise).
Reply metricsAs(Session &s, const QByteArray &encoding)
{
    Request request;
    request.path = "/metrics";
    request.token = s.viewer;
    request.headers = {{"Accept-Encoding", encoding}};
    return s.client->send(request);
}

} // namespace

class TestHttpMetrics : public HttpSuite {
    Q_OBJECT

private slots:
    void metricsValues_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("metrics");
    }
    void metricsValues()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QVERIFY2(addKeys(s, &error), qPrintable(error));
        // Roles: viewer and admin read it; a gateway token may not, nor a caller without a token.
        QCOMPARE(s.client->send("GET", "/metrics", {}).status, 401);
        QCOMPARE(s.client->send("GET", "/metrics", s.gateway).status, 403);
        QCOMPARE(s.client->send("POST", "/metrics", s.viewer).status, 405);
        const Reply first = s.client->send("GET", "/metrics", s.viewer);
        QCOMPARE(first.status, 200);
        QCOMPARE(first.header("Content-Type"), QByteArray("text/plain; version=0.0.4; charset=utf-8"));
        bool ran = false;
        const QString format = promtool(first.body, &ran);
        QVERIFY2(format.isEmpty(), qPrintable(format));
        if (!ran)
            qInfo("promtool is not installed: the format was not checked by it (CI installs it)");

        const QByteArray a1 = keyLabels("ka1", "alpha", "OPENAI");
        const QByteArray a2 = keyLabels("ka2", "quote \\\" and \\\\ back", "OPENAI");
        const QByteArray f1 = keyLabels("kf1", "fixed", "CLAUDE");
        QCOMPARE(sample(first.body, "aether_key_adaptive" + a1), 1.0);
        QCOMPARE(sample(first.body, "aether_key_adaptive" + f1), 0.0);
        QCOMPARE(sample(first.body, "aether_key_effective_limit" + a1), 12.0);
        QCOMPARE(sample(first.body, "aether_key_learned_limit" + a1), 12.0);
        QVERIFY(qIsNaN(sample(first.body, "aether_key_learned_limit" + a2))); // nothing learned: no sample
        QVERIFY(qIsNaN(sample(first.body, "aether_key_effective_limit" + a2)));
        QCOMPARE(sample(first.body, "aether_key_fixed_limit" + f1), 9.0);
        QVERIFY(qIsNaN(sample(first.body, "aether_key_fixed_limit" + a1)));
        QByteArray withType = a1;
        withType.chop(1);
        QCOMPARE(sample(first.body, "aether_key_429_total" + withType + ",type=\"concurrent\"}"), 3.0);
        QCOMPARE(sample(first.body, "aether_key_429_total" + withType + ",type=\"rpm\"}"), 4.0);
        QCOMPARE(sample(first.body, "aether_key_adjustments" + a1), 1.0);
        const QByteArray ep1 = "provider=\"OpenAI\",endpoint=\"OPENAI\",endpoint_id=\"ep-1\"";
        QCOMPARE(sample(first.body, "aether_keys{" + ep1 + ",mode=\"adaptive\"}"), 2.0);
        QCOMPARE(sample(first.body, "aether_endpoint_429_total{" + ep1 + ",type=\"concurrent\"}"), 3.0);
        QCOMPARE(sample(first.body, "aether_provider_keys{provider=\"OpenAI\",mode=\"fixed\"}"), 1.0);
        QCOMPARE(sample(first.body, "aether_provider_429_total{provider=\"OpenAI\",type=\"concurrent\"}"), 5.0);
        QCOMPARE(sample(first.body, "aether_provider_effective_limits{provider=\"OpenAI\"}"), 21.0);
        QCOMPARE(sample(first.body, "aether_database_up"), 1.0);

        // Known changes: a fixed limit, a reset, learning events (two applied, one for an unknown key).
        QCOMPARE(s.client->send("PATCH", keyPath("ka1", "limit?limit=4"), s.admin).status, 200);
        QCOMPARE(s.client->send("DELETE", keyPath("kf1", "learning"), s.admin).status, 200);
        const QByteArray events = R"({"events":[{"key_id":"ka2","outcome":"success","current_concurrent":1},)"
                                  R"({"key_id":"ka2","outcome":"success","current_concurrent":1},)"
                                  R"({"key_id":"nope","outcome":"success","current_concurrent":1}]})";
        const Reply posted = s.client->send("POST", apiBase + "/events", s.gateway, events);
        QCOMPARE(posted.status, 200);
        QVERIFY2(posted.body.count("\"status\":404") == 1, posted.body.constData());
        for (int i = 0; i < 3; ++i)
            QCOMPARE(s.client->send("GET", apiBase + "/keys", s.viewer).status, 200);
        QCOMPARE(s.client->send("GET", keyPath("nope", "stats"), s.viewer).status, 404);
        const Reply second = s.client->send("GET", "/metrics", s.admin);
        QCOMPARE(second.status, 200);
        QCOMPARE(sample(second.body, "aether_key_adaptive" + a1), 0.0);
        QCOMPARE(sample(second.body, "aether_key_fixed_limit" + a1), 4.0);
        QCOMPARE(sample(second.body, "aether_key_effective_limit" + a1), 4.0);
        QByteArray fixedType = f1;
        fixedType.chop(1);
        QCOMPARE(sample(second.body, "aether_key_429_total" + fixedType + ",type=\"concurrent\"}"), 0.0);
        QCOMPARE(sample(second.body, "aether_learning_events_total{outcome=\"applied\"}"), 2.0);
        QCOMPARE(sample(second.body, "aether_learning_events_total{outcome=\"refused\"}"), 1.0);
        QCOMPARE(sample(second.body,
                        "aether_http_requests_total{route=\"/api/admin/adaptive/keys\",method=\"GET\",status=\"200\"}"),
                 3.0);
        QCOMPARE(sample(second.body, "aether_http_requests_total{route=\"/api/admin/adaptive/keys/{key_id}/stats\","
                                     "method=\"GET\",status=\"404\"}"),
                 1.0);
        QCOMPARE(sample(second.body, "aether_http_requests_total{route=\"/metrics\",method=\"GET\",status=\"401\"}"),
                 1.0);
        QCOMPARE(sample(second.body, "aether_http_request_duration_seconds_count{route=\"/api/admin/adaptive/keys\"}"),
                 3.0);
        QCOMPARE(sample(second.body, "aether_http_request_duration_seconds_bucket{route=\"/api/admin/adaptive/keys\","
                                     "le=\"+Inf\"}"),
                 3.0);
        const QString again = promtool(second.body, &ran);
        QVERIFY2(again.isEmpty(), qPrintable(again));

        // gzip for a scraper that asks for it: the same text.
        const Reply gz = metricsAs(s, "gzip");
        QCOMPARE(gz.status, 200);
        QCOMPARE(gz.header("Content-Encoding"), QByteArray("gzip"));
        const QByteArray text = gunzip(gz.body);
        const auto keysPart = [](const QByteArray &t) { return t.left(t.indexOf("# HELP aether_database_up")); };
        QVERIFY(!keysPart(text).isEmpty());
        QCOMPARE(keysPart(text), keysPart(second.body));
        QVERIFY(text.contains("aether_http_requests_total"));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void metricsAreStreamed_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("streamed");
    }
    // Beyond MetricsController::maxWholeKeys the keys' part is made a page at a time: the same text as the whole one.
    void metricsAreStreamed()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QList<test::KeyRow> rows;
        const int keys = 23000;
        for (int i = 0; i < keys; ++i) {
            test::KeyRow k{u"m-%1"_s.arg(i * 7919 % keys, 5, 10, QLatin1Char('0')), i % 2 ? u"ep-1"_s : u"ep-2"_s,
                           i % 3 ? u"metric key %1"_s.arg(i) : u"度量 \"%1\" \\"_s.arg(i)};
            if (i % 23 == 0)
                k.maxConcurrent = 5;
            if (i % 4)
                k.learned = i % 50 + 1;
            k.concurrent429 = i % 7;
            k.rpm429 = i % 5;
            rows << k;
        }
        QVERIFY2(insertKeys(s.db, rows, &error), qPrintable(error));
        QByteArray whole;
        {
            aether::Database db(s.db.location());
            QVERIFY(db.open().ok());
            aether::KeyTable table(db);
            aether::Result<QByteArray> rendered = aether::http::renderKeyMetrics(table);
            QVERIFY(rendered.ok());
            whole = rendered.takeValue();
        }
        QVERIFY(whole.count("aether_key_adaptive{") == keys);
        const auto keysPart = [](const QByteArray &t) { return t.left(t.indexOf("# HELP aether_database_up")); };

        const Reply plain = metricsAs(s, "identity");
        QCOMPARE(plain.status, 200);
        QVERIFY(plain.header("Content-Encoding").isEmpty());
        QVERIFY(plain.header("Content-Length").isEmpty());
        QCOMPARE(plain.header("Transfer-Encoding"), QByteArray("chunked"));
        QCOMPARE(keysPart(plain.body), whole);
        QCOMPARE(sample(plain.body, "aether_database_up"), 1.0);
        QVERIFY(plain.body.contains("aether_http_requests_total"));
        bool ran = false;
        const QString format = promtool(plain.body, &ran);
        QVERIFY2(format.isEmpty(), qPrintable(format));

        const Reply gz = metricsAs(s, "gzip");
        QCOMPARE(gz.status, 200);
        QCOMPARE(gz.header("Content-Encoding"), QByteArray("gzip"));
        QVERIFY(gz.body.size() < plain.body.size() / 4);
        const QByteArray text = gunzip(gz.body);
        QCOMPARE(keysPart(text), whole);
        QVERIFY(text.endsWith('\n'));
        QVERIFY(text.contains("aether_build_info"));
        // Still answered on the same keep-alive client, and a small answer again once the keys are few.
        QVERIFY2(s.db.execute(u"DELETE FROM provider_api_keys WHERE id LIKE 'm-%'"_s, &error), qPrintable(error));
        const Reply few = s.client->send("GET", "/metrics", s.viewer);
        QCOMPARE(few.status, 200);
        QVERIFY(few.header("Transfer-Encoding").isEmpty()); // whole again
        QVERIFY(!few.body.contains("aether_key_adaptive{"));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void metricsOpen_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("open");
    }
    // --metrics-open: no token needed for /metrics, still for everything else.
    void metricsOpen()
    {
        QFETCH(QByteArray, backend);
        Session s(backend);
        if (!s.db.isReady())
            QSKIP(qPrintable(s.db.skipReason()));
        QString error;
        QVERIFY2(s.start(&error), qPrintable(error));
        QVERIFY2(s.stop(&error), qPrintable(error));
        QVERIFY2(s.server.start(s.db.url(), &error, consoleEnvironment(), u"127.0.0.1:0"_s, {u"--metrics-open"_s}),
                 qPrintable(error));
        HttpClient client(s.server.port());
        QCOMPARE(client.send("GET", "/metrics", {}).status, 200);
        QCOMPARE(client.send("GET", apiBase + "/keys", {}).status, 401);
        QVERIFY2(s.server.stop(&error), qPrintable(error));
    }

    // Every path the server registers is in the document and every path of the document is registered.
    void openApiDescribesTheRouteTable()
    {
        QTemporaryDir dir;
        Database db(DatabaseLocation::parse(dir.filePath(u"routes.sqlite"_s)).value());
        QVERIFY(db.open().ok());
        QVERIFY(Migrations(db).run().ok());
        KeyService keys(db);
        TokenStore tokens(db);
        app::HttpEndpoint endpoint(db, keys, tokens);
        QSet<QString> registered;
        for (QString path : endpoint.server().routePaths())
            registered.insert(path.replace(u"<arg>"_s, u"{key_id}"_s));
        QFile file(u":/openapi/openapi.json"_s);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject document = QJsonDocument::fromJson(file.readAll()).object();
        QCOMPARE(document.value(u"openapi").toString(), u"3.0.3"_s);
        const QStringList described = document.value(u"paths").toObject().keys();
        QCOMPARE(QSet<QString>(described.cbegin(), described.cend()), registered);
    }

    void openApiMethodsAreServed_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("methods");
    }
    // Each path's methods in the document are served (never a 405 or an unknown route), every other method is a 405
    // whose Allow lists exactly the document's methods.
    void openApiMethodsAreServed()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        const Reply reply = s->client->send("GET", apiBase + "/openapi.json", {});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.header("Content-Type"), QByteArray("application/json"));
        const QJsonObject paths = reply.json()[u"paths"].toObject();
        QVERIFY2(paths.size() >= 17, reply.body.left(300).constData());
        const QStringList methods{u"get"_s, u"post"_s, u"put"_s, u"patch"_s, u"delete"_s};
        for (auto it = paths.constBegin(); it != paths.constEnd(); ++it) {
            const QByteArray path = it.key().toUtf8().replace("{key_id}", "ka1");
            QStringList allowed;
            for (const QString &method : methods) {
                if (it.value().toObject().contains(method))
                    allowed << method.toUpper();
            }
            QVERIFY2(!allowed.isEmpty(), qPrintable(it.key()));
            for (const QString &method : methods) {
                const QByteArray verb = method.toUpper().toLatin1();
                // Bodies that make each write a valid no-op or a refusal, never a change that matters here.
                Request request;
                request.method = verb;
                request.path = path + (path.endsWith("/limit") && verb == "PATCH" ? "?limit=9" : "");
                request.token = s->admin;
                request.body = verb == "GET" || verb == "DELETE" ? QByteArray() : QByteArray("{}");
                const Reply answer = s->client->send(request);
                const QString where = it.key() + u' ' + QString::fromLatin1(verb) + u": "_s + answer.describe();
                if (allowed.contains(QString::fromLatin1(verb))) {
                    QVERIFY2(answer.status != 405 && answer.status != 0, qPrintable(where));
                    QVERIFY2(answer.status != 404 || answer.body.contains("Key not found"), qPrintable(where));
                } else {
                    QVERIFY2(answer.status == 405, qPrintable(where));
                    QStringList allow = QString::fromLatin1(answer.header("Allow")).split(u", "_s);
                    allow.removeAll(u"HEAD"_s);
                    allow.sort();
                    QStringList expected = allowed;
                    expected.sort();
                    QVERIFY2(allow == expected, qPrintable(where + u" Allow: "_s + allow.join(u',')));
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpMetrics)
#include "tst_httpmetrics.moc"
