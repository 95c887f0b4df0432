// POST /api/admin/adaptive/keys/bulk through the real program: one change for the keys named or for every key of a
// filter, the counts in the answer, one audit row per changed key, the body's errors in the shapes of the other
// routes, and the roles.

#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

const QByteArray bulkPath = apiBase + "/keys/bulk";

// Three adaptive keys on ep-1 (one with something learned), one on ep-2, two fixed keys (one at limit 7) on ep-2.
bool bulkFixture(Session &s, QString *error)
{
    KeyRow a1{u"b-a1"_s, u"ep-1"_s, u"a1"_s};
    a1.learned = 12;
    a1.concurrent429 = 2;
    KeyRow a2{u"b-a2"_s, u"ep-1"_s, u"a2"_s};
    KeyRow a3{u"b-a3"_s, u"ep-1"_s, u"a3"_s};
    KeyRow a4{u"b-a4"_s, u"ep-2"_s, u"a4"_s};
    KeyRow f1{u"b-f1"_s, u"ep-2"_s, u"f1"_s};
    f1.maxConcurrent = 7;
    KeyRow f2{u"b-f2"_s, u"ep-2"_s, u"f2"_s};
    f2.maxConcurrent = 30;
    for (const KeyRow &key : {a1, a2, a3, a4, f1, f2}) {
        if (!insertKey(s.db, key, error))
            return false;
    }
    return true;
}

QJsonObject counts(int matched, int changed, int unchanged, const QJsonArray &failed = {})
{
    return QJsonObject{
        {u"matched"_s, matched}, {u"changed"_s, changed}, {u"unchanged"_s, unchanged}, {u"failed"_s, failed}};
}

} // namespace

class TestHttpBulk : public HttpSuite {
    Q_OBJECT

private slots:
    void changesAndCounts_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("bulk");
    }
    void changesAndCounts()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QVERIFY2(bulkFixture(s, &error), qPrintable(error));
        const auto post = [&](const QByteArray &body) { return s.client->send("POST", bulkPath, s.admin, body); };

        // Every fixed key of ep-2 to 7: one was already at 7.
        EXPECT_REPLY(post(R"({"action":"set_limit","filter":{"endpoint_id":"ep-2","mode":"fixed"},"limit":7})"), 200,
                     counts(2, 1, 1));
        EXPECT_ROW(s, u"b-f2"_s, u"max_concurrent"_s, u"7"_s);
        // The adaptive keys of ep-1 fixed at 5, named one by one (twice, and one unknown key).
        EXPECT_REPLY(
            post(R"({"action":"set_mode","enabled":false,"fixed_limit":5,"key_ids":["b-a1","b-a2","b-a1","nope"]})"),
            200,
            counts(3, 2, 0,
                   QJsonArray{QJsonObject{{u"key_id"_s, u"nope"_s},
                                          {u"error"_s, httpError(u"Key not found"_s).value(u"error"_s)}}}));
        EXPECT_ROW(s, u"b-a1"_s, u"max_concurrent"_s, u"5"_s);
        EXPECT_ROW(s, u"b-a3"_s, u"max_concurrent"_s, QString());
        // Reset everything: only b-a1 had anything learned or counted.
        EXPECT_REPLY(post(R"({"action":"reset_learning","filter":{}})"), 200, counts(6, 1, 5));
        EXPECT_ROW(s, u"b-a1"_s, u"learned_max_concurrent, concurrent_429_count"_s, QString(), u"0"_s);
        // Back to adaptive by provider.
        EXPECT_REPLY(post(R"({"action":"set_mode","enabled":true,"filter":{"provider_id":"prov-1"}})"), 200,
                     counts(6, 4, 2));
        // One audit row per changed key: 1 + 2 + 1 + 4.
        const auto audit = selectRow(s.db, u"SELECT count(*) FROM console_audit_log WHERE key_id LIKE 'b-%'"_s, &error);
        QVERIFY2(audit, qPrintable(error));
        QVERIFY(audit->at(0).toInt() >= 8);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("refusals");
    }
    void refusals()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QVERIFY2(bulkFixture(s, &error), qPrintable(error));
        const auto post = [&](const QByteArray &body, const QByteArray &token) {
            return s.client->send("POST", bulkPath, token, body);
        };
        const QByteArray ok = R"({"action":"set_limit","limit":9,"key_ids":["b-a1"]})";
        EXPECT_REPLY(post(ok, s.viewer), 403, httpError(u"需要管理员权限"_s));
        EXPECT_REPLY(post(ok, s.gateway), 403, httpError(u"需要管理员权限"_s));
        EXPECT_REPLY(post(ok, {}), 401, httpError(u"缺少管理员凭证"_s));
        EXPECT_REPLY(post("", s.admin), 400, httpError(u"请求体不能为空"_s));
        EXPECT_REPLY(post("{", s.admin), 400, httpError(u"请求体必须是合法的JSON"_s));
        EXPECT_REPLY(post("[]", s.admin), 400, invalidRequest(u"输入应为有效的字典或 BulkRequest 的实例"_s));
        EXPECT_REPLY(post(R"({"key_ids":[]})", s.admin), 400, invalidRequest(u"action: 此字段为必填项"_s));
        EXPECT_REPLY(post(R"({"action":"set_limit","limit":0,"key_ids":[]})", s.admin), 400,
                     invalidRequest(u"limit: 数值应大于或等于 1"_s));
        EXPECT_REPLY(post(R"({"action":"set_limit","limit":"5","key_ids":[]})", s.admin), 400,
                     invalidRequest(u"limit: 输入应为有效的整数"_s));
        EXPECT_REPLY(post(R"({"action":"set_mode","enabled":false,"key_ids":["b-a1"]})", s.admin), 400,
                     httpError(u"禁用自适应模式时必须提供 fixed_limit 参数"_s));
        EXPECT_REPLY(post(R"({"action":"reset_learning","key_ids":[1]})", s.admin), 400,
                     invalidRequest(u"key_ids.0: 输入应为有效的字符串"_s));
        EXPECT_REPLY(post(R"({"action":"reset_learning","key_ids":[],"filter":{}})", s.admin), 400,
                     invalidRequest(u"filter: 不允许额外的字段"_s));
        EXPECT_REPLY(post(R"({"action":"reset_learning","filter":{"mode":"both"}})", s.admin), 400,
                     invalidRequest(u"filter.mode: 输入应为 'adaptive' or 'fixed'"_s));
        // Nothing of it was written.
        EXPECT_ROW(s, u"b-a1"_s, u"max_concurrent, learned_max_concurrent"_s, QString(), u"12"_s);
        QCOMPARE(s.client->send("GET", bulkPath, s.admin).status, 405);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }
};

QTEST_MAIN(TestHttpBulk)
#include "tst_httpbulk.moc"
