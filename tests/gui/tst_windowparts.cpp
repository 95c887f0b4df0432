// The window's parts on their own, on a demo database: the key table model under QAbstractItemModelTester, CSV
// export (quoting, non-ASCII, formulas a spreadsheet would run), the settings dialog and the token dialog. Every
// question is answered through gui::dialogs; a question not asked, or one asked unexpectedly, fails the test.

#include "auditpage.h"
#include "auth/tokenstore.h"
#include "bulkrunner.h"
#include "charts/historychart.h"
#include "charts/rate429chart.h"
#include "charts/timelinechart.h"
#include "consolesettings.h"
#include "csvexporter.h"
#include "dialogs.h"
#include "guiformat.h"
#include "httpendpointservice.h"
#include "icons.h"
#include "keys/auditlog.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "keytablemodel.h"
#include "settingsdialog.h"
#include "simulatorpage.h"
#include "storage/databasesetup.h"
#include "storage/timelinetables.h"
#include "testdatabase.h"
#include "testenvironment.h"
#include "tokendialog.h"
#include "trendpanel.h"

#include <QAbstractAxis>
#include <QAbstractItemModelTester>
#include <QApplication>
#include <QAreaSeries>
#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QProgressDialog>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QXYSeries>

using namespace Qt::StringLiterals;
using namespace aether;
using aether::test::TestDatabase;

namespace {

// An endpoint service that accepts every TLS file named "good.pem" and nothing else.
class FakeEndpoint : public gui::HttpEndpointService {
public:
    Result<quint16> start(const gui::EndpointSettings &) override { return quint16(1); }
    void stop() override {}
    bool isRunning() const override { return false; }
    bool isTls() const override { return false; }
    Status checkTlsFiles(const QString &certificate, const QString &) const override
    {
        if (certificate.endsWith(u"good.pem"))
            return Done{};
        return Error::invalid(u"tls"_s, reason::invalidValue, {}, u"%1: no certificate"_s.arg(certificate));
    }
};

// CSV text as lines of fields (RFC 4180; enough for these tests: quoted fields may hold commas, quotes, newlines).
QList<QStringList> parseCsv(const QString &text)
{
    QList<QStringList> rows{{}};
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == u'"' && i + 1 < text.size() && text.at(i + 1) == u'"')
                field += u'"', ++i;
            else if (c == u'"')
                quoted = false;
            else
                field += c;
        } else if (c == u'"') {
            quoted = true;
        } else if (c == u',') {
            rows.last() << field, field.clear();
        } else if (c == u'\n') {
            rows.last() << field, field.clear();
            rows.append(QStringList());
        } else {
            field += c;
        }
    }
    if (rows.last().isEmpty() && field.isEmpty())
        rows.removeLast();
    return rows;
}

} // namespace

class TestWindowParts : public QObject {
    Q_OBJECT

    QTemporaryDir m_settingsDir;

private slots:
    void initTestCase()
    {
        test::useTestEnvironment();
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
    }
    void init()
    {
        gui::dialogs::resetTestAnswers();
        gui::dialogs::enableTestAnswers();
    }
    void cleanup()
    {
        QCOMPARE(gui::dialogs::pendingAnswers(), 0);
        QCOMPARE(gui::dialogs::unexpectedDialogs(), 0);
    }

    void keyTableModelIsAValidModel_data() { TestDatabase::addBackendRows(); }
    void keyTableModelIsAValidModel()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(450); }).ready.ok());
        KeyTable table(db);
        gui::KeyTableModel model(tdb.location());
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto settle = [&model] { return QTest::qWaitFor([&] { return !model.isLoading(); }, 10000); };
        model.reload();
        QVERIFY(settle());
        QCOMPARE(model.rowCount(), 450);
        QCOMPARE(model.keyCount(), 450);
        for (int column = 0; column < visibleKeyColumnCount; ++column) {
            for (const Qt::SortOrder order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
                model.sort(column, order);
                QVERIFY(settle());
                // Every row, read page by page as a view scrolling down asks for them (the first page and the last
                // are read from the ends, the rest after their neighbours), is the core's row of that place.
                QStringList expected;
                QVERIFY(table.stream({}, KeyColumn(column), order, [&](KeyRow &&key) {
                    expected << key.id;
                    return true;
                }));
                QCOMPARE(expected.size(), 450);
                for (int row = 0; row < model.rowCount(); ++row) {
                    if (model.keyIdAt(row).isEmpty())
                        QVERIFY(settle());
                    QCOMPARE(model.keyIdAt(row), expected.at(row));
                }
            }
        }
        KeyFilter filter;
        filter.mode = KeyFilter::Mode::Fixed;
        model.setFilter(filter);
        QVERIFY(settle());
        QVERIFY(model.rowCount() > 0);
        QCOMPARE(model.keyCount(), table.count(filter).value());
        filter.text = u"no key is called this"_s;
        model.setFilter(filter);
        QVERIFY(settle());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.databaseEmpty());
        model.retranslate();
    }

    // Sentences from a translation and its arguments: no space between a Chinese character of the pattern and one of
    // an argument; the arguments themselves (names, paths) as they are; English as QString::arg would give it.
    void fillIn_data()
    {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("filled");
        QTest::newRow("labels") << u"%1 不能小于 %2。"_s << QStringList{u"初始并发限制"_s, u"并发限制下限（60）"_s}
                                << u"初始并发限制不能小于并发限制下限（60）。"_s;
        QTest::newRow("numbers stay spaced")
            << u"%1 不能小于 %2。"_s << QStringList{u"初始并发限制"_s, u"3"_s} << u"初始并发限制不能小于 3。"_s;
        QTest::newRow("a scope ending in Chinese")
            << u"要将 %2 的固定限制设为 %1 吗？"_s << QStringList{u"9"_s, u"CLAUDE 上的 3 个密钥"_s}
            << u"要将 CLAUDE 上的 3 个密钥的固定限制设为 9 吗？"_s;
        QTest::newRow("a name's own space")
            << u"要重置 %1 的学习状态吗？"_s << QStringList{u"生产 密钥"_s} << u"要重置生产 密钥的学习状态吗？"_s;
        QTest::newRow("Latin name") << u"要重置 %1 的学习状态吗？"_s << QStringList{u"prod-01"_s}
                                    << u"要重置 prod-01 的学习状态吗？"_s;
        QTest::newRow("English") << u"Set a fixed limit of %1 for %2?"_s << QStringList{u"9"_s, u"3 keys"_s}
                                 << u"Set a fixed limit of 9 for 3 keys?"_s;
        QTest::newRow("placeholder in an argument") << u"%1 and %2"_s << QStringList{u"%2"_s, u"b"_s} << u"%2 and b"_s;
        QTest::newRow("adjacent") << u"%1%2"_s << QStringList{u"a"_s, u"b"_s} << u"ab"_s;
        QTest::newRow("no such argument") << u"%1 %3"_s << QStringList{u"a"_s} << u"a %3"_s;
    }
    void fillIn()
    {
        QFETCH(QString, pattern);
        QFETCH(QStringList, args);
        QFETCH(QString, filled);
        QCOMPARE(gui::sentence(pattern, args), filled);
    }

    // A clause of the console's own as a sentence: the first word up, unless it is a file's name.
    void asSentence()
    {
        QCOMPARE(gui::asSentence(u"the file cannot be written: “disk full”"_s),
                 u"The file cannot be written: “disk full”."_s);
        QCOMPARE(gui::asSentence(u"data.db is not an SQLite database"_s), u"data.db is not an SQLite database."_s);
        QCOMPARE(gui::asSentence(u"/tmp/x is not an SQLite database"_s), u"/tmp/x is not an SQLite database."_s);
        QCOMPARE(gui::asSentence(QString()), QString());
    }

    void csvFields_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("field");
        QTest::newRow("plain") << u"prod-01"_s << u"prod-01"_s;
        QTest::newRow("comma") << u"a,b"_s << u"\"a,b\""_s;
        QTest::newRow("quote") << u"say \"hi\""_s << u"\"say \"\"hi\"\"\""_s;
        QTest::newRow("newline") << u"two\nlines"_s << u"\"two\nlines\""_s;
        QTest::newRow("carriage return") << u"a\rb"_s << u"\"a\rb\""_s;
        QTest::newRow("chinese") << u"生产密钥-01"_s << u"生产密钥-01"_s;
        QTest::newRow("formula =") << u"=HYPERLINK(\"http://x\")"_s << u"\"'=HYPERLINK(\"\"http://x\"\")\""_s;
        QTest::newRow("formula +") << u"+1+cmd|' /C calc'!A0"_s << u"'+1+cmd|' /C calc'!A0"_s;
        QTest::newRow("formula -") << u"-2+3"_s << u"'-2+3"_s;
        QTest::newRow("formula @") << u"@SUM(A1)"_s << u"'@SUM(A1)"_s;
        QTest::newRow("formula tab") << u"\t=1"_s << u"'\t=1"_s;
        QTest::newRow("negative number") << u"-5"_s << u"-5"_s;
        QTest::newRow("empty") << QString() << QString();
    }
    void csvFields()
    {
        QFETCH(QString, text);
        QFETCH(QString, field);
        QCOMPARE(gui::CsvExporter::field(text), field);
    }

    void csvExport_data() { TestDatabase::addBackendRows(); }
    void csvExport()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(300); }).ready.ok());
        // A key whose name is non-ASCII, holds a separator and would run as a formula.
        QString error;
        QVERIFY2(tdb.execute(u"UPDATE provider_api_keys SET name = '=生产,\"密钥\"' WHERE name = 'anthropic-prod-01'"_s,
                             &error),
                 qPrintable(error));
        KeyTable table(db);
        QBuffer out;
        QVERIFY(out.open(QIODevice::WriteOnly));
        int progressCalls = 0;
        const Result<gui::CsvExporter::Written> written =
            gui::CsvExporter(table).write(out, KeyFilter{}, KeyColumn::Name, Qt::AscendingOrder, [&](int) {
                ++progressCalls;
                return true;
            });
        QVERIFY(written.ok());
        QCOMPARE(written.value().rows, 300);
        QVERIFY(!written.value().canceled);
        QVERIFY(progressCalls > 0);
        const QList<QStringList> rows = parseCsv(QString::fromUtf8(out.data()));
        QCOMPARE(rows.size(), 301); // the header and every key
        QCOMPARE(rows.first().first(), gui::KeyTableModel::columnTitle(KeyColumn::Name));
        QCOMPARE(rows.first().last(), gui::KeyTableModel::columnTitle(KeyColumn::Id));
        for (const QStringList &row : rows)
            QCOMPARE(row.size(), rows.first().size());
        const auto renamed = std::find_if(rows.begin(), rows.end(),
                                          [](const QStringList &row) { return row.first().contains(u"生产"_s); });
        QVERIFY(renamed != rows.end());
        QCOMPARE(renamed->first(), u"'=生产,\"密钥\""_s); // read back whole, and neutralised
        QVERIFY(!out.data().contains("\xEF\xBB\xBF"));    // UTF-8 without a byte-order mark
    }

    void csvExportCanBeCanceled()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(1000); }).ready.ok());
        KeyTable table(db);
        QBuffer out;
        QVERIFY(out.open(QIODevice::WriteOnly));
        const Result<gui::CsvExporter::Written> written = gui::CsvExporter(table).write(
            out, KeyFilter{}, KeyColumn::Name, Qt::AscendingOrder, [](int) { return false; });
        QVERIFY(written.ok());
        QVERIFY(written.value().canceled);
        QVERIFY(written.value().rows < 1000);
    }

    // The audit page: the newest changes first with actor, action and before → after, pages of 200, the filters, a
    // double-click that opens the key, and CSV export of every page.
    void auditPage_data() { TestDatabase::addBackendRows(); }
    void auditPage()
    {
        AETHER_TEST_DATABASE(tdb);
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(40); }).ready.ok());
        KeyTable table(db);
        const QStringList ids = table.ids(KeyFilter{}).value();
        // 450 older entries of another key, then three changes through the core.
        QString error;
        for (int i = 0; i < 450; ++i) {
            QVERIFY2(tdb.execute(u"INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES "
                                 u"('2025-01-01T00:00:00+00:00', 'cli', 'set_limit', '%1', "
                                 u"'{\"old_max_concurrent\":1,\"new_max_concurrent\":2}')"_s.arg(ids.at(3)),
                                 &error),
                     qPrintable(error));
        }
        KeyService keys(db);
        QVERIFY(keys.apply(KeyChange::resetLearning(ids.at(2), Actor{u"gui:ann@desk"_s})).ok());
        QVERIFY(keys.apply(KeyChange::setMode(ids.at(1), true, std::nullopt, Actor{u"token:ops"_s})).ok());
        QVERIFY(keys.apply(KeyChange::setLimit(ids.at(1), 7, Actor{u"token:ops"_s})).ok());

        gui::AuditPage page(db);
        QVERIFY(page.reload());
        QStandardItemModel *model = page.model();
        QCOMPARE(model->rowCount(), gui::AuditPage::pageSize);
        QCOMPARE(model->index(0, 1).data().toString(), u"token:ops"_s);
        QCOMPARE(model->index(0, 2).data().toString(), u"Fixed limit set"_s);
        QCOMPARE(model->index(0, 4).data().toString(), u"Max concurrent: adaptive → 7"_s);
        QCOMPARE(model->index(2, 2).data().toString(), u"Learning reset"_s);
        QCOMPARE(model->index(2, 3).data(Qt::UserRole).toString(), ids.at(2));
        QCOMPARE(model->index(3, 4).data().toString(), u"Max concurrent: 1 → 2"_s);

        // Older, older, newer: 200 + 200 + 53 entries.
        auto *older = page.findChild<QPushButton *>(u"auditOlderButton"_s);
        auto *newer = page.findChild<QPushButton *>(u"auditNewerButton"_s);
        QVERIFY(!newer->isEnabled() && older->isEnabled());
        older->click();
        QCOMPARE(model->rowCount(), 200);
        older->click();
        QCOMPARE(model->rowCount(), 53);
        QVERIFY(!older->isEnabled() && newer->isEnabled());
        newer->click();
        QCOMPARE(model->rowCount(), 200);

        // Filters: a key, an action, an actor prefix; each starts again from the newest entry.
        auto *keyEdit = page.findChild<QLineEdit *>(u"auditKeyEdit"_s);
        keyEdit->setText(ids.at(1));
        emit keyEdit->returnPressed();
        QCOMPARE(model->rowCount(), 2);
        auto *action = page.findChild<QComboBox *>(u"auditActionCombo"_s);
        action->setCurrentIndex(action->findData(u"set_mode"_s));
        QCOMPARE(model->rowCount(), 1);
        keyEdit->clear();
        emit keyEdit->returnPressed();
        QCOMPARE(model->rowCount(), 1);
        action->setCurrentIndex(0);
        auto *actor = page.findChild<QLineEdit *>(u"auditActorEdit"_s);
        actor->setText(u"gui:*"_s);
        emit actor->returnPressed();
        QCOMPARE(model->rowCount(), 1);
        QCOMPARE(model->index(0, 1).data().toString(), u"gui:ann@desk"_s);
        auto *period = page.findChild<QComboBox *>(u"auditPeriodCombo"_s);
        actor->clear();
        period->setCurrentIndex(1); // the last hour: the 450 entries of 2025 are older
        QCOMPARE(model->rowCount(), 3);

        // Double-click opens the key.
        QSignalSpy opened(&page, &gui::AuditPage::keyActivated);
        auto *view = page.findChild<QTableView *>(u"auditTable"_s);
        page.resize(1000, 600);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        const QRect cell = view->visualRect(model->index(0, 0));
        // A double-click as a mouse sends it: a click, then the second press that makes it a double-click.
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(opened.count(), 1);
        QCOMPARE(opened.first().first().toString(), ids.at(1));

        // CSV of everything (all pages), and a cancel after the first thousand.
        AuditLog log(db);
        QBuffer out;
        QVERIFY(out.open(QIODevice::WriteOnly));
        const auto written = gui::AuditPage::writeCsv(log, AuditQuery{}, out);
        QVERIFY(written.ok());
        QCOMPARE(written.value().rows, 453);
        const QList<QStringList> rows = parseCsv(QString::fromUtf8(out.data()));
        QCOMPARE(rows.size(), 454);
        QCOMPARE(rows.first(), (QStringList{u"id"_s, u"timestamp"_s, u"actor"_s, u"action"_s, u"key_id"_s,
                                            u"key_name"_s, u"before"_s, u"after"_s}));
        QCOMPARE(rows.at(1).mid(2, 3), (QStringList{u"token:ops"_s, u"set_limit"_s, ids.at(1)}));
        QCOMPARE(rows.at(1).at(6), u"{\"max_concurrent\":null}"_s);
        QCOMPARE(rows.at(1).at(7), u"{\"max_concurrent\":7}"_s);
        QBuffer canceled;
        QVERIFY(canceled.open(QIODevice::WriteOnly));
        const auto stopped = gui::AuditPage::writeCsv(log, AuditQuery{}, canceled, [](int) { return false; });
        QVERIFY(stopped.ok() && stopped.value().canceled);
    }

    // A bulk change of more than one chunk runs off the GUI thread (the GUI thread keeps handling events) behind a
    // progress dialog whose Cancel stops it after the chunk being written.
    void bulkRunnerKeepsTheWindowResponsive()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(1500); }).ready.ok());
        QWidget window;
        gui::BulkRunner runner(db.location(), &window);
        BulkRequest request;
        request.action = BulkRequest::Action::SetLimit;
        request.limit = 7;
        request.actor = Actor{u"gui:test@host"_s};
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(0);
        QObject::connect(&ticker, &QTimer::timeout, [&ticks] { ++ticks; });
        ticker.start();
        const Result<BulkResult> done = runner.run(request, u"Set fixed limit…"_s);
        ticker.stop();
        QVERIFY(done.ok());
        QCOMPARE(done.value().matched, 1500);
        QCOMPARE(done.value().changed, 1500);
        QVERIFY(ticks > 0);

        request.limit = 8;
        QTimer::singleShot(0, &window, [&window] {
            if (auto *progress = window.findChild<QProgressDialog *>())
                emit progress->canceled(); // what its Cancel button and closing it send
        });
        const Result<BulkResult> stopped = runner.run(request, u"Set fixed limit…"_s);
        QVERIFY(stopped.ok());
        QVERIFY(stopped.value().canceled);
        QVERIFY(stopped.value().changed < 1500);
        // The chunks written before the cancel are those counted.
        Result<SqlStatement> eights = db.exec(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent = 8"_s);
        QVERIFY(eights.ok() && eights.value().next());
        QCOMPARE(eights.value().value(0).toLongLong(), stopped.value().changed);
    }

    // The Simulator page: a run on its own thread (the event loop keeps turning, the progress moves, Cancel stops it),
    // the chart with the hidden limit, each strategy's limit and 429s, the metrics table with the oracle last, and
    // "Apply this policy" storing the tried values only after the confirmation.
    void simulatorPage()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db).ready.ok());
        KeyService keys(db);
        gui::SimulatorPage page(keys, [](const QString &field) { return field; });
        page.reloadPolicy();
        QVERIFY(page.selectScenario(u"rise_twice"_s));
        page.selectStrategies({u"aether_ceiling"_s, u"aether_aimd"_s});
        QSignalSpy finished(&page, &gui::SimulatorPage::finished);
        int ticks = 0;
        QTimer ticker;
        ticker.setInterval(0);
        QObject::connect(&ticker, &QTimer::timeout, [&ticks] { ++ticks; });
        ticker.start();
        page.run();
        QVERIFY(page.isRunning());
        QVERIFY(finished.wait(60000));
        ticker.stop();
        QCOMPARE(finished.first().first().toBool(), true);
        QVERIFY(ticks > 0);
        QVERIFY(!page.isRunning());
        QTableWidget *metrics = page.metricsTable();
        QCOMPARE(metrics->rowCount(), 3);
        QCOMPARE(metrics->item(0, 0)->text(), u"aether_ceiling"_s);
        QCOMPARE(metrics->item(1, 0)->text(), u"aether_aimd"_s);
        QVERIFY(metrics->item(2, 0)->text().startsWith(u"oracle"_s));
        QCOMPARE(metrics->item(2, 1)->text(), QLocale().toString(1.0, 'f', 3));
        // Hidden limit, then a limit line and 429 markers per strategy, each with points.
        const QList<QAbstractSeries *> series = page.chartView()->chart()->series();
        QCOMPARE(series.size(), 5);
        for (QAbstractSeries *s : series)
            QVERIFY2(!static_cast<QXYSeries *>(s)->points().isEmpty(), qPrintable(s->name()));

        // Cancel: the run stops early and says so.
        finished.clear();
        page.selectStrategies(LearningPolicy::strategies());
        page.run();
        page.cancel();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.first().first().toBool(), false);

        // Apply: asked first; declined, nothing stored; accepted, the values and the first strategy ticked are.
        auto *table = page.findChild<QTableWidget *>(u"simulatorPolicy"_s);
        QVERIFY(table);
        for (int row = 0; row < table->rowCount(); ++row) {
            if (table->item(row, 0)->data(Qt::UserRole).toString() == u"increase_step")
                table->item(row, 1)->setText(u"4"_s);
        }
        page.selectStrategies({u"aether_aimd_clamped"_s});
        auto *apply = page.findChild<QPushButton *>(u"simulatorApply"_s);
        gui::dialogs::setNextAnswer(gui::dialogs::Answer::Reject);
        apply->click();
        QCOMPARE(keys.learningPolicy().value().increaseStep, 2);
        QSignalSpy changed(&page, &gui::SimulatorPage::policyChanged);
        gui::dialogs::setNextAnswer(gui::dialogs::Answer::Accept);
        apply->click();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(keys.learningPolicy().value().increaseStep, 4);
        QCOMPARE(keys.learningPolicy().value().strategy, u"aether_aimd_clamped"_s);
        // A value that is not a number is refused before anything runs.
        for (int row = 0; row < table->rowCount(); ++row) {
            if (table->item(row, 0)->data(Qt::UserRole).toString() == u"min_limit")
                table->item(row, 1)->setText(u"three"_s);
        }
        page.run();
        QVERIFY(!page.isRunning());
    }

    // The trend panel shows the series of a known key: its 429s stacked by type in their minutes and its limit as
    // steps, the range's totals; the Summary's panel sums the scope and lists its top keys.
    void trendPanelShowsAKeysSeries_data() { TestDatabase::addBackendRows(); }
    void trendPanelShowsAKeysSeries()
    {
        QFETCH(QByteArray, backend);
        TestDatabase tdb(backend);
        if (!tdb.isReady())
            QSKIP(qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db, [] { return std::optional<int>(12); }).ready.ok());
        KeyTable table(db);
        const QStringList ids = table.ids(KeyFilter{}).value();
        const QString id = ids.first();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const qint64 minute = timeline::bucketOf(now, timeline::minute) - 10 * 60;
        QVERIFY(db.exec(u"DELETE FROM console_timeline"_s).ok()); // the demo's own story
        QVERIFY(db.exec(u"DELETE FROM console_timeline_hours"_s).ok());
        QVERIFY(writeTimelineRows(db, {{id, 60, minute, TimelineCounts{4, 1, 0, 0, 1}, 30, 25},
                                       {id, 60, minute + 120, TimelineCounts{0, 0, 2, 0, 1}, 25, 22},
                                       {ids.at(1), 60, minute, TimelineCounts{1, 0, 0, 0, 0}, 10, 10}})
                    .ok());

        gui::TrendPanel panel(tdb.location(), false);
        panel.resize(900, 500);
        panel.setRange(gui::TrendPanel::Range::LastHour);
        panel.setScope(TimelineScope{id, {}, {}}, u"the key"_s);
        panel.show();
        QTRY_VERIFY(!panel.isLoading());
        QTRY_VERIFY(panel.chart()->series().points.size() >= 60);
        const TimelineSeries &series = panel.chart()->series();
        QCOMPARE(series.range.step, timeline::minute);
        QCOMPARE(series.total.concurrent429, 4);
        QCOMPARE(series.total.unknown429, 2);
        // The stacked areas: concurrency, then + RPM, then + unknown, as steps of each bucket.
        const QList<QAreaSeries *> areas = panel.chart()->areas();
        const auto highest = [](const QLineSeries *line) {
            qreal top = 0;
            for (const QPointF &p : line->points())
                top = std::max(top, p.y());
            return top;
        };
        QCOMPARE(highest(areas.at(0)->upperSeries()), 4.0);
        QCOMPARE(highest(areas.at(1)->upperSeries()), 5.0);
        QCOMPARE(highest(areas.at(2)->upperSeries()), 5.0);
        QVERIFY(panel.chart()->limitSeries()->isVisible());
        QList<qreal> limits;
        for (const QPointF &p : panel.chart()->limitSeries()->points()) {
            if (limits.isEmpty() || limits.last() != p.y())
                limits << p.y();
        }
        QCOMPARE(limits, (QList<qreal>{30, 25, 22}));
        const QString tip = panel.chart()->bucketText(minute * 1000 + 30000);
        QVERIFY2(tip.contains(u"Concurrency 429s: 4"_s) && tip.contains(u"25"_s), qPrintable(tip));
        QVERIFY2(panel.totalsLabel()->text().contains(u"4 concurrency 429s"_s),
                 qPrintable(panel.totalsLabel()->text()));

        // A scope of many keys: the sum, no limit, the top keys.
        gui::TrendPanel scope(tdb.location(), true);
        scope.setRange(gui::TrendPanel::Range::LastDay);
        scope.setScope(TimelineScope{}, u"all endpoints"_s);
        scope.show();
        QTRY_VERIFY(!scope.isLoading() && scope.topKeysTable()->rowCount() == 2);
        QCOMPARE(scope.chart()->series().total.total429(), 8);
        QVERIFY(!scope.chart()->limitSeries()->isVisible());
        QCOMPARE(scope.topKeysTable()->item(0, 0)->data(Qt::UserRole).toString(), id);
        QCOMPARE(scope.topKeysTable()->item(0, 4)->text(), u"7"_s);
        // Zoom and back.
        QVERIFY(!scope.chart()->isZoomed());
        QTest::keyClick(scope.chart(), Qt::Key_Plus);
        QVERIFY(scope.chart()->isZoomed());
        QTest::keyClick(scope.chart(), Qt::Key_Escape);
        QVERIFY(!scope.chart()->isZoomed());
    }

    // The charts follow the palette: a dark one gives a dark background and light labels, the series keep their
    // colours.
    void chartsFollowTheDarkPalette()
    {
        gui::HistoryChartView history;
        gui::Rate429ChartView rates;
        gui::TimelineChartView timelineChart;
        QPalette dark;
        dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::Text, QColor(0xee, 0xee, 0xee));
        dark.setColor(QPalette::Mid, QColor(0x55, 0x55, 0x55));
        for (QChartView *view : {static_cast<QChartView *>(&history), static_cast<QChartView *>(&rates),
                                 static_cast<QChartView *>(&timelineChart)}) {
            view->setPalette(dark);
            QCOMPARE(view->chart()->backgroundBrush().color(), QColor(0x1e, 0x1e, 0x1e));
            QCOMPARE(view->chart()->titleBrush().color(), QColor(0xee, 0xee, 0xee));
            for (QAbstractAxis *axis : view->chart()->axes()) {
                if (axis->objectName() != u"limitAxis") // the limit's axis keeps the limit's colour
                    QCOMPARE(axis->labelsColor(), QColor(0xee, 0xee, 0xee));
            }
        }
    }

    // The icons are drawn from SVG at the screen's scale: at 150 % and 200 % a pixmap has all the device pixels
    // (not a 16-pixel image scaled up), with the drawing inside it.
    void iconsAreCrispAtHighScale()
    {
        for (const gui::Icon which : {gui::Icon::Adaptive, gui::Icon::Fixed, gui::Icon::Refresh, gui::Icon::Reset,
                                      gui::Icon::Endpoint, gui::Icon::Settings, gui::Icon::Application}) {
            const QIcon icon = gui::icon(which);
            QVERIFY(!icon.isNull());
            for (const qreal scale : {1.5, 2.0}) {
                const QPixmap pixmap = icon.pixmap(QSize(16, 16), scale);
                QCOMPARE(pixmap.devicePixelRatio(), scale);
                QCOMPARE(pixmap.size(), QSize(qRound(16 * scale), qRound(16 * scale)));
                // Something is drawn in it.
                const QImage image = pixmap.toImage();
                int opaque = 0;
                for (int y = 0; y < image.height(); ++y)
                    for (int x = 0; x < image.width(); ++x)
                        opaque += qAlpha(image.pixel(x, y)) > 128;
                QVERIFY(opaque > image.width());
            }
            // Drawn at 200 %, not the 16-pixel image doubled: the two differ along every edge.
            const QImage doubled = icon.pixmap(QSize(16, 16), 1.0)
                                       .toImage()
                                       .convertToFormat(QImage::Format_ARGB32)
                                       .scaled(32, 32, Qt::IgnoreAspectRatio, Qt::FastTransformation);
            const QImage drawn = icon.pixmap(QSize(16, 16), 2.0).toImage().convertToFormat(QImage::Format_ARGB32);
            int differing = 0;
            for (int y = 0; y < 32; ++y)
                for (int x = 0; x < 32; ++x)
                    differing += drawn.pixel(x, y) != doubled.pixel(x, y);
            QVERIFY2(differing > 32, qPrintable(QString::number(differing)));
        }
    }

    void settingsDialogStoresWhatWasEntered()
    {
        gui::ConsoleSettings settings;
        settings.setHttpAddress(u"127.0.0.1"_s);
        settings.setHttpPort(8087);
        FakeEndpoint endpoint;
        gui::SettingsDialog dialog(settings, DatabaseLocation::defaultLocation(), &endpoint);
        QCOMPARE(dialog.findChild<QLineEdit *>(u"addressEdit"_s)->text(), u"127.0.0.1"_s);
        QCOMPARE(dialog.findChild<QSpinBox *>(u"httpPortSpin"_s)->value(), 8087);

        // Refused: not an IP address; only a certificate; TLS files the endpoint cannot use. Nothing is stored.
        auto *address = dialog.findChild<QLineEdit *>(u"addressEdit"_s);
        address->setText(u"not an address"_s);
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
        QVERIFY(gui::dialogs::lastMessage().contains(u"IP address"_s));
        address->setText(u"0.0.0.0"_s);
        dialog.findChild<QLineEdit *>(u"tlsCertEdit"_s)->setText(u"/tmp/cert.pem"_s);
        dialog.accept();
        QVERIFY(gui::dialogs::lastMessage().contains(u"both a certificate and its private key"_s));
        dialog.findChild<QLineEdit *>(u"tlsKeyEdit"_s)->setText(u"/tmp/key.pem"_s);
        dialog.accept();
        QVERIFY(gui::dialogs::lastMessage().contains(u"/tmp/cert.pem: no certificate"_s));
        QCOMPARE(settings.httpAddress(), u"127.0.0.1"_s);

        // Accepted: everything is stored.
        dialog.findChild<QLineEdit *>(u"tlsCertEdit"_s)->setText(u"/etc/good.pem"_s);
        dialog.findChild<QSpinBox *>(u"httpPortSpin"_s)->setValue(9443);
        dialog.findChild<QCheckBox *>(u"autostartCheck"_s)->setChecked(true);
        auto *language = dialog.findChild<QComboBox *>(u"languageCombo"_s);
        language->setCurrentIndex(language->findData(u"zh_CN"_s));
        dialog.accept();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        QCOMPARE(settings.httpAddress(), u"0.0.0.0"_s);
        QCOMPARE(settings.httpPort(), 9443);
        QCOMPARE(settings.tlsCertificateFile(), u"/etc/good.pem"_s);
        QCOMPARE(settings.tlsKeyFile(), u"/tmp/key.pem"_s);
        QVERIFY(settings.httpAutostart());
        QCOMPARE(settings.language(), u"zh_CN"_s);
        QCOMPARE(settings.retentionDays(), 30);
        QVERIFY(settings.databaseUrl().isEmpty()); // the embedded database stays the default
    }

    void tokenDialogCreatesListsAndRevokes()
    {
        TestDatabase tdb("sqlite");
        QVERIFY2(tdb.isReady(), qPrintable(tdb.skipReason()));
        Database db(tdb.location());
        QVERIFY(setUpDatabase(db).ready.ok());
        TokenStore tokens(db);
        gui::TokenDialog dialog(tokens);
        dialog.show();
        auto *table = dialog.findChild<QTableWidget *>(u"tokenTable"_s);
        QCOMPARE(table->rowCount(), 0);

        dialog.findChild<QLineEdit *>(u"nameEdit"_s)->setText(u"ops"_s);
        dialog.findChild<QPushButton *>(u"createButton"_s)->click();
        const QString secret = dialog.findChild<QLineEdit *>(u"secretEdit"_s)->text();
        QVERIFY(dialog.findChild<QGroupBox *>(u"secretGroup"_s)->isVisible());
        QVERIFY(secret.size() >= TokenStore::minRemoteTokenLength);
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, 0)->text(), u"ops"_s);
        const Result<std::optional<Caller>> caller = tokens.authenticate(secret);
        QVERIFY(caller.ok() && caller.value().has_value());

        // Revoking asks first: Cancel keeps the token, Yes revokes it.
        table->selectRow(0);
        auto *revoke = dialog.findChild<QPushButton *>(u"revokeButton"_s);
        QVERIFY(revoke->isEnabled());
        gui::dialogs::setNextAnswer(gui::dialogs::Answer::Reject);
        revoke->click();
        QCOMPARE(table->rowCount(), 1);
        table->selectRow(0);
        gui::dialogs::setNextAnswer(gui::dialogs::Answer::Accept);
        revoke->click();
        QCOMPARE(table->rowCount(), 0);
        const Result<std::optional<Caller>> revoked = tokens.authenticate(secret);
        QVERIFY(revoked.ok() && !revoked.value().has_value());
    }
};

QTEST_MAIN(TestWindowParts)
#include "tst_windowparts.moc"
