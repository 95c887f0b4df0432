// The command line for scripts (keys, key, set-limit, set-mode, reset, summary, policy) through the real program on
// both databases: --json prints exactly the HTTP API's body for the same operation (compared with a running server's
// answer), the tables are aligned by display width in both languages, and the exit statuses are 0 done, 1 refused,
// 2 usage error, 3 database unavailable.

#include "../../src/app/terminaltable.h"
#include "chinesetext.h"
#include "consoletestsupport.h"

#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace aether::test;

namespace {

QProcessEnvironment inLanguage(const QString &locale)
{
    QProcessEnvironment env = consoleEnvironment();
    env.insert(u"LC_ALL"_s, locale);
    env.insert(u"LANG"_s, locale);
    env.insert(u"LANGUAGE"_s, locale.left(5));
    return env;
}

const QProcessEnvironment englishEnv = inLanguage(u"C.UTF-8"_s);
const QProcessEnvironment chineseEnv = inLanguage(u"zh_CN.UTF-8"_s);

ProcessResult cli(const Session &s, QStringList arguments, const QProcessEnvironment &env = englishEnv)
{
    arguments << u"--database"_s << s.db.url();
    return runConsole(arguments, env);
}

// The one stdout line of a --json command, parsed.
QJsonValue jsonOut(const ProcessResult &r)
{
    return parseJson(r.out.trimmed());
}

// Every line of a table has its columns at the same display positions as the header's.
QString checkAligned(const QByteArray &out)
{
    const QStringList lines = QString::fromUtf8(out).split(u'\n', Qt::SkipEmptyParts);
    if (lines.size() < 2)
        return u"fewer than two lines: "_s + QString::fromUtf8(out);
    const int width = aether::app::displayWidth(lines.constFirst());
    for (const QString &line : lines) {
        // Right-aligned numbers end the line: every line has the header's width.
        if (aether::app::displayWidth(line) != width)
            return u"line of width %1, header %2: [%3]"_s.arg(aether::app::displayWidth(line)).arg(width).arg(line);
    }
    return {};
}

bool addKeys(Session &s, QString *error)
{
    // (Session::start added provider prov-1 with endpoints ep-1, OPENAI, and ep-2, CLAUDE.)
    KeyRow a1{u"ka1"_s, u"ep-1"_s, u"alpha"_s};
    a1.learned = 12;
    a1.concurrent429 = 3;
    a1.rpm429 = 1;
    a1.history = u"[{\"timestamp\":\"2026-12-01T10:00:00+00:00\",\"old_limit\":14,\"new_limit\":12,"
                 "\"reason\":\"concurrent_429\",\"current_concurrent\":14}]"_s;
    KeyRow a2{u"ka2"_s, u"ep-2"_s, u"密钥二"_s};
    a2.learned = 7;
    KeyRow f1{u"kf1"_s, u"ep-1"_s, u"fixed"_s};
    f1.maxConcurrent = 9;
    for (const KeyRow &key : {a1, a2, f1}) {
        if (!insertKey(s.db, key, error))
            return false;
    }
    return true;
}

} // namespace

class TestCli : public HttpSuite {
    Q_OBJECT

public:
    TestCli()
        : HttpSuite(&addKeys)
    {
    }

private slots:
    void readsAsTheHttpApi_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("reads");
    }
    // keys, key and summary: the same bytes as the server's answers, and readable tables.
    void readsAsTheHttpApi()
    {
        AETHER_SHARED_SESSION(s, m_pool);
        const ProcessResult keys = cli(*s, {u"keys"_s, u"--json"_s});
        QVERIFY2(keys.exitCode == 0, qPrintable(keys.describe()));
        const Reply httpKeys = s->client->send("GET", apiBase + "/keys", s->admin);
        QCOMPARE(keys.out.trimmed(), httpKeys.body);
        const ProcessResult endpoint = cli(*s, {u"keys"_s, u"--endpoint"_s, u"ep-2"_s, u"--json"_s});
        QCOMPARE(endpoint.out.trimmed(), s->client->send("GET", apiBase + "/keys?endpoint_id=ep-2", s->admin).body);
        // --all adds the fixed keys, in the same shape.
        const ProcessResult all = cli(*s, {u"keys"_s, u"--all"_s, u"--json"_s});
        QCOMPARE(jsonOut(all).toArray().size(), 3);
        bool sawFixed = false;
        for (const QJsonValue &item : jsonOut(all).toArray()) {
            if (item[u"id"].toString() == u"kf1") {
                sawFixed = true;
                QCOMPARE(item[u"is_adaptive"].toBool(true), false);
                QCOMPARE(item[u"effective_limit"].toInt(), 9);
            }
        }
        QVERIFY(sawFixed);

        const ProcessResult stats = cli(*s, {u"key"_s, u"ka1"_s, u"--json"_s});
        QCOMPARE(stats.exitCode, 0);
        QCOMPARE(stats.out.trimmed(), s->client->send("GET", keyPath("ka1", "stats"), s->admin).body);
        const ProcessResult summary = cli(*s, {u"summary"_s, u"--json"_s});
        QCOMPARE(summary.exitCode, 0);
        QCOMPARE(summary.out.trimmed(), s->client->send("GET", apiBase + "/summary", s->admin).body);
        const ProcessResult policy = cli(*s, {u"policy"_s, u"--json"_s});
        QCOMPARE(policy.exitCode, 0);
        QCOMPARE(policy.out.trimmed(), s->client->send("GET", apiBase + "/policy", s->admin).body);

        // The tables, in English and in Chinese (wide characters take two columns).
        for (const QProcessEnvironment &env : {englishEnv, chineseEnv}) {
            const ProcessResult table = cli(*s, {u"keys"_s, u"--all"_s}, env);
            QVERIFY2(table.exitCode == 0, qPrintable(table.describe()));
            QCOMPARE(QString::fromUtf8(table.out).count(u'\n'), 4);
            const QString aligned = checkAligned(table.out);
            QVERIFY2(aligned.isEmpty(), qPrintable(aligned));
            QVERIFY(table.out.contains(u"密钥二"_s.toUtf8()));
        }
        const ProcessResult zhTable = cli(*s, {u"keys"_s}, chineseEnv);
        QVERIFY2(zhTable.out.contains(u"名称"_s.toUtf8()), zhTable.out.constData());
        QVERIFY2(zhTable.out.contains(u"自适应"_s.toUtf8()), zhTable.out.constData());
        const ProcessResult enTable = cli(*s, {u"keys"_s}, englishEnv);
        QVERIFY(enTable.out.startsWith("ID  "));
        QVERIFY(enTable.out.contains("adaptive"));
        QVERIFY(!enTable.out.contains("kf1")); // fixed keys only with --all
        const ProcessResult keyTable = cli(*s, {u"key"_s, u"ka1"_s});
        QVERIFY(keyTable.out.contains("concurrent_429"));
        QVERIFY(keyTable.out.contains("Learned limit"));
    }

    void changesAsTheHttpApi_data()
    {
        QTest::addColumn<QByteArray>("backend");
        addBackendRows("changes");
    }
    // set-limit, set-mode and reset: the HTTP API's answer for the same change, in the user's language, and the
    // change stored.
    void changesAsTheHttpApi()
    {
        AETHER_TEST_SESSION(s);
        QString error;
        QVERIFY2(addKeys(s, &error), qPrintable(error));
        const ProcessResult limit = cli(s, {u"set-limit"_s, u"ka1"_s, u"5"_s, u"--json"_s}, chineseEnv);
        QVERIFY2(limit.exitCode == 0, qPrintable(limit.describe()));
        EXPECT_ROW(s, u"ka1"_s, u"max_concurrent"_s, u"5"_s);
        // The server answers the same change of another key with the same body (but the key id).
        Reply httpLimit = s.client->send("PATCH", keyPath("ka2", "limit?limit=5"), s.admin);
        QCOMPARE(limit.out.trimmed(), httpLimit.body.replace("ka2", "ka1"));

        const ProcessResult adaptive = cli(s, {u"set-mode"_s, u"ka1"_s, u"adaptive"_s, u"--json"_s}, englishEnv);
        QCOMPARE(adaptive.exitCode, 0);
        // (ka2 learned 7, ka1 12.)
        Reply httpAdaptive =
            s.client->send("PATCH", keyPath("ka2", "mode"), s.admin, R"({"enabled":true})", aether::test::english);
        QCOMPARE(adaptive.out.trimmed(),
                 httpAdaptive.body.replace("ka2", "ka1").replace("\"effective_limit\":7", "\"effective_limit\":12"));
        EXPECT_ROW(s, u"ka1"_s, u"max_concurrent"_s, QString());

        const ProcessResult fixed = cli(s, {u"set-mode"_s, u"ka1"_s, u"fixed"_s, u"--limit"_s, u"8"_s});
        QCOMPARE(fixed.exitCode, 0);
        QVERIFY2(fixed.out.contains("fixed limit 8"), fixed.out.constData());
        EXPECT_ROW(s, u"ka1"_s, u"max_concurrent"_s, u"8"_s);

        const ProcessResult reset = cli(s, {u"reset"_s, u"ka1"_s, u"--yes"_s, u"--json"_s}, chineseEnv);
        QCOMPARE(reset.exitCode, 0);
        QCOMPARE(jsonOut(reset), QJsonValue(QJsonObject{{u"message"_s, u"学习状态已重置"_s}, {u"key_id"_s, u"ka1"_s}}));
        EXPECT_ROW(s, u"ka1"_s, u"learned_max_concurrent, concurrent_429_count"_s, QString(), u"0"_s);
        const ProcessResult audit = cli(s, {u"key"_s, u"ka1"_s, u"--json"_s});
        QCOMPARE(jsonOut(audit)[u"adjustment_count"].toInt(-1), 0);
        QVERIFY2(s.stop(&error), qPrintable(error));
    }

    void exitStatuses_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("english");
        QTest::addColumn<QString>("chinese");
        const struct {
            const char *name;
            QStringList arguments;
            int status;
            const char *english;
            const char *chinese;
        } rows[] = {
            {"unknown key", {u"key"_s, u"nope"_s}, 1, "key nope not found", "未找到密钥 nope"},
            {"limit too high", {u"set-limit"_s, u"ka1"_s, u"101"_s}, 1, "limit must be at most 100", "100"},
            {"limit too low", {u"set-limit"_s, u"ka1"_s, u"0"_s}, 1, "limit must be at least 1", "1"},
            {"fixed without a limit", {u"set-mode"_s, u"ka1"_s, u"fixed"_s}, 1, "add --limit N", "--limit N"},
            {"policy value refused",
             {u"policy"_s, u"set"_s, u"min_limit=0"_s},
             1,
             "min_limit must be at least 1",
             "min_limit"},
            {"unknown policy setting", {u"policy"_s, u"set"_s, u"bogus=1"_s}, 1, "bogus", "bogus"},
            {"limit not a number", {u"set-limit"_s, u"ka1"_s, u"many"_s}, 2, "whole number", "整数"},
            {"unknown mode", {u"set-mode"_s, u"ka1"_s, u"auto"_s}, 2, "adaptive or fixed", "auto"},
            {"unknown command", {u"frobnicate"_s}, 2, "unknown command \"frobnicate\"", "frobnicate"},
            {"missing argument", {u"key"_s}, 2, "usage: aether-console key ID", "key ID"},
            {"extra argument", {u"summary"_s, u"now"_s}, 2, "usage: aether-console summary", "summary"},
            {"unknown option", {u"keys"_s, u"--colour"_s}, 2, "colour", "colour"},
            {"reset without an answer", {u"reset"_s, u"ka1"_s}, 2, "--yes", "--yes"},
            {"policy reset without an answer", {u"policy"_s, u"reset"_s}, 2, "--yes", "--yes"},
            {"not KEY=VALUE", {u"policy"_s, u"set"_s, u"min_limit"_s}, 2, "KEY=VALUE", "KEY=VALUE"},
        };
        for (const char *backend : {"sqlite", "postgres"}) {
            for (const auto &row : rows) {
                QTest::addRow("%s: %s", backend, row.name)
                    << QByteArray(backend) << row.arguments << row.status << QString::fromUtf8(row.english)
                    << QString::fromUtf8(row.chinese);
            }
        }
    }
    // Refusals and usage errors: the status, one line on stderr in the user's language, nothing on stdout, nothing
    // stored.
    void exitStatuses()
    {
        QFETCH(QStringList, arguments);
        QFETCH(int, status);
        QFETCH(QString, english);
        QFETCH(QString, chinese);
        AETHER_SHARED_SESSION(s, m_pool);
        const ProcessResult en = cli(*s, arguments, englishEnv);
        QVERIFY2(en.exitCode == status, qPrintable(en.describe()));
        QVERIFY2(en.out.isEmpty(), qPrintable(en.describe()));
        QCOMPARE(en.err.count('\n'), 1);
        QVERIFY2(QString::fromUtf8(en.err).contains(english), qPrintable(en.describe()));
        const ProcessResult zh = cli(*s, arguments, chineseEnv);
        QCOMPARE(zh.exitCode, status);
        QCOMPARE(zh.err.count('\n'), 1);
        QVERIFY2(QString::fromUtf8(zh.err).contains(chinese), qPrintable(zh.describe()));
        EXPECT_ROW(*s, u"ka1"_s, u"max_concurrent, learned_max_concurrent"_s, QString(), u"12"_s);
    }

    // What the console itself says on stderr when it refuses something reads as Chinese in a Chinese session: no run of
    // three English words outside options, paths and names; a database driver's or Qt's own words are quoted (“…”)
    // after a Chinese sentence.
    void refusalsInChineseAreChinese()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString db = u"sqlite://"_s + dir.filePath(u"refusals.sqlite"_s);
        QProcessEnvironment env = chineseEnv;
        env.remove(u"AETHER_CONSOLE_TOKEN"_s);
        QVERIFY(runConsole({u"--database"_s, db, u"--prepare"_s, u"--demo"_s}, env).exitCode == 0);
        const auto file = [&dir](const QString &name, const QByteArray &content) {
            QFile f(dir.filePath(name));
            if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
                qWarning("cannot write %s", qPrintable(f.fileName()));
            return f.fileName();
        };
        const QString notJson = file(u"not-json.json"_s, "{\"name\": ");
        const QString list = file(u"list.json"_s, "[1, 2]");
        const QString nameless = file(u"nameless.json"_s, "{\"duration_s\": 60}");
        const QString notPem = file(u"not-pem.pem"_s, "not a certificate");
        QTcpServer busy; // a port another program holds
        QVERIFY(busy.listen(QHostAddress::LocalHost));
        const QString busyAddress = u"127.0.0.1:%1"_s.arg(busy.serverPort());
        const QList<QStringList> refused{
            {u"keys"_s, u"--database"_s, u"mysql://x/y"_s},
            {u"keys"_s, u"--database"_s, u"sqlite://"_s},
            {u"keys"_s, u"--database"_s, u"postgresql://h/db?foo=1"_s},
            {u"keys"_s, u"--database"_s, u"postgresql://nobody@127.0.0.1:1/none"_s},
            {u"--list-tokens"_s, u"--database"_s, u"postgresql://nobody@127.0.0.1:1/none"_s},
            {u"--database"_s, db, u"--prepare"_s, u"--demo"_s},
            {u"--database"_s, db, u"--revoke-token"_s, u"nobody"_s},
            {u"--database"_s, db, u"--serve"_s, u"--listen"_s, u"0.0.0.0:0"_s},
            {u"--database"_s, db, u"--serve"_s, u"--listen"_s, busyAddress},
            {u"--database"_s, db, u"--serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--tls-cert"_s, notPem,
             u"--tls-key"_s, notPem},
            {u"--database"_s, db, u"--serve"_s, u"--listen"_s, u"127.0.0.1:0"_s, u"--tls-cert"_s,
             dir.filePath(u"missing.pem"_s), u"--tls-key"_s, notPem},
            {u"--database"_s, db, u"set-limit"_s, u"no-such-key"_s, u"7"_s},
            {u"--database"_s, db, u"set-limit"_s, u"no-such-key"_s, u"1000"_s},
            {u"--database"_s, db, u"policy"_s, u"set"_s, u"min_limit=abc"_s},
            {u"--database"_s, db, u"policy"_s, u"set"_s, u"min_limit=0"_s},
            {u"--database"_s, db, u"policy"_s, u"set"_s, u"strategy=fastest"_s},
            {u"--simulate"_s, dir.filePath(u"missing.json"_s)},
            {u"--simulate"_s, notJson},
            {u"--simulate"_s, list},
            {u"--simulate"_s, nameless},
            {u"--simulate"_s, u"limit_change"_s, u"--policy"_s, list},
        };
        for (const QStringList &arguments : refused) {
            const ProcessResult r = runConsole(arguments, env);
            const QString said = QString::fromUtf8(r.err + r.out).trimmed();
            QVERIFY2(r.finished && !r.err.trimmed().isEmpty(),
                     qPrintable(arguments.join(u' ') + u"\n"_s + r.describe()));
            QVERIFY2(hasChinese(said), qPrintable(arguments.join(u' ') + u": "_s + said));
            const QString run = englishRunOutsideQuotes(said);
            QVERIFY2(run.isEmpty(), qPrintable(arguments.join(u' ') + u": \""_s + run + u"\" in "_s + said));
            const QString lost = quotedConsoleSentence(said);
            QVERIFY2(lost.isEmpty(), qPrintable(arguments.join(u' ') + u": the console's own sentence quoted, \""_s +
                                                lost + u"\" in "_s + said));
        }
    }

    // A database that cannot be reached: 3, whatever the command.
    void databaseUnavailable()
    {
        for (const QStringList &command :
             {QStringList{u"keys"_s}, QStringList{u"set-limit"_s, u"k"_s, u"3"_s}, QStringList{u"policy"_s}}) {
            const ProcessResult r =
                runConsole(command + QStringList{u"--database"_s, u"postgresql://nobody@127.0.0.1:1/none"_s});
            QVERIFY2(r.exitCode == 3, qPrintable(r.describe()));
            QCOMPARE(r.err.count('\n'), 1);
            QVERIFY(r.out.isEmpty());
        }
        const ProcessResult url = runConsole({u"keys"_s, u"--database"_s, u"mysql://x/y"_s});
        QVERIFY2(url.exitCode == 2, qPrintable(url.describe()));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
