// KeyService: the seed's six admin operations on both backends, against fixture rows written behind the core's back
// (so every expected value is known), checked in the database afterwards.

#include "storage/database.h"
#include "keyfixture.h"
#include "keys/keyservice.h"
#include "storage/migrations.h"
#include "sqlprobe.h"
#include "testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <functional>
#include <limits>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::KeyService;
using namespace aether::test;

namespace {

const aether::Actor actor{u"token:ops"_s};

// Seven records, the last one carrying fields the console does not know.
QJsonArray alphaHistory()
{
    QJsonArray history;
    for (int i = 0; i < 7; ++i) {
        QJsonObject r = record(u"2025-12-%1T10:00:00.%2+00:00"_s.arg(20 + i).arg(100000 + i), 30 - i, 29 - i,
                               i % 2 ? u"concurrent_429"_s : u"high_utilization"_s);
        r.insert(u"current_concurrent"_s, 25 - i);
        history.append(r);
    }
    QJsonObject last = history.last().toObject();
    last.insert(u"gateway_note"_s, u"kept 中文"_s);
    last.insert(u"extra"_s, QJsonObject{{u"a"_s, QJsonArray{1, 2}}});
    last.insert(u"avg_utilization"_s, 0.85);
    history.replace(6, last);
    return history;
}

QJsonArray numberedHistory(int count, const QString &day)
{
    QJsonArray history;
    for (int i = 0; i < count; ++i)
        history.append(
            record(u"%1T%2:00:00+00:00"_s.arg(day).arg(i, 2, 10, QChar(u'0')), 50 + i, 51 + i, u"probe_increase"_s));
    return history;
}

// Two providers' endpoints and four keys:
//   k-a1 adaptive, learned 17, seven records, everything filled;  k-a2 adaptive, nothing learned, inactive, on e2;
//   k-a3 adaptive, empty history;  k-f1 fixed at 8, learned 25, two records.
QList<KeyFixture> standardKeys()
{
    KeyFixture a1 = key(u"k-a1"_s, u"alpha"_s);
    a1.learned = 17;
    a1.concurrent429 = 4;
    a1.rpm429 = 2;
    a1.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
    a1.last429Type = u"concurrent"_s;
    a1.peak = 20;
    a1.history = compact(alphaHistory());
    a1.samples = u"[{\"ts\": 1766674028.5, \"util\": 0.75}]"_s;
    a1.probeAt = u"2025-12-24T10:00:00.000001+00:00"_s;
    a1.note = u"first key"_s;

    KeyFixture a2 = key(u"k-a2"_s, u"beta"_s, u"e2"_s);
    a2.active = false;

    KeyFixture a3 = key(u"k-a3"_s, u"delta 中文"_s);
    a3.learned = 5;
    a3.concurrent429 = 1;
    a3.rpm429 = 7;
    a3.history = u"[]"_s;
    a3.samples = u"[]"_s;

    KeyFixture f1 = key(u"k-f1"_s, u"gamma"_s);
    f1.maxConcurrent = 8;
    f1.learned = 25;
    f1.concurrent429 = 10;
    f1.rpm429 = 1;
    f1.last429At = u"2025-12-20T08:00:00+00:00"_s;
    f1.last429Type = u"rpm"_s;
    f1.history = compact(numberedHistory(2, u"2025-12-19"_s));
    return {a1, a2, a3, f1};
}

// The summary's recent adjustments as the seed computes them: the last three records of each adaptive key,
// sorted by timestamp string (missing = "") descending with a stable sort, the first ten.
QList<aether::RecentAdjustment> expectedRecent(const QList<KeyFixture> &keys)
{
    QList<KeyFixture> sorted = keys;
    std::sort(sorted.begin(), sorted.end(), [](const KeyFixture &a, const KeyFixture &b) { return a.id < b.id; });
    QList<aether::RecentAdjustment> all;
    for (const KeyFixture &k : sorted) {
        if (k.maxConcurrent || !k.history)
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(k.history->toUtf8());
        if (!doc.isArray())
            continue;
        const QJsonArray history = doc.array();
        for (qsizetype i = qMax<qsizetype>(0, history.size() - 3); i < history.size(); ++i)
            all << aether::RecentAdjustment{k.id, k.name, history.at(i).toObject()};
    }
    std::stable_sort(all.begin(), all.end(), [](const aether::RecentAdjustment &a, const aether::RecentAdjustment &b) {
        return a.record.value(u"timestamp").toString() > b.record.value(u"timestamp").toString();
    });
    return all.mid(0, 10);
}

QString describe(const QList<aether::RecentAdjustment> &list)
{
    QStringList lines;
    for (const aether::RecentAdjustment &r : list) {
        lines << u"%1 (%2) %3"_s.arg(r.keyId, r.keyName.value_or(u"<none>"_s),
                                     QString::fromUtf8(QJsonDocument(r.record).toJson(QJsonDocument::Compact)));
    }
    return lines.join(u'\n');
}

} // namespace

// Fresh database, migrated, with the standard providers and endpoints (and optionally keys).
#define AETHER_KEY_DATABASE(tdb, db, keys) AETHER_FIXTURE_DATABASE(tdb, db, ownerRows(), keys)

class TestKeyService : public QObject {
    Q_OBJECT

    static QStringList ownerRows()
    {
        return {
            u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES "
            u"('p1', 'anthropic', 'Anthropic', true, '%1', '%1')"_s.arg(fixtureTime),
            u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
            u"updated_at) VALUES ('e1', 'p1', 'CLAUDE', 'https://api.anthropic.com', true, '%1', '%1')"_s.arg(
                fixtureTime),
            u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
            u"updated_at) VALUES ('e2', 'p1', 'OPENAI', 'https://api.openai.com', true, '%1', '%1')"_s.arg(fixtureTime),
        };
    }

    // Only for data functions with more columns than the backend.
    static void addCaseRows(const char *name, const std::function<void(QTestData &)> &fill)
    {
        for (const QByteArray &backend : TestDatabase::backends()) {
            QTestData &row = QTest::addRow("%s: %s", backend.constData(), name) << backend;
            fill(row);
        }
    }

private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale::c());
        QStandardPaths::setTestModeEnabled(true);
    }

    // ---- listAdaptiveKeys -------------------------------------------------------------------------------------

    void listAdaptiveKeys_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("endpoint");
        QTest::addColumn<QStringList>("ids");
        const QStringList all{u"k-a1"_s, u"k-a2"_s, u"k-a3"_s};
        addCaseRows("no filter", [&](QTestData &row) { row << QString() << all; });
        addCaseRows("empty filter", [&](QTestData &row) { row << u""_s << all; });
        addCaseRows("endpoint e1", [&](QTestData &row) { row << u"e1"_s << QStringList{u"k-a1"_s, u"k-a3"_s}; });
        addCaseRows("endpoint e2 (inactive key)", [&](QTestData &row) { row << u"e2"_s << QStringList{u"k-a2"_s}; });
        addCaseRows("unknown endpoint", [&](QTestData &row) { row << u"e9"_s << QStringList(); });
        addCaseRows("endpoint ids are exact", [&](QTestData &row) { row << u"E1"_s << QStringList(); });
    }

    void listAdaptiveKeys()
    {
        QFETCH(QString, endpoint);
        QFETCH(QStringList, ids);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());

        const aether::Result<QList<aether::KeyListItem>> listed = KeyService(db).listAdaptiveKeys(endpoint);
        QVERIFY2(listed.ok(), qPrintable(listed.ok() ? QString() : errorText(listed.error())));
        QList<aether::KeyListItem> items = listed.value();
        std::sort(items.begin(), items.end(), [](const auto &a, const auto &b) { return a.id < b.id; });
        QStringList got;
        for (const aether::KeyListItem &item : items)
            got << item.id;
        QCOMPARE(got, ids);

        for (const aether::KeyListItem &item : items) {
            QVERIFY(item.isAdaptive());
            QVERIFY(!item.maxConcurrent.has_value());
            if (item.id == u"k-a1") {
                QCOMPARE(item.name, std::optional<QString>(u"alpha"_s));
                QCOMPARE(item.endpointId, u"e1"_s);
                QCOMPARE(item.learnedMaxConcurrent, std::optional<int>(17));
                QCOMPARE(item.effectiveLimit(), std::optional<int>(17));
                QCOMPARE(item.concurrent429Count, qint64(4));
                QCOMPARE(item.rpm429Count, qint64(2));
            } else if (item.id == u"k-a2") {
                QCOMPARE(item.name, std::optional<QString>(u"beta"_s));
                QCOMPARE(item.endpointId, u"e2"_s);
                QVERIFY(!item.learnedMaxConcurrent.has_value());
                QVERIFY(!item.effectiveLimit().has_value());
                QCOMPARE(item.concurrent429Count, qint64(0));
                QCOMPARE(item.rpm429Count, qint64(0));
            } else {
                QCOMPARE(item.name, std::optional<QString>(u"delta 中文"_s));
                QCOMPARE(item.learnedMaxConcurrent, std::optional<int>(5));
                QCOMPARE(item.concurrent429Count, qint64(1));
                QCOMPARE(item.rpm429Count, qint64(7));
            }
        }
    }

    void listAdaptiveKeysEmptyDatabase_data() { TestDatabase::addBackendRows(); }
    void listAdaptiveKeysEmptyDatabase()
    {
        AETHER_KEY_DATABASE(tdb, db, {});
        const aether::Result<QList<aether::KeyListItem>> listed = KeyService(db).listAdaptiveKeys();
        QVERIFY(listed.ok());
        QVERIFY(listed.value().isEmpty());
    }

    // ---- keyExists ----------------------------------------------------------------------------------------------

    void keyExists_data() { TestDatabase::addBackendRows(); }
    void keyExists()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        for (const QString &id : {u"k-a1"_s, u"k-a2"_s, u"k-a3"_s, u"k-f1"_s})
            QCOMPARE(keys.keyExists(id).value(), true);
        for (const QString &id : {u"nope"_s, u"K-A1"_s, u" k-a1"_s, u"k-a1 "_s, QString(), u"k-a1' OR '1'='1"_s})
            QCOMPARE(keys.keyExists(id).value(), false);
    }

    // ---- setMode ------------------------------------------------------------------------------------------------

    void setModeToFixed_data() { TestDatabase::addBackendRows(); }
    void setModeToFixed()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-a1"_s);

        const qint64 t0 = nowMicros();
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(u"k-a1"_s, false, 30, actor);
        const qint64 t1 = nowMicros();
        QVERIFY2(change.ok(), qPrintable(change.ok() ? QString() : errorText(change.error())));
        QCOMPARE(change.value().keyId, u"k-a1"_s);
        QCOMPARE(change.value().isAdaptive, false);
        QCOMPARE(change.value().maxConcurrent, std::optional<int>(30));
        QCOMPARE(change.value().effectiveLimit, std::optional<int>(30));

        const QMap<QString, QString> after = keyRow(probe, u"k-a1"_s);
        QCOMPARE(after.value(u"max_concurrent"_s), u"30"_s);
        QCOMPARE(after.value(u"learned_max_concurrent"_s), u"17"_s);
        const std::optional<aether::Timestamp> updated = aether::Timestamp::parse(after.value(u"updated_at"_s));
        QVERIFY(updated.has_value());
        QVERIFY(updated->microseconds() >= t0 - 1000 && updated->microseconds() <= t1);
        QCOMPARE(without(after, {u"max_concurrent"_s, u"updated_at"_s}),
                 without(before, {u"max_concurrent"_s, u"updated_at"_s}));

        const QList<AuditRow> audit = auditRows(probe);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().actor, u"token:ops"_s);
        QCOMPARE(audit.first().action, u"set_mode"_s);
        QCOMPARE(audit.first().keyId, u"k-a1"_s);
        QCOMPARE(audit.first().detail,
                 (QJsonObject{{u"old_max_concurrent"_s, QJsonValue()}, {u"new_max_concurrent"_s, 30}}));
        QVERIFY(audit.first().atValid);

        // The change is what the other operations see.
        KeyService keys(db);
        QCOMPARE(keys.stats(u"k-a1"_s).value().maxConcurrent, std::optional<int>(30));
        const QList<aether::KeyListItem> adaptive = keys.listAdaptiveKeys().value();
        QCOMPARE(adaptive.size(), 2);
        for (const aether::KeyListItem &item : adaptive)
            QVERIFY(item.id != u"k-a1");
    }

    void setModeToAdaptive_data() { TestDatabase::addBackendRows(); }
    void setModeToAdaptive()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-f1"_s);

        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(u"k-f1"_s, true, std::nullopt, actor);
        QVERIFY2(change.ok(), qPrintable(change.ok() ? QString() : errorText(change.error())));
        QCOMPARE(change.value().keyId, u"k-f1"_s);
        QCOMPARE(change.value().isAdaptive, true);
        QVERIFY(!change.value().maxConcurrent.has_value());
        QCOMPARE(change.value().effectiveLimit, std::optional<int>(25)); // the learned limit becomes active again

        const QMap<QString, QString> after = keyRow(probe, u"k-f1"_s);
        QCOMPARE(after.value(u"max_concurrent"_s), u"<null>"_s);
        QCOMPARE(after.value(u"learned_max_concurrent"_s), u"25"_s);
        QVERIFY(after.value(u"updated_at"_s) != before.value(u"updated_at"_s));
        QCOMPARE(without(after, {u"max_concurrent"_s, u"updated_at"_s}),
                 without(before, {u"max_concurrent"_s, u"updated_at"_s}));

        const QList<AuditRow> audit = auditRows(probe);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().detail,
                 (QJsonObject{{u"old_max_concurrent"_s, 8}, {u"new_max_concurrent"_s, QJsonValue()}}));
    }

    void setModeToAdaptiveNothingLearned_data() { TestDatabase::addBackendRows(); }
    void setModeToAdaptiveNothingLearned()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(u"k-a2"_s, true, std::nullopt, actor);
        QVERIFY(change.ok());
        QCOMPARE(change.value().isAdaptive, true);
        QVERIFY(!change.value().maxConcurrent.has_value());
        QVERIFY(!change.value().effectiveLimit.has_value());
    }

    // fixed_limit is validated but otherwise ignored when switching to adaptive.
    void setModeToAdaptiveIgnoresAValidLimit_data() { TestDatabase::addBackendRows(); }
    void setModeToAdaptiveIgnoresAValidLimit()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(u"k-f1"_s, true, 40, actor);
        QVERIFY(change.ok());
        QVERIFY(!change.value().maxConcurrent.has_value());
        QCOMPARE(change.value().effectiveLimit, std::optional<int>(25));
        SqlProbe probe(tdb.location());
        QCOMPARE(keyRow(probe, u"k-f1"_s).value(u"max_concurrent"_s), u"<null>"_s);
    }

    void setModeBoundaries_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("limit");
        addCaseRows("1", [](QTestData &row) { row << 1; });
        addCaseRows("100", [](QTestData &row) { row << 100; });
    }
    void setModeBoundaries()
    {
        QFETCH(int, limit);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(u"k-f1"_s, false, limit, actor);
        QVERIFY(change.ok());
        QCOMPARE(change.value().maxConcurrent, std::optional<int>(limit));
        SqlProbe probe(tdb.location());
        QCOMPARE(keyRow(probe, u"k-f1"_s).value(u"max_concurrent"_s), QString::number(limit));
    }

    void setModeInvalid_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("keyId");
        QTest::addColumn<bool>("adaptive");
        QTest::addColumn<int>("limit"); // -1000 = none given
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QVariant>("bound");
        const int none = -1000;
        addCaseRows("fixed 0", [&](QTestData &r) {
            r << u"k-a1"_s << false << 0 << aether::reason::greaterThanEqual << QVariant(1);
        });
        addCaseRows("fixed -5", [&](QTestData &r) {
            r << u"k-a1"_s << false << -5 << aether::reason::greaterThanEqual << QVariant(1);
        });
        addCaseRows("fixed 101", [&](QTestData &r) {
            r << u"k-a1"_s << false << 101 << aether::reason::lessThanEqual << QVariant(100);
        });
        addCaseRows("fixed int max", [&](QTestData &r) {
            r << u"k-f1"_s << false << std::numeric_limits<int>::max() << aether::reason::lessThanEqual
              << QVariant(100);
        });
        addCaseRows("adaptive with 0", [&](QTestData &r) {
            r << u"k-f1"_s << true << 0 << aether::reason::greaterThanEqual << QVariant(1);
        });
        addCaseRows("adaptive with 101", [&](QTestData &r) {
            r << u"k-f1"_s << true << 101 << aether::reason::lessThanEqual << QVariant(100);
        });
        addCaseRows("fixed without a limit", [&](QTestData &r) {
            r << u"k-a1"_s << false << none << aether::reason::requiredWhenFixed << QVariant();
        });
    }
    void setModeInvalid()
    {
        QFETCH(QString, keyId);
        QFETCH(bool, adaptive);
        QFETCH(int, limit);
        QFETCH(QString, reason);
        QFETCH(QVariant, bound);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, keyId);

        const std::optional<int> fixedLimit = limit == -1000 ? std::nullopt : std::optional<int>(limit);
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(keyId, adaptive, fixedLimit, actor);
        QVERIFY(!change.ok());
        QCOMPARE(change.error().code, ErrorCode::InvalidInput);
        QCOMPARE(change.error().field, u"fixed_limit"_s);
        QCOMPARE(change.error().reason, reason);
        QCOMPARE(change.error().bound.isValid(), bound.isValid());
        if (bound.isValid())
            QCOMPARE(change.error().bound.toInt(), bound.toInt());

        QCOMPARE(keyRow(probe, keyId), before);
        QVERIFY(auditRows(probe).isEmpty());
    }

    void setModeUnknownKey_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("keyId");
        QTest::addColumn<bool>("adaptive");
        QTest::addColumn<int>("limit"); // -1000 = none given
        addCaseRows("valid input", [](QTestData &r) { r << u"nope"_s << false << 10; });
        addCaseRows("adaptive", [](QTestData &r) { r << u"nope"_s << true << -1000; });
        addCaseRows("limit 0", [](QTestData &r) { r << u"nope"_s << false << 0; });
        addCaseRows("limit 101", [](QTestData &r) { r << u"nope"_s << true << 101; });
        addCaseRows("fixed without a limit", [](QTestData &r) { r << u"nope"_s << false << -1000; });
        addCaseRows("other case", [](QTestData &r) { r << u"K-A1"_s << false << 10; });
        addCaseRows("padded id", [](QTestData &r) { r << u" k-a1"_s << true << -1000; });
    }
    void setModeUnknownKey()
    {
        QFETCH(QString, keyId);
        QFETCH(bool, adaptive);
        QFETCH(int, limit);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const std::optional<int> fixedLimit = limit == -1000 ? std::nullopt : std::optional<int>(limit);
        const aether::Result<aether::ModeChange> change = KeyService(db).setMode(keyId, adaptive, fixedLimit, actor);
        QVERIFY(!change.ok());
        QCOMPARE(change.error().code, ErrorCode::NotFound);
        SqlProbe probe(tdb.location());
        QVERIFY(auditRows(probe).isEmpty());
    }

    // ---- stats --------------------------------------------------------------------------------------------------

    void statsAdaptiveWithLearnedLimit_data() { TestDatabase::addBackendRows(); }
    void statsAdaptiveWithLearnedLimit()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::KeyStats> result = KeyService(db).stats(u"k-a1"_s);
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : errorText(result.error())));
        const aether::KeyStats &s = result.value();
        QCOMPARE(s.keyId, u"k-a1"_s);
        QCOMPARE(s.adaptiveMode, true);
        QVERIFY(!s.maxConcurrent.has_value());
        QCOMPARE(s.effectiveLimit, 17);
        QCOMPARE(s.learnedLimit, std::optional<int>(17));
        QCOMPARE(s.concurrent429Count, qint64(4));
        QCOMPARE(s.rpm429Count, qint64(2));
        QVERIFY(s.last429At.has_value());
        QCOMPARE(s.last429At->microseconds(),
                 aether::Timestamp::parse(u"2025-12-25T14:47:08.123456Z"_s)->microseconds());
        QCOMPARE(s.last429At->toIsoString(), u"2025-12-25T14:47:08.123456+00:00"_s);
        QCOMPARE(s.last429Type, std::optional<QString>(u"concurrent"_s));
        QCOMPARE(s.adjustmentCount, 7);
        const QJsonArray history = alphaHistory();
        QJsonArray lastFive;
        for (int i = 2; i < 7; ++i)
            lastFive.append(history.at(i));
        QCOMPARE(s.recentAdjustments, lastFive);
        // Oldest first, and the unknown fields of the newest record are there.
        QCOMPARE(s.recentAdjustments.first().toObject().value(u"timestamp").toString(),
                 u"2025-12-22T10:00:00.100002+00:00"_s);
        QCOMPARE(s.recentAdjustments.last().toObject().value(u"gateway_note").toString(), u"kept 中文"_s);
        QCOMPARE(s.recentAdjustments.last().toObject().value(u"extra").toObject().value(u"a").toArray(),
                 (QJsonArray{1, 2}));
    }

    void statsNothingLearned_data() { TestDatabase::addBackendRows(); }
    void statsNothingLearned()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::KeyStats> result = KeyService(db).stats(u"k-a2"_s);
        QVERIFY(result.ok());
        const aether::KeyStats &s = result.value();
        QCOMPARE(s.adaptiveMode, true);
        QCOMPARE(s.effectiveLimit, 50);
        QCOMPARE(KeyService::initialLimit, 50);
        QVERIFY(!s.learnedLimit.has_value());
        QCOMPARE(s.concurrent429Count, qint64(0));
        QCOMPARE(s.rpm429Count, qint64(0));
        QVERIFY(!s.last429At.has_value());
        QVERIFY(!s.last429Type.has_value());
        QCOMPARE(s.adjustmentCount, 0); // NULL history
        QVERIFY(s.recentAdjustments.isEmpty());
    }

    void statsFixed_data() { TestDatabase::addBackendRows(); }
    void statsFixed()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::KeyStats> result = KeyService(db).stats(u"k-f1"_s);
        QVERIFY(result.ok());
        const aether::KeyStats &s = result.value();
        QCOMPARE(s.adaptiveMode, false);
        QCOMPARE(s.maxConcurrent, std::optional<int>(8));
        QCOMPARE(s.effectiveLimit, 8);
        QCOMPARE(s.learnedLimit, std::optional<int>(25));
        QCOMPARE(s.concurrent429Count, qint64(10));
        QCOMPARE(s.rpm429Count, qint64(1));
        QCOMPARE(s.last429At->toIsoString(), u"2025-12-20T08:00:00+00:00"_s);
        QCOMPARE(s.last429Type, std::optional<QString>(u"rpm"_s));
        QCOMPARE(s.adjustmentCount, 2);
        QCOMPARE(s.recentAdjustments, numberedHistory(2, u"2025-12-19"_s));
    }

    // Another writer may store more than 20 records: the count is the stored length.
    void statsLongHistory_data() { TestDatabase::addBackendRows(); }
    void statsLongHistory()
    {
        KeyFixture k = key(u"k-long"_s, u"long"_s);
        const QJsonArray history = numberedHistory(23, u"2025-12-01"_s);
        k.history = compact(history);
        AETHER_KEY_DATABASE(tdb, db, {k});
        const aether::Result<aether::KeyStats> result = KeyService(db).stats(u"k-long"_s);
        QVERIFY(result.ok());
        QCOMPARE(result.value().adjustmentCount, 23);
        QCOMPARE(result.value().recentAdjustments,
                 (QJsonArray{history.at(18), history.at(19), history.at(20), history.at(21), history.at(22)}));
    }

    void statsLast429At_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("stored");
        QTest::addColumn<QString>("iso");
        addCaseRows("microseconds", [](QTestData &r) {
            r << u"2025-12-25T14:47:08.123456+00:00"_s << u"2025-12-25T14:47:08.123456+00:00"_s;
        });
        addCaseRows("one microsecond", [](QTestData &r) {
            r << u"2025-12-25T14:47:08.000001+00:00"_s << u"2025-12-25T14:47:08.000001+00:00"_s;
        });
        addCaseRows("whole second",
                    [](QTestData &r) { r << u"2025-12-25T14:47:08+00:00"_s << u"2025-12-25T14:47:08+00:00"_s; });
        addCaseRows("other offset, given in UTC", [](QTestData &r) {
            r << u"2025-12-25T16:47:08.999999+02:00"_s << u"2025-12-25T14:47:08.999999+00:00"_s;
        });
        addCaseRows("PostgreSQL text form",
                    [](QTestData &r) { r << u"2025-12-25 14:47:08.5+00"_s << u"2025-12-25T14:47:08.500000+00:00"_s; });
    }
    void statsLast429At()
    {
        QFETCH(QString, stored);
        QFETCH(QString, iso);
        KeyFixture k = key(u"k-t"_s, u"t"_s);
        k.last429At = stored;
        k.last429Type = u"unknown"_s;
        AETHER_KEY_DATABASE(tdb, db, {k});
        const aether::Result<aether::KeyStats> result = KeyService(db).stats(u"k-t"_s);
        QVERIFY(result.ok());
        QVERIFY(result.value().last429At.has_value());
        QCOMPARE(result.value().last429At->toIsoString(), iso);
        QCOMPARE(result.value().last429At->microseconds(), aether::Timestamp::parse(iso)->microseconds());
        QCOMPARE(result.value().last429Type, std::optional<QString>(u"unknown"_s));
    }

    // A history that is not a JSON array counts as empty; a read leaves the stored value as it is.
    void statsMalformedHistory_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("stored");
        const QList<std::pair<const char *, QString>> everywhere{{"object", u"{\"timestamp\": \"x\", \"a\": 1}"_s},
                                                                 {"string", u"\"[1, 2]\""_s},
                                                                 {"number", u"42"_s},
                                                                 {"JSON null", u"null"_s}};
        for (const auto &entry : everywhere)
            addCaseRows(entry.first, [&](QTestData &r) { r << entry.second; });
        // Not JSON at all: only SQLite can hold that (PostgreSQL's json type refuses it).
        QTest::newRow("sqlite: not JSON") << "sqlite"_ba << u"not json"_s;
        QTest::newRow("sqlite: truncated array") << "sqlite"_ba << u"[{\"timestamp\": \"x\"}"_s;
        QTest::newRow("sqlite: empty string") << "sqlite"_ba << u""_s;
    }
    void statsMalformedHistory()
    {
        QFETCH(QString, stored);
        KeyFixture k = key(u"k-bad"_s, u"bad"_s);
        k.history = stored;
        k.learned = 9;
        AETHER_KEY_DATABASE(tdb, db, {k});
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-bad"_s);
        QCOMPARE(before.value(u"adjustment_history"_s), stored);

        KeyService keys(db);
        const aether::Result<aether::KeyStats> result = keys.stats(u"k-bad"_s);
        QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : errorText(result.error())));
        QCOMPARE(result.value().adjustmentCount, 0);
        QVERIFY(result.value().recentAdjustments.isEmpty());
        QCOMPARE(result.value().effectiveLimit, 9);
        // The summary copes as well, and counts it as 0.
        const aether::Result<aether::Summary> summary = keys.summary();
        QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : errorText(summary.error())));
        QCOMPARE(summary.value().totalAdaptiveKeys, qint64(1));
        QCOMPARE(summary.value().totalAdjustments, qint64(0));
        QVERIFY(summary.value().recentAdjustments.isEmpty());
        QVERIFY(keys.listAdaptiveKeys().ok());

        QCOMPARE(keyRow(probe, u"k-bad"_s), before);
    }

    void statsUnknownKey_data() { TestDatabase::addBackendRows(); }
    void statsUnknownKey()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        for (const QString &id : {u"nope"_s, u"K-A1"_s, u"k-a1 "_s, QString()}) {
            const aether::Result<aether::KeyStats> result = keys.stats(id);
            QVERIFY(!result.ok());
            QCOMPARE(result.error().code, ErrorCode::NotFound);
        }
    }

    // ---- resetLearning ------------------------------------------------------------------------------------------

    void resetLearningAdaptive_data() { TestDatabase::addBackendRows(); }
    void resetLearningAdaptive()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-a1"_s);
        const QMap<QString, QString> otherBefore = keyRow(probe, u"k-a3"_s);

        const qint64 t0 = nowMicros();
        KeyService keys(db);
        const aether::Result<aether::LearningReset> reset = keys.resetLearning(u"k-a1"_s, actor);
        const qint64 t1 = nowMicros();
        QVERIFY2(reset.ok(), qPrintable(reset.ok() ? QString() : errorText(reset.error())));
        QCOMPARE(reset.value().keyId, u"k-a1"_s);

        const QMap<QString, QString> after = keyRow(probe, u"k-a1"_s);
        QCOMPARE(after.value(u"max_concurrent"_s), u"<null>"_s);
        QCOMPARE(after.value(u"learned_max_concurrent"_s), u"<null>"_s);
        QCOMPARE(after.value(u"concurrent_429_count"_s), u"0"_s);
        QCOMPARE(after.value(u"rpm_429_count"_s), u"0"_s);
        QCOMPARE(after.value(u"last_429_at"_s), u"<null>"_s);
        QCOMPARE(after.value(u"last_429_type"_s), u"<null>"_s);
        QCOMPARE(after.value(u"last_concurrent_peak"_s), u"<null>"_s);
        QCOMPARE(after.value(u"last_probe_increase_at"_s), u"<null>"_s);
        QCOMPARE(QJsonDocument::fromJson(after.value(u"adjustment_history"_s).toUtf8()), QJsonDocument(QJsonArray()));
        QCOMPARE(QJsonDocument::fromJson(after.value(u"utilization_samples"_s).toUtf8()), QJsonDocument(QJsonArray()));
        const std::optional<aether::Timestamp> updated = aether::Timestamp::parse(after.value(u"updated_at"_s));
        QVERIFY(updated.has_value());
        QVERIFY(updated->microseconds() >= t0 - 1000 && updated->microseconds() <= t1);
        const QStringList resetColumns{u"learned_max_concurrent"_s, u"concurrent_429_count"_s,
                                       u"rpm_429_count"_s,          u"last_429_at"_s,
                                       u"last_429_type"_s,          u"last_concurrent_peak"_s,
                                       u"last_probe_increase_at"_s, u"adjustment_history"_s,
                                       u"utilization_samples"_s,    u"updated_at"_s};
        QCOMPARE(without(after, resetColumns), without(before, resetColumns));
        QCOMPARE(keyRow(probe, u"k-a3"_s), otherBefore);

        const QList<AuditRow> audit = auditRows(probe);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().action, u"reset_learning"_s);
        QCOMPARE(audit.first().keyId, u"k-a1"_s);
        QCOMPARE(audit.first().actor, u"token:ops"_s);
        QCOMPARE(audit.first().detail, (QJsonObject{{u"old_learned_max_concurrent"_s, 17}}));

        const aether::KeyStats s = keys.stats(u"k-a1"_s).value();
        QCOMPARE(s.effectiveLimit, 50);
        QCOMPARE(s.adjustmentCount, 0);
        QVERIFY(!s.last429At.has_value());
        QVERIFY(!s.last429Type.has_value());
    }

    void resetLearningKeepsTheFixedLimit_data() { TestDatabase::addBackendRows(); }
    void resetLearningKeepsTheFixedLimit()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        QVERIFY(keys.resetLearning(u"k-f1"_s, actor).ok());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> after = keyRow(probe, u"k-f1"_s);
        QCOMPARE(after.value(u"max_concurrent"_s), u"8"_s);
        QCOMPARE(after.value(u"learned_max_concurrent"_s), u"<null>"_s);
        QCOMPARE(after.value(u"concurrent_429_count"_s), u"0"_s);
        const aether::KeyStats s = keys.stats(u"k-f1"_s).value();
        QCOMPARE(s.adaptiveMode, false);
        QCOMPARE(s.effectiveLimit, 8);
        QVERIFY(!s.learnedLimit.has_value());
    }

    // An operation that writes the JSON columns writes valid arrays over malformed values.
    void resetLearningReplacesMalformedJson_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("stored");
        addCaseRows("object", [](QTestData &r) { r << u"{\"a\": 1}"_s; });
        addCaseRows("number", [](QTestData &r) { r << u"7"_s; });
        QTest::newRow("sqlite: not JSON") << "sqlite"_ba << u"garbage"_s;
    }
    void resetLearningReplacesMalformedJson()
    {
        QFETCH(QString, stored);
        KeyFixture k = key(u"k-bad"_s, u"bad"_s);
        k.history = stored;
        k.samples = stored;
        AETHER_KEY_DATABASE(tdb, db, {k});
        QVERIFY(KeyService(db).resetLearning(u"k-bad"_s, actor).ok());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> after = keyRow(probe, u"k-bad"_s);
        QCOMPARE(QJsonDocument::fromJson(after.value(u"adjustment_history"_s).toUtf8()), QJsonDocument(QJsonArray()));
        QCOMPARE(QJsonDocument::fromJson(after.value(u"utilization_samples"_s).toUtf8()), QJsonDocument(QJsonArray()));
    }

    void resetLearningUnknownKey_data() { TestDatabase::addBackendRows(); }
    void resetLearningUnknownKey()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::LearningReset> reset = KeyService(db).resetLearning(u"nope"_s, actor);
        QVERIFY(!reset.ok());
        QCOMPARE(reset.error().code, ErrorCode::NotFound);
        SqlProbe probe(tdb.location());
        QVERIFY(auditRows(probe).isEmpty());
    }

    // ---- setFixedLimit ------------------------------------------------------------------------------------------

    void setFixedLimitFromAdaptive_data() { TestDatabase::addBackendRows(); }
    void setFixedLimitFromAdaptive()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-a1"_s);

        KeyService keys(db);
        const aether::Result<aether::LimitChange> change = keys.setFixedLimit(u"k-a1"_s, 12, actor);
        QVERIFY2(change.ok(), qPrintable(change.ok() ? QString() : errorText(change.error())));
        QCOMPARE(change.value().keyId, u"k-a1"_s);
        QCOMPARE(change.value().maxConcurrent, 12);
        QCOMPARE(change.value().wasAdaptive, true);

        const QMap<QString, QString> after = keyRow(probe, u"k-a1"_s);
        QCOMPARE(after.value(u"max_concurrent"_s), u"12"_s);
        QCOMPARE(after.value(u"learned_max_concurrent"_s), u"17"_s); // the learned state is kept
        QVERIFY(after.value(u"updated_at"_s) != before.value(u"updated_at"_s));
        QCOMPARE(without(after, {u"max_concurrent"_s, u"updated_at"_s}),
                 without(before, {u"max_concurrent"_s, u"updated_at"_s}));

        const QList<AuditRow> audit = auditRows(probe);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().action, u"set_limit"_s);
        QCOMPARE(audit.first().keyId, u"k-a1"_s);
        QCOMPARE(audit.first().detail,
                 (QJsonObject{{u"old_max_concurrent"_s, QJsonValue()}, {u"new_max_concurrent"_s, 12}}));

        // Switching back to adaptive makes the kept learned limit effective again.
        const aether::Result<aether::ModeChange> back = keys.setMode(u"k-a1"_s, true, std::nullopt, actor);
        QCOMPARE(back.value().effectiveLimit, std::optional<int>(17));
    }

    void setFixedLimitFromFixed_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("limit");
        addCaseRows("1", [](QTestData &r) { r << 1; });
        addCaseRows("8 (unchanged)", [](QTestData &r) { r << 8; });
        addCaseRows("100", [](QTestData &r) { r << 100; });
    }
    void setFixedLimitFromFixed()
    {
        QFETCH(int, limit);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::LimitChange> change = KeyService(db).setFixedLimit(u"k-f1"_s, limit, actor);
        QVERIFY(change.ok());
        QCOMPARE(change.value().wasAdaptive, false);
        QCOMPARE(change.value().maxConcurrent, limit);
        SqlProbe probe(tdb.location());
        QCOMPARE(keyRow(probe, u"k-f1"_s).value(u"max_concurrent"_s), QString::number(limit));
        QCOMPARE(keyRow(probe, u"k-f1"_s).value(u"learned_max_concurrent"_s), u"25"_s);
        const QList<AuditRow> audit = auditRows(probe);
        QCOMPARE(audit.size(), 1);
        QCOMPARE(audit.first().detail, (QJsonObject{{u"old_max_concurrent"_s, 8}, {u"new_max_concurrent"_s, limit}}));
    }

    void setFixedLimitInvalid_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("limit");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<int>("bound");
        addCaseRows("0", [](QTestData &r) { r << 0 << aether::reason::greaterThanEqual << 1; });
        addCaseRows("-1", [](QTestData &r) { r << -1 << aether::reason::greaterThanEqual << 1; });
        addCaseRows("int min", [](QTestData &r) {
            r << std::numeric_limits<int>::min() << aether::reason::greaterThanEqual << 1;
        });
        addCaseRows("101", [](QTestData &r) { r << 101 << aether::reason::lessThanEqual << 100; });
        addCaseRows("int max",
                    [](QTestData &r) { r << std::numeric_limits<int>::max() << aether::reason::lessThanEqual << 100; });
    }
    void setFixedLimitInvalid()
    {
        QFETCH(int, limit);
        QFETCH(QString, reason);
        QFETCH(int, bound);
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        SqlProbe probe(tdb.location());
        const QMap<QString, QString> before = keyRow(probe, u"k-a1"_s);
        const aether::Result<aether::LimitChange> change = KeyService(db).setFixedLimit(u"k-a1"_s, limit, actor);
        QVERIFY(!change.ok());
        QCOMPARE(change.error().code, ErrorCode::InvalidInput);
        QCOMPARE(change.error().field, u"limit"_s);
        QCOMPARE(change.error().reason, reason);
        QCOMPARE(change.error().bound.toInt(), bound);
        QCOMPARE(keyRow(probe, u"k-a1"_s), before);
        QVERIFY(auditRows(probe).isEmpty());
    }

    void setFixedLimitUnknownKey_data() { TestDatabase::addBackendRows(); }
    void setFixedLimitUnknownKey()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        for (int limit : {10, 0, 101}) {
            const aether::Result<aether::LimitChange> change = keys.setFixedLimit(u"nope"_s, limit, actor);
            QVERIFY(!change.ok());
            QCOMPARE(change.error().code, ErrorCode::NotFound);
        }
    }

    // ---- summary ------------------------------------------------------------------------------------------------

    void summaryEmpty_data() { TestDatabase::addBackendRows(); }
    void summaryEmpty()
    {
        AETHER_KEY_DATABASE(tdb, db, {});
        const aether::Result<aether::Summary> summary = KeyService(db).summary();
        QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : errorText(summary.error())));
        QCOMPARE(summary.value().totalAdaptiveKeys, qint64(0));
        QCOMPARE(summary.value().totalConcurrent429Errors, qint64(0));
        QCOMPARE(summary.value().totalRpm429Errors, qint64(0));
        QCOMPARE(summary.value().totalAdjustments, qint64(0));
        QVERIFY(summary.value().recentAdjustments.isEmpty());
    }

    void summaryTotals_data() { TestDatabase::addBackendRows(); }
    void summaryTotals()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        const aether::Result<aether::Summary> summary = KeyService(db).summary();
        QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : errorText(summary.error())));
        // Adaptive keys only: k-a1, k-a2, k-a3 (k-f1's 10 + 1 errors and 2 records are not counted).
        QCOMPARE(summary.value().totalAdaptiveKeys, qint64(3));
        QCOMPARE(summary.value().totalConcurrent429Errors, qint64(4 + 0 + 1));
        QCOMPARE(summary.value().totalRpm429Errors, qint64(2 + 0 + 7));
        QCOMPARE(summary.value().totalAdjustments, qint64(7));
        // k-a1's last three records, newest first.
        const QJsonArray history = alphaHistory();
        const QList<aether::RecentAdjustment> recent = summary.value().recentAdjustments;
        QCOMPARE(recent.size(), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(recent.at(i).keyId, u"k-a1"_s);
            QCOMPARE(recent.at(i).keyName, std::optional<QString>(u"alpha"_s));
            QCOMPARE(recent.at(i).record, history.at(6 - i).toObject());
        }
    }

    // Histories built so that stored order, time order and string order differ, a fixed key has the newest records,
    // and more than ten records qualify.
    void summaryRecentAdjustments_data() { TestDatabase::addBackendRows(); }
    void summaryRecentAdjustments()
    {
        QList<KeyFixture> keys;
        {
            KeyFixture k = key(u"r1"_s, u"one"_s);
            QJsonArray h{record(u"2025-12-31T23:00:00+00:00"_s, 1, 2, u"probe_increase"_s), // not among the last 3
                         record(u"2025-12-31T22:00:00+00:00"_s, 2, 3, u"probe_increase"_s), // not among the last 3
                         record(u"2025-12-10T01:00:00+00:00"_s, 3, 4, u"high_utilization"_s),
                         record(u"2025-12-12T01:00:00+00:00"_s, 4, 3, u"concurrent_429"_s),
                         record(u"2025-12-05T01:00:00+00:00"_s, 3, 2, u"unknown_429"_s)};
            k.history = compact(h);
            keys << k;
        }
        {
            KeyFixture k = key(u"r2"_s, u"two"_s, u"e2"_s);
            // String order puts 10:00+00:00 before 09:00-05:00 although the latter is later in time.
            QJsonArray h{record(u"2025-12-11T00:00:00+00:00"_s, 5, 6, u"probe_increase"_s),
                         record(u"2025-12-13T09:00:00-05:00"_s, 6, 7, u"probe_increase"_s),
                         record(u"2025-12-13T10:00:00+00:00"_s, 7, 8, u"probe_increase"_s)};
            k.history = compact(h);
            keys << k;
        }
        {
            KeyFixture k = key(u"r3"_s, u"three"_s);
            QJsonObject unknown = record(u"2025-12-14T00:00:00.5+00:00"_s, 9, 10, u"high_utilization"_s);
            unknown.insert(u"sample_count"_s, 17);
            unknown.insert(u"written_by"_s, u"gateway 2.1"_s);
            QJsonArray h{unknown, record(QString(), 10, 11, u"probe_increase"_s)}; // no timestamp: sorts last
            k.history = compact(h);
            keys << k;
        }
        {
            KeyFixture k = key(u"r4"_s, u"fixed"_s);
            k.maxConcurrent = 10;
            k.history = compact(numberedHistory(3, u"2025-12-30"_s)); // newest of all, but the key is fixed
            keys << k;
        }
        {
            KeyFixture k = key(u"r5"_s, u"five"_s);
            QJsonArray h{record(u"2025-12-01T00:00:00+00:00"_s, 1, 2, u"probe_increase"_s),
                         record(u"2025-12-15T00:00:00+00:00"_s, 2, 3, u"probe_increase"_s),
                         record(u"2025-12-15T00:00:00.000001+00:00"_s, 3, 4, u"probe_increase"_s),
                         record(u"2025-12-02T00:00:00+00:00"_s, 4, 5, u"probe_increase"_s)};
            k.history = compact(h);
            keys << k;
        }
        {
            KeyFixture k = key(u"r6"_s, u"object history"_s);
            k.history = u"{\"timestamp\": \"2025-12-29T00:00:00+00:00\"}"_s;
            keys << k;
        }
        keys << key(u"r7"_s, u"no history"_s);

        AETHER_KEY_DATABASE(tdb, db, keys);
        const aether::Result<aether::Summary> summary = KeyService(db).summary();
        QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : errorText(summary.error())));
        QCOMPARE(summary.value().totalAdaptiveKeys, qint64(6));
        QCOMPARE(summary.value().totalAdjustments, qint64(5 + 3 + 2 + 4));

        const QList<aether::RecentAdjustment> expected = expectedRecent(keys);
        QCOMPARE(expected.size(), 10);
        // Spot checks of the reference itself.
        QCOMPARE(expected.first().record.value(u"timestamp").toString(), u"2025-12-15T00:00:00.000001+00:00"_s);
        QCOMPARE(expected.at(3).record.value(u"timestamp").toString(), u"2025-12-13T10:00:00+00:00"_s);
        QCOMPARE(expected.at(4).record.value(u"timestamp").toString(), u"2025-12-13T09:00:00-05:00"_s);

        const QList<aether::RecentAdjustment> got = summary.value().recentAdjustments;
        QVERIFY2(got.size() == expected.size(), qPrintable(u"got:\n"_s + describe(got)));
        for (int i = 0; i < expected.size(); ++i) {
            const QByteArray where = "position " + QByteArray::number(i) + "\ngot:\n" + describe(got).toUtf8() +
                                     "\nexpected:\n" + describe(expected).toUtf8();
            QVERIFY2(got.at(i).keyId == expected.at(i).keyId, where.constData());
            QVERIFY2(got.at(i).keyName == expected.at(i).keyName, where.constData());
            QVERIFY2(got.at(i).record == expected.at(i).record, where.constData());
        }
    }

    void summaryMissingTimestampSortsLast_data() { TestDatabase::addBackendRows(); }
    void summaryMissingTimestampSortsLast()
    {
        KeyFixture k = key(u"m1"_s, u"missing"_s);
        QJsonObject noTimestamp = record(QString(), 3, 4, u"probe_increase"_s);
        noTimestamp.insert(u"note"_s, u"written without a timestamp"_s);
        k.history = compact(QJsonArray{record(u"2025-12-01T00:00:00+00:00"_s, 1, 2, u"probe_increase"_s), noTimestamp,
                                       record(u"2025-12-03T00:00:00+00:00"_s, 2, 3, u"probe_increase"_s)});
        KeyFixture other = key(u"m2"_s, u"other"_s);
        other.history = compact(QJsonArray{record(u"2025-12-02T00:00:00+00:00"_s, 7, 8, u"probe_increase"_s)});
        AETHER_KEY_DATABASE(tdb, db, (QList<KeyFixture>{k, other}));

        const QList<aether::RecentAdjustment> got = KeyService(db).summary().value().recentAdjustments;
        QStringList order;
        for (const aether::RecentAdjustment &r : got)
            order << r.keyId + u' ' + r.record.value(u"timestamp").toString(u"<none>"_s);
        QCOMPARE(order, (QStringList{u"m1 2025-12-03T00:00:00+00:00"_s, u"m2 2025-12-02T00:00:00+00:00"_s,
                                     u"m1 2025-12-01T00:00:00+00:00"_s, u"m1 <none>"_s}));
        QCOMPARE(got.last().record, noTimestamp);
        QCOMPARE(got.last().keyName, std::optional<QString>(u"missing"_s));
    }

    void summaryLongHistory_data() { TestDatabase::addBackendRows(); }
    void summaryLongHistory()
    {
        KeyFixture k = key(u"k-long"_s, u"long"_s);
        const QJsonArray history = numberedHistory(23, u"2025-12-01"_s);
        k.history = compact(history);
        AETHER_KEY_DATABASE(tdb, db, {k});
        const aether::Summary summary = KeyService(db).summary().value();
        QCOMPARE(summary.totalAdjustments, qint64(23));
        QCOMPARE(summary.recentAdjustments.size(), 3);
        QCOMPARE(summary.recentAdjustments.at(0).record, history.at(22).toObject());
        QCOMPARE(summary.recentAdjustments.at(2).record, history.at(20).toObject());
    }

    // The summary may be cached, but never stale: changes made by another connection and by the service itself show at
    // once.
    void summaryIsNeverStale_data() { TestDatabase::addBackendRows(); }
    void summaryIsNeverStale()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        const auto totals = [&]() -> QString {
            const aether::Result<aether::Summary> s = keys.summary();
            if (!s)
                return u"error: "_s + errorText(s.error());
            return u"%1 keys, %2 concurrent, %3 rpm, %4 adjustments"_s.arg(s.value().totalAdaptiveKeys)
                .arg(s.value().totalConcurrent429Errors)
                .arg(s.value().totalRpm429Errors)
                .arg(s.value().totalAdjustments);
        };
        const auto change = [&](const QString &sql) {
            QString error;
            const bool ok = tdb.execute(sql, &error);
            if (!ok)
                qWarning("%s", qPrintable(error));
            return ok;
        };

        QCOMPARE(totals(), u"3 keys, 5 concurrent, 9 rpm, 7 adjustments"_s);
        QCOMPARE(totals(), u"3 keys, 5 concurrent, 9 rpm, 7 adjustments"_s);

        // Another connection changes a counter...
        QVERIFY(change(u"UPDATE provider_api_keys SET concurrent_429_count = 100 WHERE id = 'k-a2'"_s));
        QCOMPARE(totals(), u"3 keys, 105 concurrent, 9 rpm, 7 adjustments"_s);
        // ...switches a key to fixed...
        QVERIFY(change(u"UPDATE provider_api_keys SET max_concurrent = 5 WHERE id = 'k-a3'"_s));
        QCOMPARE(totals(), u"2 keys, 104 concurrent, 2 rpm, 7 adjustments"_s);
        // ...renames a key (the recent adjustments carry the name)...
        QVERIFY(change(u"UPDATE provider_api_keys SET name = 'alpha renamed' WHERE id = 'k-a1'"_s));
        QCOMPARE(keys.summary().value().recentAdjustments.first().keyName, std::optional<QString>(u"alpha renamed"_s));
        // ...adds a key with the newest record...
        KeyFixture added = key(u"k-new"_s, u"new"_s);
        added.concurrent429 = 1;
        added.history = compact(QJsonArray{record(u"2026-01-01T00:00:00+00:00"_s, 50, 42, u"concurrent_429"_s)});
        QVERIFY(change(insertSql(added)));
        QCOMPARE(totals(), u"3 keys, 105 concurrent, 2 rpm, 8 adjustments"_s);
        QCOMPARE(keys.summary().value().recentAdjustments.first().keyId, u"k-new"_s);
        // ...and deletes it again.
        QVERIFY(change(u"DELETE FROM provider_api_keys WHERE id = 'k-new'"_s));
        QCOMPARE(totals(), u"2 keys, 104 concurrent, 2 rpm, 7 adjustments"_s);

        // The service's own writes.
        QVERIFY(keys.setMode(u"k-f1"_s, true, std::nullopt, actor).ok());
        QCOMPARE(totals(), u"3 keys, 114 concurrent, 3 rpm, 9 adjustments"_s);
        QVERIFY(keys.resetLearning(u"k-a1"_s, actor).ok());
        QCOMPARE(totals(), u"3 keys, 110 concurrent, 1 rpm, 2 adjustments"_s);
        QVERIFY(keys.setFixedLimit(u"k-a2"_s, 7, actor).ok());
        QCOMPARE(totals(), u"2 keys, 10 concurrent, 1 rpm, 2 adjustments"_s);

        // Another Database/KeyService in this process.
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        QVERIFY(KeyService(other).setMode(u"k-a2"_s, true, std::nullopt, actor).ok());
        QCOMPARE(totals(), u"3 keys, 110 concurrent, 1 rpm, 2 adjustments"_s);
        QVERIFY(KeyService(other).resetLearning(u"k-a2"_s, actor).ok());
        QCOMPARE(totals(), u"3 keys, 10 concurrent, 1 rpm, 2 adjustments"_s);
        // Another KeyService on the same Database.
        QVERIFY(KeyService(db).setFixedLimit(u"k-a2"_s, 3, actor).ok());
        QCOMPARE(totals(), u"2 keys, 10 concurrent, 1 rpm, 2 adjustments"_s);
    }
};

QTEST_GUILESS_MAIN(TestKeyService)
#include "tst_keyservice.moc"
