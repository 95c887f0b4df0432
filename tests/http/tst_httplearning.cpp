// The learning routes through the real program and a real client: POST …/keys/{id}/events, POST …/events,
// GET …/keys/{id}/limit and GET/PUT/DELETE …/policy — answers, error cases (404 before 400, nothing written), roles,
// size limits, and that the learned values move as spec/learning.md says.

#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QJsonDocument>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

const QByteArray &base = apiBase;

// k-learn: adaptive, learned 20, one record of another writer; k-new: adaptive, nothing learned; k-fix: fixed at 8.
bool fixture(Session &s, QString *error)
{
    KeyRow learn{u"k-learn"_s};
    learn.name = u"learn"_s;
    learn.learned = 20;
    learn.history = u"[{\"timestamp\":\"2025-01-01T00:00:00+00:00\",\"old_limit\":22,\"new_limit\":20,"
                    u"\"reason\":\"manual\",\"by\":\"gateway\"}]"_s;
    KeyRow fresh{u"k-new"_s};
    fresh.name = u"new"_s;
    KeyRow fixed{u"k-fix"_s};
    fixed.name = u"fixed"_s;
    fixed.maxConcurrent = 8;
    fixed.learned = 30;
    KeyRow other{u"k-other"_s};
    other.name = u"other"_s;
    other.learned = 10;
    return insertKey(s.db, learn, error) && insertKey(s.db, fresh, error) && insertKey(s.db, fixed, error) &&
           insertKey(s.db, other, error);
}

QByteArray eventsPath(const char *key)
{
    return base + "/keys/" + key + "/events";
}

// The row's learning columns, for "nothing was written" checks.
QString learningColumns(Session &s, const QString &key)
{
    QString error;
    const auto row = selectRow(s.db,
                               u"SELECT learned_max_concurrent, concurrent_429_count, rpm_429_count, %1, %2, %3 "
                               u"FROM provider_api_keys WHERE id = '%4'"_s.arg(
                                   asText(s.db, u"last_429_at"_s), asText(s.db, u"adjustment_history"_s),
                                   asText(s.db, u"utilization_samples"_s), key),
                               &error);
    if (!row)
        return error;
    QStringList parts;
    for (const QVariant &v : *row)
        parts << (v.isNull() ? u"NULL"_s : v.toString());
    return parts.join(u" | ");
}

} // namespace

class TestHttpLearning : public HttpSuite {
    Q_OBJECT

public:
    TestHttpLearning()
        : HttpSuite(fixture)
    {
    }

private slots:
    // ---- POST /keys/{id}/events ------------------------------------------------------------------------------------
    void eventAnswers_data();
    void eventAnswers();
    void eventErrors_data();
    void eventErrors();
    // ---- roles -----------------------------------------------------------------------------------------------------
    void roles_data();
    void roles();
    // ---- POST /events ----------------------------------------------------------------------------------------------
    void batch_data();
    void batch();
    // ---- policy ----------------------------------------------------------------------------------------------------
    void policy_data();
    void policy();

private:
    static QJsonObject invalidRequest_(const QString &message) { return invalidRequest(message); }
};

void TestHttpLearning::eventAnswers_data()
{
    QTest::addColumn<QByteArray>("backend");
    addBackendRows("event answers");
}

void TestHttpLearning::eventAnswers()
{
    AETHER_TEST_SESSION(s);
    QString error;
    QVERIFY2(fixture(s, &error), qPrintable(error));

    // A success on an unlearned key: a sample, no limit.
    Reply reply =
        s.client->send("POST", eventsPath("k-new"), s.gateway, R"({"outcome":"success","current_concurrent":7})");
    EXPECT_REPLY(reply, 200, parseJson(R"({"key_id":"k-new","classification":null,"learned_max_concurrent":null,
        "effective_limit":null,"adjusted":false,"adjustment":null})"));
    EXPECT_ROW(s, u"k-new"_s, u"learned_max_concurrent, concurrent_429_count"_s, QString(), u"0"_s);

    // A concurrency 429 with the provider's headers: 20 → trunc(12 × 0.85) = 10.
    reply = s.client->send("POST", eventsPath("k-learn"), s.gateway,
                           R"({"outcome":"rate_limited","current_concurrent":12,"provider":"anthropic",
            "headers":{"Anthropic-RateLimit-Requests-Remaining":" 4 ","retry-after":"2"}})");
    QCOMPARE(reply.status, 200);
    QJsonObject answer = reply.json().toObject();
    const QJsonObject record = answer.value(u"adjustment"_s).toObject();
    QVERIFY2(!record.value(u"timestamp"_s).toString().isEmpty(), reply.body.constData());
    answer.remove(u"adjustment"_s);
    QCOMPARE(compareJson(answer, parseJson(R"({"key_id":"k-learn","classification":"concurrent",
        "learned_max_concurrent":10,"effective_limit":10,"adjusted":true})")),
             QString());
    QJsonObject recordWithoutTime = record;
    recordWithoutTime.remove(u"timestamp"_s);
    QCOMPARE(compareJson(recordWithoutTime, parseJson(R"({"old_limit":20,"new_limit":10,"reason":"concurrent_429",
        "current_concurrent":12})")),
             QString());
    EXPECT_ROW(s, u"k-learn"_s,
               u"learned_max_concurrent, concurrent_429_count, rpm_429_count, last_429_type, "
               u"last_concurrent_peak"_s,
               u"10"_s, u"1"_s, u"0"_s, u"concurrent"_s, u"12"_s);

    // The stats and the limit route see the same.
    reply = s.client->send("GET", base + "/keys/k-learn/stats", s.admin);
    QCOMPARE(reply.json().toObject().value(u"adjustment_count"_s).toInt(), 2);
    QCOMPARE(reply.json().toObject().value(u"recent_adjustments"_s).toArray().last().toObject(), record);
    EXPECT_REPLY(s.client->send("GET", base + "/keys/k-learn/limit", s.gateway), 200,
                 parseJson(R"({"key_id":"k-learn","mode":"adaptive","limit":10})"));

    // remaining 0 (the key's own provider is "openai" when none is given): RPM, no change, no record.
    reply = s.client->send("POST", eventsPath("k-learn"), s.admin,
                           R"({"outcome":"rate_limited","current_concurrent":3,
                               "headers":{"x-ratelimit-remaining-requests":"0"}})");
    EXPECT_REPLY(reply, 200, parseJson(R"({"key_id":"k-learn","classification":"rpm","learned_max_concurrent":10,
        "effective_limit":10,"adjusted":false,"adjustment":null})"));
    // An HTTP-date Retry-After far ahead: not a concurrency 429.
    reply = s.client->send("POST", eventsPath("k-learn"), s.admin,
                           R"({"outcome":"rate_limited","current_concurrent":5,
                               "headers":{"retry-after":"Fri, 01 Jan 2100 00:00:00 GMT"}})");
    QCOMPARE(reply.json().toObject().value(u"classification"_s).toString(), u"unknown"_s);
    QCOMPARE(reply.json().toObject().value(u"learned_max_concurrent"_s).toInt(), 9); // trunc(10 × 0.9)
    // An explicit kind wins; without cc a concurrency decrease uses the current limit.
    reply = s.client->send("POST", eventsPath("k-learn"), s.admin, R"({"outcome":"rate_limited","kind":"concurrent"})");
    QCOMPARE(reply.json().toObject().value(u"learned_max_concurrent"_s).toInt(), 7); // trunc(9 × 0.85)
    QVERIFY(reply.json().toObject().value(u"adjustment"_s).toObject().value(u"current_concurrent"_s).isNull());
    EXPECT_ROW(s, u"k-learn"_s, u"concurrent_429_count, rpm_429_count, last_429_type"_s, u"2"_s, u"1"_s,
               u"concurrent"_s);

    // A member of the same name inside another field is not the event's.
    reply = s.client->send("POST", eventsPath("k-new"), s.gateway,
                           R"({"meta":{"current_concurrent":1.5},"outcome":"success","current_concurrent":7})");
    QCOMPARE(reply.status, 200);

    // A fixed key: classified, nothing written.
    const QString before = learningColumns(s, u"k-fix"_s);
    reply =
        s.client->send("POST", eventsPath("k-fix"), s.gateway, R"({"outcome":"rate_limited","current_concurrent":9})");
    EXPECT_REPLY(reply, 200, parseJson(R"({"key_id":"k-fix","classification":"concurrent",
        "learned_max_concurrent":30,"effective_limit":8,"adjusted":false,"adjustment":null})"));
    reply = s.client->send("POST", eventsPath("k-fix"), s.gateway, R"({"outcome":"success","current_concurrent":9})");
    QCOMPARE(reply.status, 200);
    QCOMPARE(learningColumns(s, u"k-fix"_s), before);
    EXPECT_REPLY(s.client->send("GET", base + "/keys/k-fix/limit", s.viewer), 200,
                 parseJson(R"({"key_id":"k-fix","mode":"fixed","limit":8})"));
    EXPECT_REPLY(s.client->send("GET", base + "/keys/k-new/limit", s.gateway), 200,
                 parseJson(R"({"key_id":"k-new","mode":"adaptive","limit":null})"));
    EXPECT_REPLY(s.client->send("GET", base + "/keys/nope/limit", s.gateway), 404, httpError(u"Key not found"_s));
    QVERIFY2(s.stop(&error), qPrintable(error));
}

namespace {

// What POST …/keys/{id}/events refuses, with the answer in both languages.
struct EventErrorCase {
    const char *name;
    QByteArray key;
    QByteArray body;
    int status;
    QString zh;
    QString en;
    bool b;
};

QList<EventErrorCase> eventErrorCases()
{
    return {
        {"empty body", "k-learn", "", 400, u"请求体不能为空"_s, u"Request body must not be empty"_s, false},
        {"not json", "k-learn", "{outcome", 400, u"请求体必须是合法的JSON"_s, u"Request body must be valid JSON"_s,
         false},
        {"array", "k-learn", "[1]", 400, u"输入应为有效的字典或 LearningEvent 的实例"_s,
         u"Input should be a valid dictionary or instance of LearningEvent"_s, true},
        {"no outcome", "k-learn", R"({"current_concurrent":1})", 400, u"outcome: 此字段为必填项"_s,
         u"outcome: Field required"_s, true},
        {"unknown outcome", "k-learn", R"({"outcome":"failed","current_concurrent":1})", 400,
         u"outcome: 输入应为 'success' or 'rate_limited'"_s, u"outcome: Input should be 'success' or 'rate_limited'"_s,
         true},
        {"outcome case", "k-learn", R"({"outcome":"Success","current_concurrent":1})", 400,
         u"outcome: 输入应为 'success' or 'rate_limited'"_s, u"outcome: Input should be 'success' or 'rate_limited'"_s,
         true},
        {"success without cc", "k-learn", R"({"outcome":"success"})", 400, u"current_concurrent: 此字段为必填项"_s,
         u"current_concurrent: Field required"_s, true},
        {"negative cc", "k-learn", R"({"outcome":"success","current_concurrent":-1})", 400,
         u"current_concurrent: 数值应大于或等于 0"_s,
         u"current_concurrent: Input should be greater than or equal to 0"_s, true},
        {"string cc", "k-learn", R"({"outcome":"success","current_concurrent":"7"})", 400,
         u"current_concurrent: 输入应为有效的整数"_s, u"current_concurrent: Input should be a valid integer"_s, true},
        {"float cc", "k-learn", R"({"outcome":"success","current_concurrent":7.0})", 400,
         u"current_concurrent: 输入应为有效的整数"_s, u"current_concurrent: Input should be a valid integer"_s, true},
        {"fraction cc", "k-learn", R"({"outcome":"rate_limited","current_concurrent":7.5})", 400,
         u"current_concurrent: 输入应为有效的整数, got a number with a fractional part"_s,
         u"current_concurrent: Input should be a valid integer, got a number with a fractional part"_s, true},
        {"headers list", "k-learn", R"({"outcome":"rate_limited","headers":["retry-after"]})", 400,
         u"headers: 输入应为有效的字典"_s, u"headers: Input should be a valid dictionary"_s, true},
        {"header number", "k-learn", R"({"outcome":"rate_limited","headers":{"retry-after":5}})", 400,
         u"headers.retry-after: 输入应为有效的字符串"_s, u"headers.retry-after: Input should be a valid string"_s,
         true},
        {"unknown kind", "k-learn", R"({"outcome":"rate_limited","kind":"tpm"})", 400,
         u"kind: 输入应为 'concurrent', 'rpm' or 'unknown'"_s,
         u"kind: Input should be 'concurrent', 'rpm' or 'unknown'"_s, true},
        {"provider number", "k-learn", R"({"outcome":"rate_limited","provider":1})", 400,
         u"provider: 输入应为有效的字符串"_s, u"provider: Input should be a valid string"_s, true},
        {"byte-order mark", "k-learn", "\xEF\xBB\xBF{\"outcome\":\"success\",\"current_concurrent\":1}", 400,
         u"请求体必须是合法的JSON"_s, u"Request body must be valid JSON"_s, false},
        {"white space only", "k-learn", "  ", 400, u"请求体必须是合法的JSON"_s, u"Request body must be valid JSON"_s,
         false},
        {"number body", "k-learn", "5", 400, u"输入应为有效的字典或 LearningEvent 的实例"_s,
         u"Input should be a valid dictionary or instance of LearningEvent"_s, true},
        {"float cc given twice", "k-learn", R"({"outcome":"success","current_concurrent":7,"current_concurrent":7.0})",
         400, u"current_concurrent: 输入应为有效的整数"_s, u"current_concurrent: Input should be a valid integer"_s,
         true},
        {"float cc after a nested one", "k-learn",
         R"({"meta":{"current_concurrent":1},"outcome":"success","current_concurrent":7.0})", 400,
         u"current_concurrent: 输入应为有效的整数"_s, u"current_concurrent: Input should be a valid integer"_s, true},
        {"unknown key", "nope", R"({"outcome":"success","current_concurrent":1})", 404, u"Key not found"_s,
         u"Key not found"_s, false},
        {"unknown key before bad body", "nope", R"({"outcome":"x"})", 404, u"Key not found"_s, u"Key not found"_s,
         false},
        {"unknown key before empty body", "nope", "", 404, u"Key not found"_s, u"Key not found"_s, false},
        {"key ids are exact", "K-LEARN", R"({"outcome":"success","current_concurrent":1})", 404, u"Key not found"_s,
         u"Key not found"_s, false},
    };
}

} // namespace

void TestHttpLearning::eventErrors_data()
{
    QTest::addColumn<QByteArray>("backend");
    QTest::addColumn<QByteArray>("key");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("zh"); // message; type from the status and shape
    QTest::addColumn<QString>("en");
    QTest::addColumn<bool>("invalidRequest"); // shape B, else A
    const QList<EventErrorCase> cases = eventErrorCases();
    for (const QByteArray &backend : TestDatabase::backends()) {
        for (const EventErrorCase &c : cases)
            QTest::addRow("%s: %s", backend.constData(), c.name)
                << backend << c.key << c.body << c.status << c.zh << c.en << c.b;
    }
}

void TestHttpLearning::eventErrors()
{
    QFETCH(QByteArray, key);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, zh);
    QFETCH(QString, en);
    QFETCH(bool, invalidRequest);
    AETHER_SHARED_SESSION(s, m_pool);
    const QString before = learningColumns(*s, u"k-learn"_s);
    const QByteArray path = base + "/keys/" + key + "/events";
    EXPECT_REPLY(s->client->send("POST", path, s->gateway, body), status,
                 invalidRequest ? invalidRequest_(zh) : httpError(zh));
    EXPECT_REPLY(s->client->send("POST", path, s->admin, body, english), status,
                 invalidRequest ? invalidRequest_(en) : httpError(en));
    QCOMPARE(learningColumns(*s, u"k-learn"_s), before);
}

void TestHttpLearning::roles_data()
{
    QTest::addColumn<QByteArray>("backend");
    addBackendRows("roles");
}

void TestHttpLearning::roles()
{
    AETHER_SHARED_SESSION(s, m_pool);
    const QString before = learningColumns(*s, u"k-other"_s);
    const QJsonObject adminOnly = httpError(u"需要管理员权限"_s);
    const QByteArray event = R"({"outcome":"rate_limited","kind":"rpm"})";
    const QByteArray batch = R"({"events":[{"key_id":"k-other","outcome":"rate_limited","kind":"rpm"}]})";
    // A viewer may not report events.
    EXPECT_REPLY(s->client->send("POST", eventsPath("k-other"), s->viewer, event), 403, adminOnly);
    EXPECT_REPLY(s->client->send("POST", base + "/events", s->viewer, batch), 403, adminOnly);
    QCOMPARE(learningColumns(*s, u"k-other"_s), before);
    // A gateway may report and read limits, nothing else.
    EXPECT_REPLY(s->client->send("PATCH", base + "/keys/k-other/limit?limit=5", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("PATCH", base + "/keys/k-other/mode", s->gateway, R"({"enabled":true})"), 403,
                 adminOnly);
    EXPECT_REPLY(s->client->send("DELETE", base + "/keys/k-other/learning", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("GET", base + "/keys/k-other/stats", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("GET", base + "/keys", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("GET", base + "/policy", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("PUT", base + "/policy", s->gateway, R"({"min_limit":4})"), 403, adminOnly);
    EXPECT_REPLY(s->client->send("DELETE", base + "/policy", s->gateway), 403, adminOnly);
    EXPECT_REPLY(s->client->send("PUT", base + "/policy", s->viewer, R"({"min_limit":4})"), 403, adminOnly);
    EXPECT_REPLY(s->client->send("DELETE", base + "/policy", s->viewer), 403, adminOnly);
    QCOMPARE(s->client->send("GET", base + "/policy", s->viewer).status, 200);
    QCOMPARE(s->client->send("GET", base + "/keys/k-other/limit", s->viewer).status, 200);
    EXPECT_ROW(*s, u"k-other"_s, u"max_concurrent"_s, QString());
    // No token at all.
    EXPECT_REPLY(s->client->send("POST", eventsPath("k-other"), {}, event), 401, httpError(u"缺少管理员凭证"_s));
    EXPECT_REPLY(s->client->send("GET", base + "/keys/k-other/limit", {}), 401, httpError(u"缺少管理员凭证"_s));
    QCOMPARE(learningColumns(*s, u"k-other"_s), before);
    QCOMPARE(s->client->send("POST", eventsPath("k-other"), s->gateway, event).status, 200);
    QCOMPARE(s->client->send("POST", base + "/events", s->environmentToken, batch).status, 200);
    EXPECT_ROW(*s, u"k-other"_s, u"rpm_429_count"_s, u"2"_s);
}

void TestHttpLearning::batch_data()
{
    QTest::addColumn<QByteArray>("backend");
    addBackendRows("batch");
}

void TestHttpLearning::batch()
{
    AETHER_TEST_SESSION(s);
    QString error;
    QVERIFY2(fixture(s, &error), qPrintable(error));
    const QByteArray body = R"({"events":[
        {"key_id":"k-other","outcome":"rate_limited","kind":"unknown"},
        {"key_id":"nope","outcome":"success","current_concurrent":1},
        {"key_id":"k-other","outcome":"rate_limited","kind":"unknown","current_concurrent":1.5},
        {"outcome":"success","current_concurrent":1},
        7,
        {"key_id":"k-fix","outcome":"success","current_concurrent":2},
        {"key_id":"k-other","outcome":"rate_limited","kind":"unknown"},
        {"key_id":"nope","outcome":"maybe"}]})";
    const Reply reply = s.client->send("POST", base + "/events", s.gateway, body, english);
    QCOMPARE(reply.status, 200);
    const QJsonArray results = reply.json().toObject().value(u"results"_s).toArray();
    QCOMPARE(results.size(), 8);
    // Events of one key in order: 10 → 9 → 8.
    QCOMPARE(results.at(0).toObject().value(u"learned_max_concurrent"_s).toInt(), 9);
    QCOMPARE(results.at(6).toObject().value(u"learned_max_concurrent"_s).toInt(), 8);
    QCOMPARE(results.at(6).toObject().value(u"adjustment"_s).toObject().value(u"old_limit"_s).toInt(), 9);
    // Each answer's fields in the documented order (docs/api-changelog.md), the record as a JSON object, compact.
    QVERIFY2(reply.body.startsWith(R"({"results":[{"key_id":"k-other","classification":"unknown",)"
                                   R"("learned_max_concurrent":9,"effective_limit":9,"adjusted":true,"adjustment":{")"),
             reply.body.constData());
    QVERIFY2(reply.body.contains(R"({"key_id":"k-fix","classification":null,"learned_max_concurrent":30,)"
                                 R"("effective_limit":8,"adjusted":false,"adjustment":null})"),
             reply.body.constData());
    // Compact: Qt's own serialization of it (keys in another order) is as long.
    QCOMPARE(QJsonDocument(reply.json().toObject()).toJson(QJsonDocument::Compact).size(), reply.body.size());
    QCOMPARE(compareJson(results.at(1), parseJson(R"({"key_id":"nope","status":404,
        "error":{"type":"http_error","message":"Key not found"}})")),
             QString());
    QCOMPARE(compareJson(results.at(2), parseJson(R"({"key_id":"k-other","status":400,"error":{
        "type":"invalid_request",
        "message":"current_concurrent: Input should be a valid integer, got a number with a fractional part"}})")),
             QString());
    QCOMPARE(compareJson(results.at(3), parseJson(R"({"key_id":null,"status":400,
        "error":{"type":"invalid_request","message":"key_id: Field required"}})")),
             QString());
    QCOMPARE(results.at(4).toObject().value(u"status"_s).toInt(), 400);
    QCOMPARE(results.at(5).toObject().value(u"effective_limit"_s).toInt(), 8);
    // An unknown key with a bad event: 404, as on the single-event route.
    QCOMPARE(compareJson(results.at(7), parseJson(R"({"key_id":"nope","status":404,
        "error":{"type":"http_error","message":"Key not found"}})")),
             QString());
    EXPECT_ROW(s, u"k-other"_s, u"learned_max_concurrent"_s, u"8"_s);

    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, R"({"events":[]})"), 200,
                 parseJson(R"({"results":[]})"));
    // Body problems of the batch itself.
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, "", english), 400,
                 httpError(u"Request body must not be empty"_s));
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, "{", english), 400,
                 httpError(u"Request body must be valid JSON"_s));
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, "{}", english), 400,
                 invalidRequest_(u"events: Field required"_s));
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, R"({"events":{}})", english), 400,
                 invalidRequest_(u"events: Input should be a valid list"_s));
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, "[]", english), 400,
                 invalidRequest_(u"Input should be a valid dictionary or instance of EventBatch"_s));

    // 1,001 events: refused whole, nothing applied. 1,000 in one body of more than 64 KiB: accepted.
    const QString before = learningColumns(s, u"k-other"_s);
    const QByteArray one = R"({"key_id":"k-other","outcome":"rate_limited","kind":"rpm","provider":"pad-pad-pad"})";
    QByteArrayList many(1001, one);
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, "{\"events\":[" + many.join(',') + "]}", english),
                 400, invalidRequest_(u"events: List should have at most 1000 items"_s));
    QCOMPARE(learningColumns(s, u"k-other"_s), before);
    many.removeLast();
    const QByteArray thousand = "{\"events\":[" + many.join(',') + "]}";
    QVERIFY(thousand.size() > 64 * 1024);
    const Reply accepted = s.client->send("POST", base + "/events", s.admin, thousand);
    QCOMPARE(accepted.status, 200);
    QCOMPARE(accepted.json().toObject().value(u"results"_s).toArray().size(), 1000);
    EXPECT_ROW(s, u"k-other"_s, u"rpm_429_count"_s, u"1000"_s);
    // More than 1 MiB: 413, and the single-event route keeps the 64 KiB limit.
    const QByteArray huge = "{\"events\":[],\"pad\":\"" + QByteArray(1024 * 1024, 'a') + "\"}";
    EXPECT_REPLY(s.client->send("POST", base + "/events", s.admin, huge), 413, httpError(u"请求体过大"_s));
    const QByteArray padded = R"({"outcome":"success","current_concurrent":1,"pad":")" + QByteArray(70000, 'a') + "\"}";
    EXPECT_REPLY(s.client->send("POST", eventsPath("k-other"), s.admin, padded), 413, httpError(u"请求体过大"_s));
    QVERIFY2(s.stop(&error), qPrintable(error));
}

void TestHttpLearning::policy_data()
{
    QTest::addColumn<QByteArray>("backend");
    addBackendRows("policy");
}

void TestHttpLearning::policy()
{
    AETHER_TEST_SESSION(s);
    QString error;
    QVERIFY2(fixture(s, &error), qPrintable(error));
    const QJsonObject defaults = parseJson(R"({"initial_limit":50,"min_limit":3,"max_limit":200,"increase_step":2,
        "decrease_multiplier":0.85,"unknown_decrease_multiplier":0.9,"cooldown_minutes":5,
        "utilization_window_size":20,"utilization_window_seconds":120,"utilization_threshold":0.7,
        "high_utilization_ratio":0.6,"min_samples_for_decision":5,"probe_interval_minutes":30,"probe_min_samples":10,
        "probe_min_utilization":0.3,"max_history_records":20,"strategy":"aether_aimd"})")
                                     .toObject();
    EXPECT_REPLY(s.client->send("GET", base + "/policy", s.admin), 200, defaults);

    QJsonObject changed = defaults;
    changed.insert(u"decrease_multiplier"_s, 0.5);
    changed.insert(u"max_history_records"_s, 3);
    EXPECT_REPLY(
        s.client->send("PUT", base + "/policy", s.admin, R"({"decrease_multiplier":0.5,"max_history_records":3})"), 200,
        changed);
    EXPECT_REPLY(s.client->send("GET", base + "/policy", s.viewer), 200, changed);
    // Learned values are not rewritten; the next event uses the new values.
    EXPECT_ROW(s, u"k-learn"_s, u"learned_max_concurrent"_s, u"20"_s);
    const Reply event = s.client->send("POST", eventsPath("k-learn"), s.gateway,
                                       R"({"outcome":"rate_limited","kind":"concurrent","current_concurrent":12})");
    QCOMPARE(event.json().toObject().value(u"learned_max_concurrent"_s).toInt(), 6);

    const auto refused = [&](const QByteArray &body, const QString &zh, const QString &en, bool shapeB = true) {
        EXPECT_REPLY(s.client->send("PUT", base + "/policy", s.admin, body), 400,
                     shapeB ? invalidRequest_(zh) : httpError(zh));
        EXPECT_REPLY(s.client->send("PUT", base + "/policy", s.admin, body, english), 400,
                     shapeB ? invalidRequest_(en) : httpError(en));
    };
    refused(R"({"min":1})", u"min: 不允许额外的字段"_s, u"min: Extra inputs are not permitted"_s);
    refused(R"({"min_limit":0})", u"min_limit: 数值应大于或等于 1"_s,
            u"min_limit: Input should be greater than or equal to 1"_s);
    refused(R"({"initial_limit":250})", u"initial_limit: 数值应小于或等于 max_limit (200)"_s,
            u"initial_limit: Input should be less than or equal to max_limit (200)"_s);
    refused(R"({"decrease_multiplier":1})", u"decrease_multiplier: 数值应小于 1"_s,
            u"decrease_multiplier: Input should be less than 1"_s);
    refused(R"({"unknown_decrease_multiplier":0})", u"unknown_decrease_multiplier: 数值应大于 0"_s,
            u"unknown_decrease_multiplier: Input should be greater than 0"_s);
    refused(R"({"utilization_threshold":"0.5"})", u"utilization_threshold: 输入应为有效的数字"_s,
            u"utilization_threshold: Input should be a valid number"_s);
    refused(R"({"probe_min_samples":30})", u"probe_min_samples: 数值应小于或等于 utilization_window_size (20)"_s,
            u"probe_min_samples: Input should be less than or equal to utilization_window_size (20)"_s);
    refused(R"({"strategy":"vegas"})",
            u"strategy: 输入应为 'aether_ceiling' or 'aether_aimd' or 'aether_aimd_clamped'"_s,
            u"strategy: Input should be 'aether_ceiling' or 'aether_aimd' or 'aether_aimd_clamped'"_s);
    refused(R"([])", u"输入应为有效的字典或 LearningPolicy 的实例"_s,
            u"Input should be a valid dictionary or instance of LearningPolicy"_s);
    refused("", u"请求体不能为空"_s, u"Request body must not be empty"_s, false);
    refused("{x", u"请求体必须是合法的JSON"_s, u"Request body must be valid JSON"_s, false);
    EXPECT_REPLY(s.client->send("GET", base + "/policy", s.admin), 200, changed); // nothing of them applied

    EXPECT_REPLY(s.client->send("DELETE", base + "/policy", s.admin), 200, defaults);
    EXPECT_REPLY(s.client->send("GET", base + "/policy", s.admin), 200, defaults);
    EXPECT_ROW(s, u"k-learn"_s, u"learned_max_concurrent"_s, u"6"_s);
    QVERIFY2(s.stop(&error), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestHttpLearning)
#include "tst_httplearning.moc"
