// The HTTP endpoint's gatekeeping, through the real program and a real client (spec/api.md): routing errors (404,
// 405 with Allow), authentication and roles (401/403), the 64 KiB body limit (413), the order in which these checks
// run, the Accept-Language choice, the token commands and the refusal to listen publicly without a token.

#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QLocale>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <tuple>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

const QByteArray &base = apiBase;
// k1's stats: the answer a read-only request that got through must give, and proof that refused writes wrote nothing.
const QByteArray k1Stats = R"({"adaptive_mode":true,"max_concurrent":null,"effective_limit":9,"learned_limit":9,
    "concurrent_429_count":4,"rpm_429_count":0,"last_429_at":null,"last_429_type":null,"adjustment_count":0,
    "recent_adjustments":[]})"_ba;

enum Caller { Nobody, Admin, Viewer, Gateway, Revoked, Unknown, Environment };

QByteArray tokenFor(const Session &s, int caller)
{
    switch (caller) {
    case Admin:
        return s.admin;
    case Viewer:
        return s.viewer;
    case Gateway:
        return s.gateway;
    case Revoked:
        return s.revoked;
    case Unknown:
        return "act_" + QByteArray(43, 'x');
    case Environment:
        return s.environmentToken;
    }
    return {};
}

// A body of exactly `size` bytes that is valid JSON: `{"enabled":false,"fixed_limit":N,"pad":"aaa…"}`.
QByteArray paddedBody(int fixedLimit, qsizetype size)
{
    const QByteArray head = "{\"enabled\":false,\"fixed_limit\":" + QByteArray::number(fixedLimit) + ",\"pad\":\"";
    return head + QByteArray(size - head.size() - 2, 'a') + "\"}";
}

const QByteArray big = paddedBody(3, 70 * 1024);

struct Route {
    const char *name;
    QByteArray method;
    QByteArray path;
    QByteArray body;
    bool mutating;
};

// The six admin routes on key k1, each with a request that would change k1 if it got through.
const QList<Route> adminRoutes = {
    {"list", "GET", base + "/keys", {}, false},
    {"mode", "PATCH", base + "/keys/k1/mode", R"({"enabled":false,"fixed_limit":3})", true},
    {"stats", "GET", base + "/keys/k1/stats", {}, false},
    {"learning", "DELETE", base + "/keys/k1/learning", {}, true},
    {"limit", "PATCH", base + "/keys/k1/limit?limit=3", {}, true},
    {"summary", "GET", base + "/summary", {}, false},
};

bool sharedFixture(Session &s, QString *error)
{
    KeyRow k1{u"k1"_s};
    k1.name = u"first"_s;
    k1.learned = 9;
    k1.concurrent429 = 4;
    KeyRow size{u"k-size"_s};
    size.name = u"size"_s;
    KeyRow env{u"k-env"_s};
    env.name = u"env"_s;
    env.learned = 3;
    return insertKey(s.db, k1, error) && insertKey(s.db, size, error) && insertKey(s.db, env, error);
}

// k1 as the fixture left it: nothing refused may have written to it.
QString k1Untouched(Session &s)
{
    QString error;
    const auto row = selectRow(s.db,
                               u"SELECT max_concurrent, learned_max_concurrent, concurrent_429_count FROM "
                               "provider_api_keys WHERE id = 'k1'"_s,
                               &error);
    if (!row)
        return error;
    if (!row->at(0).isNull() || row->at(1).toString() != u"9" || row->at(2).toString() != u"4")
        return u"k1 changed: max_concurrent=%1 learned=%2 concurrent_429_count=%3"_s.arg(
            row->at(0).toString(), row->at(1).toString(), row->at(2).toString());
    return {};
}

} // namespace

class TestHttpAuth : public HttpSuite {
    Q_OBJECT

public:
    TestHttpAuth()
        : HttpSuite(sharedFixture)
    {
    }

private slots:

    // ---- routing -------------------------------------------------------------------------------------------------

    void unknownPath_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        const QList<QPair<QByteArray, QByteArray>> paths = {
            {"GET", "/"},
            {"GET", "/api/admin/adaptive"},
            {"GET", "/api/admin/adaptive/key"},
            {"GET", "/api/admin/adaptive/keys/k1"},
            {"GET", "/api/admin/adaptive/keys/k1/statistics"},
            {"GET", "/api/admin/adaptive/keys/k1/stats/more"},
            {"PATCH", "/api/admin/adaptive/keys/k1/mode/x"},
            {"POST", "/api/admin/adaptive/keys/k1"},
            {"GET", "/api/admin/adaptive/summary/x"},
            {"GET", "/API/admin/adaptive/keys"},
            {"DELETE", "/nope"},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[method, path] : paths)
                QTest::addRow("%s: %s %s", backend.constData(), method.constData(), path.constData())
                    << backend << method << path;
        }
    }

    void unknownPath()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        AETHER_SHARED_SESSION(s, m_pool);
        // Routing comes first: the same 404 with and without credentials.
        EXPECT_REPLY(s->client->send(method, path, {}), 404, routingDetail("Not Found"));
        EXPECT_REPLY(s->client->send(method, path, s->admin), 404, routingDetail("Not Found"));
    }

    void trailingSlash_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("trailing slash");
    }

    void trailingSlash()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        for (const QByteArray &path :
             {QByteArray(base + "/keys/"), QByteArray(base + "/summary/"), QByteArray(base + "/keys/k1/stats/")}) {
            const Reply reply = s->client->send("GET", path, s->admin);
            // The spec allows a redirect to the path without the slash, or a 404.
            if (reply.status == 307) {
                QCOMPARE(reply.header("Location").endsWith(path.chopped(1)), true);
            } else {
                EXPECT_REPLY(reply, 404, routingDetail("Not Found"));
            }
        }
    }

    void wrongMethod_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("allowed");
        const QList<QPair<QByteArray, QByteArray>> routes = {
            {"GET", base + "/keys"},
            {"PATCH", base + "/keys/nope/mode"},
            {"GET", base + "/keys/nope/stats"},
            {"DELETE", base + "/keys/nope/learning"},
            {"GET,PATCH", base + "/keys/nope/limit"},
            {"POST", base + "/keys/nope/events"},
            {"POST", base + "/events"},
            {"GET,PUT,DELETE", base + "/policy"},
            {"GET", base + "/summary"},
            {"GET", "/healthz"},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[allowed, path] : routes) {
                for (const QByteArray method : {"GET", "POST", "PUT", "PATCH", "DELETE"}) {
                    if (!allowed.split(',').contains(method))
                        QTest::addRow("%s: %s %s", backend.constData(), method.constData(), path.constData())
                            << backend << method << path << allowed;
                }
            }
        }
    }

    void wrongMethod()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, allowed);
        AETHER_SHARED_SESSION(s, m_pool);
        // 405 comes before authentication (no, bad and insufficient credentials) and before the key lookup.
        for (const QByteArray &token : {QByteArray(), tokenFor(*s, Unknown), s->viewer, s->admin}) {
            const Reply reply = s->client->send(method, path, token, method == "GET" ? QByteArray() : "{}"_ba);
            EXPECT_REPLY(reply, 405, routingDetail("Method Not Allowed"));
            QList<QByteArray> listed;
            for (const QByteArray &item : reply.header("Allow").split(','))
                listed.append(item.trimmed().toUpper());
            for (const QByteArray &one : allowed.split(','))
                QVERIFY2(listed.contains(one), reply.header("Allow").constData());
            QVERIFY2(!listed.contains(method), reply.header("Allow").constData());
        }
    }

    // ---- authentication ------------------------------------------------------------------------------------------

    void missingCredentials_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("authorization"); // "-" = no header
        const QList<QPair<const char *, QByteArray>> headers = {
            {"no header", "-"},
            {"Basic", "Basic b3BzOnNlY3JldA=="},
            {"Token scheme", "Token secret"},
            {"Bearer without token", "Bearer"},
            {"Bearer and blanks", "Bearer    "},
            {"token alone", "secret"},
            {"Bearersecret", "Bearersecret"},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const Route &route : adminRoutes) {
                // Every header variant on one route, the plain missing header on all of them.
                for (const auto &[name, value] : headers) {
                    if (qstrcmp(route.name, "stats") == 0 || value == "-")
                        QTest::addRow("%s: %s, %s", backend.constData(), route.name, name)
                            << backend << route.method << route.path << route.body << value;
                }
            }
        }
    }

    void missingCredentials()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, authorization);
        AETHER_SHARED_SESSION(s, m_pool);
        Request request;
        request.method = method;
        request.path = path;
        request.body = body;
        if (authorization != "-")
            request.headers.append({"Authorization", authorization});
        EXPECT_REPLY(s->client->send(request), 401, httpError(u"缺少管理员凭证"_s));
        request.language = english;
        EXPECT_REPLY(s->client->send(request), 401, httpError(u"Missing admin credentials"_s));
        const QString untouched = k1Untouched(*s);
        QVERIFY2(untouched.isEmpty(), qPrintable(untouched));
    }

    void refusedCaller_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("caller");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("zh");
        QTest::addColumn<QString>("en");
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const Route &r : adminRoutes) {
                const auto add = [&](const char *who, int caller, int status, const QString &zh, const QString &en) {
                    QTest::addRow("%s: %s, %s", backend.constData(), r.name, who)
                        << backend << r.method << r.path << r.body << caller << status << zh << en;
                };
                add("unknown token", Unknown, 401, u"无效的Token"_s, u"Invalid token"_s);
                add("revoked token", Revoked, 401, u"无效的Token"_s, u"Invalid token"_s);
                add("gateway", Gateway, 403, u"需要管理员权限"_s, u"Admin privileges required"_s);
                if (r.mutating)
                    add("viewer", Viewer, 403, u"需要管理员权限"_s, u"Admin privileges required"_s);
            }
        }
    }

    void refusedCaller()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(int, caller);
        QFETCH(int, status);
        QFETCH(QString, zh);
        QFETCH(QString, en);
        AETHER_SHARED_SESSION(s, m_pool);
        const QByteArray token = tokenFor(*s, caller);
        EXPECT_REPLY(s->client->send(method, path, token, body), status, httpError(zh));
        EXPECT_REPLY(s->client->send(method, path, token, body, english), status, httpError(en));
        // A token that differs from a valid one in its last character is unknown too.
        if (caller == Unknown) {
            const QByteArray lastChanged = s->admin.chopped(1) + (s->admin.endsWith('A') ? "B" : "A");
            EXPECT_REPLY(s->client->send(method, path, lastChanged, body), 401, httpError(u"无效的Token"_s));
        }
        const QString untouched = k1Untouched(*s);
        QVERIFY2(untouched.isEmpty(), qPrintable(untouched));
    }

    void viewerReads_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("viewer reads");
    }

    void viewerReads()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        EXPECT_REPLY(s->client->send("GET", base + "/keys/k1/stats", s->viewer), 200, parseJson(k1Stats));
        // Other tests of this server switch keys to fixed: compare with what the database holds now.
        QString error;
        const auto adaptive =
            selectRow(s->db, u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s, &error);
        QVERIFY2(adaptive, qPrintable(error));
        const Reply list = s->client->send("GET", base + "/keys?endpoint_id=ep-1", s->viewer);
        QCOMPARE(list.status, 200);
        QStringList ids;
        for (const QJsonValue &key : list.json().toArray())
            ids.append(key[u"id"].toString());
        QVERIFY2(ids.contains(u"k1"_s), qPrintable(QString::fromUtf8(list.body)));
        QCOMPARE(ids.size(), adaptive->at(0).toInt());
        const Reply summary = s->client->send("GET", base + "/summary", s->viewer);
        QCOMPARE(summary.status, 200);
        QCOMPARE(summary.json()[u"total_adaptive_keys"].toInteger(-1), adaptive->at(0).toLongLong());
    }

    void acceptedCredentials_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("caller");
        QTest::addColumn<QByteArray>("format"); // %1 = the token
        for (const QByteArray &backend : TestDatabase::backends()) {
            const auto add = [&](const char *name, int caller, const QByteArray &format) {
                QTest::addRow("%s: %s", backend.constData(), name) << backend << caller << format;
            };
            add("Bearer", Admin, "Bearer %1");
            add("bearer", Admin, "bearer %1");
            add("BEARER", Admin, "BEARER %1");
            add("padded token", Admin, "Bearer   %1   ");
            add("environment token", Environment, "Bearer %1");
            add("environment token, bearer", Environment, "bearer %1");
        }
    }

    void acceptedCredentials()
    {
        QFETCH(int, caller);
        QFETCH(QByteArray, format);
        AETHER_SHARED_SESSION(s, m_pool);
        Request request;
        request.path = base + "/keys/k1/stats";
        request.headers.append({"Authorization", QByteArray(format).replace("%1", tokenFor(*s, caller))});
        EXPECT_REPLY(s->client->send(request), 200, parseJson(k1Stats));
        // The same credentials may write.
        request.method = "DELETE";
        request.path = base + "/keys/k-env/learning";
        EXPECT_REPLY(s->client->send(request), 200, parseJson(R"({"message":"学习状态已重置","key_id":"k-env"})"));
    }

    // ---- language --------------------------------------------------------------------------------------------------

    void language_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("acceptLanguage");
        QTest::addColumn<bool>("englishExpected");
        const QList<std::tuple<const char *, QByteArray, bool>> rows = {
            {"en", "en", true},
            {"en-US,en;q=0.9", "en-US,en;q=0.9", true},
            {"en-GB", "en-GB", true},
            {"upper case", "EN-us", true},
            {"zh first", "zh-CN,zh;q=0.9,en;q=0.8", false},
            {"fr first", "fr-FR,en;q=0.5", false},
            {"en less preferred", "en;q=0.1,zh-CN;q=0.9", false},
            {"en more preferred", "zh;q=0.5,en", true},
            {"any", "*", false},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, value, english] : rows)
                QTest::addRow("%s: %s", backend.constData(), name) << backend << value << english;
        }
    }

    void language()
    {
        QFETCH(QByteArray, acceptLanguage);
        QFETCH(bool, englishExpected);
        AETHER_SHARED_SESSION(s, m_pool);
        Request request;
        request.path = base + "/keys";
        request.language = acceptLanguage;
        EXPECT_REPLY(s->client->send(request), 401,
                     httpError(englishExpected ? u"Missing admin credentials"_s : u"缺少管理员凭证"_s));
    }

    void languageWithoutHeader_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("no Accept-Language");
    }

    void languageWithoutHeader()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        // Raw requests: QNetworkAccessManager would put an Accept-Language header of its own in place of a missing
        // or empty one.
        for (const QByteArray &language : {QByteArray(), "Accept-Language: \r\n"_ba}) {
            const Reply reply = rawExchange(s->server.port(), "PATCH " + base +
                                                                  "/keys/k1/limit?limit=3 HTTP/1.1\r\n"
                                                                  "Host: 127.0.0.1\r\nAuthorization: Bearer " +
                                                                  s->viewer + "\r\n" + language +
                                                                  "Content-Length: 0\r\nConnection: close\r\n\r\n");
            EXPECT_REPLY(reply, 403, httpError(u"需要管理员权限"_s));
        }
    }

    // ---- body size -----------------------------------------------------------------------------------------------

    void bodyTooLarge_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        const QList<std::tuple<const char *, QByteArray, QByteArray>> rows = {
            {"mode", "PATCH", base + "/keys/k1/mode"},
            {"mode, unknown key", "PATCH", base + "/keys/nope/mode"},
            {"learning, unknown key", "DELETE", base + "/keys/nope/learning"},
            {"limit, invalid query", "PATCH", base + "/keys/k1/limit?limit=abc"},
            {"limit, unknown key", "PATCH", base + "/keys/nope/limit?limit=5"},
            {"stats, unknown key", "GET", base + "/keys/nope/stats"},
            {"list", "GET", base + "/keys"},
            {"summary", "GET", base + "/summary"},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, method, path] : rows)
                QTest::addRow("%s: %s", backend.constData(), name) << backend << method << path;
        }
    }

    void bodyTooLarge()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        AETHER_SHARED_SESSION(s, m_pool);
        // After authentication, before query validation and key lookup.
        EXPECT_REPLY(s->client->send(method, path, s->admin, big), 413, httpError(u"请求体过大"_s));
        EXPECT_REPLY(s->client->send(method, path, s->admin, big, english), 413,
                     httpError(u"Request body too large"_s));
        EXPECT_REPLY(s->client->send(method, path, {}, big), 401, httpError(u"缺少管理员凭证"_s));
        const QString untouched = k1Untouched(*s);
        QVERIFY2(untouched.isEmpty(), qPrintable(untouched));
    }

    void bodySizeLimit_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("64 KiB");
    }

    void bodySizeLimit()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        const QByteArray path = base + "/keys/k-size/mode";
        const QByteArray tooLarge = paddedBody(8, 64 * 1024 + 1);
        QCOMPARE(tooLarge.size(), 65537);
        EXPECT_REPLY(s->client->send("PATCH", path, s->admin, tooLarge), 413, httpError(u"请求体过大"_s));
        QString error;
        auto row = selectRow(s->db, u"SELECT max_concurrent FROM provider_api_keys WHERE id = 'k-size'"_s, &error);
        QVERIFY2(row, qPrintable(error));
        QVERIFY(row->at(0).isNull());
        // Exactly 64 KiB is still accepted.
        const QByteArray largest = paddedBody(6, 64 * 1024);
        QCOMPARE(largest.size(), 65536);
        EXPECT_REPLY(s->client->send("PATCH", path, s->admin, largest), 200,
                     parseJson(R"({"message":"已切换为固定限制模式，并发限制设为 6","key_id":"k-size",
                        "is_adaptive":false,"max_concurrent":6,"effective_limit":6})"));
        row = selectRow(s->db, u"SELECT max_concurrent FROM provider_api_keys WHERE id = 'k-size'"_s, &error);
        QVERIFY2(row, qPrintable(error));
        QCOMPARE(row->at(0).toString(), u"6"_s);
    }

    // ---- the order of the checks ---------------------------------------------------------------------------------

    void processingOrder_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<int>("caller");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QJsonValue>("expected");
        const QJsonValue notAllowed = routingDetail("Method Not Allowed");
        const QJsonValue noCredentials = httpError(u"缺少管理员凭证"_s);
        const QJsonValue forbidden = httpError(u"需要管理员权限"_s);
        const QJsonValue tooLarge = httpError(u"请求体过大"_s);
        const QJsonValue notFound = httpError(u"Key not found"_s);
        const QJsonValue below = parseJson(R"({"detail":[{"type":"greater_than_equal","loc":["query","limit"],
            "msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}]})");
        const QByteArray limitPath = base + "/keys/nope/limit?limit=0";
        const QList<std::tuple<const char *, QByteArray, QByteArray, int, QByteArray, int, QJsonValue>> rows = {
            {"405 before 401", "POST", base + "/keys/nope/stats", Nobody, {}, 405, notAllowed},
            {"405 before 413", "POST", base + "/keys/k1/mode", Admin, big, 405, notAllowed},
            {"401 before 404", "GET", base + "/keys/nope/stats", Nobody, {}, 401, noCredentials},
            {"401 before 413", "PATCH", base + "/keys/k1/mode", Nobody, big, 401, noCredentials},
            {"401 before 422", "PATCH", limitPath, Nobody, {}, 401, noCredentials},
            {"403 before 404", "DELETE", base + "/keys/nope/learning", Viewer, {}, 403, forbidden},
            {"403 before 413", "PATCH", base + "/keys/k1/mode", Viewer, big, 403, forbidden},
            {"403 before 422", "PATCH", limitPath, Viewer, {}, 403, forbidden},
            {"413 before 422", "PATCH", limitPath, Admin, big, 413, tooLarge},
            {"422 before 404", "PATCH", limitPath, Admin, {}, 422, below},
            {"404 before body: empty", "PATCH", base + "/keys/nope/mode", Admin, {}, 404, notFound},
            {"404 before body: not JSON", "PATCH", base + "/keys/nope/mode", Admin, "{", 404, notFound},
            {"404 before body: {}", "PATCH", base + "/keys/nope/mode", Admin, "{}", 404, notFound},
            {"404 before body: fixed_limit missing", "PATCH", base + "/keys/nope/mode", Admin, R"({"enabled":false})",
             404, notFound},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, method, path, caller, body, status, expected] : rows)
                QTest::addRow("%s: %s", backend.constData(), name)
                    << backend << method << path << caller << body << status << expected;
        }
    }

    void processingOrder()
    {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, path);
        QFETCH(int, caller);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QJsonValue, expected);
        AETHER_SHARED_SESSION(s, m_pool);
        EXPECT_REPLY(s->client->send(method, path, tokenFor(*s, caller), body), status, expected);
        const QString untouched = k1Untouched(*s);
        QVERIFY2(untouched.isEmpty(), qPrintable(untouched));
    }

    // ---- the program's own rules: tokens, listening ----------------------------------------------------------------

    void tokenCommands_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("token commands");
    }

    void tokenCommands()
    {
        AETHER_TEST_SESSION(s);
        const QString url = s.db.url();
        const auto list = [&] { return runConsole({u"--database"_s, url, u"--list-tokens"_s}); };
        const auto lineOf = [](const ProcessResult &r, const QString &name) {
            for (const QByteArray &line : r.out.split('\n')) {
                if (QString::fromUtf8(line).startsWith(name + u' '))
                    return QString::fromUtf8(line).simplified();
            }
            return QString();
        };
        static const QRegularExpression iso(u"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d"_s);

        // Names and roles; the revoked token is gone; nothing used yet.
        ProcessResult listed = list();
        QVERIFY2(listed.finished && listed.exitCode == 0, qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"ops"_s).contains(u" admin "_s), qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"watcher"_s).contains(u" viewer "_s), qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"gw"_s).contains(u" gateway "_s), qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"old"_s).isEmpty(), qPrintable(listed.describe()));
        QVERIFY2(iso.match(lineOf(listed, u"ops"_s)).hasMatch(), qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"ops"_s).endsWith(u" never"_s), qPrintable(listed.describe()));

        // Using a token records its last use.
        EXPECT_REPLY(s.client->send("DELETE", base + "/keys/nope/learning", s.admin), 404,
                     httpError(u"Key not found"_s));
        listed = list();
        QVERIFY2(!lineOf(listed, u"ops"_s).endsWith(u" never"_s), qPrintable(listed.describe()));
        QVERIFY2(lineOf(listed, u"watcher"_s).endsWith(u" never"_s), qPrintable(listed.describe()));

        // The default role is admin; the token is alone on the last stdout line.
        QString error;
        const QByteArray fresh = createToken(url, u"fresh"_s, u"admin"_s, &error).toUtf8();
        const ProcessResult created = runConsole({u"--database"_s, url, u"--create-token"_s, u"plain"_s});
        QVERIFY2(created.finished && created.exitCode == 0, qPrintable(created.describe()));
        const QByteArray plain = created.out.trimmed().split('\n').last();
        QVERIFY(!plain.isEmpty() && !plain.contains(' '));
        EXPECT_REPLY(s.client->send("DELETE", base + "/keys/nope/learning", plain), 404, httpError(u"Key not found"_s));

        // Revoking takes effect on the running server at once.
        EXPECT_REPLY(s.client->send("GET", base + "/keys/nope/stats", fresh), 404, httpError(u"Key not found"_s));
        const ProcessResult revoked = runConsole({u"--database"_s, url, u"--revoke-token"_s, u"fresh"_s});
        QVERIFY2(revoked.finished && revoked.exitCode == 0, qPrintable(revoked.describe()));
        EXPECT_REPLY(s.client->send("GET", base + "/keys/nope/stats", fresh), 401, httpError(u"无效的Token"_s));

        // Refusals: unknown token to revoke, duplicate name, unknown role.
        for (const QStringList &args :
             {QStringList{u"--revoke-token"_s, u"fresh"_s}, QStringList{u"--create-token"_s, u"ops"_s},
              QStringList{u"--create-token"_s, u"x"_s, u"--role"_s, u"root"_s}}) {
            const ProcessResult refused = runConsole(QStringList{u"--database"_s, url} + args);
            QVERIFY2(refused.finished && refused.exitCode != 0 && !refused.err.trimmed().isEmpty(),
                     qPrintable(args.join(u' ') + u": "_s + refused.describe()));
        }
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    // The command line speaks the system's language: Chinese for a zh locale, English otherwise (help and errors).
    void commandLineLanguage()
    {
        QProcessEnvironment zh = consoleEnvironment();
        zh.insert(u"LC_ALL"_s, u"zh_CN.UTF-8"_s);
        QProcessEnvironment en = consoleEnvironment();
        en.insert(u"LC_ALL"_s, u"C.UTF-8"_s);
        const ProcessResult helpZh = runConsole({u"--help"_s}, zh);
        QVERIFY2(helpZh.finished && helpZh.exitCode == 0, qPrintable(helpZh.describe()));
        QVERIFY2(QString::fromUtf8(helpZh.out).contains(u"不打开窗口，仅提供 HTTP 接口。"_s), helpZh.out.constData());
        const ProcessResult helpEn = runConsole({u"--help"_s}, en);
        QVERIFY2(QString::fromUtf8(helpEn.out).contains(u"Serve the HTTP API without a window."_s),
                 helpEn.out.constData());
        const QStringList bad{u"--database"_s, u"mysql://nope"_s, u"--list-tokens"_s};
        const ProcessResult errorZh = runConsole(bad, zh);
        QCOMPARE(errorZh.exitCode, 2); // a usage error (the man page's EXIT STATUS)
        QVERIFY2(QString::fromUtf8(errorZh.err).contains(u"无效的 --database"_s), errorZh.err.constData());
        const ProcessResult errorEn = runConsole(bad, en);
        QVERIFY2(QString::fromUtf8(errorEn.err).contains(u"invalid --database"_s), errorEn.err.constData());
    }

    void publicListenNeedsToken_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("0.0.0.0");
    }

    void publicListenNeedsToken()
    {
        AETHER_TEST_DATABASE(db);
        const QStringList serve{u"--database"_s, db.url(), u"--serve"_s, u"--listen"_s, u"0.0.0.0:0"_s};
        const ProcessResult refused = runConsole(serve, consoleEnvironment(), 15000);
        QVERIFY2(refused.finished && refused.exitCode != 0, qPrintable(refused.describe()));
        QVERIFY2(!refused.err.trimmed().isEmpty(), qPrintable(refused.describe()));
        QVERIFY2(!refused.out.contains("Listening"), qPrintable(refused.describe()));

        // A short environment token is not enough beyond loopback...
        QString error;
        QProcessEnvironment env = consoleEnvironment();
        env.insert(u"AETHER_CONSOLE_TOKEN"_s, u"secret"_s);
        const ProcessResult shortToken = runConsole(serve, env, 15000);
        QVERIFY2(shortToken.finished && shortToken.exitCode != 0, qPrintable(shortToken.describe()));
        QVERIFY2(shortToken.err.contains("AETHER_CONSOLE_TOKEN has 6 characters"), qPrintable(shortToken.describe()));
        QVERIFY2(!shortToken.out.contains("Listening"), qPrintable(shortToken.describe()));
        // ...a long one is, and plain HTTP beyond loopback is served with a warning...
        env.insert(u"AETHER_CONSOLE_TOKEN"_s, QString(32, u'k'));
        {
            ConsoleServer server;
            QVERIFY2(server.start(db.url(), &error, env, u"0.0.0.0:0"_s), qPrintable(error));
            HttpClient client(server.port());
            EXPECT_REPLY(client.send("GET", "/healthz", {}), 200, parseJson(R"({"status":"ok","database":"ok"})"));
            QVERIFY2(server.stop(&error), qPrintable(error));
        }
        // ...and so is a stored one.
        const QByteArray token = createToken(db.url(), u"ops"_s, u"viewer"_s, &error).toUtf8();
        QVERIFY2(!token.isEmpty(), qPrintable(error));
        ConsoleServer server;
        QVERIFY2(server.start(db.url(), &error, consoleEnvironment(), u"0.0.0.0:0"_s), qPrintable(error));
        HttpClient client(server.port());
        EXPECT_REPLY(client.send("GET", base + "/keys", token), 200, QJsonArray());
        QVERIFY2(server.stop(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestHttpAuth)
#include "tst_httpauth.moc"
