// KeyService: listing keys, a key's existence, switching modes and stats, on both backends, against fixture rows
// written behind the core's back (so every expected value is known), checked in the database afterwards.

#include "keyservicefixture.h"
#include "testenvironment.h"

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::KeyService;
using namespace aether::test;

class TestKeyService : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { useTestEnvironment(); }

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
};

QTEST_GUILESS_MAIN(TestKeyService)
#include "tst_keyservice.moc"
