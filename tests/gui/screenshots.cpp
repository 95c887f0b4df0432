// Renders the console's main window, a key's detail with its history chart, and the Summary page into PNG files, on
// a demo database of its own (scripts/screenshots.sh runs it under Xvfb so that real fonts are used).
//   aether-screenshots OUTPUT_DIR [LANGUAGE]

#include "auth/tokenstore.h"
#include "base/catalogue.h"
#include "consolecore.h"
#include "consolesettings.h"
#include "keydetailwidget.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "settingsdialog.h"
#include "simulatorpage.h"
#include "storage/database.h"
#include "storage/demodata.h"
#include "storage/migrations.h"
#include "summarypage.h"
#include "tokendialog.h"
#include "trendpanel.h"

#include <QApplication>
#include <QDir>
#include <QHeaderView>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <cstdio>

using namespace aether;

namespace {

bool save(QWidget *window, const QString &file)
{
    QTest::qWait(400); // let charts and the table settle
    const bool ok = window->grab().save(file, "PNG");
    std::fprintf(stderr, "%s %s\n", ok ? "wrote" : "FAILED", qPrintable(file));
    return ok;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Aether"));
    QCoreApplication::setApplicationName(QStringLiteral("aether-console-screenshots"));
    if (argc < 2) {
        std::fprintf(stderr, "usage: aether-screenshots OUTPUT_DIR [LANGUAGE]\n");
        return 2;
    }
    const QString out = QString::fromLocal8Bit(argv[1]);
    const QString suffix = argc > 2 ? u'-' + QString::fromLocal8Bit(argv[2]) : QString();
    QDir().mkpath(out);
    Catalogue::install(Catalogue::resolve(argc > 2 ? QString::fromLocal8Bit(argv[2]) : QStringLiteral("en")));

    QTemporaryDir dir;
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir.path());
    DatabaseLocation location;
    location.path = dir.filePath(QStringLiteral("demo.sqlite"));
    Database db(location);
    if (!db.open() || !Migrations(db).run() || !DemoData(db).fill(40)) {
        std::fprintf(stderr, "cannot prepare the demo database\n");
        return 1;
    }
    app::ConsoleCore core(db);
    gui::ConsoleSettings settings;
    settings.setAutoRefresh(false);
    gui::MainWindow window(core.services(), settings);
    window.resize(1500, 920);
    window.move(0, 0);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return 1;

    // Waits until the key table shows what was asked last.
    const auto settle = [&window] {
        return QTest::qWaitFor([&window] { return !window.keyModel()->isLoading(); }, 10000);
    };
    // Selects a key and waits until it is selected.
    const auto select = [&window](const QString &keyId) {
        window.selectKey(keyId);
        return !keyId.isEmpty() && QTest::qWaitFor([&] { return window.selectedKeyId() == keyId; }, 10000);
    };
    settle();
    bool ok = save(&window, out + QStringLiteral("/main-window%1.png").arg(suffix));
    // The key with the longest history, so the chart shows the learning.
    if (auto *view = window.findChild<QTableView *>(QStringLiteral("keyTable")))
        view->sortByColumn(int(KeyColumn::Adjustments), Qt::DescendingOrder);
    settle();
    ok = select(window.keyModel()->keyIdAt(0)) && ok;
    ok = save(&window, out + QStringLiteral("/key-detail%1.png").arg(suffix)) && ok;
    // The same key's 429s and limit over the last 7 days, further down the detail pane.
    if (auto *trend = window.findChild<gui::TrendPanel *>(QStringLiteral("keyTrend"))) {
        trend->setRange(gui::TrendPanel::Range::LastWeek);
        if (auto *scroll = window.findChild<QScrollArea *>(QStringLiteral("detailScroll")))
            scroll->ensureWidgetVisible(trend, 0, 0);
        while (trend->isLoading())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        ok = save(&window, out + QStringLiteral("/key-trend%1.png").arg(suffix)) && ok;
        trend->setRange(gui::TrendPanel::Range::LastDay);
    }
    window.findChild<QTabWidget *>(QStringLiteral("pages"))->setCurrentIndex(1);
    while (window.summaryPage()->isLoading())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    ok = save(&window, out + QStringLiteral("/summary%1.png").arg(suffix)) && ok;
    // The Summary of one endpoint.
    if (auto *tree = window.findChild<QTreeWidget *>(QStringLiteral("navigationTree"))) {
        tree->setCurrentItem(tree->topLevelItem(0)->child(0)->child(0));
        while (window.summaryPage()->isLoading())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        ok = save(&window, out + QStringLiteral("/summary-endpoint%1.png").arg(suffix)) && ok;
        tree->setCurrentItem(tree->topLevelItem(0));
    }
    // The learning policy with one value edited and not applied yet.
    window.findChild<QTabWidget *>(QStringLiteral("pages"))->setCurrentIndex(2);
    if (auto *step = window.findChild<QSpinBox *>(QStringLiteral("increaseStepEdit")))
        step->setValue(3);
    ok = save(&window, out + QStringLiteral("/policy%1.png").arg(suffix)) && ok;
    // A refused combination: the reason stands next to its field.
    if (auto *minimum = window.findChild<QSpinBox *>(QStringLiteral("minLimitEdit"))) {
        minimum->setValue(60);
        if (auto *apply = window.findChild<QPushButton *>(QStringLiteral("policyApplyButton")))
            apply->click();
        QCoreApplication::processEvents();
        ok = save(&window, out + QStringLiteral("/policy-error%1.png").arg(suffix)) && ok;
        if (auto *revert = window.findChild<QPushButton *>(QStringLiteral("policyRevertButton")))
            revert->click();
    }
    // The audit page after a few changes through the HTTP API and the window.
    const QStringList ids = core.table.ids(KeyFilter{}).value();
    core.keys.apply(KeyChange::setMode(ids.at(0), false, 8, Actor{QStringLiteral("token:ops")}));
    core.keys.apply(KeyChange::resetLearning(ids.at(1), Actor{QStringLiteral("token:ops")}));
    core.keys.apply(KeyChange::setLimit(ids.at(2), 12, Actor{QStringLiteral("gui:ann@ops-desk")}));
    core.keys.apply(KeyChange::setMode(ids.at(3), true, std::nullopt, Actor{QStringLiteral("gui:ann@ops-desk")}));
    auto *pages = window.findChild<QTabWidget *>(QStringLiteral("pages"));
    pages->setCurrentWidget(window.findChild<QWidget *>(QStringLiteral("auditTab")));
    ok = save(&window, out + QStringLiteral("/audit%1.png").arg(suffix)) && ok;
    // The simulator: the recommended strategy and the reference over the limit changes of the shared suite.
    pages->setCurrentWidget(window.findChild<QWidget *>(QStringLiteral("simulatorTab")));
    window.simulatorPage()->selectScenario(QStringLiteral("limit_change"));
    window.simulatorPage()->selectStrategies({QStringLiteral("aether_ceiling"), QStringLiteral("aether_aimd")});
    {
        QEventLoop loop;
        QObject::connect(window.simulatorPage(), &gui::SimulatorPage::finished, &loop, &QEventLoop::quit);
        window.simulatorPage()->run();
        loop.exec();
    }
    ok = save(&window, out + QStringLiteral("/simulator%1.png").arg(suffix)) && ok;
    // Every column shown and the table scrolled to its right end: the names stay, inactive keys are dimmed, the
    // selected row keeps its mode icon visible.
    db.execRaw(QStringLiteral("UPDATE provider_api_keys SET is_active = 0 WHERE rowid % 7 = 0"));
    window.findChild<QTabWidget *>(QStringLiteral("pages"))->setCurrentIndex(0);
    window.refresh();
    if (auto *view = window.findChild<QTableView *>(QStringLiteral("keyTable"))) {
        for (int column = 0; column < visibleKeyColumnCount; ++column)
            view->setColumnHidden(column, false);
        for (int column = 0; column < visibleKeyColumnCount; ++column) // as the header's menu does
            view->setColumnWidth(
                column, std::max(view->columnWidth(column), view->horizontalHeader()->sectionSizeHint(column)));
        view->sortByColumn(int(KeyColumn::Name), Qt::AscendingOrder);
        ok = select(window.keyModel()->keyIdAt(2)) && ok;
        QCoreApplication::processEvents();
        view->horizontalScrollBar()->setValue(view->horizontalScrollBar()->maximum());
        QCoreApplication::processEvents();
        ok = save(&window, out + QStringLiteral("/keys-scrolled%1.png").arg(suffix)) && ok;
    }
    // The dialogs, to check their layouts in both languages.
    gui::SettingsDialog settingsDialog(settings, location, &core.endpoint, &window);
    settingsDialog.show();
    ok = save(&settingsDialog, out + QStringLiteral("/settings%1.png").arg(suffix)) && ok;
    settingsDialog.close();
    gui::TokenDialog tokenDialog(core.tokens, &window);
    tokenDialog.show();
    ok = save(&tokenDialog, out + QStringLiteral("/tokens%1.png").arg(suffix)) && ok;
    return ok ? 0 : 1;
}
