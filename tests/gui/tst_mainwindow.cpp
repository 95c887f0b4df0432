// The console window, driven through its widgets (by objectName) on a demo database, on SQLite and PostgreSQL:
// changes made with the forms reach the database and the table, the reset dialog, filters, sorting, the history
// chart, changes from the HTTP endpoint, and the banner when the database goes away.

#include "auditpage.h"
#include "auth/tokenstore.h"
#include "base/catalogue.h"
#include "charts/historychart.h"
#include "charts/rate429chart.h"
#include "chinesetext.h"
#include "columnchooser.h"
#include "consolesettings.h"
#include "dialogs.h"
#include "keychange.h"
#include "keydetailwidget.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "policypage.h"
#include "savedviews.h"
#include "settingsdialog.h"
#include "storage/database.h"
#include "storage/demodata.h"
#include "storage/migrations.h"
#include "summarypage.h"
#include "testdatabase.h"
#include "tokendialog.h"
#include "windowendpoint.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QGroupBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlError>
#include <QSqlQuery>
#include <QSslSocket>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>

using namespace Qt::StringLiterals;
using namespace aether;
using aether::test::TestDatabase;

namespace {

// A demo database and the window on it.
struct Console {
    explicit Console(const TestDatabase &tdb)
        : db(tdb.location())
        , keys(db)
        , table(db)
        , tokens(db)
        , endpoint(db, keys, tokens)
    {
        ready = db.open().ok() && Migrations(db).run().ok() && DemoData(db).fill(40).ok();
        if (!ready)
            return;
        settings.setAutoRefresh(false);
        settings.setHttpPort(0);
        window = std::make_unique<gui::MainWindow>(gui::ConsoleServices{db, keys, table, tokens, &endpoint}, settings);
        window->resize(1400, 900);
        window->show();
    }

    template <typename T> T *child(const char *name) const { return window->findChild<T *>(QString::fromLatin1(name)); }

    // One value read behind the window's back.
    QVariant value(const QString &sql) const
    {
        QSqlQuery query(QSqlDatabase::database(probeName));
        if (!query.exec(sql) || !query.next())
            return {};
        return query.value(0);
    }

    QString probeName;
    Database db;
    KeyService keys;
    KeyTable table;
    TokenStore tokens;
    app::WindowEndpoint endpoint;
    gui::ConsoleSettings settings;
    std::unique_ptr<gui::MainWindow> window;
    bool ready = false;
};

// A key of the demo data with at least `records` history records, adaptive or fixed.
QString demoKey(Console &c, bool adaptive, int records = 3)
{
    const QString sql = u"SELECT id FROM provider_api_keys WHERE max_concurrent IS %1 NULL ORDER BY id"_s.arg(
        adaptive ? QString() : u"NOT"_s);
    QSqlQuery query(QSqlDatabase::database(c.probeName));
    if (!query.exec(sql))
        return {};
    while (query.next()) {
        const QString id = query.value(0).toString();
        const Result<QList<AdjustmentPoint>> history = c.table.history(id);
        if (history && history.value().size() >= records)
            return id;
    }
    return {};
}

// Answers the next question the window asks (dialogs::setNextAnswer); cleanup() checks that it was asked.
void answerNextDialog(gui::dialogs::Answer answer)
{
    gui::dialogs::setNextAnswer(answer);
}

// A radio button reacts to clicks on its indicator and label only: click near its left edge.
void clickRadio(QRadioButton *button)
{
    QTest::mouseClick(button, Qt::LeftButton, {}, QPoint(6, button->height() / 2));
}

// The window's key table once it shows what was asked last (its queries run on a thread of their own).
gui::KeyTableModel *settledModel(gui::MainWindow &w)
{
    gui::KeyTableModel *model = w.keyModel();
    if (!QTest::qWaitFor([model] { return !model->isLoading(); }, 10000))
        qWarning("the key table is still loading");
    return model;
}

// The key's row in the table (-1: not shown), with its page read.
int tableRowOf(gui::MainWindow &w, const QString &keyId)
{
    gui::KeyTableModel *model = settledModel(w);
    QSignalSpy located(model, &gui::KeyTableModel::keyLocated);
    model->locate(keyId);
    if (!located.wait(10000))
        return -1;
    const int row = located.constLast().at(1).toInt();
    if (row >= 0) {
        model->keyIdAt(row); // asks for the row's page
        settledModel(w);
    }
    return row;
}

QString cell(gui::MainWindow &w, const QString &keyId, KeyColumn column)
{
    const int row = tableRowOf(w, keyId);
    return row < 0 ? QString() : w.keyModel()->data(w.keyModel()->index(row, int(column))).toString();
}

// Selects the key as the window's own calls do, and waits until it is selected.
bool selectKey(gui::MainWindow &w, const QString &keyId)
{
    settledModel(w);
    w.selectKey(keyId);
    return QTest::qWaitFor([&] { return w.selectedKeyId() == keyId && !w.keyModel()->isLoading(); }, 10000);
}

} // namespace

#define AETHER_CONSOLE(var)                                                                                            \
    AETHER_TEST_DATABASE(tdb_);                                                                                        \
    Console var(tdb_);                                                                                                 \
    QVERIFY2(var.ready, "cannot prepare the demo database");                                                           \
    const QString probe_ = u"probe-%1"_s.arg(++m_probes);                                                              \
    {                                                                                                                  \
        QSqlDatabase p = aether::test::addConnection(tdb_.location(), probe_);                                         \
        QVERIFY2(p.open(), qPrintable(p.lastError().text()));                                                          \
    }                                                                                                                  \
    var.probeName = probe_;                                                                                            \
    const auto closeProbe_ = qScopeGuard([probe_] {                                                                    \
        {                                                                                                              \
            QSqlDatabase::database(probe_).close();                                                                    \
        }                                                                                                              \
        QSqlDatabase::removeDatabase(probe_);                                                                          \
    });                                                                                                                \
    QVERIFY(QTest::qWaitForWindowExposed(var.window.get()))

class TestMainWindow : public QObject {
    Q_OBJECT

    QTemporaryDir m_settingsDir;
    int m_probes = 0;

private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(u"Aether"_s);
        QCoreApplication::setApplicationName(u"aether-console-tests"_s);
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_settingsDir.path());
        Catalogue::install(Catalogue::Language::English);
    }

    // Every test starts in English, whatever the one before left.
    void init()
    {
        Catalogue::install(Catalogue::Language::English);
        QCoreApplication::processEvents();
        gui::dialogs::resetTestAnswers();
        gui::dialogs::enableTestAnswers(); // no test waits for a click into a dialog
    }

    // A question answered in advance that was never asked, or one asked without an answer, fails the test.
    void cleanup()
    {
        QCOMPARE(gui::dialogs::pendingAnswers(), 0);
        QCOMPARE(gui::dialogs::unexpectedDialogs(), 0);
    }

    void opensOnTheDemoDatabase_data() { TestDatabase::addBackendRows(); }
    void opensOnTheDemoDatabase()
    {
        AETHER_CONSOLE(c);
        QCOMPARE(c.window->windowTitle(), u"Aether Console"_s);
        QCOMPARE(settledModel(*c.window)->rowCount(), 40);
        QVERIFY(c.child<QLabel>("countLabel")->text().contains(u"40"_s));
        auto *tree = c.child<QTreeWidget>("navigationTree");
        QCOMPARE(tree->topLevelItemCount(), 1);
        QCOMPARE(tree->topLevelItem(0)->childCount(), 3);  // providers
        QCOMPARE(tree->topLevelItem(0)->text(1), u"40"_s); // all keys
        QVERIFY(c.child<QLabel>("databaseStatus")->text().contains(c.db.location().displayName()));
        QVERIFY(c.child<QLabel>("httpStatus")->text().contains(u"off"_s));
        QVERIFY(!c.window->isBannerVisible());
        // The default columns fit the window: every title whole, the key names always there; the others are one
        // right-click on the header away.
        auto *view = c.child<QTableView>("keyTable");
        QHeaderView *header = view->horizontalHeader();
        QVERIFY(!view->isColumnHidden(int(KeyColumn::Name)));
        QVERIFY(!view->isColumnHidden(int(KeyColumn::Concurrent429)));
        QVERIFY(view->isColumnHidden(int(KeyColumn::Provider)));
        QCOMPARE(header->contextMenuPolicy(), Qt::CustomContextMenu);
        int width = 0;
        for (int column = 0; column < visibleKeyColumnCount; ++column) {
            if (view->isColumnHidden(column))
                continue;
            const QString title = settledModel(*c.window)->headerData(column, Qt::Horizontal).toString();
            QVERIFY2(header->sectionSize(column) > header->fontMetrics().horizontalAdvance(title), qPrintable(title));
            width += header->sectionSize(column);
        }
        QVERIFY2(width <= view->viewport()->width(),
                 qPrintable(u"%1 of %2"_s.arg(width).arg(view->viewport()->width())));
        // The window can be as small as a 1366×768 screen, or a 1600×1000 one at 150 % (1067×667 device-independent
        // pixels, less the frame and a panel): nothing forces it wider or taller.
        const QSize smallest = c.window->minimumSizeHint();
        QVERIFY2(smallest.width() <= 1050 && smallest.height() <= 600,
                 qPrintable(u"%1×%2"_s.arg(smallest.width()).arg(smallest.height())));
    }

    void fixedAndBackToAdaptiveWithTheForm_data() { TestDatabase::addBackendRows(); }
    void fixedAndBackToAdaptiveWithTheForm()
    {
        AETHER_CONSOLE(c);
        const QString key = demoKey(c, true);
        QVERIFY(!key.isEmpty());
        QVERIFY(selectKey(*c.window, key));
        QCOMPARE(c.window->detail()->keyId(), key);

        auto *fixed = c.child<QRadioButton>("fixedRadio");
        auto *spin = c.child<QSpinBox>("fixedLimitSpin");
        auto *apply = c.child<QPushButton>("applyButton");
        QVERIFY(!apply->isEnabled()); // nothing changed yet
        clickRadio(fixed);
        QVERIFY(spin->isEnabled());
        spin->setValue(12);
        QVERIFY(apply->isEnabled());
        QTest::mouseClick(apply, Qt::LeftButton);

        QCOMPARE(c.value(u"SELECT max_concurrent FROM provider_api_keys WHERE id = '%1'"_s.arg(key)).toInt(), 12);
        QCOMPARE(cell(*c.window, key, KeyColumn::MaxConcurrent), u"12"_s);
        QCOMPARE(cell(*c.window, key, KeyColumn::Mode), u"Fixed"_s);
        QCOMPARE(c.child<QLabel>("modeValue")->text(), u"Fixed"_s);
        QVERIFY(c.child<QLabel>("messageLabel")->text().contains(u"12"_s));
        QCOMPARE(c.window->selectedKeyId(), key); // still selected

        // The spin box cannot leave 1–100.
        QCOMPARE(spin->minimum(), 1);
        QCOMPARE(spin->maximum(), 100);
        spin->setValue(500);
        QCOMPARE(spin->value(), 100);

        clickRadio(c.child<QRadioButton>("adaptiveRadio"));
        QTest::mouseClick(apply, Qt::LeftButton);
        QVERIFY(c.value(u"SELECT max_concurrent FROM provider_api_keys WHERE id = '%1'"_s.arg(key)).isNull());
        QCOMPARE(cell(*c.window, key, KeyColumn::Mode), u"Adaptive"_s);
        QCOMPARE(cell(*c.window, key, KeyColumn::MaxConcurrent), u"—"_s);
        // Recorded as the window's user on this host.
        const QString actor = aether::gui::windowActor().name;
        QVERIFY2(actor.startsWith(u"gui:"_s) && actor.contains(u'@'), qPrintable(actor));
        QCOMPARE(
            c.value(u"SELECT count(*) FROM console_audit_log WHERE key_id = '%1' AND actor = '%2'"_s.arg(key, actor))
                .toInt(),
            2);
        // The key's chart marks both changes as the operator's.
        QCOMPARE(c.window->detail()->historyChart()->operatorChangeCount(), 2);
        // The Audit page (Ctrl+4) lists them, newest first.
        QTest::keyClick(c.window.get(), Qt::Key_4, Qt::ControlModifier);
        QVERIFY(c.window->auditPage()->isVisible());
        QStandardItemModel *audit = c.window->auditPage()->model();
        QVERIFY(audit->rowCount() >= 2);
        QCOMPARE(audit->index(0, 1).data().toString(), actor);
        QCOMPARE(audit->index(0, 3).data(Qt::UserRole).toString(), key);
        QCOMPARE(audit->index(0, 4).data().toString(), u"Max concurrent: 12 → adaptive"_s);
    }

    // A key deleted behind the window's back: the form reports it and keeps what the user entered.
    void changeOfAVanishedKey_data() { TestDatabase::addBackendRows(); }
    void changeOfAVanishedKey()
    {
        AETHER_CONSOLE(c);
        const QString key = demoKey(c, true, 0);
        QVERIFY(selectKey(*c.window, key));
        clickRadio(c.child<QRadioButton>("fixedRadio"));
        c.child<QSpinBox>("fixedLimitSpin")->setValue(7);
        QSqlQuery del(QSqlDatabase::database(c.probeName));
        QVERIFY(del.exec(u"DELETE FROM provider_api_keys WHERE id = '%1'"_s.arg(key)));
        QTest::mouseClick(c.child<QPushButton>("applyButton"), Qt::LeftButton);
        QVERIFY(c.child<QLabel>("messageLabel")->text().contains(u"no longer exists"_s));
        QVERIFY(c.child<QRadioButton>("fixedRadio")->isChecked());
        QCOMPARE(c.child<QSpinBox>("fixedLimitSpin")->value(), 7);
    }

    void resetLearningAskedFirst_data() { TestDatabase::addBackendRows(); }
    void resetLearningAskedFirst()
    {
        AETHER_CONSOLE(c);
        const QString key = demoKey(c, true);
        QVERIFY(selectKey(*c.window, key));
        const QString countSql =
            u"SELECT concurrent_429_count + rpm_429_count FROM provider_api_keys WHERE id = '%1'"_s.arg(key);
        const QString learnedSql = u"SELECT learned_max_concurrent FROM provider_api_keys WHERE id = '%1'"_s.arg(key);
        const QVariant learned = c.value(learnedSql);
        QVERIFY(!learned.isNull());

        // Cancelled: nothing changes.
        answerNextDialog(gui::dialogs::Answer::Reject);
        QTest::mouseClick(c.child<QPushButton>("resetButton"), Qt::LeftButton);
        QCOMPARE(c.value(learnedSql), learned);

        // What the reset clears can be saved first, as stored.
        QTemporaryDir saved;
        const QString file = saved.filePath(u"state.json"_s);
        const int records = c.window->detail()->historyChart()->stepCount();
        QVERIFY(records > 0);
        QVERIFY(c.window->detail()->saveLearningState(file));
        QFile savedFile(file);
        QVERIFY(savedFile.open(QIODevice::ReadOnly));
        const QJsonObject state = QJsonDocument::fromJson(savedFile.readAll()).object();
        QCOMPARE(state.value(u"key_id"_s).toString(), key);
        QCOMPARE(state.value(u"learned_max_concurrent"_s).toInt(), learned.toInt());
        QCOMPARE(state.value(u"adjustment_history"_s).toArray().size(), records);
        QVERIFY(state.contains(u"utilization_samples"_s) && state.contains(u"last_429_at"_s));

        // Accepted: the learning state is cleared, the mode kept.
        answerNextDialog(gui::dialogs::Answer::Accept);
        QTest::mouseClick(c.child<QPushButton>("resetButton"), Qt::LeftButton);
        QVERIFY(c.value(learnedSql).isNull());
        QCOMPARE(c.value(countSql).toInt(), 0);
        QVERIFY(c.value(u"SELECT max_concurrent FROM provider_api_keys WHERE id = '%1'"_s.arg(key)).isNull());
        QCOMPARE(cell(*c.window, key, KeyColumn::Learned), u"—"_s);
        QCOMPARE(cell(*c.window, key, KeyColumn::Adjustments), u"0"_s);
        QCOMPARE(c.window->detail()->historyChart()->stepCount(), 0);
    }

    // Several rows, or all keys shown: one question naming how many keys and which endpoints, one bulk change, every
    // key audited as the window's user; a cancelled question changes nothing.
    void bulkActions_data() { TestDatabase::addBackendRows(); }
    void bulkActions()
    {
        AETHER_CONSOLE(c);
        auto *view = c.child<QTableView>("keyTable");
        const auto selectRows = [&](const QList<int> &rows) {
            QStringList ids;
            view->clearSelection();
            for (const int row : rows) {
                view->selectionModel()->select(settledModel(*c.window)->index(row, 0),
                                               QItemSelectionModel::Select | QItemSelectionModel::Rows);
                ids << settledModel(*c.window)->keyIdAt(row);
            }
            return ids;
        };
        const auto action = [&](const char *name) { return c.window->findChild<QAction *>(QLatin1StringView(name)); };
        const auto countWhere = [&](const QString &where) {
            return c.value(u"SELECT count(*) FROM provider_api_keys WHERE "_s + where).toInt();
        };

        // Three rows: a fixed limit of 9 for the three.
        const QStringList three = selectRows({0, 1, 2});
        const std::optional<gui::BulkScope> scope = c.window->bulkScope();
        QVERIFY(scope && scope->keyIds && scope->count == 3);
        gui::dialogs::setNextNumber(9);
        answerNextDialog(gui::dialogs::Answer::Accept);
        action("setLimitAction")->trigger();
        QVERIFY2(gui::dialogs::lastQuestion().contains(u"Set a fixed limit of 9 for 3 keys on "_s),
                 qPrintable(gui::dialogs::lastQuestion()));
        QCOMPARE(countWhere(u"max_concurrent = 9 AND id IN ('%1')"_s.arg(three.join(u"','"_s))), 3);
        QCOMPARE(c.value(u"SELECT count(*) FROM console_audit_log WHERE action = 'set_limit' AND actor = '%1'"_s.arg(
                             gui::windowActor().name))
                     .toInt(),
                 3);
        QVERIFY2(c.window->statusBar()->currentMessage().contains(u"3 keys changed"_s),
                 qPrintable(c.window->statusBar()->currentMessage()));

        // Cancelled at the limit, then at the question: nothing changes.
        selectRows({3, 4});
        const int fixedBefore = countWhere(u"max_concurrent IS NOT NULL"_s);
        answerNextDialog(gui::dialogs::Answer::Reject);
        action("setLimitAction")->trigger();
        answerNextDialog(gui::dialogs::Answer::Reject);
        action("resetLearningAction")->trigger();
        QCOMPARE(countWhere(u"max_concurrent IS NOT NULL"_s), fixedBefore);

        // All keys shown: reset learning for every one, then all to adaptive.
        c.window->selectAllShown();
        QVERIFY(!c.window->bulkScope()->keyIds);
        QCOMPARE(c.window->bulkScope()->count, 40);
        answerNextDialog(gui::dialogs::Answer::Accept);
        action("resetLearningAction")->trigger();
        QVERIFY2(gui::dialogs::lastQuestion().contains(u"all 40 keys shown"_s),
                 qPrintable(gui::dialogs::lastQuestion()));
        QCOMPARE(countWhere(u"learned_max_concurrent IS NOT NULL OR concurrent_429_count > 0"_s), 0);
        c.window->selectAllShown();
        answerNextDialog(gui::dialogs::Answer::Accept);
        action("switchModeAction")->trigger();
        QCOMPARE(countWhere(u"max_concurrent IS NOT NULL"_s), 0);
        QCOMPARE(settledModel(*c.window)->rowCount(), 40);
        // A click on one row leaves "all shown": the actions are for that key again.
        c.window->selectAllShown();
        view->selectRow(5);
        QVERIFY(!c.window->bulkScope());
    }

    // A database without keys shows a guide instead of an empty table; a filter without a match does not.
    void emptyDatabaseShowsAGuide_data() { TestDatabase::addBackendRows(); }
    void emptyDatabaseShowsAGuide()
    {
        AETHER_CONSOLE(c);
        auto *guide = c.child<QLabel>("emptyGuide");
        QVERIFY(!guide->isVisible());
        c.child<QLineEdit>("searchEdit")->setText(u"no key has this name"_s);
        emit c.child<QLineEdit>("searchEdit")->returnPressed();
        QCOMPARE(settledModel(*c.window)->rowCount(), 0);
        QVERIFY(!guide->isVisible());
        c.child<QLineEdit>("searchEdit")->clear();
        emit c.child<QLineEdit>("searchEdit")->returnPressed();
        c.value(u"DELETE FROM provider_api_keys"_s);
        QVERIFY(c.window->refresh());
        QCOMPARE(settledModel(*c.window)->rowCount(), 0);
        QVERIFY(guide->isVisible());
        QVERIFY(!c.child<QTableView>("keyTable")->isVisible());
        QVERIFY(guide->text().contains(u"Settings"_s));
    }

    void filters_data() { TestDatabase::addBackendRows(); }
    void filters()
    {
        AETHER_CONSOLE(c);
        auto *tree = c.child<QTreeWidget>("navigationTree");
        QTreeWidgetItem *provider = tree->topLevelItem(0)->child(0);
        QTreeWidgetItem *endpoint = provider->child(0);
        const QString endpointId = endpoint->data(0, Qt::UserRole + 1).toString();
        tree->setCurrentItem(endpoint);
        const int expected =
            c.value(u"SELECT count(*) FROM provider_api_keys WHERE endpoint_id = '%1'"_s.arg(endpointId)).toInt();
        QVERIFY(expected > 0);
        QCOMPARE(settledModel(*c.window)->rowCount(), expected);
        QCOMPARE(endpoint->text(1), QString::number(expected));
        for (int row = 0; row < settledModel(*c.window)->rowCount(); ++row)
            QCOMPARE(settledModel(*c.window)
                         ->data(settledModel(*c.window)->index(row, int(KeyColumn::EndpointId)), Qt::UserRole)
                         .toString(),
                     endpointId);

        // Text search (name or id, any case) within the endpoint, then in all endpoints.
        tree->setCurrentItem(tree->topLevelItem(0));
        auto *search = c.child<QLineEdit>("searchEdit");
        search->setText(u"PROD-0"_s);
        QTest::keyClick(search, Qt::Key_Return);
        const int prod = c.value(u"SELECT count(*) FROM provider_api_keys WHERE lower(name) LIKE '%prod-0%'"_s).toInt();
        QVERIFY(prod > 0);
        QCOMPARE(settledModel(*c.window)->rowCount(), prod);
        const QString someId = c.value(u"SELECT id FROM provider_api_keys ORDER BY id"_s).toString();
        search->setText(someId.left(13));
        QTest::keyClick(search, Qt::Key_Return);
        QVERIFY(tableRowOf(*c.window, someId) >= 0);
        search->setText(u"no such key"_s);
        QTest::keyClick(search, Qt::Key_Return);
        QCOMPARE(settledModel(*c.window)->rowCount(), 0);
        search->clear();
        QTest::keyClick(search, Qt::Key_Return);

        // Mode filter.
        auto *mode = c.child<QComboBox>("modeFilterCombo");
        mode->setCurrentIndex(2); // fixed
        QCOMPARE(settledModel(*c.window)->rowCount(),
                 c.value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL"_s).toInt());
        mode->setCurrentIndex(0);

        // The filter bar: each condition as the database counts it.
        const auto rowsWhere = [&](const QString &where) {
            return c.value(u"SELECT count(*) FROM provider_api_keys WHERE "_s + where).toInt();
        };
        c.value(u"UPDATE provider_api_keys SET is_active = false WHERE id IN (SELECT id FROM provider_api_keys "
                u"ORDER BY id LIMIT 3)"_s);
        auto *active = c.child<QComboBox>("activeFilterCombo");
        active->setCurrentIndex(2); // inactive only
        QCOMPARE(settledModel(*c.window)->rowCount(), rowsWhere(u"NOT is_active"_s));
        QVERIFY(settledModel(*c.window)->rowCount() >= 3);
        active->setCurrentIndex(0);
        auto *min429 = c.child<QSpinBox>("min429Spin");
        min429->setValue(10);
        QCOMPARE(settledModel(*c.window)->rowCount(), rowsWhere(u"concurrent_429_count + rpm_429_count >= 10"_s));
        QVERIFY(settledModel(*c.window)->rowCount() > 0);
        min429->setValue(0);
        auto *type = c.child<QComboBox>("last429TypeCombo");
        type->setCurrentIndex(2); // rpm
        QCOMPARE(settledModel(*c.window)->rowCount(), rowsWhere(u"last_429_type = 'rpm'"_s));
        type->setCurrentIndex(0);
        auto *stuck = c.child<QCheckBox>("stuckFilterCheck");
        stuck->setChecked(true); // the default policy's minimum is 3
        QCOMPARE(settledModel(*c.window)->rowCount(),
                 rowsWhere(u"max_concurrent IS NULL AND learned_max_concurrent <= 3"_s));
        stuck->setChecked(false);
        QCOMPARE(settledModel(*c.window)->rowCount(), 40);
    }

    // The header's menu: one entry per column (the name always shown), checked when shown; Default columns.
    void columnChooserMenu_data() { TestDatabase::addBackendRows(); }
    void columnChooserMenu()
    {
        AETHER_CONSOLE(c);
        auto *view = c.child<QTableView>("keyTable");
        QMenu menu;
        c.window->columnChooser()->populate(&menu);
        QList<QAction *> entries;
        for (QAction *action : menu.actions()) {
            if (!action->isSeparator())
                entries << action;
        }
        QCOMPARE(entries.size(), visibleKeyColumnCount + 1);
        QCOMPARE(entries.last()->text(), u"Default columns"_s);
        for (int column = 0; column < visibleKeyColumnCount; ++column) {
            QCOMPARE(entries.at(column)->text(),
                     settledModel(*c.window)->headerData(column, Qt::Horizontal).toString());
            QCOMPARE(entries.at(column)->isChecked(), !view->isColumnHidden(column));
        }
        QVERIFY(!entries.at(int(KeyColumn::Name))->isEnabled());
        // Showing a column: shown, and as wide as its title.
        QVERIFY(view->isColumnHidden(int(KeyColumn::Last429Type)));
        view->setColumnWidth(int(KeyColumn::Last429Type), 10);
        entries.at(int(KeyColumn::Last429Type))->trigger();
        QVERIFY(!view->isColumnHidden(int(KeyColumn::Last429Type)));
        QVERIFY(view->columnWidth(int(KeyColumn::Last429Type)) >=
                view->horizontalHeader()->sectionSizeHint(int(KeyColumn::Last429Type)));
        entries.at(int(KeyColumn::Mode))->trigger();
        QVERIFY(view->isColumnHidden(int(KeyColumn::Mode)));
        // Default columns brings the default set back.
        entries.last()->trigger();
        QVERIFY(view->isColumnHidden(int(KeyColumn::Last429Type)));
        QVERIFY(!view->isColumnHidden(int(KeyColumn::Mode)));
    }

    // is_active as a column (and inactive keys dimmed), beside the filter of the filter bar.
    void activeColumn_data() { TestDatabase::addBackendRows(); }
    void activeColumn()
    {
        AETHER_CONSOLE(c);
        const QString inactive = c.value(u"SELECT id FROM provider_api_keys ORDER BY id"_s).toString();
        const QString active = c.value(u"SELECT id FROM provider_api_keys ORDER BY id DESC"_s).toString();
        c.value(u"UPDATE provider_api_keys SET is_active = false WHERE id = '%1'"_s.arg(inactive));
        QVERIFY(c.window->refresh());
        auto *view = c.child<QTableView>("keyTable");
        QVERIFY(view->isColumnHidden(int(KeyColumn::Active))); // one right-click on the header away
        view->setColumnHidden(int(KeyColumn::Active), false);
        QCOMPARE(cell(*c.window, inactive, KeyColumn::Active), u"No"_s);
        QCOMPARE(cell(*c.window, active, KeyColumn::Active), u"Yes"_s);
        gui::KeyTableModel *model = settledModel(*c.window);
        const QModelIndex dimmed = model->index(tableRowOf(*c.window, inactive), int(KeyColumn::Effective));
        QCOMPARE(model->data(dimmed, Qt::ForegroundRole).value<QBrush>().color(),
                 QPalette().color(QPalette::Disabled, QPalette::Text));
        QVERIFY(!model->data(model->index(tableRowOf(*c.window, active), int(KeyColumn::Effective)), Qt::ForegroundRole)
                     .isValid());
        // Sorting by it puts the inactive keys first.
        view->sortByColumn(int(KeyColumn::Active), Qt::AscendingOrder);
        QCOMPARE(settledModel(*c.window)->data(model->index(0, int(KeyColumn::Active)), Qt::UserRole).toInt(), 0);
        view->sortByColumn(int(KeyColumn::Active), Qt::DescendingOrder);
        QCOMPARE(settledModel(*c.window)->data(model->index(0, int(KeyColumn::Active)), Qt::UserRole).toInt(), 1);
    }

    // The name column stays in view while the table scrolls sideways, and stays the first column.
    void frozenNameColumn_data() { TestDatabase::addBackendRows(); }
    void frozenNameColumn()
    {
        AETHER_CONSOLE(c);
        auto *view = c.child<QTableView>("keyTable");
        auto *frozen = view->findChild<QTableView *>(u"keyTableFrozen"_s);
        QVERIFY(frozen);
        QVERIFY(frozen->isVisible());
        QCOMPARE(frozen->model(), view->model());
        QCOMPARE(frozen->selectionModel(), view->selectionModel());
        for (int column = 0; column < keyColumnCount; ++column)
            QCOMPARE(frozen->isColumnHidden(column), column != int(KeyColumn::Name));
        // Narrow the window so that the table scrolls sideways, then scroll to its right end.
        for (int column = 0; column < visibleKeyColumnCount; ++column)
            view->setColumnHidden(column, false);
        c.window->resize(900, 700);
        QTRY_VERIFY(view->horizontalScrollBar()->maximum() > 0);
        view->horizontalScrollBar()->setValue(view->horizontalScrollBar()->maximum());
        QTRY_VERIFY(view->columnViewportPosition(int(KeyColumn::Name)) < 0); // scrolled away in the table itself
        QCOMPARE(frozen->geometry().left(), view->frameWidth());
        QCOMPARE(frozen->width(), view->columnWidth(int(KeyColumn::Name)));
        QCOMPARE(frozen->columnViewportPosition(int(KeyColumn::Name)), 0);
        // It follows the vertical scrolling and the column's width.
        QTRY_VERIFY(view->verticalScrollBar()->maximum() > 0);
        view->verticalScrollBar()->setValue(3);
        QCOMPARE(frozen->verticalScrollBar()->value(), 3);
        QCOMPARE(frozen->rowAt(0), view->rowAt(0));
        view->setColumnWidth(int(KeyColumn::Name), 220);
        QCOMPARE(frozen->width(), 220);
        // Dragging it elsewhere (or another column before it) puts it back first.
        QHeaderView *header = view->horizontalHeader();
        header->moveSection(0, 3);
        QCOMPARE(header->visualIndex(int(KeyColumn::Name)), 0);
        header->moveSection(header->visualIndex(int(KeyColumn::Endpoint)), 0);
        QCOMPARE(header->visualIndex(int(KeyColumn::Name)), 0);
        // Its title sorts the table, as the table's own title does.
        view->sortByColumn(int(KeyColumn::Effective), Qt::AscendingOrder);
        QTest::mouseClick(frozen->horizontalHeader()->viewport(), Qt::LeftButton, {},
                          QPoint(10, frozen->horizontalHeader()->height() / 2));
        QCOMPARE(settledModel(*c.window)->sortColumn(), KeyColumn::Name);
        QCOMPARE(settledModel(*c.window)->sortOrder(), Qt::AscendingOrder);
        QCOMPARE(frozen->horizontalHeader()->sortIndicatorSection(), int(KeyColumn::Name));
        QTest::mouseClick(frozen->horizontalHeader()->viewport(), Qt::LeftButton, {},
                          QPoint(10, frozen->horizontalHeader()->height() / 2));
        QCOMPARE(settledModel(*c.window)->sortOrder(), Qt::DescendingOrder);
        // A click on a name selects its key.
        const QRect first = frozen->visualRect(frozen->model()->index(frozen->rowAt(0), int(KeyColumn::Name)));
        QTest::mouseClick(frozen->viewport(), Qt::LeftButton, {}, first.center());
        QCOMPARE(c.window->selectedKeyId(), settledModel(*c.window)->keyIdAt(frozen->rowAt(0)));
    }

    // A named view keeps the filters, the sort order and the columns; applying it brings them all back.
    void savedViews_data() { TestDatabase::addBackendRows(); }
    void savedViews()
    {
        AETHER_CONSOLE(c);
        for (const QString &name : {u"Busy fixed"_s, u"Busy fixed 2"_s}) {
            if (gui::SavedViews(c.settings.raw()).find(name)) { // left by the other backend's run
                answerNextDialog(gui::dialogs::Answer::Accept);
                QVERIFY(c.window->deleteView(name));
            }
        }
        auto *view = c.child<QTableView>("keyTable");
        auto *mode = c.child<QComboBox>("modeFilterCombo");
        auto *min429 = c.child<QSpinBox>("min429Spin");
        mode->setCurrentIndex(2); // fixed
        min429->setValue(1);
        view->setColumnHidden(int(KeyColumn::Mode), true);
        view->setColumnHidden(int(KeyColumn::Rpm429), false);
        view->sortByColumn(int(KeyColumn::Concurrent429), Qt::DescendingOrder);
        const int rows = c.value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL AND "
                                 u"concurrent_429_count + rpm_429_count >= 1"_s)
                             .toInt();
        QCOMPARE(settledModel(*c.window)->rowCount(), rows);
        const QString firstKey = settledModel(*c.window)->keyIdAt(0);

        // An empty name is refused; a good one is saved.
        gui::dialogs::setNextText(u"   "_s);
        QVERIFY(!c.window->saveCurrentView());
        QVERIFY(gui::dialogs::lastMessage().contains(u"1 to 80 characters"_s));
        gui::dialogs::setNextText(u" Busy  fixed "_s);
        QVERIFY(c.window->saveCurrentView());
        QVERIFY(gui::SavedViews(c.settings.raw()).find(u"Busy fixed"_s));

        // Everything back to the defaults, then the view again.
        mode->setCurrentIndex(0);
        min429->setValue(0);
        view->setColumnHidden(int(KeyColumn::Mode), false);
        view->setColumnHidden(int(KeyColumn::Rpm429), true);
        view->sortByColumn(int(KeyColumn::Name), Qt::AscendingOrder);
        QCOMPARE(settledModel(*c.window)->rowCount(), 40);
        QVERIFY(c.window->applyView(u"Busy fixed"_s));
        QCOMPARE(mode->currentIndex(), 2);
        QCOMPARE(min429->value(), 1);
        QVERIFY(view->isColumnHidden(int(KeyColumn::Mode)));
        QVERIFY(!view->isColumnHidden(int(KeyColumn::Rpm429)));
        QVERIFY(view->isColumnHidden(int(KeyColumn::Id)));
        QCOMPARE(settledModel(*c.window)->sortColumn(), KeyColumn::Concurrent429);
        QCOMPARE(settledModel(*c.window)->sortOrder(), Qt::DescendingOrder);
        QCOMPARE(view->horizontalHeader()->sortIndicatorSection(), int(KeyColumn::Concurrent429));
        QCOMPARE(settledModel(*c.window)->rowCount(), rows);
        QCOMPARE(settledModel(*c.window)->keyIdAt(0), firstKey);
        QCOMPARE(view->horizontalHeader()->visualIndex(int(KeyColumn::Name)), 0);

        // The same name again asks before replacing; No keeps the old one.
        gui::dialogs::setNextText(u"Busy fixed"_s);
        answerNextDialog(gui::dialogs::Answer::Reject);
        QVERIFY(!c.window->saveCurrentView());
        QVERIFY(gui::dialogs::lastQuestion().contains(u"Replace it?"_s));
        // The menu lists the views; deleting asks first.
        QMenu *menu = c.child<QMenu>("savedViewsMenu");
        QVERIFY(menu);
        emit menu->aboutToShow();
        QStringList titles;
        for (const QAction *action : menu->actions())
            titles << action->text();
        QVERIFY2(titles.contains(u"Busy fixed"_s), qPrintable(titles.join(u", "_s)));
        answerNextDialog(gui::dialogs::Answer::Reject);
        QVERIFY(!c.window->deleteView(u"Busy fixed"_s));
        answerNextDialog(gui::dialogs::Answer::Accept);
        QVERIFY(c.window->deleteView(u"Busy fixed"_s));
        QVERIFY(!c.window->applyView(u"Busy fixed"_s));
    }

    void sortByLearnedLimit_data() { TestDatabase::addBackendRows(); }
    void sortByLearnedLimit()
    {
        AETHER_CONSOLE(c);
        auto *view = c.child<QTableView>("keyTable");
        view->sortByColumn(int(KeyColumn::Learned), Qt::DescendingOrder);
        QCOMPARE(settledModel(*c.window)->sortColumn(), KeyColumn::Learned);
        QList<int> shown;
        for (int row = 0; row < settledModel(*c.window)->rowCount(); ++row) {
            const QVariant v = settledModel(*c.window)->data(
                settledModel(*c.window)->index(row, int(KeyColumn::Learned)), Qt::UserRole);
            shown << (v.isNull() ? -1 : v.toInt());
        }
        QList<int> sorted = shown;
        std::sort(sorted.begin(), sorted.end(), std::greater<int>());
        QCOMPARE(shown, sorted);
        QCOMPARE(shown.first(), c.value(u"SELECT max(learned_max_concurrent) FROM provider_api_keys"_s).toInt());
        view->sortByColumn(int(KeyColumn::Learned), Qt::AscendingOrder);
        const QVariant first =
            settledModel(*c.window)->data(settledModel(*c.window)->index(0, int(KeyColumn::Learned)), Qt::UserRole);
        const bool anyNull =
            c.value(u"SELECT count(*) FROM provider_api_keys WHERE learned_max_concurrent IS NULL"_s).toInt() > 0;
        if (anyNull)
            QVERIFY(first.isNull());
        else
            QCOMPARE(first.toInt(), c.value(u"SELECT min(learned_max_concurrent) FROM provider_api_keys"_s).toInt());
    }

    void historyChartHasOneStepPerRecord_data() { TestDatabase::addBackendRows(); }
    void historyChartHasOneStepPerRecord()
    {
        AETHER_CONSOLE(c);
        const QString key = demoKey(c, true, 5);
        QVERIFY(!key.isEmpty());
        const qsizetype records = c.table.history(key).value().size();
        QVERIFY(selectKey(*c.window, key));
        gui::HistoryChartView *chart = c.window->detail()->historyChart();
        QCOMPARE(chart->stepCount(), int(records));
        // Two points per step (old, then new at the same time) and one holding the last limit up to now.
        QCOMPARE(chart->limitSeries()->count(), int(2 * records + 1));
        const QList<QPointF> points = chart->limitSeries()->points();
        for (qsizetype i = 0; i < records; ++i)
            QCOMPARE(points.at(2 * i).x(), points.at(2 * i + 1).x());
        QCOMPARE(int(points.last().y()),
                 c.value(u"SELECT learned_max_concurrent FROM provider_api_keys WHERE id = '%1'"_s.arg(key)).toInt());
    }

    void summaryPage_data() { TestDatabase::addBackendRows(); }
    void summaryPage()
    {
        AETHER_CONSOLE(c);
        c.child<QTabWidget>("pages")->setCurrentIndex(1);
        // Read off the GUI thread: the busy indicator shows until the figures are there.
        QVERIFY(c.window->summaryPage()->isLoading());
        QVERIFY(c.child<QProgressBar>("summaryBusy")->isVisible());
        QTRY_VERIFY(!c.window->summaryPage()->isLoading());
        QVERIFY(!c.child<QProgressBar>("summaryBusy")->isVisible());
        const int adaptive = c.value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NULL"_s).toInt();
        QCOMPARE(c.child<QLabel>("adaptiveKeysValue")->text(), QString::number(adaptive));
        QCOMPARE(c.child<QTableWidget>("recentTable")->rowCount(), 10);
        QCOMPARE(c.window->summaryPage()->rateChart()->keyCount(), 20);
        const int fixed = c.value(u"SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL"_s).toInt();
        QCOMPARE(c.child<QLabel>("fixedKeysValue")->text(), QString::number(fixed));

        // An endpoint chosen in the navigation: the totals are its own, and say so.
        auto *tree = c.child<QTreeWidget>("navigationTree");
        QTreeWidgetItem *endpoint = tree->topLevelItem(0)->child(0)->child(0);
        const QString endpointId = endpoint->data(0, Qt::UserRole + 1).toString();
        tree->setCurrentItem(endpoint);
        QTRY_VERIFY(!c.window->summaryPage()->isLoading());
        const auto inEndpoint = [&](const char *mode) {
            return c
                .value(
                    u"SELECT count(*) FROM provider_api_keys WHERE endpoint_id = '%1' AND max_concurrent IS %2"_s.arg(
                        endpointId, QLatin1String(mode)))
                .toInt();
        };
        QCOMPARE(c.child<QLabel>("adaptiveKeysValue")->text(), QString::number(inEndpoint("NULL")));
        QCOMPARE(c.child<QLabel>("fixedKeysValue")->text(), QString::number(inEndpoint("NOT NULL")));
        QVERIFY(inEndpoint("NULL") < adaptive);
        const int concurrent = c.value(u"SELECT sum(concurrent_429_count) FROM provider_api_keys WHERE endpoint_id = "
                                       u"'%1' AND max_concurrent IS NULL"_s.arg(endpointId))
                                   .toInt();
        QCOMPARE(c.window->summaryPage()->findChild<QLabel *>(u"concurrent429Value"_s)->text(),
                 QLocale().toString(concurrent));
        QVERIFY(c.child<QLabel>("scopeLabel")->text().startsWith(endpoint->parent()->text(0)));

        // All keys again; away and back with nothing changed: the figures stay. A change behind the window's back
        // shows at the next visit (the reading thread's connection tells, not the window's).
        tree->setCurrentItem(tree->topLevelItem(0));
        QTRY_VERIFY(!c.window->summaryPage()->isLoading());
        QCOMPARE(c.child<QLabel>("adaptiveKeysValue")->text(), QString::number(adaptive));
        auto *pages = c.child<QTabWidget>("pages");
        const auto visitAgain = [&] {
            pages->setCurrentIndex(0);
            pages->setCurrentIndex(1);
            QVERIFY(c.window->summaryPage()->isLoading());
            QTRY_VERIFY(!c.window->summaryPage()->isLoading());
        };
        visitAgain();
        QCOMPARE(c.child<QLabel>("adaptiveKeysValue")->text(), QString::number(adaptive));
        QSqlQuery change(QSqlDatabase::database(c.probeName));
        QVERIFY(change.exec(u"UPDATE provider_api_keys SET max_concurrent = NULL"_s));
        visitAgain();
        QCOMPARE(c.child<QLabel>("adaptiveKeysValue")->text(), QString::number(adaptive + fixed));
        QCOMPARE(c.child<QLabel>("fixedKeysValue")->text(), u"0"_s);
    }

    void changeThroughTheHttpEndpointShowsAfterRefresh_data() { TestDatabase::addBackendRows(); }
    void changeThroughTheHttpEndpointShowsAfterRefresh()
    {
        AETHER_CONSOLE(c);
        QVERIFY(c.window->startHttp());
        QVERIFY(c.window->isHttpRunning());
        QVERIFY(c.child<QLabel>("httpStatus")->text().contains(u"http://127.0.0.1:%1"_s.arg(c.window->httpPort())));
        const Result<NewToken> token = c.tokens.create(u"test"_s, Role::Admin);
        QVERIFY(token.ok());
        const QString key = demoKey(c, true, 0);
        QVERIFY(selectKey(*c.window, key));

        QNetworkAccessManager manager;
        QNetworkRequest request(QUrl(
            u"http://127.0.0.1:%1/api/admin/adaptive/keys/%2/limit?limit=33"_s.arg(c.window->httpPort()).arg(key)));
        request.setRawHeader("Authorization", "Bearer " + token.value().secret.toUtf8());
        QNetworkReply *reply = manager.sendCustomRequest(request, "PATCH");
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        reply->deleteLater();

        QVERIFY(c.window->refresh());
        QCOMPARE(cell(*c.window, key, KeyColumn::MaxConcurrent), u"33"_s);
        QCOMPARE(c.window->selectedKeyId(), key); // the selection survives the refresh
        QCOMPARE(c.child<QLabel>("maxConcurrentValue")->text(), u"33"_s);
        // Quitting while it serves asks first; Cancel keeps the window and the endpoint.
        answerNextDialog(gui::dialogs::Answer::Reject);
        QVERIFY(!c.window->close());
        QVERIFY2(gui::dialogs::lastQuestion().contains(u"The HTTP API on port %1 stops"_s.arg(c.window->httpPort())),
                 qPrintable(gui::dialogs::lastQuestion()));
        QVERIFY(c.window->isHttpRunning());
        c.window->stopHttp();
        QVERIFY(c.child<QLabel>("httpStatus")->text().contains(u"off"_s));
    }

    // PostgreSQL: a change made by another process (the command line here) shows in the window within a second,
    // with the polling set to an hour; SQLite keeps the polling.
    void changeInAnotherProcessShowsAtOnce_data() { TestDatabase::addBackendRows(); }
    void changeInAnotherProcessShowsAtOnce()
    {
        AETHER_CONSOLE(c);
        if (!c.db.dialect().isPostgres())
            QSKIP("SQLite has no notifications: the window polls");
        c.settings.setRefreshSeconds(3600);
        c.settings.setAutoRefresh(true);
        c.window->findChild<QAction *>(u"autoRefreshAction"_s)->setChecked(true);
        const QString key = demoKey(c, true, 0);
        QVERIFY(!key.isEmpty());
        QVERIFY(c.window->refresh());
        QVERIFY(cell(*c.window, key, KeyColumn::MaxConcurrent) != u"37"_s);
        QProcess other;
        other.start(QStringLiteral(AETHER_CONSOLE_BINARY),
                    {u"set-limit"_s, key, u"37"_s, u"--database"_s, c.db.location().toUrl()});
        QVERIFY(other.waitForFinished(30000));
        QCOMPARE(other.exitCode(), 0);
        QElapsedTimer since;
        since.start();
        QTRY_COMPARE_WITH_TIMEOUT(cell(*c.window, key, KeyColumn::MaxConcurrent), u"37"_s, 1000);
        qInfo("shown %lld ms after the other process exited", since.elapsed());
        c.window->findChild<QAction *>(u"autoRefreshAction"_s)->setChecked(false);
    }

    // With a certificate and key in the settings, the window's endpoint serves HTTPS.
    void httpsEndpointFromTheSettings_data() { TestDatabase::addBackendRows(); }
    void httpsEndpointFromTheSettings()
    {
        if (!QSslSocket::supportsSsl())
            QSKIP("Qt has no TLS backend here");
        QTemporaryDir dir;
        const QString cert = dir.filePath(u"cert.pem"_s), key = dir.filePath(u"key.pem"_s);
        QProcess openssl;
        openssl.start(u"openssl"_s, {u"req"_s, u"-x509"_s, u"-newkey"_s, u"rsa:2048"_s, u"-nodes"_s, u"-subj"_s,
                                     u"/CN=localhost"_s, u"-days"_s, u"2"_s, u"-keyout"_s, key, u"-out"_s, cert});
        QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
        AETHER_CONSOLE(c);
        gui::ConsoleSettings settings; // the window's settings: the same store
        settings.setTlsFiles(cert, key);
        const auto plainAgain = qScopeGuard([&] { settings.setTlsFiles({}, {}); });
        QVERIFY(c.window->startHttp());
        QVERIFY2(c.child<QLabel>("httpStatus")->text().contains(u"https://127.0.0.1:%1"_s.arg(c.window->httpPort())),
                 qPrintable(c.child<QLabel>("httpStatus")->text()));
        // The server runs on this thread's event loop: wait by spinning it, never by blocking.
        QSslSocket client;
        client.setPeerVerifyMode(QSslSocket::VerifyNone);
        QSignalSpy encrypted(&client, &QSslSocket::encrypted);
        client.connectToHostEncrypted(u"127.0.0.1"_s, c.window->httpPort());
        QVERIFY2(encrypted.wait(10000), qPrintable(client.errorString()));
        client.write("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n");
        QByteArray answer;
        QVERIFY(QTest::qWaitFor(
            [&] {
                answer += client.readAll();
                return answer.contains("\r\n\r\n{");
            },
            10000));
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        c.window->stopHttp();
    }

    // View → Language switches every open window at once and back (here through the catalogue the menu uses).
    // In either language no two accelerators of the window are alike: the menu bar's titles, the page tabs and the
    // buttons, boxes and labelled fields of the page shown (Alt+letter would reach only one of them); nor within a
    // menu. The toolbar shows no accelerator letters.
    void acceleratorsAreUnique()
    {
        TestDatabase tdb("sqlite");
        QVERIFY(tdb.isReady());
        Console c(tdb);
        QVERIFY2(c.ready, "cannot prepare the demo database");
        QVERIFY(QTest::qWaitForWindowExposed(c.window.get()));
        static const QRegularExpression mnemonic(u"&([^&\\s])"_s);
        const auto letter = [](const QString &text) {
            QString plain = text;
            plain.replace(u"&&"_s, QString());
            const QRegularExpressionMatch m = mnemonic.match(plain);
            return m.hasMatch() ? m.captured(1).toLower() : QString();
        };
        QStringList clashes;
        const auto check = [&](const QString &where, const QList<QPair<QString, QString>> &texts) {
            QHash<QString, QString> seen;
            for (const auto &[text, owner] : texts) {
                const QString l = letter(text);
                if (l.isEmpty())
                    continue;
                if (seen.contains(l))
                    clashes << u"%1: Alt+%2 for \"%3\" and \"%4\""_s.arg(where, l.toUpper(), seen.value(l), text);
                else
                    seen.insert(l, text);
            }
        };
        // Each page of a window's tabs in turn (or the window once): the menu bar's titles, the tabs, and the visible
        // buttons, boxes and labelled fields.
        const auto checkWindow = [&](QWidget *top, const QString &where, QTabWidget *tabs) {
            for (int page = 0; page < (tabs ? tabs->count() : 1); ++page) {
                if (tabs)
                    tabs->setCurrentIndex(page);
                QCoreApplication::processEvents();
                QList<QPair<QString, QString>> texts;
                if (auto *main = qobject_cast<QMainWindow *>(top)) {
                    for (QAction *a : main->menuBar()->actions())
                        texts.append({a->text(), {}});
                }
                for (int tab = 0; tabs && tab < tabs->count(); ++tab)
                    texts.append({tabs->tabText(tab), {}});
                for (QWidget *w : top->findChildren<QWidget *>()) {
                    if (!w->isVisibleTo(top) || qobject_cast<QToolButton *>(w))
                        continue;
                    if (auto *b = qobject_cast<QAbstractButton *>(w))
                        texts.append({b->text(), {}});
                    else if (auto *g = qobject_cast<QGroupBox *>(w))
                        texts.append({g->title(), {}});
                    else if (auto *l = qobject_cast<QLabel *>(w); l && l->buddy())
                        texts.append({l->text(), {}});
                }
                check(tabs ? u"%1 page \"%2\""_s.arg(where, tabs->tabText(page)) : where, texts);
            }
        };
        for (const Catalogue::Language language : {Catalogue::Language::English, Catalogue::Language::Chinese}) {
            Catalogue::install(language);
            QCoreApplication::processEvents();
            const QString lang = language == Catalogue::Language::English ? u"en"_s : u"zh_CN"_s;
            for (QAction *a : c.window->findChild<QToolBar *>(u"mainToolBar"_s)->actions()) {
                if (!a->isSeparator() && a->iconText().contains(u'&'))
                    clashes << u"%1 toolbar: \"%2\" shows an accelerator"_s.arg(lang, a->iconText());
            }
            for (QMenu *menu : c.window->findChildren<QMenu *>()) {
                QList<QPair<QString, QString>> items;
                for (QAction *a : menu->actions())
                    items.append({a->text(), {}});
                check(u"%1 menu \"%2\""_s.arg(lang, menu->title()), items);
            }
            checkWindow(c.window.get(), lang, c.child<QTabWidget>("pages"));
            gui::SettingsDialog settingsDialog(c.settings, c.db.location(), &c.endpoint, c.window.get());
            settingsDialog.show();
            checkWindow(&settingsDialog, lang + u" settings"_s, settingsDialog.findChild<QTabWidget *>());
            gui::TokenDialog tokenDialog(c.tokens, c.window.get());
            tokenDialog.show();
            checkWindow(&tokenDialog, lang + u" tokens"_s, tokenDialog.findChild<QTabWidget *>());
        }
        Catalogue::install(Catalogue::Language::English);
        QVERIFY2(clashes.isEmpty(), qPrintable(u"\n"_s + clashes.join(u'\n')));
    }

    void languageSwitchesAtRunTime_data() { TestDatabase::addBackendRows(); }
    void languageSwitchesAtRunTime()
    {
        AETHER_CONSOLE(c);
        const QString key = demoKey(c, true, 3);
        QVERIFY(selectKey(*c.window, key));
        c.child<QTabWidget>("pages")->setCurrentIndex(1);
        QTRY_VERIFY(!c.window->summaryPage()->isLoading());
        c.child<QTabWidget>("pages")->setCurrentIndex(0);
        const auto zh = [](const char *context, const char *source) {
            const QString text = Catalogue::instance().translate(Catalogue::Language::Chinese, context, source);
            // A real translation, not the English source.
            if (text == QString::fromUtf8(source))
                qWarning("not translated: %s", source);
            return text;
        };
        const auto header = [&](KeyColumn column) {
            return settledModel(*c.window)->headerData(int(column), Qt::Horizontal).toString();
        };
        const auto menuTitle = [&] { return c.window->menuBar()->actions().constFirst()->text(); };
        QCOMPARE(c.window->windowTitle(), u"Aether Console"_s);

        auto *chinese = c.child<QAction>("languageChineseAction");
        chinese->trigger(); // the window stores the choice and asks for it
        Catalogue::install(Catalogue::Language::Chinese);
        QCoreApplication::processEvents(); // QApplication posts the LanguageChange to each window
        QCOMPARE(c.window->windowTitle(), zh("MainWindow", "Aether Console"));
        QVERIFY(c.window->windowTitle() != u"Aether Console"_s);
        QCOMPARE(menuTitle(), zh("MainWindow", "&File"));
        QCOMPARE(header(KeyColumn::Name), zh("aether::gui::KeyTableModel", "Name"));
        QCOMPARE(header(KeyColumn::Learned), zh("aether::gui::KeyTableModel", "Learned limit"));
        QCOMPARE(cell(*c.window, key, KeyColumn::Mode), zh("aether::gui::KeyTableModel", "Adaptive"));
        QCOMPARE(c.child<QLabel>("modeCaption")->text(), zh("KeyDetailWidget", "Mode:"));
        QCOMPARE(c.child<QPushButton>("applyButton")->text(), zh("KeyDetailWidget", "A&pply"));
        QVERIFY(c.window->detail()->historyChart()->chart()->title().startsWith(
            zh("aether::gui::HistoryChartView", "Adjustment history of %1").section(u"%1"_s, 0, 0)));
        QCOMPARE(c.window->summaryPage()->rateChart()->chart()->title(),
                 Catalogue::instance().translate(Catalogue::Language::Chinese, "aether::gui::Rate429ChartView",
                                                 "429s per key (top %n)",
                                                 int(c.window->summaryPage()->rateChart()->visibleCount())));
        QCOMPARE(c.child<QTabWidget>("pages")->tabText(1), zh("MainWindow", "Summary"));
        QCOMPARE(QSettings().value(u"view/language"_s).toString(), u"zh_CN"_s);
        // Numbers and dates follow the language.
        QCOMPARE(QLocale().name(), u"zh_CN"_s);

        Catalogue::install(Catalogue::Language::English);
        QCoreApplication::processEvents();
        QCOMPARE(c.window->windowTitle(), u"Aether Console"_s);
        QCOMPARE(menuTitle(), u"&File"_s);
        QCOMPARE(header(KeyColumn::Name), u"Name"_s);
        QCOMPARE(cell(*c.window, key, KeyColumn::Mode), u"Adaptive"_s);
        QCOMPARE(c.child<QLabel>("modeCaption")->text(), u"Mode:"_s);
        QVERIFY(c.window->detail()->historyChart()->chart()->title().startsWith(u"Adjustment history of"_s));
        QCOMPARE(c.child<QTabWidget>("pages")->tabText(1), u"Summary"_s);
        QCOMPARE(QLocale().name(), u"en_US"_s);
    }

    void bannerWhenTheDatabaseGoesAway_data() { TestDatabase::addBackendRows(); }
    void learningPolicyPage_data() { TestDatabase::addBackendRows(); }
    void learningPolicyPage()
    {
        AETHER_CONSOLE(c);
        c.window->findChild<QAction *>(u"showPolicyAction"_s)->trigger();
        auto *page = c.child<gui::PolicyPage>("policyPage");
        QVERIFY(page && page->isVisible());
        auto *step = page->findChild<QSpinBox *>(u"increaseStepEdit"_s);
        auto *minimum = page->findChild<QSpinBox *>(u"minLimitEdit"_s);
        auto *apply = page->findChild<QPushButton *>(u"policyApplyButton"_s);
        auto *message = page->findChild<QLabel *>(u"policyMessageLabel"_s);
        QCOMPARE(step->value(), 2); // the defaults, with the default beside each
        QCOMPARE(page->findChild<QLabel *>(u"increaseStepDefault"_s)->text(), u"default: 2"_s);
        QCOMPARE(page->findChild<QLabel *>(u"cooldownMinutesDefault"_s)->text(), u"default: 5 min"_s);
        QVERIFY(!apply->isEnabled());

        // Each parameter says what it does; a value other than the default marks its default in bold.
        QVERIFY(step->toolTip().contains(u"increase"_s));
        QVERIFY(!page->findChild<QLabel *>(u"increaseStepDefault"_s)->font().bold());
        // An edit is applied as a partial update and stored for every process.
        step->setValue(4);
        QVERIFY(page->findChild<QLabel *>(u"increaseStepDefault"_s)->font().bold());
        page->findChild<QDoubleSpinBox *>(u"decreaseMultiplierEdit"_s)->setValue(0.5);
        QCOMPARE(page->editedFields(), (QStringList{u"decrease_multiplier"_s, u"increase_step"_s}));
        QVERIFY(apply->isEnabled());
        // Applying asks first, listing each change; Cancel keeps the edits and stores nothing.
        answerNextDialog(gui::dialogs::Answer::Reject);
        apply->click();
        QVERIFY2(gui::dialogs::lastQuestion().contains(u"Apply 2 changes to the learning policy?"_s) &&
                     gui::dialogs::lastQuestion().contains(u"Increase step: 2 → 4"_s),
                 qPrintable(gui::dialogs::lastQuestion()));
        QCOMPARE(c.keys.learningPolicy().value().increaseStep, 2);
        QCOMPARE(page->editedFields().size(), 2);
        // Quitting with the edits not applied asks too.
        answerNextDialog(gui::dialogs::Answer::Reject);
        QVERIFY(!c.window->close());
        QVERIFY(c.window->isVisible());
        QVERIFY2(gui::dialogs::lastQuestion().contains(u"2 edits that are not applied"_s),
                 qPrintable(gui::dialogs::lastQuestion()));
        answerNextDialog(gui::dialogs::Answer::Accept);
        apply->click();
        QVERIFY2(message->text().contains(u"saved"_s), qPrintable(message->text()));
        QCOMPARE(c.keys.learningPolicy().value().increaseStep, 4);
        QCOMPARE(c.keys.learningPolicy().value().decreaseMultiplier, 0.5);
        QVERIFY(!apply->isEnabled());

        // A combination the core refuses: the message names the fields, the form keeps the edit, nothing is stored.
        minimum->setValue(60); // above the initial limit of 50
        apply->click();
        QCOMPARE(message->text(), u"Initial limit must be at least Minimum limit (60)."_s);
        QCOMPARE(minimum->value(), 60);
        QCOMPARE(c.keys.learningPolicy().value().minLimit, 3);
        // The reason also stands on the row of the refused field.
        QCOMPARE(page->fieldWithError(), u"initial_limit"_s);
        auto *fieldError = page->findChild<QLabel *>(u"policyFieldError"_s);
        QVERIFY(fieldError && !fieldError->isHidden());
        QCOMPARE(fieldError->text(), message->text());
        auto *initial = page->findChild<QSpinBox *>(u"initialLimitEdit"_s);
        QTRY_VERIFY(qAbs(fieldError->mapTo(page, fieldError->rect().center()).y() -
                         initial->mapTo(page, initial->rect().center()).y()) < initial->height());
        page->findChild<QPushButton *>(u"policyRevertButton"_s)->click();
        QCOMPARE(minimum->value(), 3);
        QVERIFY(page->fieldWithError().isEmpty()); // gone with the edit
        QVERIFY(fieldError->isHidden());

        // Reset to defaults asks first; Cancel keeps the policy, confirming restores the defaults.
        answerNextDialog(gui::dialogs::Answer::Reject);
        page->findChild<QPushButton *>(u"policyResetButton"_s)->click();
        QCOMPARE(c.keys.learningPolicy().value().increaseStep, 4);
        answerNextDialog(gui::dialogs::Answer::Accept);
        page->findChild<QPushButton *>(u"policyResetButton"_s)->click();
        QCOMPARE(c.keys.learningPolicy().value(), LearningPolicy{});
        QCOMPARE(step->value(), 2);

        // A stored value the form cannot show exactly is not rewritten when another field is applied.
        QVERIFY(c.keys.updateLearningPolicy({{u"decrease_multiplier"_s, 0.123456}}, Actor{u"test"_s}).ok());
        c.window->findChild<QAction *>(u"showKeysAction"_s)->trigger();
        c.window->findChild<QAction *>(u"showPolicyAction"_s)->trigger();
        QVERIFY(page->editedFields().isEmpty());
        step->setValue(5);
        answerNextDialog(gui::dialogs::Answer::Accept);
        apply->click();
        QCOMPARE(c.keys.learningPolicy().value().increaseStep, 5);
        QCOMPARE(c.keys.learningPolicy().value().decreaseMultiplier, 0.123456);

        // A change made elsewhere (another console, the HTTP endpoint) shows when the page is opened again.
        QVERIFY(c.keys.updateLearningPolicy({{u"probe_min_samples"_s, 12}}, Actor{u"test"_s}).ok());
        c.window->findChild<QAction *>(u"showKeysAction"_s)->trigger();
        c.window->findChild<QAction *>(u"showPolicyAction"_s)->trigger();
        QCOMPARE(page->findChild<QSpinBox *>(u"probeMinSamplesEdit"_s)->value(), 12);

        // Both languages (the program installs the catalogue the window asks for).
        c.window->findChild<QAction *>(u"languageChineseAction"_s)->trigger();
        Catalogue::install(Catalogue::Language::Chinese);
        QCoreApplication::processEvents();
        QCOMPARE(page->findChild<QLabel *>(u"increaseStepLabel"_s)->text(), u"扩容步长"_s);
        QCOMPARE(page->findChild<QLabel *>(u"increaseStepDefault"_s)->text(), u"默认：2"_s);
        QCOMPARE(c.child<QTabWidget>("pages")->tabText(2), u"学习策略"_s);
    }

    // The window's error messages in a Chinese session read as Chinese: the form's, a bulk change's, the settings
    // dialog's connection test, the HTTP API's start, the token dialog's and (PostgreSQL) the banner of a lost
    // database. A database driver's or Qt's own words may follow, quoted (“…”), after a Chinese sentence.
    void errorsInChineseAreChinese_data() { TestDatabase::addBackendRows(); }
    void errorsInChineseAreChinese()
    {
        AETHER_CONSOLE(c);
        Catalogue::install(Catalogue::Language::Chinese);
        QCoreApplication::processEvents();
        QStringList problems;
        const auto expectChinese = [&problems](const QString &where, const QString &said) {
            if (said.trimmed().isEmpty())
                problems << where + u": nothing said"_s;
            else if (!test::hasChinese(said))
                problems << where + u": no Chinese in \""_s + said + u'"';
            else if (const QString run = test::englishRunOutsideQuotes(said); !run.isEmpty())
                problems << where + u": \""_s + run + u"\" in \""_s + said + u'"';
            if (const QString lost = test::quotedConsoleSentence(said); !lost.isEmpty())
                problems << where + u": the console's own sentence quoted in English, \""_s + lost + u'"';
            static const QRegularExpression spaceBetweenHan(u"\\p{Han} +\\p{Han}"_s);
            if (const QString spaced = spaceBetweenHan.match(said).captured(); !spaced.isEmpty())
                problems << where + u": a space between Chinese words, \""_s + spaced + u"\" in \""_s + said + u'"';
        };
        QSqlQuery probe(QSqlDatabase::database(c.probeName));

        // The form, on a key deleted behind the window's back.
        const QString vanished = demoKey(c, true, 0);
        QVERIFY(selectKey(*c.window, vanished));
        clickRadio(c.child<QRadioButton>("fixedRadio"));
        c.child<QSpinBox>("fixedLimitSpin")->setValue(7);
        QVERIFY(probe.exec(u"DELETE FROM provider_api_keys WHERE id = '%1'"_s.arg(vanished)));
        QTest::mouseClick(c.child<QPushButton>("applyButton"), Qt::LeftButton);
        expectChinese(u"form"_s, c.child<QLabel>("messageLabel")->text());

        // A bulk change of two keys, one of them deleted meanwhile.
        settledModel(*c.window);
        QVERIFY(c.window->refresh());
        auto *view = c.child<QTableView>("keyTable");
        view->clearSelection();
        QStringList two;
        for (const int row : {0, 1}) {
            view->selectionModel()->select(settledModel(*c.window)->index(row, 0),
                                           QItemSelectionModel::Select | QItemSelectionModel::Rows);
            two << settledModel(*c.window)->keyIdAt(row);
        }
        QVERIFY(probe.exec(u"DELETE FROM provider_api_keys WHERE id = '%1'"_s.arg(two.at(1))));
        gui::dialogs::setNextNumber(9);
        answerNextDialog(gui::dialogs::Answer::Accept);
        c.window->findChild<QAction *>(u"setLimitAction"_s)->trigger();
        expectChinese(u"bulk change, question"_s, gui::dialogs::lastQuestion());
        expectChinese(u"bulk change"_s, gui::dialogs::lastMessage());

        // The settings dialog's connection test: no file, then a PostgreSQL server that is not there.
        {
            gui::SettingsDialog settings(c.settings, c.db.location(), &c.endpoint, c.window.get());
            settings.show();
            const auto child = [&settings](const char *name) {
                return settings.findChild<QWidget *>(QString::fromLatin1(name));
            };
            clickRadio(static_cast<QRadioButton *>(child("sqliteRadio")));
            static_cast<QLineEdit *>(child("sqlitePathEdit"))->clear();
            QTest::mouseClick(static_cast<QPushButton *>(child("testConnectionButton")), Qt::LeftButton);
            QVERIFY(!settings.isTestingConnection()); // a form without a file is refused at once
            expectChinese(u"settings, no file"_s, static_cast<QLabel *>(child("testResultLabel"))->text());
            clickRadio(static_cast<QRadioButton *>(child("postgresRadio")));
            static_cast<QLineEdit *>(child("hostEdit"))->setText(u"127.0.0.1"_s);
            static_cast<QSpinBox *>(child("portSpin"))->setValue(1);
            static_cast<QLineEdit *>(child("databaseNameEdit"))->setText(u"none"_s);
            static_cast<QLineEdit *>(child("userEdit"))->setText(u"nobody"_s);
            QTest::mouseClick(static_cast<QPushButton *>(child("testConnectionButton")), Qt::LeftButton);
            QVERIFY(QTest::qWaitFor([&settings] { return !settings.isTestingConnection(); }, 15000));
            const QString unreachable = static_cast<QLabel *>(child("testResultLabel"))->text();
            expectChinese(u"settings, no server"_s, unreachable);
            if (!unreachable.contains(u'“'))
                problems << u"settings, no server: the driver's words are not quoted in \""_s + unreachable + u'"';
        }

        // The HTTP API with files that are no certificate.
        {
            QTemporaryDir dir;
            QFile notPem(dir.filePath(u"not.pem"_s));
            QVERIFY(notPem.open(QIODevice::WriteOnly) && notPem.write("not a certificate") > 0);
            notPem.close();
            gui::ConsoleSettings settings;
            settings.setTlsFiles(notPem.fileName(), notPem.fileName());
            const auto plainAgain = qScopeGuard([&] { settings.setTlsFiles({}, {}); });
            QVERIFY(!c.window->startHttp());
            expectChinese(u"HTTP API"_s, gui::dialogs::lastMessage());
        }

        // The token dialog: a name too long, one that exists.
        {
            gui::TokenDialog tokens(c.tokens, c.window.get());
            tokens.show();
            auto *name = tokens.findChild<QLineEdit *>(u"nameEdit"_s);
            auto *create = tokens.findChild<QPushButton *>(u"createButton"_s);
            auto *message = tokens.findChild<QLabel *>(u"messageLabel"_s);
            name->setText(QString(101, u'n'));
            QTest::mouseClick(create, Qt::LeftButton);
            expectChinese(u"token, long name"_s, message->text());
            name->setText(u"ci"_s);
            QTest::mouseClick(create, Qt::LeftButton);
            name->setText(u"ci"_s);
            QTest::mouseClick(create, Qt::LeftButton);
            expectChinese(u"token, same name"_s, message->text());
        }

        // The learning policy page, on a combination the core refuses: the fields' Chinese labels in a sentence
        // without spaces between Chinese words.
        c.window->findChild<QAction *>(u"showPolicyAction"_s)->trigger();
        auto *page = c.child<gui::PolicyPage>("policyPage");
        page->findChild<QSpinBox *>(u"minLimitEdit"_s)->setValue(60); // above the initial limit of 50
        page->findChild<QPushButton *>(u"policyApplyButton"_s)->click();
        const QString refused = page->findChild<QLabel *>(u"policyMessageLabel"_s)->text();
        expectChinese(u"learning policy"_s, refused);
        if (refused != u"初始并发限制不能小于并发限制下限（60）。"_s)
            problems << u"learning policy: \""_s + refused + u'"';
        c.window->findChild<QAction *>(u"showKeysAction"_s)->trigger();

        // The banner when the database goes away (PostgreSQL: the server drops it).
        if (tdb_.isPostgres()) {
            probe = QSqlQuery();
            {
                QSqlDatabase::database(probe_).close();
            }
            QString error;
            QVERIFY2(tdb_.drop(&error), qPrintable(error));
            QVERIFY(!c.window->refresh());
            expectChinese(u"banner"_s, c.child<QLabel>("bannerLabel")->text());
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
    }

    void bannerWhenTheDatabaseGoesAway()
    {
        AETHER_CONSOLE(c);
        if (!tdb_.isPostgres())
            QSKIP("an embedded SQLite file does not go away; the PostgreSQL row checks the banner");
        // The database disappears (every connection to it is closed by the server, and it cannot be reconnected).
        {
            QSqlDatabase::database(probe_).close();
        }
        QString error;
        QVERIFY2(tdb_.drop(&error), qPrintable(error));
        QVERIFY(!c.window->refresh());
        QVERIFY(c.window->isBannerVisible());
        QVERIFY(c.child<QLabel>("bannerLabel")->text().contains(u"cannot"_s));
        QVERIFY(c.child<QPushButton>("retryButton")->isVisible());
        // Retry while it is still gone keeps the banner.
        QTest::mouseClick(c.child<QPushButton>("retryButton"), Qt::LeftButton);
        QVERIFY(c.window->isBannerVisible());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
