// GET /api/admin/adaptive/audit through the real program: the changes made through the API come back newest first
// with their actor and before → after, filtered by key, actor, action and time, a page at a time; the query's errors
// in FastAPI's 422 shape; admins only; never a token's secret.

#include "base/timestamp.h"
#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QJsonArray>
#include <QSet>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

const QByteArray auditPath = apiBase + "/audit";

QJsonArray entriesOf(const Reply &reply)
{
    return parseJson(reply.body).toObject().value(u"entries"_s).toArray();
}

QStringList actionsOf(const Reply &reply)
{
    QStringList actions;
    for (const QJsonValue &entry : entriesOf(reply))
        actions << entry.toObject().value(u"action"_s).toString();
    return actions;
}

} // namespace

class TestHttpAudit : public HttpSuite {
    Q_OBJECT

private slots:
    void entriesAndFilters_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("audit");
    }
    void entriesAndFilters()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        for (const KeyRow &key : {KeyRow{u"au-1"_s, u"ep-1"_s, u"one"_s}, KeyRow{u"au-2"_s, u"ep-1"_s, u"two"_s}})
            QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));
        const auto get = [&](const QByteArray &query) { return s.client->send("GET", auditPath + query, s.admin); };
        EXPECT_REPLY(get({}), 200, (QJsonObject{{u"entries"_s, QJsonArray{}}, {u"next_cursor"_s, QJsonValue::Null}}));

        QCOMPARE(s.client->send("PATCH", apiBase + "/keys/au-1/limit?limit=7", s.admin).status, 200);
        QCOMPARE(s.client->send("PATCH", apiBase + "/keys/au-2/mode", s.admin, R"({"enabled":false,"fixed_limit":3})")
                     .status,
                 200);
        QCOMPARE(s.client->send("PATCH", apiBase + "/keys/au-1/mode", s.admin, R"({"enabled":true})").status, 200);
        QCOMPARE(s.client->send("DELETE", apiBase + "/keys/au-2/learning", s.admin).status, 200);
        QCOMPARE(s.client->send("PUT", apiBase + "/policy", s.admin, R"({"max_history_records":30})").status, 200);

        // Newest first, each with what it changed.
        const Reply all = get({});
        QCOMPARE(all.status, 200);
        QCOMPARE(actionsOf(all),
                 (QStringList{u"update_policy"_s, u"reset_learning"_s, u"set_mode"_s, u"set_mode"_s, u"set_limit"_s}));
        const QJsonArray entries = entriesOf(all);
        const QJsonObject limit = entries.at(4).toObject();
        QCOMPARE(limit.value(u"actor"_s).toString(), u"token:ops"_s);
        QCOMPARE(limit.value(u"key_id"_s).toString(), u"au-1"_s);
        QCOMPARE(compareJson(limit.value(u"before"_s), QJsonObject{{u"max_concurrent"_s, QJsonValue::Null}}),
                 QString());
        QCOMPARE(compareJson(limit.value(u"after"_s), QJsonObject{{u"max_concurrent"_s, 7}}), QString());
        QVERIFY(aether::Timestamp::parse(limit.value(u"timestamp"_s).toString()).has_value());
        QCOMPARE(compareJson(entries.at(3).toObject().value(u"after"_s), QJsonObject{{u"max_concurrent"_s, 3}}),
                 QString());
        QCOMPARE(compareJson(entries.at(1).toObject().value(u"after"_s),
                             QJsonObject{{u"learned_max_concurrent"_s, QJsonValue::Null}}),
                 QString());
        const QJsonObject policy = entries.at(0).toObject();
        QVERIFY(policy.value(u"key_id"_s).isNull());
        QCOMPARE(policy.value(u"before"_s).toObject().value(u"max_history_records"_s).toInt(), 20);
        QCOMPARE(policy.value(u"after"_s).toObject().value(u"max_history_records"_s).toInt(), 30);
        QVERIFY(entries.at(0).toObject().value(u"id"_s).toInteger() >
                entries.at(4).toObject().value(u"id"_s).toInteger());
        // No secret anywhere.
        QVERIFY(!all.body.contains(s.admin));

        // Filters, alone and together.
        QCOMPARE(actionsOf(get("?key_id=au-1")), (QStringList{u"set_mode"_s, u"set_limit"_s}));
        QCOMPARE(actionsOf(get("?key_id=au-2&action=set_mode")), (QStringList{u"set_mode"_s}));
        QCOMPARE(actionsOf(get("?action=update_policy")), (QStringList{u"update_policy"_s}));
        QCOMPARE(actionsOf(get("?actor=token:ops")).size(), 5);
        QCOMPARE(actionsOf(get("?actor=token:*")).size(), 5);
        QCOMPARE(actionsOf(get("?actor=gui:*")).size(), 0);
        QCOMPARE(actionsOf(get("?actor=token:op")).size(), 0);
        QCOMPARE(actionsOf(get("?key_id=nope")).size(), 0);
        QCOMPARE(actionsOf(get("?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00%2B00:00")).size(), 5);
        QCOMPARE(actionsOf(get("?until=2000-01-01T00:00:00Z")).size(), 0);
        QCOMPARE(actionsOf(get("?since=2999-01-01T00:00:00Z")).size(), 0);

        // Pages of two: every entry once, the last page without a cursor.
        QSet<qint64> seen;
        QByteArray cursor;
        int pages = 0;
        do {
            const Reply page = get("?limit=2" + (cursor.isEmpty() ? QByteArray() : "&cursor=" + cursor));
            QCOMPARE(page.status, 200);
            for (const QJsonValue &entry : entriesOf(page))
                seen.insert(entry.toObject().value(u"id"_s).toInteger());
            const QJsonValue next = parseJson(page.body).toObject().value(u"next_cursor"_s);
            cursor = next.isNull() ? QByteArray() : next.toString().toUtf8();
            QVERIFY(++pages <= 3);
        } while (!cursor.isEmpty());
        QCOMPARE(pages, 3);
        QCOMPARE(seen.size(), 5);
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
        const auto get = [&](const QByteArray &query) { return s.client->send("GET", auditPath + query, s.admin); };
        EXPECT_REPLY(s.client->send("GET", auditPath, s.viewer), 403, httpError(u"需要管理员权限"_s));
        EXPECT_REPLY(s.client->send("GET", auditPath, s.gateway), 403, httpError(u"需要管理员权限"_s));
        EXPECT_REPLY(s.client->send("GET", auditPath, {}), 401, httpError(u"缺少管理员凭证"_s));
        QCOMPARE(s.client->send("POST", auditPath, s.admin, "{}").status, 405);
        EXPECT_REPLY(get("?limit=0"), 422,
                     queryDetail("limit", "greater_than_equal", u"Input should be greater than or equal to 1"_s, u"0"_s,
                                 {{u"ge"_s, 1}}));
        EXPECT_REPLY(get("?limit=1001"), 422,
                     queryDetail("limit", "less_than_equal", u"Input should be less than or equal to 1000"_s, u"1001"_s,
                                 {{u"le"_s, 1000}}));
        EXPECT_REPLY(get("?limit=ten"), 422,
                     queryDetail("limit", "int_parsing",
                                 u"Input should be a valid integer, unable to parse string as an integer"_s, u"ten"_s));
        EXPECT_REPLY(get("?cursor=abc"), 422,
                     queryDetail("cursor", "int_parsing",
                                 u"Input should be a valid integer, unable to parse string as an integer"_s, u"abc"_s));
        EXPECT_REPLY(get("?cursor=0"), 422,
                     queryDetail("cursor", "greater_than_equal", u"Input should be greater than or equal to 1"_s,
                                 u"0"_s, {{u"ge"_s, 1}}));
        const QString expected = u"'set_mode', 'set_limit', 'reset_learning', 'update_policy' or 'reset_policy'"_s;
        EXPECT_REPLY(
            get("?action=delete"), 422,
            queryDetail("action", "enum", u"Input should be "_s + expected, u"delete"_s, {{u"expected"_s, expected}}));
        EXPECT_REPLY(get("?since=yesterday"), 422,
                     queryDetail("since", "datetime_parsing", u"Input should be a valid datetime"_s, u"yesterday"_s));
        EXPECT_REPLY(get("?until=2025-13-01"), 422,
                     queryDetail("until", "datetime_parsing", u"Input should be a valid datetime"_s, u"2025-13-01"_s));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }
};

QTEST_MAIN(TestHttpAudit)
#include "tst_httpaudit.moc"
