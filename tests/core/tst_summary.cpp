// KeyService: the summary over adaptive keys (totals, the ten most recent adjustments, staleness), on both backends.

#include "keyservicefixture.h"
#include "testenvironment.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QScopeGuard>

#include <memory>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::KeyService;
using namespace aether::test;

namespace {

// Keys whose histories test the summary's order: records out of order, time zones that sort differently as text,
// fields of other software, no timestamp, a fixed key with the newest records, a history that is an object.
QList<KeyFixture> recentAdjustmentKeys()
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
    return keys;
}

// Totals and the recent records, one line each.
QString describeSummary(const aether::Summary &s)
{
    return u"%1 %2 %3 %4 %5\n"_s.arg(s.totalAdaptiveKeys)
               .arg(s.totalFixedKeys)
               .arg(s.totalConcurrent429Errors)
               .arg(s.totalRpm429Errors)
               .arg(s.totalAdjustments) +
           describe(s.recentAdjustments);
}

QString describeSummary(const aether::Result<aether::Summary> &s)
{
    return s ? describeSummary(s.value()) : u"error: "_s + errorText(s.error());
}

// Histories of every shape, with a fixed seed: few distinct timestamps (ties across keys and within one), records that
// are not objects or whose timestamp is missing or not a string, and histories that are NULL, JSON null, an object, a
// number or (SQLite, which stores any text) no JSON at all; some keys fixed, on either endpoint.
QString variedHistory(QRandomGenerator &random, bool postgres)
{
    const int shape = random.bounded(20);
    if (shape == 0)
        return u"null"_s;
    if (shape == 1)
        return uR"({"timestamp":"2025-12-09T00:00:00+00:00"})"_s;
    if (shape == 2)
        return u"7"_s;
    if (shape == 3 && !postgres)
        return u"not json ["_s;
    QJsonArray history;
    const int records = random.bounded(7);
    for (int i = 0; i < records; ++i) {
        const int kind = random.bounded(20);
        const QString stamp = u"2025-12-0%1T00:00:00+00:00"_s.arg(1 + random.bounded(6));
        if (kind == 0) {
            history.append(7);
        } else if (kind == 1) {
            history.append(record(QString(), i, i + 1, u"probe_increase"_s));
        } else if (kind == 2) {
            QJsonObject r = record(stamp, i, i + 1, u"probe_increase"_s);
            r.insert(u"timestamp"_s, 5);
            history.append(r);
        } else {
            QJsonObject r = record(stamp, i, i + 1, u"concurrent_429"_s);
            r.insert(u"n"_s, random.bounded(1000)); // tells records with equal timestamps apart
            history.append(r);
        }
    }
    return compact(history);
}

QList<KeyFixture> variedKeys(int count, bool postgres)
{
    QRandomGenerator random(20261204);
    QList<KeyFixture> keys;
    for (int i = 0; i < count; ++i) {
        // Ids not in insertion order, so that the storage order is not the ids'.
        KeyFixture k = key(u"v-%1"_s.arg((i * 7919) % 1000, 3, 10, QChar(u'0')), u"varied %1"_s.arg(i),
                           random.bounded(2) ? u"e1"_s : u"e2"_s);
        if (random.bounded(5) == 0)
            k.maxConcurrent = 1 + random.bounded(20);
        k.concurrent429 = random.bounded(10);
        k.rpm429 = random.bounded(10);
        if (random.bounded(15) != 0)
            k.history = variedHistory(random, postgres);
        keys << k;
    }
    return keys;
}

} // namespace

class TestSummary : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { useTestEnvironment(); }

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

    // The database computes each history's digest (length, last records' timestamps); what its JSON functions
    // cannot take (not an array, a timestamp PostgreSQL cannot turn into text) is parsed by the console. Either way the
    // answer is the same.
    void summaryOfUnusualHistories_data() { TestDatabase::addBackendRows(); }
    void summaryOfUnusualHistories()
    {
        const bool postgres = QByteArray(QTest::currentDataTag()) == "postgres";
        QList<KeyFixture> keys;
        KeyFixture mixed = key(u"u1"_s, u"mixed"_s);
        // The last three: a number (no record), a record whose timestamp is a number (sorts as ""), and one whose
        // timestamp is written with an escape.
        mixed.history =
            uR"([{"timestamp":"2025-12-20T00:00:00+00:00","old_limit":1,"new_limit":2,"reason":"a"},7,)"
            uR"({"timestamp":5,"old_limit":2,"new_limit":3,"reason":"b"},)"
            uR"({"timestamp":"2025-12-21T00:00:00\u002B00:00","old_limit":3,"new_limit":4,"reason":"c"}])"_s;
        keys << mixed;
        KeyFixture nul = key(u"u2"_s, u"null text"_s);
        nul.history = u"null"_s;
        keys << nul;
        KeyFixture empty = key(u"u3"_s, u"empty"_s);
        empty.history = u"[]"_s;
        keys << empty;
        KeyFixture zero = key(u"u4"_s, u"nul character"_s); // a \u0000 inside a record
        zero.history = uR"([{"timestamp":"2025-12-22T00:00:00+00:00","old_limit":4,"new_limit":5,"reason":"d",)"
                       uR"("note":"a\u0000b"}])"_s;
        keys << zero;
        KeyFixture nulStamp = key(u"u6"_s, u"nul in a timestamp"_s); // PostgreSQL's ->> refuses to unescape it
        nulStamp.history = uR"([{"timestamp":"2025-01-01T00:00:00\u0000","old_limit":1,"new_limit":2,"reason":"e"}])"_s;
        keys << nulStamp;
        if (!postgres) { // PostgreSQL's json type refuses to store it
            KeyFixture broken = key(u"u5"_s, u"broken"_s);
            broken.history = u"not json ["_s;
            keys << broken;
        }
        AETHER_KEY_DATABASE(tdb, db, keys);
        KeyService service(db);
        const aether::Result<aether::Summary> summary = service.summary();
        QVERIFY2(summary.ok(), qPrintable(summary.ok() ? QString() : errorText(summary.error())));
        QCOMPARE(summary.value().totalAdaptiveKeys, qint64(keys.size()));
        QCOMPARE(summary.value().totalAdjustments, qint64(4 + 0 + 0 + 1 + 1));
        const QList<aether::RecentAdjustment> recent = summary.value().recentAdjustments;
        QStringList shown;
        for (const aether::RecentAdjustment &r : recent)
            shown << r.keyId + u' ' + r.record.value(u"reason").toString();
        QCOMPARE(shown, (QStringList{u"u4 d"_s, u"u1 c"_s, u"u6 e"_s, u"u1 b"_s}));
        QCOMPARE(recent.at(1).record.value(u"timestamp").toString(), u"2025-12-21T00:00:00+00:00"_s);
        QCOMPARE(recent.at(0).record.value(u"note").toString(), u"a\u0000b"_s);
    }

    // Records with equal timestamps keep the keys' order — SQLite's rowid; on PostgreSQL, which keeps no lasting order
    // (an update moves a row, a plan decides a scan's order), the ids' — however the keys were read (a first summary, a
    // later one, one pass) and after an update of a key.
    void summaryTiesKeepStorageOrder_data() { TestDatabase::addBackendRows(); }
    void summaryTiesKeepStorageOrder()
    {
        const QString same = u"2025-12-24T00:00:00+00:00"_s;
        KeyFixture first = key(u"t-z"_s, u"stored first"_s, u"e2"_s);
        first.history = compact({record(same, 5, 6, u"probe_increase"_s)});
        KeyFixture second = key(u"t-a"_s, u"stored second"_s, u"e1"_s);
        second.history = compact({record(same, 7, 8, u"probe_increase"_s)});
        KeyFixture other = key(u"t-m"_s, u"other"_s, u"e1"_s);
        other.history = compact({record(u"2025-01-01T00:00:00+00:00"_s, 1, 2, u"probe_increase"_s)});
        AETHER_KEY_DATABASE(tdb, db, (QList<KeyFixture>{first, second, other}));
        KeyService keys(db);
        const auto order = [&keys] {
            QStringList ids;
            const aether::Result<aether::Summary> summary = keys.summary(); // kept: the loop reads into it
            for (const aether::RecentAdjustment &r : summary.value().recentAdjustments)
                ids << r.keyId;
            return ids;
        };
        const QStringList expected =
            tdb.isPostgres() ? QStringList{u"t-a"_s, u"t-z"_s, u"t-m"_s} : QStringList{u"t-z"_s, u"t-a"_s, u"t-m"_s};
        QCOMPARE(order(), expected);
        QString error;
        QVERIFY2(tdb.execute(u"UPDATE provider_api_keys SET name = 'renamed' WHERE id IN ('t-z', 't-a')"_s, &error),
                 qPrintable(error));
        QCOMPARE(order(), expected);
        QVERIFY2(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = %1 WHERE id = 't-m'"_s.arg(
                                 tdb.isPostgres() ? u"CAST('[]' AS json)"_s : u"'[]'"_s),
                             &error),
                 qPrintable(error));
        QCOMPARE(order(), expected.mid(0, 2));
    }

    // SQLite tables the console did not make (no kept tails): the database digests each history instead, with the
    // same answer.
    void summaryWithoutKeptTails()
    {
        QList<KeyFixture> keys = recentAdjustmentKeys();
        keys << standardKeys();
        TestDatabase tdb("sqlite");
        aether::Database db(tdb.location());
        QVERIFY(db.open().ok());
        QVERIFY(aether::Migrations(db).run().ok());
        QString error;
        QVERIFY2(aether::test::insertFixtureRows(tdb, ownerRows(), keys, &error), qPrintable(error));
        const aether::Result<aether::Summary> kept = KeyService(db).summary();
        QVERIFY(kept.ok());
        QVERIFY(executeAll(tdb,
                           {u"DROP TRIGGER console_revision_on_insert"_s, u"DROP TRIGGER console_revision_on_update"_s,
                            u"DROP INDEX ix_console_adaptive_keys"_s,
                            u"ALTER TABLE provider_api_keys DROP COLUMN console_history_tail"_s},
                           &error));
        KeyService digested(db);
        const aether::Result<aether::Summary> scanned = digested.summary();
        QVERIFY(scanned.ok());
        QCOMPARE(describeSummary(scanned.value()), describeSummary(kept.value()));
        QCOMPARE(scanned.value().recentAdjustments.size(), 10);
    }

    // PostgreSQL keeps each history's digest in console_history_digests, tagged with the row's xmin: a new process
    // reads those instead of digesting every history again; a history written by anyone (a gateway) is digested
    // again, a kept digest of another row version is ignored, and the digests of deleted keys go.
    void keptDigestsOnPostgres_data() { TestDatabase::addBackendRows(); }
    void keptDigestsOnPostgres()
    {
        if (QByteArray(QTest::currentDataTag()) != "postgres")
            QSKIP("SQLite keeps the digests in the key rows (summaryWithoutKeptTails)");
        QList<KeyFixture> keys = recentAdjustmentKeys();
        keys << standardKeys();
        AETHER_KEY_DATABASE(tdb, db, keys);
        SqlProbe probe(tdb.location());
        const QString adaptive = u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s;
        const QString kept = u"SELECT count(*) FROM console_history_digests"_s;
        QCOMPARE(probe.value(kept).toInt(), 0);
        const QString first = describeSummary(KeyService(db).summary());
        QVERIFY2(!first.startsWith(u"error"), qPrintable(first));
        QCOMPARE(probe.value(kept).toInt(), probe.value(adaptive).toInt());

        // A new process: the same answer from the kept digests, which are used as they are...
        QCOMPARE(describeSummary(KeyService(db).summary()), first);
        const QString lie = u"UPDATE console_history_digests SET last_at = '2099-01-01T00:00:00+00:00' "
                            u"WHERE key_id = 'r3'"_s;
        QString error;
        QVERIFY2(tdb.execute(lie, &error), qPrintable(error));
        const aether::Result<aether::Summary> lied = KeyService(db).summary();
        QVERIFY(lied.ok());
        QCOMPARE(lied.value().recentAdjustments.first().keyId, u"r3"_s); // its last record, ranked by the kept tail
        // ...but only for the row version they were made from.
        QVERIFY2(tdb.execute(u"UPDATE console_history_digests SET row_version = '1' WHERE key_id = 'r3'"_s, &error),
                 qPrintable(error));
        QCOMPARE(describeSummary(KeyService(db).summary()), first);
        QVERIFY(probe.value(u"SELECT row_version FROM console_history_digests WHERE key_id = 'r3'"_s).toString() !=
                u"1"_s);

        // A gateway appends a record: a new process and the same one both see it.
        KeyService running(db);
        QCOMPARE(describeSummary(running.summary()), first);
        const QString newest = compact({record(u"2030-01-01T00:00:00+00:00"_s, 2, 3, u"probe_increase"_s)});
        QVERIFY2(
            tdb.execute(
                u"UPDATE provider_api_keys SET adjustment_history = CAST('%1' AS json) WHERE id = 'r7'"_s.arg(newest),
                &error),
            qPrintable(error));
        const aether::Result<aether::Summary> renewed = running.summary();
        QVERIFY(renewed.ok());
        QCOMPARE(renewed.value().recentAdjustments.first().keyId, u"r7"_s);
        QCOMPARE(describeSummary(KeyService(db).summary()), describeSummary(renewed));

        // Deleted keys and keys made fixed lose their kept digests at a later summary.
        QVERIFY2(executeAll(tdb,
                            {u"DELETE FROM provider_api_keys WHERE id = 'r1'"_s,
                             u"UPDATE provider_api_keys SET max_concurrent = 5 WHERE id = 'r2'"_s},
                            &error),
                 qPrintable(error));
        QVERIFY(KeyService(db).summary().ok());
        QCOMPARE(probe.value(kept).toInt(), probe.value(adaptive).toInt());
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_history_digests WHERE key_id IN ('r1', 'r2')"_s).toInt(),
                 0);

        // Without the table (dropped by hand), the summary digests the histories as before.
        KeyService again(db);
        const QString before = describeSummary(again.summary());
        QVERIFY2(tdb.execute(u"DROP TABLE console_history_digests"_s, &error), qPrintable(error));
        QCOMPARE(describeSummary(KeyService(db).summary()), before);
        QVERIFY2(tdb.execute(u"UPDATE provider_api_keys SET adjustment_history = NULL WHERE id = 'r7'"_s, &error),
                 qPrintable(error));
        const aether::Result<aether::Summary> without = again.summary();
        QVERIFY(without.ok());
        QVERIFY(without.value().recentAdjustments.first().keyId != u"r7"_s);
    }

    // Beyond SummaryBuilder's digest limit nothing is kept per key and each summary is one pass over the keys: the
    // answer is the same as from kept digests, on histories of every shape, in every scope, after other connections
    // changed, deleted and fixed keys, and when the number of keys crosses the limit either way.
    void summaryInOnePassEqualsKeptDigests_data() { TestDatabase::addBackendRows(); }
    void summaryInOnePassEqualsKeptDigests()
    {
        const bool postgres = QByteArray(QTest::currentDataTag()) == "postgres";
        // Each new service warns once about each history that is not an array: dozens of lines, none of them news.
        QLoggingCategory::setFilterRules(u"aether.keys.warning=false"_s);
        const auto warnAgain = qScopeGuard([] { QLoggingCategory::setFilterRules(QString()); });
        AETHER_KEY_DATABASE(tdb, db, variedKeys(300, postgres));
        const qsizetype defaultLimit = aether::SummaryBuilder::defaultDigestLimit;
        const auto serviceWithLimit = [&db](qsizetype limit) {
            aether::SummaryBuilder::setDigestLimitOfNewBuilders(limit);
            auto service = std::make_unique<KeyService>(db);
            aether::SummaryBuilder::setDigestLimitOfNewBuilders(defaultLimit);
            return service;
        };
        // Running services: digests kept for all keys, none kept, and kept until the keys outnumber 200.
        const auto kept = serviceWithLimit(defaultLimit);
        const auto passes = serviceWithLimit(0);
        const auto crossing = serviceWithLimit(200);
        const QList<aether::SummaryScope> scopes{{}, {{}, u"e1"_s}, {u"p1"_s, {}}, {{}, u"e2"_s}};
        const auto compareAll = [&](const char *when) {
            for (const aether::SummaryScope &scope : scopes) {
                const QString expected = describeSummary(kept->summary(scope));
                QVERIFY2(!expected.startsWith(u"error"), qPrintable(expected));
                QVERIFY2(expected.count(u'\n') >= 5, qPrintable(expected)); // records to compare
                const QByteArray where = QByteArray(when) + ", scope " + scope.providerId.toUtf8() + '/' +
                                         scope.endpointId.toUtf8() + "\nkept digests:\n" + expected.toUtf8();
                const auto check = [&](const QString &got, const char *how) {
                    const QByteArray message = where + "\n" + how + ":\n" + got.toUtf8();
                    QVERIFY2(got == expected, message.constData());
                };
                check(describeSummary(passes->summary(scope)), "one pass");
                check(describeSummary(crossing->summary(scope)), "crossing the limit");
                check(describeSummary(serviceWithLimit(0)->summary(scope)), "a new process, one pass");
            }
        };
        // The reference reads the first summary of all keys from kept digests too (those of e2, then the rest).
        QVERIFY(kept->summary({{}, u"e2"_s}).ok());
        compareAll("first summaries");
        if (QTest::currentTestFailed())
            return;

        // Other connections change histories, delete keys and fix others; then add keys until the crossing service
        // is over its limit.
        QRandomGenerator random(7);
        QStringList changes;
        for (int i = 0; i < 40; ++i) {
            const QString history = variedHistory(random, postgres);
            changes << u"UPDATE provider_api_keys SET adjustment_history = %1 WHERE id = 'v-%2'"_s
                           .arg(postgres ? u"CAST(%1 AS json)"_s.arg(sqlText(history)) : sqlText(history))
                           .arg((i * 7919 * 3) % 1000, 3, 10, QChar(u'0'));
        }
        changes << u"DELETE FROM provider_api_keys WHERE id IN ('v-000', 'v-919', 'v-838')"_s
                << u"UPDATE provider_api_keys SET max_concurrent = 3 WHERE id IN ('v-757', 'v-676')"_s
                << u"UPDATE provider_api_keys SET max_concurrent = NULL WHERE max_concurrent IS NOT NULL AND "
                   u"concurrent_429_count < 3"_s;
        QString error;
        QVERIFY2(executeAll(tdb, changes, &error), qPrintable(error));
        compareAll("after other connections' changes");
        if (QTest::currentTestFailed())
            return;
        QList<KeyFixture> more = variedKeys(300, postgres);
        QStringList inserts;
        for (KeyFixture &k : more) {
            k.id = u"w-"_s + k.id;
            k.maxConcurrent.reset();
            inserts << insertSql(k);
        }
        QVERIFY2(executeAll(tdb, inserts, &error), qPrintable(error));
        compareAll("with more keys than the crossing service keeps");
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(tdb.execute(u"DELETE FROM provider_api_keys WHERE id LIKE 'w-%'"_s, &error), qPrintable(error));
        compareAll("with fewer again");
    }

    // The window's Summary narrows the same figures to a provider or an endpoint, and counts the fixed keys beside.
    void summaryOfAScope_data() { TestDatabase::addBackendRows(); }
    void summaryOfAScope()
    {
        AETHER_KEY_DATABASE(tdb, db, standardKeys());
        KeyService keys(db);
        const auto summaryOf = [&keys](const aether::SummaryScope &scope) {
            aether::Result<aether::Summary> s = keys.summary(scope);
            aether::Summary failed;
            failed.totalAdaptiveKeys = -1;
            return s ? s.takeValue() : failed;
        };
        const aether::Summary all = summaryOf({});
        QCOMPARE(all.totalAdaptiveKeys, qint64(3));
        QCOMPARE(all.totalFixedKeys, qint64(1));
        // e1: k-a1, k-a3 adaptive and k-f1 fixed; e2: k-a2 alone.
        const aether::Summary e1 = summaryOf({{}, u"e1"_s});
        QCOMPARE(e1.totalAdaptiveKeys, qint64(2));
        QCOMPARE(e1.totalFixedKeys, qint64(1));
        QCOMPARE(e1.totalConcurrent429Errors, qint64(4 + 1));
        QCOMPARE(e1.totalRpm429Errors, qint64(2 + 7));
        QCOMPARE(e1.totalAdjustments, qint64(7));
        QCOMPARE(e1.recentAdjustments.size(), 3);
        const aether::Summary e2 = summaryOf({{}, u"e2"_s});
        QCOMPARE(e2.totalAdaptiveKeys, qint64(1));
        QCOMPARE(e2.totalFixedKeys, qint64(0));
        QCOMPARE(e2.totalConcurrent429Errors, qint64(0));
        QCOMPARE(e2.totalAdjustments, qint64(0));
        QVERIFY(e2.recentAdjustments.isEmpty());
        // The provider of both endpoints: the same as all; an endpoint given wins over its provider.
        const aether::Summary provider = summaryOf({u"p1"_s, {}});
        QCOMPARE(provider.totalAdaptiveKeys, qint64(3));
        QCOMPARE(provider.totalFixedKeys, qint64(1));
        QCOMPARE(summaryOf({u"p1"_s, u"e2"_s}).totalAdaptiveKeys, qint64(1));
        QCOMPARE(summaryOf({u"no-such-provider"_s, {}}).totalAdaptiveKeys, qint64(0));
        // Asked again unscoped after a scoped answer: the whole figures, not the cached scope's.
        QCOMPARE(summaryOf({}).totalAdaptiveKeys, qint64(3));
        QCOMPARE(summaryOf({}).totalAdjustments, all.totalAdjustments);
    }

    // Histories built so that stored order, time order and string order differ, a fixed key has the newest records,
    // and more than ten records qualify.
    void summaryRecentAdjustments_data() { TestDatabase::addBackendRows(); }
    void summaryRecentAdjustments()
    {
        const QList<KeyFixture> keys = recentAdjustmentKeys();
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

// Every test runs twice: with the digest limit the console uses, and with none kept (every summary one pass).
int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    TestSummary test;
    int failed = QTest::qExec(&test, argc, argv);
    qInfo("The same tests with every summary in one pass (no digests kept):");
    aether::SummaryBuilder::setDigestLimitOfNewBuilders(0);
    failed += QTest::qExec(&test, argc, argv);
    return failed;
}
#include "tst_summary.moc"
