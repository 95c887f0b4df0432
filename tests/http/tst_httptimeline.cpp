// GET …/keys/{key_id}/timeline and GET …/timeline through the real program: the 429s that learning events reported
// come back in their minute with the limit that followed, every bucket of the range present (zero where nothing
// happened), summed over an endpoint, a provider or all keys with the top keys; the query's errors in FastAPI's 422
// shape; admins and viewers only.

#include "base/timestamp.h"
#include "consoletestsupport.h"
#include "testenvironment.h"

#include <QJsonArray>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

QByteArray isoQuery(qint64 epochSeconds)
{
    return QUrl::toPercentEncoding(aether::Timestamp::fromMicroseconds(epochSeconds * 1000000).toIsoString());
}

qint64 sum(const QJsonArray &points, const QString &field)
{
    qint64 total = 0;
    for (const QJsonValue &p : points)
        total += p.toObject().value(field).toInteger();
    return total;
}

} // namespace

class TestHttpTimeline : public HttpSuite {
    Q_OBJECT

private slots:
    void seriesOfKeysAndScopes_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("series");
    }
    void seriesOfKeysAndScopes()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        KeyRow one(u"tl-1"_s, u"ep-1"_s, u"one"_s);
        one.learned = 20;
        KeyRow two(u"tl-2"_s, u"ep-2"_s, u"two"_s);
        two.learned = 30;
        for (const KeyRow &key : {one, two})
            QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));
        const qint64 start = aether::Timestamp::now().microseconds() / 1000000;
        const auto post = [&](const QByteArray &key, const QByteArray &body) {
            return s.client->send("POST", apiBase + "/keys/" + key + "/events", s.gateway, body).status;
        };
        QCOMPARE(post("tl-1", R"({"outcome":"rate_limited","current_concurrent":10,"kind":"concurrent"})"), 200);
        QCOMPARE(post("tl-1", R"({"outcome":"rate_limited","current_concurrent":10,"kind":"rpm"})"), 200);
        QCOMPARE(post("tl-1", R"({"outcome":"success","current_concurrent":3})"), 200);
        QCOMPARE(post("tl-2", R"({"outcome":"rate_limited","current_concurrent":10,"kind":"unknown"})"), 200);
        const qint64 end = aether::Timestamp::now().microseconds() / 1000000 + 1;

        // One key, by the minute, over ten minutes before the events: ten or eleven buckets, the 429s in the last.
        const QByteArray range = "from=" + isoQuery(start - 600) + "&to=" + isoQuery(end);
        Reply reply = s.client->send("GET", apiBase + "/keys/tl-1/timeline?step=60&" + range, s.viewer);
        QCOMPARE(reply.status, 200);
        QJsonObject body = parseJson(reply.body).toObject();
        QCOMPARE(body.value(u"key_id"_s).toString(), u"tl-1"_s);
        QCOMPARE(body.value(u"step"_s).toInt(), 60);
        QJsonArray points = body.value(u"points"_s).toArray();
        QVERIFY2(points.size() >= 11 && points.size() <= 12, qPrintable(QString::number(points.size())));
        QCOMPARE(sum(points, u"concurrent_429"_s), 1);
        QCOMPARE(sum(points, u"rpm_429"_s), 1);
        QCOMPARE(sum(points, u"unknown_429"_s), 0);
        QCOMPARE(sum(points, u"adjustments"_s), 1);
        QCOMPARE(points.first().toObject().value(u"limit"_s).toInt(), 20); // before: the learned limit
        QCOMPARE(points.last().toObject().value(u"limit"_s).toInt(), 8);   // after the cut (10 in flight × 0.85)
        QCOMPARE(points.first().toObject().value(u"concurrent_429"_s).toInt(), 0); // empty buckets are zero
        const auto t0 = aether::Timestamp::parse(points.at(0).toObject().value(u"t"_s).toString());
        const auto t1 = aether::Timestamp::parse(points.at(1).toObject().value(u"t"_s).toString());
        QVERIFY(t0 && t1);
        QCOMPARE(t1->microseconds() - t0->microseconds(), 60LL * 1000000);
        QCOMPARE(t0->microseconds() % (60LL * 1000000), 0);

        // All keys, an endpoint, a provider.
        const auto totals = [&](const QByteArray &query) {
            const Reply r = s.client->send("GET", apiBase + "/timeline?" + range + query, s.admin);
            return parseJson(r.body).toObject();
        };
        QJsonObject all = totals({});
        QCOMPARE(all.value(u"totals"_s).toObject().value(u"total_429"_s).toInt(), 3);
        QVERIFY(!all.value(u"points"_s).toArray().first().toObject().contains(u"limit"_s));
        const QJsonArray top = all.value(u"top_keys"_s).toArray();
        QCOMPARE(top.size(), 2);
        QCOMPARE(top.at(0).toObject().value(u"key_id"_s).toString(), u"tl-1"_s);
        QCOMPARE(top.at(0).toObject().value(u"name"_s).toString(), u"one"_s);
        QCOMPARE(top.at(0).toObject().value(u"total_429"_s).toInt(), 2);
        QCOMPARE(top.at(1).toObject().value(u"unknown_429"_s).toInt(), 1);
        QCOMPARE(totals("&endpoint_id=ep-2").value(u"totals"_s).toObject().value(u"total_429"_s).toInt(), 1);
        QCOMPARE(totals("&endpoint_id=ep-2").value(u"endpoint_id"_s).toString(), u"ep-2"_s);
        QCOMPARE(totals("&provider_id=prov-1").value(u"totals"_s).toObject().value(u"total_429"_s).toInt(), 3);
        QCOMPARE(totals("&endpoint_id=nope").value(u"top_keys"_s).toArray().size(), 0);

        // Without a range: the last 24 hours by the minute.
        reply = s.client->send("GET", apiBase + "/keys/tl-2/timeline", s.admin);
        QCOMPARE(reply.status, 200);
        body = parseJson(reply.body).toObject();
        QCOMPARE(body.value(u"step"_s).toInt(), 60);
        QVERIFY(body.value(u"points"_s).toArray().size() >= 1440);
        QCOMPARE(sum(body.value(u"points"_s).toArray(), u"unknown_429"_s), 1);
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
        QVERIFY2(insertKey(s.db, KeyRow{u"tl-1"_s, u"ep-1"_s, u"one"_s}, &error), qPrintable(error));
        const QByteArray keyPath = apiBase + "/keys/tl-1/timeline";
        const QByteArray allPath = apiBase + "/timeline";
        for (const QByteArray &path : {keyPath, allPath}) {
            QCOMPARE(s.client->send("GET", path, s.viewer).status, 200);
            EXPECT_REPLY(s.client->send("GET", path, s.gateway), 403, httpError(u"需要管理员权限"_s));
            EXPECT_REPLY(s.client->send("GET", path, {}), 401, httpError(u"缺少管理员凭证"_s));
            QCOMPARE(s.client->send("POST", path, s.admin, "{}").status, 405);
            const auto get = [&](const QByteArray &query) { return s.client->send("GET", path + query, s.admin); };
            const QString steps = u"60, 300, 3600 or 86400"_s;
            EXPECT_REPLY(
                get("?step=61"), 422,
                queryDetail("step", "literal_error", u"Input should be "_s + steps, u"61"_s, {{u"expected"_s, steps}}));
            EXPECT_REPLY(get("?step=minute"), 422,
                         queryDetail("step", "literal_error", u"Input should be "_s + steps, u"minute"_s,
                                     {{u"expected"_s, steps}}));
            EXPECT_REPLY(
                get("?from=yesterday"), 422,
                queryDetail("from", "datetime_parsing", u"Input should be a valid datetime"_s, u"yesterday"_s));
            EXPECT_REPLY(get("?to=2025-13-01"), 422,
                         queryDetail("to", "datetime_parsing", u"Input should be a valid datetime"_s, u"2025-13-01"_s));
            EXPECT_REPLY(get("?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"), 422,
                         queryDetail("from", "value_error", u"Value error, from must not be after to"_s,
                                     u"2026-01-02T00:00:00Z"_s));
            // 10,001 minutes: refused; 10,000: answered.
            EXPECT_REPLY(get("?from=2026-01-01T00:00:00Z&to=2026-01-07T22:41:00Z&step=60"), 422,
                         queryDetail("step", "value_error",
                                     u"Value error, the range holds 10001 buckets of 60 seconds; at most 10000 are "
                                     u"returned: choose a larger step or a shorter range"_s,
                                     u"60"_s));
            QCOMPARE(get("?from=2026-01-01T00:00:00Z&to=2026-01-07T22:40:00Z&step=60").status, 200);
            QCOMPARE(get("?from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z").status, 422);
        }
        EXPECT_REPLY(s.client->send("GET", allPath + "?endpoint_id=ep-1&provider_id=prov-1", s.admin), 422,
                     queryDetail("provider_id", "value_error",
                                 u"Value error, give endpoint_id or provider_id, not both"_s, u"prov-1"_s));
        EXPECT_REPLY(s.client->send("GET", apiBase + "/keys/nope/timeline", s.admin), 404,
                     httpError(u"Key not found"_s));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }
};

QTEST_MAIN(TestHttpTimeline)
#include "tst_httptimeline.moc"
