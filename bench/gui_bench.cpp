// The console window on a large database: time from the start of main() to the first painted key table, sorting by
// columns, selecting a key and drawing its chart, and the resident memory afterwards. Prints one line per figure.
//   aether-gui-bench DATABASE_URL
// (bench/gui.sh prepares a 100,000-key SQLite database and runs this under Xvfb.)

#include "auditpage.h"
#include "auth/tokenstore.h"
#include "bulkrunner.h"
#include "charts/historychart.h"
#include "consolecore.h"
#include "consolesettings.h"
#include "keydetailwidget.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "keytablemodel.h"
#include "mainwindow.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "summarypage.h"

#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStandardItemModel>
#include <QTableView>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>

#include <cstdio>

using namespace aether;

namespace {

// Waits until `widget` has been painted once more (at most 10 s).
void waitForPaint(QWidget *widget)
{
    struct Watcher : QObject {
        bool painted = false;
        bool eventFilter(QObject *, QEvent *e) override
        {
            if (e->type() == QEvent::Paint)
                painted = true;
            return false;
        }
    } watcher;
    widget->installEventFilter(&watcher);
    widget->update();
    QElapsedTimer limit;
    limit.start();
    while (!watcher.painted && limit.elapsed() < 10000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    // The paint event is delivered before painting ends: let it finish.
    QCoreApplication::processEvents();
    widget->removeEventFilter(&watcher);
}

// Waits until the key table shows what was asked last (at most 30 s).
void waitForRows(gui::KeyTableModel *model)
{
    QElapsedTimer limit;
    limit.start();
    while (model->isLoading() && limit.elapsed() < 30000)
        QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 5);
}

double ms(const QElapsedTimer &t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

QString rss()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return QString::fromLatin1(line.mid(6).simplified());
    }
    return {};
}

// The longest time the GUI thread went without handling a 5 ms timer while `work` ran (its responsiveness).
template <typename Work> double longestStall(Work &&work)
{
    QElapsedTimer sinceTick;
    sinceTick.start();
    double longest = 0;
    QTimer ticker;
    ticker.setInterval(5);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        longest = std::max(longest, ms(sinceTick));
        sinceTick.restart();
    });
    ticker.start();
    work();
    longest = std::max(longest, ms(sinceTick));
    return longest;
}

// A bulk change of 10,000 adaptive keys from the window (fixed at 7, then back to adaptive, so that the database is
// as before), with the longest stall of the GUI thread meanwhile.
void timeBulk(Database &db, KeyTable &table, QWidget *window)
{
    KeyFilter adaptive;
    adaptive.mode = KeyFilter::Mode::Adaptive;
    Result<QStringList> ids = table.ids(adaptive);
    if (!ids)
        return;
    BulkRequest request;
    request.keyIds = ids.value().mid(0, 10000);
    request.actor = Actor{QStringLiteral("gui:bench@localhost")};
    gui::BulkRunner runner(db.location(), window);
    for (const bool fixed : {true, false}) {
        request.action = fixed ? BulkRequest::Action::SetLimit : BulkRequest::Action::SetMode;
        request.limit = 7;
        request.adaptive = true;
        QElapsedTimer t;
        t.start();
        Result<BulkResult> result = Result<BulkResult>(BulkResult{});
        const double stall = longestStall([&] { result = runner.run(request, QStringLiteral("bulk")); });
        std::printf("bulk %s of %lld keys from the window: %.0f ms (%lld changed), longest GUI stall %.0f ms\n",
                    fixed ? "set_limit" : "set_mode adaptive", qlonglong(request.keyIds->size()), ms(t),
                    result ? qlonglong(result.value().changed) : -1LL, stall);
    }
}

// The audit page over at least 100,000 entries (added once to the benchmark's database): the first page, five pages
// older, and one key's entries.
void timeAudit(Database &db, const QString &someKey)
{
    Result<SqlStatement> count = db.exec(QStringLiteral("SELECT count(*) FROM console_audit_log"));
    qint64 rows = count && count.value().next() ? count.value().value(0).toLongLong() : 0;
    if (rows < 100000) {
        db.transaction<Done>(Database::Mode::Write, [&]() -> Status {
            for (qint64 i = rows; i < 100000; ++i) {
                Result<SqlStatement> st =
                    db.exec(QStringLiteral("INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES "
                                           "(?, 'token:bench', 'set_limit', ?, '{\"old_max_concurrent\":null,"
                                           "\"new_max_concurrent\":5}')"),
                            {Timestamp::fromMicroseconds(1735689600000000LL + i * 1000000).toIsoString(),
                             QStringLiteral("bench-key-%1").arg(i % 5000)});
                if (!st)
                    return st.error();
            }
            return Done{};
        });
        rows = 100000;
    }
    gui::AuditPage page(db);
    page.resize(1400, 800);
    page.show();
    QElapsedTimer t;
    t.start();
    page.reload();
    waitForPaint(page.findChild<QTableView *>(QStringLiteral("auditTable"))->viewport());
    std::printf("audit page over %lld+ entries: first page %.1f ms\n", rows, ms(t));
    auto *older = page.findChild<QPushButton *>(QStringLiteral("auditOlderButton"));
    t.restart();
    for (int i = 0; i < 5; ++i)
        older->click();
    std::printf("audit page: five pages older %.1f ms each\n", ms(t) / 5);
    t.restart();
    page.showKey(someKey);
    std::printf("audit page: one key's entries %.1f ms (%d rows)\n", ms(t), page.model()->rowCount());
}

// The Summary page on its first visit (nothing shown yet) and on a second one (the figures of the first stay shown
// while new ones are read): until the figures are there, and the longest GUI-thread stall meanwhile.
void timeSummary(gui::MainWindow &window)
{
    auto *pages = window.findChild<QTabWidget *>(QStringLiteral("pages"));
    for (const char *visit : {"first", "second"}) {
        pages->setCurrentIndex(0);
        QElapsedTimer t;
        t.start();
        const double stall = longestStall([&] {
            pages->setCurrentIndex(1);
            // Sleeps between events as the window's own event loop does (the ticker wakes it every 5 ms); spinning
            // here would take a core from the worker and the database server.
            while (window.summaryPage()->isLoading())
                QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents);
        });
        std::printf("summary page, %s visit: figures after %.0f ms, longest GUI stall %.0f ms\n", visit, ms(t), stall);
    }
    pages->setCurrentIndex(0);
}

// Sorts by every column, each both ways, as a click on the column's header does: the time until the first rows of
// the new order are painted, and the longest stall of the GUI thread meanwhile.
void timeSorting(gui::MainWindow &window, QTableView *view)
{
    double worst = 0;
    for (int c = 0; c < visibleKeyColumnCount; ++c) {
        const KeyColumn column = KeyColumn(c);
        for (Qt::SortOrder order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
            QElapsedTimer t;
            t.start();
            const double stall = longestStall([&] {
                view->horizontalHeader()->setSortIndicator(int(column), order);
                waitForRows(window.keyModel());
            });
            waitForPaint(view->viewport());
            worst = std::max(worst, ms(t));
            std::printf("sort by %s %s: %.1f ms to the first painted rows, longest GUI stall %.0f ms\n",
                        qPrintable(gui::KeyTableModel::columnTitle(column)),
                        order == Qt::AscendingOrder ? "ascending" : "descending", ms(t), stall);
        }
    }
    std::printf("sorting: slowest %.1f ms\n", worst);
}

// Jumps to the last row (Ctrl+End) and back to the first (Ctrl+Home): until the rows there are painted.
void timeJumps(gui::MainWindow &window, QTableView *view)
{
    gui::KeyTableModel *model = window.keyModel();
    for (const auto &[key, name] : {std::pair{Qt::Key_End, "last"}, std::pair{Qt::Key_Home, "first"}}) {
        view->setFocus();
        QElapsedTimer t;
        t.start();
        QKeyEvent press(QEvent::KeyPress, key, Qt::ControlModifier);
        QCoreApplication::sendEvent(view, &press);
        const int row = key == Qt::Key_End ? model->rowCount() - 1 : 0;
        QElapsedTimer limit;
        limit.start();
        while (model->keyIdAt(row).isEmpty() && limit.elapsed() < 30000)
            QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 5);
        waitForPaint(view->viewport());
        std::printf("jump to the %s row (Ctrl+%s): %.1f ms (row %d)\n", name, key == Qt::Key_End ? "End" : "Home",
                    ms(t), row + 1);
    }
}

// Selects 20 keys spread over the table, each until its chart is drawn.
void timeSelection(gui::MainWindow &window)
{
    double worst = 0, total = 0;
    const int picks = 20;
    for (int i = 0; i < picks; ++i) {
        const QString keyId = window.keyModel()->keyIdAt(i * 7);
        QElapsedTimer t;
        t.start();
        window.selectKey(keyId);
        while (window.selectedKeyId() != keyId && t.elapsed() < 10000)
            QCoreApplication::processEvents(QEventLoop::AllEvents | QEventLoop::WaitForMoreEvents, 5);
        waitForPaint(window.detail()->historyChart()->viewport());
        worst = std::max(worst, ms(t));
        total += ms(t);
    }
    std::printf("select a key and draw its chart: mean %.1f ms, worst %.1f ms (%d keys)\n", total / picks, worst,
                picks);
}

// Filters the table by texts, as a search typed and confirmed does, and by mode: until the first rows are painted.
void timeFilter(gui::MainWindow &window, QTableView *view)
{
    auto *search = window.findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    for (const QString &text : {QStringLiteral("prod-00"), QStringLiteral("team-b-00042"), QStringLiteral("7a1"),
                                QStringLiteral("no such key"), QString()}) {
        QElapsedTimer t;
        t.start();
        const double stall = longestStall([&] {
            search->setText(text);
            emit search->returnPressed();
            waitForRows(window.keyModel());
        });
        waitForPaint(view->viewport());
        std::printf("filter by text \"%s\": %.1f ms to the first painted rows (%lld rows), longest GUI stall %.0f ms\n",
                    qPrintable(text), ms(t), window.keyModel()->keyCount(), stall);
    }
    auto *mode = window.findChild<QComboBox *>(QStringLiteral("modeFilterCombo"));
    for (int i : {2, 1, 0}) {
        QElapsedTimer t;
        t.start();
        mode->setCurrentIndex(i);
        waitForRows(window.keyModel());
        waitForPaint(view->viewport());
        std::printf("filter by mode \"%s\": %.1f ms to the first painted rows (%lld rows)\n",
                    qPrintable(mode->currentText()), ms(t), window.keyModel()->keyCount());
    }
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    QApplication app(argc, argv);
    if (argc < 2) {
        std::fprintf(stderr, "usage: aether-gui-bench DATABASE_URL\n");
        return 2;
    }
    QTemporaryDir settingsDir;
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, settingsDir.path());
    const Result<DatabaseLocation> location = DatabaseLocation::parse(QString::fromLocal8Bit(argv[1]));
    if (!location)
        return 2;
    Database db(location.value());
    db.setCacheKibibytes(32 * 1024); // as the console window does
    if (!db.open() || !Migrations(db).run()) {
        std::fprintf(stderr, "cannot open the database\n");
        return 1;
    }
    app::ConsoleCore core(db);
    gui::ConsoleSettings settings;
    settings.setAutoRefresh(false);
    gui::MainWindow window(core.services(), settings);
    window.resize(1500, 920);
    window.show();
    auto *view = window.findChild<QTableView *>(QStringLiteral("keyTable"));
    waitForRows(window.keyModel());
    waitForPaint(view->viewport());
    std::printf("first painted table: %.0f ms after main(), at %lld ms since the epoch (%d rows of %lld)\n",
                ms(sinceStart), QDateTime::currentMSecsSinceEpoch(), window.keyModel()->rowCount(),
                window.keyModel()->keyCount());

    timeSorting(window, view);
    view->sortByColumn(int(KeyColumn::Name), Qt::AscendingOrder);
    waitForRows(window.keyModel());
    waitForPaint(view->viewport());
    timeJumps(window, view);
    timeSelection(window);
    timeFilter(window, view);
    std::printf("resident memory: %s\n", qPrintable(rss()));
    timeSummary(window);
    std::printf("resident memory after the summary: %s\n", qPrintable(rss()));
    timeBulk(db, core.table, &window);
    timeAudit(db, QStringLiteral("bench-key-42"));
    return 0;
}
