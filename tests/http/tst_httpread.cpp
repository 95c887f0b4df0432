// The admin API's reads through the real program and a real client, against spec/api.md: every field of GET /keys,
// …/stats and /summary (effective limits, timestamps to the microsecond, histories as stored, the summary's merge and
// order), values written by other software, /healthz, and 503 while the database is unreachable.

#include "consoletestsupport.h"
#include "storage/databaselocation.h"
#include "testenvironment.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <tuple>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

// One item of GET /keys for an adaptive key.
QJsonObject listItem(const KeyRow &k, std::optional<int> learned)
{
    const QJsonValue limit = learned ? QJsonValue(*learned) : QJsonValue(QJsonValue::Null);
    return QJsonObject{{u"id"_s, k.id},
                       {u"name"_s, k.name},
                       {u"endpoint_id"_s, k.endpointId},
                       {u"is_adaptive"_s, true},
                       {u"max_concurrent"_s, QJsonValue::Null},
                       {u"effective_limit"_s, limit},
                       {u"learned_max_concurrent"_s, limit},
                       {u"concurrent_429_count"_s, k.concurrent429},
                       {u"rpm_429_count"_s, k.rpm429}};
}

// The order of GET /keys is not part of the contract: the reply's array sorted by id.
Reply sortedById(Reply reply)
{
    if (!reply.json().isArray())
        return reply;
    QList<QJsonValue> items;
    for (const QJsonValue &v : reply.json().toArray())
        items.append(v);
    std::sort(items.begin(), items.end(),
              [](const QJsonValue &x, const QJsonValue &y) { return x[u"id"].toString() < y[u"id"].toString(); });
    QJsonArray sorted;
    for (const QJsonValue &v : items)
        sorted.append(v);
    reply.body = QJsonDocument(sorted).toJson(QJsonDocument::Compact);
    return reply;
}

// Seven records, the sixth with fields of other software.
QJsonArray sevenRecords()
{
    QJsonArray seven;
    for (int i = 1; i <= 7; ++i)
        seven.append(adjustmentRecord(u"r%1"_s.arg(i), u"2025-12-2%1T10:00:00.00000%1+00:00"_s.arg(i), i));
    QJsonObject foreign = seven.at(5).toObject();
    foreign.insert(u"custom"_s, QJsonObject{{u"x"_s, QJsonArray{1, 2}}, {u"note"_s, u"网关写入"_s}});
    seven.replace(5, foreign);
    return seven;
}

QJsonArray manyRecords()
{
    QJsonArray many;
    for (int i = 1; i <= 25; ++i)
        many.append(adjustmentRecord(u"m%1"_s.arg(i), u"2025-11-01T00:00:%1+00:00"_s.arg(i, 2, 10, QChar(u'0')), i));
    return many;
}

QString jsonText(const QJsonArray &a)
{
    return QString::fromUtf8(QJsonDocument(a).toJson());
}

QJsonArray lastRecords(const QJsonArray &a, int n)
{
    QJsonArray tail;
    for (qsizetype i = qMax<qsizetype>(0, a.size() - n); i < a.size(); ++i)
        tail.append(a.at(i));
    return tail;
}

// The keys of the stats test: new, learned, fixed, with odd timestamps, long and unreadable histories, an odd id.
QList<KeyRow> statsKeys(const TestDatabase &db, const QJsonArray &seven, const QJsonArray &many)
{
    QList<KeyRow> keys{KeyRow{u"s-new"_s, u"ep-1"_s, u"new"_s}};
    KeyRow learned{u"s-learned"_s, u"ep-1"_s, u"learned"_s};
    learned.learned = 17;
    learned.concurrent429 = 5;
    learned.rpm429 = 2;
    learned.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
    learned.last429Type = u"concurrent"_s;
    learned.history = jsonText(seven);
    KeyRow fixed{u"s-fixed"_s, u"ep-2"_s, u"fixed"_s};
    fixed.maxConcurrent = 8;
    fixed.learned = 30;
    fixed.rpm429 = 1;
    fixed.last429At = u"2025-12-25T14:47:08+00:00"_s;
    fixed.last429Type = u"rpm"_s;
    fixed.history = jsonText(lastRecords(seven, 3));
    KeyRow fixedOnly{u"s-fixed-only"_s, u"ep-2"_s, u"fixed only"_s};
    fixedOnly.maxConcurrent = 100;
    KeyRow offset{u"s-offset"_s, u"ep-1"_s, u"offset"_s};
    offset.last429At = u"2025-12-25T16:47:08.000001+02:00"_s;
    offset.last429Type = u"unknown"_s;
    KeyRow zero{u"s-zero"_s, u"ep-1"_s, u"zero fraction"_s};
    zero.last429At = u"2025-12-25T14:47:08.000000+00:00"_s;
    KeyRow longHistory{u"s-long"_s, u"ep-1"_s, u"long"_s};
    longHistory.learned = 4;
    longHistory.history = jsonText(many);
    KeyRow bad{u"s-bad"_s, u"ep-1"_s, u"bad"_s};
    bad.history = malformedJson(db);
    KeyRow scalar{u"s-scalar"_s, u"ep-1"_s, u"scalar"_s};
    scalar.history = u"\"oops\""_s;
    KeyRow jsonNull{u"s-null"_s, u"ep-1"_s, u"json null"_s};
    jsonNull.history = u"null"_s;
    keys << learned << fixed << fixedOnly << offset << zero << longHistory << bad << scalar << jsonNull
         << KeyRow{u"Odd Id 中文"_s, u"ep-1"_s, u"odd"_s};
    return keys;
}

QJsonObject statsAnswer(bool adaptive, const QJsonValue &max, int effective, const QJsonValue &learned, int c429,
                        int r429, const QString &last429At, const QString &last429Type, int adjustments,
                        const QJsonArray &recent)
{
    return QJsonObject({{u"adaptive_mode"_s, adaptive},
                        {u"max_concurrent"_s, max},
                        {u"effective_limit"_s, effective},
                        {u"learned_limit"_s, learned},
                        {u"concurrent_429_count"_s, c429},
                        {u"rpm_429_count"_s, r429},
                        {u"last_429_at"_s, last429At},
                        {u"last_429_type"_s, last429Type},
                        {u"adjustment_count"_s, adjustments},
                        {u"recent_adjustments"_s, recent}});
}

// Runs SQL on the PostgreSQL server's maintenance database (AETHER_TEST_PG): what an operator would do to a database.
bool runOnMaintenanceDatabase(const QString &sql, QString *error)
{
    const auto admin = aether::DatabaseLocation::parse(qEnvironmentVariable("AETHER_TEST_PG"));
    if (!admin) {
        *error = u"AETHER_TEST_PG is not a database URL"_s;
        return false;
    }
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, u"outage-admin"_s);
        db.setHostName(admin.value().host);
        db.setPort(admin.value().port);
        db.setUserName(admin.value().user);
        db.setDatabaseName(admin.value().databaseName);
        QSqlQuery query(db);
        ok = db.open() && query.exec(sql);
        if (!ok)
            *error = db.lastError().text() + query.lastError().text();
    }
    QSqlDatabase::removeDatabase(u"outage-admin"_s);
    return ok;
}

} // namespace

class TestHttpRead : public HttpSuite {
    Q_OBJECT

private slots:

    // ---- GET /keys -------------------------------------------------------------------------------------------------

    // A list longer than 4 MiB (~18,000 keys) is streamed: chunked on HTTP/1.1, until the close on HTTP/1.0, a page
    // of 2,000 keys at a time as the client reads, in id order; its keys are exactly those of the lists answered whole
    // (each endpoint's list is shorter), which come with their length.
    void keyListIsStreamed_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("stream");
    }
    void keyListIsStreamed()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QList<KeyRow> rows;
        QJsonArray expected;
        for (int i = 0; i < 23000; ++i) {
            KeyRow k{u"s-%1"_s.arg(i * 7919 % 23000, 5, 10, QLatin1Char('0')), i % 2 ? u"ep-1"_s : u"ep-2"_s,
                     i % 3 ? u"stream key %1"_s.arg(i) : u"流 \"%1\" \\"_s.arg(i)};
            if (i % 23 == 0)
                k.maxConcurrent = 5; // fixed: not listed
            if (i % 4)
                k.learned = i % 50 + 1;
            k.concurrent429 = i % 7;
            rows << k;
        }
        QVERIFY2(insertKeys(s.db, rows, &error), qPrintable(error));
        const auto ids = [](const QJsonArray &list) {
            QStringList out;
            for (const QJsonValue &v : list)
                out << v.toObject().value(u"id"_s).toString();
            return out;
        };
        const Reply whole1 = s.client->send("GET", apiBase + "/keys?endpoint_id=ep-1", s.admin);
        const Reply whole2 = s.client->send("GET", apiBase + "/keys?endpoint_id=ep-2", s.admin);
        QCOMPARE(whole1.status, 200);
        QVERIFY(!whole1.header("Content-Length").isEmpty()); // one page: answered whole
        QJsonArray merged = whole1.json().toArray();
        for (const QJsonValue &v : whole2.json().toArray())
            merged.append(v);
        QVERIFY(merged.size() > 20000);
        QList<QJsonValue> sorted(merged.begin(), merged.end());
        std::sort(sorted.begin(), sorted.end(), [](const QJsonValue &a, const QJsonValue &b) {
            return a.toObject().value(u"id"_s).toString() < b.toObject().value(u"id"_s).toString();
        });
        const QJsonArray reference = QJsonArray::fromVariantList([&] {
            QVariantList list;
            for (const QJsonValue &v : sorted)
                list << v.toVariant();
            return list;
        }());

        const Reply streamed = s.client->send("GET", apiBase + "/keys", s.admin);
        QCOMPARE(streamed.status, 200);
        QCOMPARE(streamed.json().toArray(), reference);
        QVERIFY(ids(streamed.json().toArray()) == ids(reference)); // in id order

        // The wire: chunked framing (HTTP/1.1), or the body up to the close (HTTP/1.0), both the same text.
        const auto exchange = [&](const QByteArray &version) {
            QTcpSocket socket;
            socket.connectToHost(u"127.0.0.1"_s, s.server.port());
            socket.waitForConnected(5000);
            socket.write("GET " + apiBase + "/keys " + version +
                         "\r\nHost: x\r\nConnection: close\r\n"
                         "Authorization: Bearer " +
                         s.admin + "\r\n\r\n");
            QByteArray data;
            QElapsedTimer timer;
            timer.start();
            while (timer.elapsed() < 20000 &&
                   (socket.state() == QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0)) {
                socket.waitForReadyRead(100);
                data += socket.readAll();
            }
            return data;
        };
        const QByteArray http11 = exchange("HTTP/1.1");
        const qsizetype head11 = http11.indexOf("\r\n\r\n");
        QVERIFY(head11 > 0);
        QVERIFY(http11.left(head11).contains("Transfer-Encoding: chunked"));
        QVERIFY(!http11.left(head11).contains("Content-Length"));
        QByteArray decoded;
        qsizetype at = head11 + 4;
        int chunks = 0;
        for (;;) {
            const qsizetype lineEnd = http11.indexOf("\r\n", at);
            QVERIFY(lineEnd > at);
            bool ok = false;
            const qsizetype size = http11.mid(at, lineEnd - at).toLongLong(&ok, 16);
            QVERIFY(ok);
            if (size == 0)
                break;
            decoded += http11.mid(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
            ++chunks;
        }
        QVERIFY(chunks >= 2); // the pages up to 4 MiB, then a piece per page
        const QByteArray http10 = exchange("HTTP/1.0");
        const qsizetype head10 = http10.indexOf("\r\n\r\n");
        QVERIFY(head10 > 0);
        QVERIFY(!http10.left(head10).contains("Transfer-Encoding"));
        QCOMPARE(http10.mid(head10 + 4), decoded);
        QCOMPARE(QJsonDocument::fromJson(decoded).array(), reference);
        // The server answers the next request on a kept-alive connection after a streamed one.
        QCOMPARE(s.client->send("GET", apiBase + "/keys", s.admin).json().toArray(), reference);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void listKeys_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("list");
    }

    void listKeys()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        KeyRow a1{u"ka1"_s};
        a1.name = u"Key A1"_s;
        a1.learned = 12;
        a1.concurrent429 = 3;
        a1.rpm429 = 4;
        KeyRow a2{u"ka2"_s};
        a2.name = u"引号 \"quoted\" \\ back"_s;
        a2.active = false;
        a2.history = malformedJson(s.db);
        KeyRow a3{u"ka3"_s, u"ep-2"_s, u"密钥三"_s};
        a3.learned = 7;
        a3.concurrent429 = 1;
        KeyRow f1{u"kf1"_s};
        f1.name = u"fixed one"_s;
        f1.maxConcurrent = 10;
        f1.learned = 20;
        KeyRow f2{u"kf2"_s, u"ep-2"_s, u"fixed two"_s};
        f2.maxConcurrent = 5;
        for (const KeyRow &key : {a1, a2, a3, f1, f2})
            QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));

        const auto item = &listItem;
        const auto list = [&](const QByteArray &query) {
            return sortedById(s.client->send("GET", apiBase + "/keys" + query, s.admin));
        };
        const QJsonArray all{item(a1, 12), item(a2, {}), item(a3, 7)};
        EXPECT_REPLY(list({}), 200, all);
        EXPECT_REPLY(list("?endpoint_id="), 200, all);
        EXPECT_REPLY(list("?endpoint_id=ep-1"), 200, QJsonArray({item(a1, 12), item(a2, {})}));
        EXPECT_REPLY(list("?endpoint_id=ep-2"), 200, QJsonArray({item(a3, 7)}));
        EXPECT_REPLY(list("?endpoint_id=nope"), 200, QJsonArray());
        EXPECT_REPLY(list("?endpoint_id=EP-1"), 200, QJsonArray());
        // Names travel as raw UTF-8, quotes and backslashes escaped as JSON requires.
        const Reply raw = s.client->send("GET", apiBase + "/keys?endpoint_id=ep-2", s.admin);
        EXPECT_REPLY(raw, 200, QJsonArray({item(a3, 7)}));
        QVERIFY(raw.body.contains(u"\"密钥三\""_s.toUtf8()));

        // Switching modes moves keys in and out of the list.
        QCOMPARE(s.client->send("PATCH", keyPath("ka1", "limit?limit=4"), s.admin).status, 200);
        QCOMPARE(s.client->send("PATCH", keyPath("kf1", "mode"), s.admin, R"({"enabled":true})").status, 200);
        EXPECT_REPLY(list("?endpoint_id=ep-1"), 200, QJsonArray({item(a2, {}), item(f1, 20)}));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void nullColumnsOfAnotherWriter_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("gateway tables with NULL counters");
    }

    // A gateway database made by another writer, whose counters and names may be NULL: they read as 0 / null.
    void nullColumnsOfAnotherWriter()
    {
        QFETCH(QByteArray, backend);
        Session s(backend);
        if (!s.db.isReady()) {
            if (s.db.mustNotSkip())
                QFAIL(qPrintable(s.db.skipReason()));
            QSKIP(qPrintable(s.db.skipReason()));
        }
        const QString times = u"created_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP, "
                              "updated_at TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP"_s;
        QString error;
        for (const QString &ddl :
             {u"CREATE TABLE providers (id VARCHAR(36) PRIMARY KEY, name VARCHAR(100) NOT NULL, display_name "
              "VARCHAR(100) NOT NULL, is_active BOOLEAN NOT NULL DEFAULT true, %1)"_s.arg(times),
              u"CREATE TABLE provider_endpoints (id VARCHAR(36) PRIMARY KEY, provider_id VARCHAR(36) NOT NULL "
              "REFERENCES providers (id), api_format VARCHAR(50) NOT NULL, base_url VARCHAR(500) NOT NULL, "
              "is_active BOOLEAN NOT NULL DEFAULT true, %1)"_s.arg(times),
              u"CREATE TABLE provider_api_keys (id VARCHAR(36) PRIMARY KEY, endpoint_id VARCHAR(36) NOT NULL "
              "REFERENCES provider_endpoints (id), name VARCHAR(100), note VARCHAR(500), max_concurrent INTEGER, "
              "learned_max_concurrent INTEGER, concurrent_429_count INTEGER, rpm_429_count INTEGER, last_429_at "
              "TIMESTAMPTZ, last_429_type VARCHAR(50), last_concurrent_peak INTEGER, adjustment_history JSON, "
              "utilization_samples JSON, last_probe_increase_at TIMESTAMPTZ, is_active BOOLEAN NOT NULL DEFAULT "
              "true, %1)"_s.arg(times)})
            QVERIFY2(s.db.execute(ddl, &error), qPrintable(error));
        QVERIFY2(s.start(&error), qPrintable(error));
        QVERIFY2(s.db.execute(u"INSERT INTO provider_api_keys (id, endpoint_id) VALUES ('kn', 'ep-1')"_s, &error),
                 qPrintable(error));

        EXPECT_REPLY(s.client->send("GET", apiBase + "/keys", s.admin), 200, parseJson(R"([{"id":"kn","name":null,
            "endpoint_id":"ep-1","is_adaptive":true,"max_concurrent":null,"effective_limit":null,
            "learned_max_concurrent":null,"concurrent_429_count":0,"rpm_429_count":0}])"));
        EXPECT_REPLY(s.client->send("GET", keyPath("kn", "stats"), s.admin), 200,
                     blankStats(true, QJsonValue::Null, 50));
        EXPECT_REPLY(s.client->send("GET", apiBase + "/summary", s.admin), 200,
                     parseJson(R"({"total_adaptive_keys":1,"total_concurrent_429_errors":0,"total_rpm_429_errors":0,
                        "total_adjustments":0,"recent_adjustments":[]})"));
        EXPECT_REPLY(s.client->send("DELETE", keyPath("kn", "learning"), s.admin), 200,
                     parseJson(R"({"message":"学习状态已重置","key_id":"kn"})"));
        EXPECT_ROW(s, u"kn"_s, u"concurrent_429_count, rpm_429_count, max_concurrent"_s, u"0"_s, u"0"_s, QString());
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    // ---- GET /keys/{id}/stats -------------------------------------------------------------------------------------

    void stats_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("stats");
    }

    void stats()
    {
        AETHER_TEST_SESSION(s);
        const QJsonArray seven = sevenRecords();
        const QJsonArray many = manyRecords();
        const auto last = &lastRecords;
        QString error;
        for (const KeyRow &key : statsKeys(s.db, seven, many))
            QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));

        const auto get = [&](const QByteArray &id) { return s.client->send("GET", keyPath(id, "stats"), s.admin); };
        EXPECT_REPLY(get("s-new"), 200, blankStats(true, QJsonValue::Null, 50));
        EXPECT_REPLY(get("s-learned"), 200,
                     statsAnswer(true, QJsonValue::Null, 17, 17, 5, 2, u"2025-12-25T14:47:08.123456+00:00"_s,
                                 u"concurrent"_s, 7, last(seven, 5)));
        EXPECT_REPLY(get("s-fixed"), 200,
                     statsAnswer(false, 8, 8, 30, 0, 1, u"2025-12-25T14:47:08+00:00"_s, u"rpm"_s, 3, last(seven, 3)));
        EXPECT_REPLY(get("s-fixed-only"), 200, blankStats(false, 100, 100));
        QJsonObject expected = blankStats(true, QJsonValue::Null, 50);
        expected[u"last_429_at"_s] = u"2025-12-25T14:47:08.000001+00:00"_s;
        expected[u"last_429_type"_s] = u"unknown"_s;
        EXPECT_REPLY(get("s-offset"), 200, expected);
        expected = blankStats(true, QJsonValue::Null, 50);
        expected[u"last_429_at"_s] = u"2025-12-25T14:47:08+00:00"_s;
        EXPECT_REPLY(get("s-zero"), 200, expected);
        expected = blankStats(true, QJsonValue::Null, 4);
        expected[u"learned_limit"_s] = 4;
        expected[u"adjustment_count"_s] = 25;
        expected[u"recent_adjustments"_s] = last(many, 5);
        EXPECT_REPLY(get("s-long"), 200, expected);
        for (const QByteArray &id : {"s-bad"_ba, "s-scalar"_ba, "s-null"_ba})
            EXPECT_REPLY(get(id), 200, blankStats(true, QJsonValue::Null, 50));
        EXPECT_REPLY(get("Odd%20Id%20%E4%B8%AD%E6%96%87"), 200, blankStats(true, QJsonValue::Null, 50));
        EXPECT_REPLY(get("odd%20id%20%E4%B8%AD%E6%96%87"), 404, httpError(u"Key not found"_s));
        EXPECT_REPLY(get("S-NEW"), 404, httpError(u"Key not found"_s));
        // Reading leaves a value that is not an array as it is, and warns once per key however often it is read.
        QCOMPARE(get("s-bad").status, 200);
        QCOMPARE(s.client->send("GET", apiBase + "/summary", s.admin).status, 200);
        EXPECT_ROW(s, u"s-bad"_s, asText(s.db, u"adjustment_history"_s), malformedJson(s.db));
        EXPECT_ROW(s, u"s-scalar"_s, asText(s.db, u"adjustment_history"_s), u"\"oops\""_s);
        QVERIFY2(s.stop(&error), qPrintable(error));
        const QByteArray log = s.server.standardError();
        for (const QByteArray id : {"s-bad", "s-scalar"})
            QVERIFY2(log.count(id) == 1,
                     qPrintable(u"%1 warnings about %2 in:\n"_s.arg(log.count(id)).arg(QString::fromLatin1(id)) +
                                QString::fromUtf8(log)));
    }

    // ---- GET /summary ---------------------------------------------------------------------------------------------

    void summary_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("summary");
    }

    void summary()
    {
        AETHER_TEST_SESSION(s);
        const auto get = [&] { return s.client->send("GET", apiBase + "/summary", s.admin); };
        EXPECT_REPLY(get(), 200, parseJson(R"({"total_adaptive_keys":0,"total_concurrent_429_errors":0,
            "total_rpm_429_errors":0,"total_adjustments":0,"recent_adjustments":[]})"));

        // Records by tag, and the keys holding them. Timestamps sort as strings: b1 ("…T09:00:00+09:00") is the
        // same instant as "…T00:00:00+00:00" but sorts above every a*; b2 has none and sorts last.
        QHash<QString, QJsonObject> records;
        QHash<QString, QPair<QString, QString>> owner; // tag -> key id, key name
        const auto history = [&](const QString &id, const QString &name, const QList<QPair<QString, QString>> &recs) {
            QJsonArray array;
            for (const auto &[tag, timestamp] : recs) {
                QJsonObject r = adjustmentRecord(tag, timestamp);
                if (tag == u"b2")
                    r.insert(u"custom"_s, QJsonObject{{u"k"_s, QJsonArray{1, 2}}});
                records.insert(tag, r);
                owner.insert(tag, {id, name});
                array.append(r);
            }
            return compact(array);
        };
        const auto at = [](const char *day, int second) {
            return u"2025-%1:%2+00:00"_s.arg(QString::fromLatin1(day)).arg(second, 2, 10, QChar(u'0'));
        };
        QList<QPair<QString, QString>> a, c, f, g;
        for (int i = 1; i <= 5; ++i)
            a.append({u"a%1"_s.arg(i), at("12-01T00:00", i)});
        for (int i = 1; i <= 4; ++i)
            c.append({u"c%1"_s.arg(i), at("12-02T12:00", i)});
        for (int i = 1; i <= 25; ++i)
            f.append({u"f%1"_s.arg(i), at("11-01T00:00", i)});
        for (int i = 1; i <= 3; ++i)
            g.append({u"g%1"_s.arg(i), u"2026-01-01T00:00:0%1+00:00"_s.arg(i)});
        const auto key = [](const QString &id, const QString &name, int c429, int rpm, std::optional<QString> h,
                            std::optional<int> max = {}) {
            KeyRow k{id, u"ep-1"_s, name};
            k.concurrent429 = c429;
            k.rpm429 = rpm;
            k.history = h;
            k.maxConcurrent = max;
            return k;
        };
        const QList<KeyRow> keys = {
            key(u"sum-a"_s, u"Alpha"_s, 3, 1, history(u"sum-a"_s, u"Alpha"_s, a)),
            key(u"sum-b"_s, u"Beta 二"_s, 2, 4,
                history(u"sum-b"_s, u"Beta 二"_s, {{u"b1"_s, u"2025-12-01T09:00:00+09:00"_s}, {u"b2"_s, {}}})),
            key(u"sum-c"_s, u"Gamma"_s, 0, 0, history(u"sum-c"_s, u"Gamma"_s, c)),
            key(u"sum-d"_s, u"Delta"_s, 1, 0, malformedJson(s.db)),
            key(u"sum-e"_s, u"Epsilon"_s, 0, 7, std::nullopt),
            key(u"sum-f"_s, u"Zeta"_s, 1, 0, history(u"sum-f"_s, u"Zeta"_s, f)),
            key(u"sum-g"_s, u"Eta"_s, 100, 100, history(u"sum-g"_s, u"Eta"_s, g), 10),
            key(u"sum-h"_s, u"Theta"_s, 0, 0, u"[]"_s),
        };
        QString error;
        for (const KeyRow &k : keys)
            QVERIFY2(insertKey(s.db, k, &error), qPrintable(error));

        const auto expect = [&](int keyCount, int c429, int rpm, int adjustments, const QStringList &tags) {
            QJsonArray recent;
            for (const QString &tag : tags) {
                QJsonObject merged = records.value(tag);
                merged.insert(u"key_id"_s, owner.value(tag).first);
                merged.insert(u"key_name"_s, owner.value(tag).second);
                recent.append(merged);
            }
            return QJsonObject{{u"total_adaptive_keys"_s, keyCount},
                               {u"total_concurrent_429_errors"_s, c429},
                               {u"total_rpm_429_errors"_s, rpm},
                               {u"total_adjustments"_s, adjustments},
                               {u"recent_adjustments"_s, recent}};
        };
        const auto tags = [](const char *list) { return QString::fromLatin1(list).split(u' '); };
        // Written behind the server's back: the summary must notice.
        EXPECT_REPLY(get(), 200, expect(7, 7, 12, 36, tags("c4 c3 c2 b1 a5 a4 a3 f25 f24 f23")));
        // Changes through the API: c leaves (fixed), f forgets, g joins (adaptive).
        QCOMPARE(s.client->send("PATCH", keyPath("sum-c", "limit?limit=5"), s.admin).status, 200);
        EXPECT_REPLY(get(), 200, expect(6, 7, 12, 32, tags("b1 a5 a4 a3 f25 f24 f23 b2")));
        QCOMPARE(s.client->send("DELETE", keyPath("sum-f", "learning"), s.admin).status, 200);
        EXPECT_REPLY(get(), 200, expect(6, 6, 12, 7, tags("b1 a5 a4 a3 b2")));
        QCOMPARE(s.client->send("PATCH", keyPath("sum-g", "mode"), s.admin, R"({"enabled":true})").status, 200);
        EXPECT_REPLY(get(), 200, expect(7, 106, 112, 10, tags("g3 g2 g1 b1 a5 a4 a3 b2")));
        // An update behind the server's back that changes no row count is noticed as well.
        QVERIFY2(s.db.execute(u"UPDATE provider_api_keys SET rpm_429_count = 20 WHERE id = 'sum-a'"_s, &error),
                 qPrintable(error));
        EXPECT_REPLY(get(), 200, expect(7, 106, 131, 10, tags("g3 g2 g1 b1 a5 a4 a3 b2")));
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    // ---- /healthz and the database outage -------------------------------------------------------------------------

    void healthz_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("healthz");
    }

    void healthz()
    {
        AETHER_TEST_SESSION(s);
        const QJsonValue ok = parseJson(R"({"status":"ok","database":"ok"})");
        EXPECT_REPLY(s.client->send("GET", "/healthz", {}), 200, ok);
        EXPECT_REPLY(s.client->send("GET", "/healthz", "not-a-token", {}, english), 200, ok);
        // SIGINT ends the server as cleanly as SIGTERM.
        QString error;
        QVERIFY2(s.server.stop(&error, SIGINT), qPrintable(error));
    }

    void databaseOutage_data()
    {
        // SQLite cannot be taken away from a running server here (the open file stays usable); PostgreSQL can: the
        // test database stops accepting connections and the server's connection is terminated.
        QTest::addColumn<QByteArray>("backend");
        QTest::newRow("postgres") << "postgres"_ba;
    }

    void databaseOutage()
    {
        AETHER_TEST_SESSION(s);
        KeyRow key{u"k-out"_s, u"ep-1"_s, u"outage"_s};
        key.learned = 5;
        QString error;
        QVERIFY2(insertKey(s.db, key, &error), qPrintable(error));
        QJsonObject healthy = blankStats(true, QJsonValue::Null, 5);
        healthy[u"learned_limit"_s] = 5;
        EXPECT_REPLY(s.client->send("GET", keyPath("k-out", "stats"), s.admin), 200, healthy);

        const QString name = s.db.location().databaseName;
        const auto onMaintenance = [&error](const QString &sql) { return runOnMaintenanceDatabase(sql, &error); };
        QVERIFY2(onMaintenance(u"ALTER DATABASE %1 WITH ALLOW_CONNECTIONS false"_s.arg(name)), qPrintable(error));
        QVERIFY2(
            onMaintenance(u"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%1'"_s.arg(name)),
            qPrintable(error));

        const QJsonObject zh = systemError(u"数据库连接异常，正在重试..."_s);
        const QJsonObject en = systemError(u"Database connection error, retrying..."_s);
        const QList<std::tuple<QByteArray, QByteArray, QByteArray, QByteArray, QByteArray, QJsonObject>> requests = {
            {"GET", keyPath("k-out", "stats"), s.admin, {}, chinese, zh},
            {"GET", keyPath("k-out", "stats"), s.environmentToken, {}, chinese, zh},
            {"GET", apiBase + "/keys", s.environmentToken, {}, english, en},
            {"PATCH", keyPath("k-out", "limit?limit=3"), s.environmentToken, {}, chinese, zh},
            {"PATCH", keyPath("k-out", "mode"), s.environmentToken, R"({"enabled":true})", chinese, zh},
            {"DELETE", keyPath("k-out", "learning"), s.environmentToken, {}, chinese, zh},
            {"GET", apiBase + "/summary", s.admin, {}, chinese, zh},
        };
        for (const auto &[method, path, token, body, language, expected] : requests) {
            const Reply reply = s.client->send(method, path, token, body, language);
            EXPECT_REPLY(reply, 503, expected);
            QVERIFY2(reply.elapsedMs < 5000, qPrintable(u"%1 ms"_s.arg(reply.elapsedMs)));
        }
        const Reply degraded = s.client->send("GET", "/healthz", {});
        EXPECT_REPLY(degraded, 503, parseJson(R"({"status":"degraded","database":"unavailable"})"));
        QVERIFY(degraded.elapsedMs < 5000);

        // Back again: the server reconnects by itself.
        QVERIFY2(onMaintenance(u"ALTER DATABASE %1 WITH ALLOW_CONNECTIONS true"_s.arg(name)), qPrintable(error));
        Reply health;
        for (int attempt = 0; attempt < 50; ++attempt) {
            health = s.client->send("GET", "/healthz", {});
            if (health.status == 200)
                break;
            QThread::msleep(100);
        }
        EXPECT_REPLY(health, 200, parseJson(R"({"status":"ok","database":"ok"})"));
        EXPECT_REPLY(s.client->send("GET", keyPath("k-out", "stats"), s.admin), 200, healthy);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestHttpRead)
#include "tst_httpread.moc"
