// KeyService: resetting what was learned and setting a fixed limit, on both backends, against fixture rows written
// behind the core's back, checked in the database afterwards.

#include "keyservicefixture.h"
#include "testenvironment.h"

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::KeyService;
using namespace aether::test;

class TestKeyChanges : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { useTestEnvironment(); }

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
};

QTEST_GUILESS_MAIN(TestKeyChanges)
#include "tst_keychanges.moc"
