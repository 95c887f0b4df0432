// The admin API's writes through the real program and a real client, against spec/api.md: the PATCH …/mode body
// matrix and the forms it accepts, the 422 matrix of PATCH …/limit, DELETE …/learning, the answers to each and what
// each leaves in the database. The reads are in tst_httpread.cpp, the gatekeeping in tst_httpauth.cpp.

#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QLocale>
#include <QStandardPaths>
#include <QTest>

#include <tuple>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

const QString toAdaptiveZh = u"已切换为自适应模式，系统将自动学习并调整并发限制"_s;
const QString toAdaptiveEn =
    u"Switched to adaptive mode; the concurrency limit will be learned and adjusted automatically"_s;

bool sharedFixture(Session &s, QString *error)
{
    KeyRow matrix{u"k-matrix"_s};
    matrix.name = u"matrix"_s;
    matrix.learned = 9;
    KeyRow accept{u"k-accept"_s};
    accept.name = u"accept"_s;
    accept.learned = 33;
    accept.concurrent429 = 2;
    KeyRow fresh{u"k-fresh"_s};
    fresh.name = u"fresh"_s;
    KeyRow limit{u"k-limit"_s};
    limit.name = u"limit"_s;
    limit.learned = 12;
    return insertKey(s.db, matrix, error) && insertKey(s.db, accept, error) && insertKey(s.db, fresh, error) &&
           insertKey(s.db, limit, error);
}

} // namespace

namespace {

using ModeErrorCase = std::tuple<const char *, QByteArray, QJsonValue>;

// The bodies PATCH …/mode refuses, with the Chinese answers.
QList<ModeErrorCase> chineseModeErrors()
{
    const QString dict = u"输入应为有效的字典 or instance of EnableAdaptiveRequest"_s;
    const QString missing = u"启用状态: 此字段为必填项"_s;
    const QString boolType = u"启用状态: 输入应为布尔值"_s;
    const QString boolParse = u"启用状态: 输入应为布尔值, unable to interpret input"_s;
    const QString ge = u"固定限制: 数值应大于或等于 1"_s;
    const QString le = u"固定限制: 数值应小于或等于 100"_s;
    const QString intParse = u"固定限制: 输入应为有效的整数, unable to parse string as an integer"_s;
    const QString fraction = u"固定限制: 输入应为有效的整数, got a number with a fractional part"_s;
    const QString required = u"禁用自适应模式时必须提供 fixed_limit 参数"_s;
    const QString invalidJson = u"请求体必须是合法的JSON"_s;
    return {
        {"empty", "", httpError(u"请求体不能为空"_s)},
        {"not JSON", "enabled=true", httpError(invalidJson)},
        {"truncated", R"({"enabled":true)", httpError(invalidJson)},
        {"single quotes", "{'enabled': true}", httpError(invalidJson)},
        {"invalid UTF-8", "{\"enabled\":true,\"x\":\"\xff\"}", httpError(invalidJson)},
        {"Latin-1", "{\"enabled\":\"\xe9\"}", httpError(invalidJson)},
        {"BOM", "\xEF\xBB\xBF{\"enabled\":true}", httpError(invalidJson)},
        {"[]", "[]", invalidRequest(dict)},
        {"null", "null", invalidRequest(dict)},
        {"\"x\"", "\"x\"", invalidRequest(dict)},
        {"5", "5", invalidRequest(dict)},
        {"array of the object", R"([{"enabled":true}])", invalidRequest(dict)},
        {"{}", "{}", invalidRequest(missing)},
        {"only fixed_limit", R"({"fixed_limit":5})", invalidRequest(missing)},
        {"enabled null", R"({"enabled":null})", invalidRequest(boolType)},
        {"enabled \"abc\"", R"({"enabled":"abc"})", invalidRequest(boolParse)},
        {"enabled 2", R"({"enabled":2})", invalidRequest(boolParse)},
        {"enabled checked first", R"({"fixed_limit":0,"enabled":"abc"})", invalidRequest(boolParse)},
        {"fixed_limit 0", R"({"enabled":false,"fixed_limit":0})", invalidRequest(ge)},
        {"fixed_limit -1", R"({"enabled":false,"fixed_limit":-1})", invalidRequest(ge)},
        {"fixed_limit 101", R"({"enabled":false,"fixed_limit":101})", invalidRequest(le)},
        {"fixed_limit \"abc\"", R"({"enabled":false,"fixed_limit":"abc"})", invalidRequest(intParse)},
        {"fixed_limit 5.5", R"({"enabled":false,"fixed_limit":5.5})", invalidRequest(fraction)},
        {"enabled, fixed_limit 0", R"({"enabled":true,"fixed_limit":0})", invalidRequest(ge)},
        {"enabled, fixed_limit -1", R"({"enabled":true,"fixed_limit":-1})", invalidRequest(ge)},
        {"enabled, fixed_limit 101", R"({"enabled":true,"fixed_limit":101})", invalidRequest(le)},
        {"enabled, fixed_limit \"abc\"", R"({"enabled":true,"fixed_limit":"abc"})", invalidRequest(intParse)},
        {"enabled, fixed_limit 5.5", R"({"enabled":true,"fixed_limit":5.5})", invalidRequest(fraction)},
        {"false, no fixed_limit", R"({"enabled":false})", httpError(required)},
        {"false, fixed_limit null", R"({"enabled":false,"fixed_limit":null})", httpError(required)},
        {"\"no\", no fixed_limit", R"({"enabled":"no"})", httpError(required)},
        {"0, no fixed_limit", R"({"enabled":0})", httpError(required)},
    };
}

// A selection of them with the English answers.
QList<ModeErrorCase> englishModeErrors()
{
    return {
        {"empty", "", httpError(u"Request body must not be empty"_s)},
        {"not JSON", "enabled=true", httpError(u"Request body must be valid JSON"_s)},
        {"BOM", "\xEF\xBB\xBF{\"enabled\":true}", httpError(u"Request body must be valid JSON"_s)},
        {"[]", "[]", invalidRequest(u"Input should be a valid dictionary or instance of EnableAdaptiveRequest"_s)},
        {"{}", "{}", invalidRequest(u"enabled: Field required"_s)},
        {"enabled null", R"({"enabled":null})", invalidRequest(u"enabled: Input should be a valid boolean"_s)},
        {"enabled \"abc\"", R"({"enabled":"abc"})",
         invalidRequest(u"enabled: Input should be a valid boolean, unable to interpret input"_s)},
        {"fixed_limit 0", R"({"enabled":false,"fixed_limit":0})",
         invalidRequest(u"fixed_limit: Input should be greater than or equal to 1"_s)},
        {"fixed_limit 101", R"({"enabled":true,"fixed_limit":101})",
         invalidRequest(u"fixed_limit: Input should be less than or equal to 100"_s)},
        {"fixed_limit \"abc\"", R"({"enabled":false,"fixed_limit":"abc"})",
         invalidRequest(u"fixed_limit: Input should be a valid integer, unable to parse string as an integer"_s)},
        {"fixed_limit 5.5", R"({"enabled":false,"fixed_limit":5.5})",
         invalidRequest(u"fixed_limit: Input should be a valid integer, got a number with a fractional part"_s)},
        {"false, no fixed_limit", R"({"enabled":false})",
         httpError(u"fixed_limit is required when disabling adaptive mode"_s)},
    };
}

// A key with everything the learning keeps filled in.
KeyRow keyWithLearning(const QString &id, std::optional<int> max, const QString &history)
{
    KeyRow k{id, u"ep-1"_s, id};
    k.maxConcurrent = max;
    k.learned = 20;
    k.concurrent429 = 3;
    k.rpm429 = 4;
    k.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
    k.last429Type = u"rpm"_s;
    k.peak = 7;
    k.history = history;
    k.samples = u"[{\"ts\":1766674028.5,\"util\":0.7},{\"ts\":1766674030.25,\"util\":0.9}]"_s;
    k.probeAt = u"2025-12-25T14:40:00.5+00:00"_s;
    return k;
}

} // namespace

class TestHttpApi : public HttpSuite {
    Q_OBJECT

public:
    TestHttpApi()
        : HttpSuite(sharedFixture)
    {
    }

private slots:

    // ---- PATCH /keys/{id}/mode ------------------------------------------------------------------------------------

    void setModeErrors_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("language");
        QTest::addColumn<QJsonValue>("expected");
        const QList<ModeErrorCase> zh = chineseModeErrors();
        const QList<ModeErrorCase> en = englishModeErrors();
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, body, expected] : zh)
                QTest::addRow("%s: zh, %s", backend.constData(), name) << backend << body << chinese << expected;
            for (const auto &[name, body, expected] : en)
                QTest::addRow("%s: en, %s", backend.constData(), name) << backend << body << english << expected;
        }
    }

    void setModeErrors()
    {
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, language);
        QFETCH(QJsonValue, expected);
        AETHER_SHARED_SESSION(s, m_pool);
        EXPECT_REPLY(s->client->send("PATCH", keyPath("k-matrix", "mode"), s->admin, body, language), 400, expected);
        EXPECT_ROW(*s, u"k-matrix"_s, u"max_concurrent, learned_max_concurrent"_s, QString(), u"9"_s);
    }

    void setModeAccepted_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<QByteArray>("language");
        QTest::addColumn<int>("fixedLimit"); // 0 = adaptive expected
        const QList<std::tuple<const char *, QByteArray, QByteArray, int>> rows = {
            {"true", "k-accept", R"({"enabled":true})", 0},
            {"false, 5", "k-accept", R"({"enabled":false,"fixed_limit":5})", 5},
            {"\"yes\"", "k-accept", R"({"enabled":"yes"})", 0},
            {"\"off\"", "k-accept", R"({"enabled":"off","fixed_limit":4})", 4},
            {"1", "k-accept", R"({"enabled":1})", 0},
            {"0", "k-accept", R"({"enabled":0,"fixed_limit":2})", 2},
            {"\"TRUE\"", "k-accept", R"({"enabled":"TRUE"})", 0},
            {"\"On\"", "k-accept", R"({"enabled":"On"})", 0},
            {"\"t\"", "k-accept", R"({"enabled":"t"})", 0},
            {"\"Y\"", "k-accept", R"({"enabled":"Y"})", 0},
            {"\"1\"", "k-accept", R"({"enabled":"1"})", 0},
            {"\"False\"", "k-accept", R"({"enabled":"False","fixed_limit":11})", 11},
            {"\"NO\"", "k-accept", R"({"enabled":"NO","fixed_limit":12})", 12},
            {"\"f\"", "k-accept", R"({"enabled":"f","fixed_limit":13})", 13},
            {"\"n\"", "k-accept", R"({"enabled":"n","fixed_limit":14})", 14},
            {"\"0\"", "k-accept", R"({"enabled":"0","fixed_limit":15})", 15},
            {"fixed_limit 5.0", "k-accept", R"({"enabled":false,"fixed_limit":5.0})", 5},
            {"fixed_limit \"5\"", "k-accept", R"({"enabled":false,"fixed_limit":"5"})", 5},
            {"fixed_limit \" 7 \"", "k-accept", R"({"enabled":false,"fixed_limit":" 7 "})", 7},
            {"fixed_limit true", "k-accept", R"({"enabled":false,"fixed_limit":true})", 1},
            {"fixed_limit 1", "k-accept", R"({"enabled":false,"fixed_limit":1})", 1},
            {"fixed_limit 100", "k-accept", R"({"enabled":false,"fixed_limit":100})", 100},
            {"enabled, valid fixed_limit ignored", "k-accept", R"({"enabled":true,"fixed_limit":50})", 0},
            {"enabled, fixed_limit null", "k-accept", R"({"enabled":true,"fixed_limit":null})", 0},
            {"extra fields", "k-accept", R"({"enabled":false,"fixed_limit":3,"max_concurrent":99,"x":[1]})", 3},
            {"nothing learned, adaptive", "k-fresh", R"({"enabled":true})", 0},
            {"nothing learned, fixed", "k-fresh", R"({"enabled":false,"fixed_limit":6})", 6},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, key, body, limit] : rows)
                QTest::addRow("%s: %s", backend.constData(), name)
                    << backend << key << body << "application/json"_ba << chinese << limit;
            QTest::addRow("%s: text/plain", backend.constData()) << backend << "k-accept"_ba
                                                                 << R"({"enabled":false,"fixed_limit":9})"_ba
                                                                 << "text/plain"_ba << chinese << 9;
            QTest::addRow("%s: no Content-Type", backend.constData())
                << backend << "k-accept"_ba
                << R"({"enabled":true})"_ba << QByteArray() << chinese << 0;
            QTest::addRow("%s: en, fixed", backend.constData()) << backend << "k-accept"_ba
                                                                << R"({"enabled":false,"fixed_limit":8})"_ba
                                                                << "application/json"_ba << english << 8;
            QTest::addRow("%s: en, adaptive", backend.constData()) << backend << "k-accept"_ba
                                                                   << R"({"enabled":true})"_ba
                                                                   << "application/json"_ba << english << 0;
        }
    }

    void setModeAccepted()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, body);
        QFETCH(QByteArray, contentType);
        QFETCH(QByteArray, language);
        QFETCH(int, fixedLimit);
        AETHER_SHARED_SESSION(s, m_pool);
        const bool en = language == english;
        const std::optional<int> learned = key == "k-accept" ? std::optional<int>(33) : std::nullopt;
        const auto json = [](std::optional<int> v) { return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null); };
        const QJsonObject expected{
            {u"message"_s, fixedLimit == 0 ? (en ? toAdaptiveEn : toAdaptiveZh)
                                           : (en ? u"Switched to fixed-limit mode; concurrency limit set to %1"_s
                                                 : u"已切换为固定限制模式，并发限制设为 %1"_s)
                                                 .arg(fixedLimit)},
            {u"key_id"_s, QString::fromUtf8(key)},
            {u"is_adaptive"_s, fixedLimit == 0},
            {u"max_concurrent"_s, fixedLimit == 0 ? QJsonValue(QJsonValue::Null) : QJsonValue(fixedLimit)},
            {u"effective_limit"_s, fixedLimit == 0 ? json(learned) : QJsonValue(fixedLimit)}};
        Request request;
        request.method = "PATCH";
        request.path = keyPath(key, "mode");
        request.token = s->admin;
        request.body = body;
        request.contentType = contentType;
        request.language = language;
        EXPECT_REPLY(s->client->send(request), 200, expected);
        // The mode is the only change: the learned state stays.
        EXPECT_ROW(*s, QString::fromUtf8(key), u"max_concurrent, learned_max_concurrent, concurrent_429_count"_s,
                   fixedLimit == 0 ? QString() : QString::number(fixedLimit),
                   learned ? QString::number(*learned) : QString(), key == "k-accept" ? u"2"_s : u"0"_s);
    }

    void keyNotFound_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("id");
        // %00: PostgreSQL cannot store a NUL, so no key can have it (a 404, not a database error).
        const QList<QByteArray> ids = {"nope",      "K-MATRIX",    "%20k-matrix", "k-matrix%20", "k-matri",
                                       "%E4%B8%AD", "k-matrix%00", "%00",         "k%01matrix"};
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const QByteArray &id : ids)
                QTest::addRow("%s: %s", backend.constData(), id.constData()) << backend << id;
        }
    }

    void keyNotFound()
    {
        QFETCH(QByteArray, id);
        AETHER_SHARED_SESSION(s, m_pool);
        // Ids match exactly; the mode route looks the key up before it reads the body.
        const QList<std::tuple<QByteArray, const char *, QByteArray>> requests = {
            {"GET", "stats", {}},           {"DELETE", "learning", {}},
            {"PATCH", "limit?limit=5", {}}, {"PATCH", "mode", R"({"enabled":false,"fixed_limit":3})"},
            {"PATCH", "mode", {}},          {"PATCH", "mode", "\xEF\xBB\xBF{"},
            {"PATCH", "mode", "{}"},        {"PATCH", "mode", R"({"enabled":false})"},
            {"GET", "limit", {}},           {"POST", "events", R"({"outcome":"success","current_concurrent":1})"},
        };
        for (const auto &[method, tail, body] : requests) {
            for (const QByteArray &language : {chinese, english})
                EXPECT_REPLY(s->client->send(method, keyPath(id, tail), s->admin, body, language), 404,
                             httpError(u"Key not found"_s));
        }
        EXPECT_ROW(*s, u"k-matrix"_s, u"max_concurrent, learned_max_concurrent"_s, QString(), u"9"_s);
    }

    // ---- DELETE /keys/{id}/learning -------------------------------------------------------------------------------

    void resetLearning_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("reset");
    }

    void resetLearning()
    {
        AETHER_TEST_SESSION(s);
        const QString history = compact(QJsonArray{adjustmentRecord(u"x1"_s, u"2025-12-20T10:00:00+00:00"_s),
                                                   adjustmentRecord(u"x2"_s, u"2025-12-21T10:00:00+00:00"_s)});
        const auto learnedState = [&](const QString &id, std::optional<int> max) {
            return keyWithLearning(id, max, history);
        };
        KeyRow bad{u"r-bad"_s, u"ep-1"_s, u"bad"_s};
        bad.learned = 6;
        bad.history = malformedJson(s.db);
        bad.samples = malformedJson(s.db);
        QString error;
        for (const KeyRow &key :
             {learnedState(u"r-adaptive"_s, {}), learnedState(u"r-fixed"_s, 9), bad, learnedState(u"r-other"_s, {})})
            QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));

        const QString columns =
            u"max_concurrent, learned_max_concurrent, concurrent_429_count, rpm_429_count, "
            "last_429_at, last_429_type, last_concurrent_peak, last_probe_increase_at, %1, %2"_s.arg(
                asText(s.db, u"adjustment_history"_s), asText(s.db, u"utilization_samples"_s));
        const auto reset = [&](const QByteArray &id, const QByteArray &language) {
            return s.client->send("DELETE", keyPath(id, "learning"), s.admin, {}, language);
        };
        EXPECT_REPLY(reset("r-adaptive", chinese), 200,
                     parseJson(R"({"message":"学习状态已重置","key_id":"r-adaptive"})"));
        QVERIFY(reset("r-adaptive", chinese).body.contains(u"学习状态已重置"_s.toUtf8()));
        EXPECT_REPLY(reset("r-fixed", english), 200,
                     parseJson(R"({"message":"Learning state reset","key_id":"r-fixed"})"));
        EXPECT_REPLY(reset("r-bad", chinese), 200, parseJson(R"({"message":"学习状态已重置","key_id":"r-bad"})"));
        EXPECT_REPLY(reset("nope", chinese), 404, httpError(u"Key not found"_s));

        // Everything learned is gone, the mode is kept; JSON columns hold valid empty arrays (also where the stored
        // value was not an array).
        for (const auto &[id, max] : {std::pair(u"r-adaptive"_s, QString()), std::pair(u"r-fixed"_s, u"9"_s),
                                      std::pair(u"r-bad"_s, QString())}) {
            EXPECT_ROW(s, id, columns, max, QString(), u"0"_s, u"0"_s, QString(), QString(), QString(), QString(),
                       u"[]"_s, u"[]"_s);
        }
        // The neighbour is untouched.
        const auto other = selectRow(s.db,
                                     u"SELECT learned_max_concurrent, concurrent_429_count, %1 FROM provider_api_keys "
                                     "WHERE id = 'r-other'"_s.arg(asText(s.db, u"adjustment_history"_s)),
                                     &error);
        QVERIFY2(other, qPrintable(error));
        QCOMPARE(other->at(0).toString(), u"20"_s);
        QCOMPARE(other->at(1).toString(), u"3"_s);
        QCOMPARE(compareJson(parseJson(other->at(2).toString().toUtf8()), parseJson(history.toUtf8())), QString());

        EXPECT_REPLY(s.client->send("GET", keyPath("r-adaptive", "stats"), s.admin), 200,
                     blankStats(true, QJsonValue::Null, 50));
        EXPECT_REPLY(s.client->send("GET", keyPath("r-fixed", "stats"), s.admin), 200, blankStats(false, 9, 9));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    // ---- PATCH /keys/{id}/limit -----------------------------------------------------------------------------------

    void setLimitValidation_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("language");
        QTest::addColumn<QJsonValue>("detail");
        const auto item = [](const char *type, const char *msg, const QJsonValue &input, const QJsonObject &ctx) {
            QJsonObject o{{u"type"_s, QString::fromUtf8(type)},
                          {u"loc"_s, QJsonArray{u"query"_s, u"limit"_s}},
                          {u"msg"_s, QString::fromUtf8(msg)},
                          {u"input"_s, input}};
            if (!ctx.isEmpty())
                o.insert(u"ctx"_s, ctx);
            return QJsonValue(QJsonObject{{u"detail"_s, QJsonArray{o}}});
        };
        const auto missing = item("missing", "Field required", QJsonValue::Null, {});
        const auto ge = [&](const char *in) {
            return item("greater_than_equal", "Input should be greater than or equal to 1", QString::fromUtf8(in),
                        {{u"ge"_s, 1}});
        };
        const auto le = [&](const char *in) {
            return item("less_than_equal", "Input should be less than or equal to 100", QString::fromUtf8(in),
                        {{u"le"_s, 100}});
        };
        const auto parse = [&](const char *in) {
            return item("int_parsing", "Input should be a valid integer, unable to parse string as an integer",
                        QString::fromUtf8(in), {});
        };
        const QByteArray k = keyPath("k-limit", "limit");
        const QList<std::tuple<const char *, QByteArray, QByteArray, QJsonValue>> rows = {
            {"missing", k, chinese, missing},
            {"other parameter only", k + "?other=5", chinese, missing},
            {"0", k + "?limit=0", chinese, ge("0")},
            {"-3", k + "?limit=-3", chinese, ge("-3")},
            {"101", k + "?limit=101", chinese, le("101")},
            {"abc", k + "?limit=abc", chinese, parse("abc")},
            {"1.5", k + "?limit=1.5", chinese, parse("1.5")},
            {"empty", k + "?limit=", chinese, parse("")},
            {"no value", k + "?limit", chinese, parse("")},
            {"en, missing", k, english, missing},
            {"en, 0", k + "?limit=0", english, ge("0")},
            {"en, 101", k + "?limit=101", english, le("101")},
            {"en, abc", k + "?limit=abc", english, parse("abc")},
            {"unknown key, abc", keyPath("nope", "limit?limit=abc"), chinese, parse("abc")},
            {"unknown key, missing", keyPath("nope", "limit"), chinese, missing},
        };
        for (const QByteArray &backend : TestDatabase::backends()) {
            for (const auto &[name, path, language, detail] : rows)
                QTest::addRow("%s: %s", backend.constData(), name) << backend << path << language << detail;
        }
    }

    void setLimitValidation()
    {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, language);
        QFETCH(QJsonValue, detail);
        AETHER_SHARED_SESSION(s, m_pool);
        EXPECT_REPLY(s->client->send("PATCH", path, s->admin, {}, language), 422, detail);
        // A body is ignored, not validated.
        EXPECT_REPLY(s->client->send("PATCH", path, s->admin, R"({"enabled":true})", language), 422, detail);
        EXPECT_ROW(*s, u"k-limit"_s, u"max_concurrent, learned_max_concurrent"_s, QString(), u"12"_s);
    }

    void setLimit_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("limit");
    }

    void setLimit()
    {
        AETHER_TEST_SESSION(s);
        const QString history = compact(QJsonArray{adjustmentRecord(u"h1"_s, u"2025-12-20T10:00:00.000001+00:00"_s)});
        KeyRow adaptive{u"l-adaptive"_s, u"ep-1"_s, u"adaptive"_s};
        adaptive.learned = 21;
        adaptive.concurrent429 = 3;
        adaptive.rpm429 = 1;
        adaptive.history = history;
        adaptive.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
        KeyRow fixed{u"l-fixed"_s, u"ep-1"_s, u"fixed"_s};
        fixed.maxConcurrent = 40;
        QString error;
        QVERIFY2(insertKey(s.db, adaptive, &error) && insertKey(s.db, fixed, &error), qPrintable(error));
        const auto limit = [&](const QByteArray &id, const QByteArray &query, const QByteArray &body = {},
                               const QByteArray &language = chinese) {
            return s.client->send("PATCH", keyPath(id, "limit?") + query, s.admin, body, language);
        };
        EXPECT_REPLY(limit("l-adaptive", "limit=5"), 200,
                     parseJson(R"({"message":"已设置为固定限制模式，并发限制为 5","key_id":"l-adaptive",
                        "is_adaptive":false,"max_concurrent":5,"previous_mode":"adaptive"})"));
        const QString columns =
            u"max_concurrent, learned_max_concurrent, concurrent_429_count, rpm_429_count, %1"_s.arg(
                asText(s.db, u"adjustment_history"_s));
        EXPECT_ROW(s, u"l-adaptive"_s, columns, u"5"_s, u"21"_s, u"3"_s, u"1"_s, history);
        // Any body is ignored.
        EXPECT_REPLY(limit("l-adaptive", "limit=100", "not JSON at all"), 200,
                     parseJson(R"({"message":"已设置为固定限制模式，并发限制为 100","key_id":"l-adaptive",
                        "is_adaptive":false,"max_concurrent":100,"previous_mode":"fixed"})"));
        EXPECT_REPLY(limit("l-fixed", "limit=1", {}, english), 200,
                     parseJson(R"({"message":"Set to fixed-limit mode with a concurrency limit of 1",
                        "key_id":"l-fixed","is_adaptive":false,"max_concurrent":1,"previous_mode":"fixed"})"));
        EXPECT_ROW(s, u"l-fixed"_s, u"max_concurrent, learned_max_concurrent"_s, u"1"_s, QString());
        EXPECT_REPLY(limit("nope", "limit=5"), 404, httpError(u"Key not found"_s));

        // The learned limit was kept: it is what counts again once the key is adaptive.
        QJsonObject expected{{u"adaptive_mode"_s, false},
                             {u"max_concurrent"_s, 100},
                             {u"effective_limit"_s, 100},
                             {u"learned_limit"_s, 21},
                             {u"concurrent_429_count"_s, 3},
                             {u"rpm_429_count"_s, 1},
                             {u"last_429_at"_s, u"2025-12-25T14:47:08.123456+00:00"_s},
                             {u"last_429_type"_s, QJsonValue::Null},
                             {u"adjustment_count"_s, 1},
                             {u"recent_adjustments"_s, parseJson(history.toUtf8())}};
        EXPECT_REPLY(s.client->send("GET", keyPath("l-adaptive", "stats"), s.admin), 200, expected);
        EXPECT_REPLY(s.client->send("PATCH", keyPath("l-adaptive", "mode"), s.admin, R"({"enabled":true})"), 200,
                     QJsonObject({{u"message"_s, toAdaptiveZh},
                                  {u"key_id"_s, u"l-adaptive"_s},
                                  {u"is_adaptive"_s, true},
                                  {u"max_concurrent"_s, QJsonValue::Null},
                                  {u"effective_limit"_s, 21}}));
        expected[u"adaptive_mode"_s] = true;
        expected[u"max_concurrent"_s] = QJsonValue::Null;
        expected[u"effective_limit"_s] = 21;
        EXPECT_REPLY(s.client->send("GET", keyPath("l-adaptive", "stats"), s.admin), 200, expected);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestHttpApi)
#include "tst_httpapi.moc"
