// The console window on a large database: time from the start of main() to the first painted key table, sorting by
// columns, selecting a key and drawing its chart, and the resident memory afterwards. Prints one line per figure.
//   aether-gui-bench DATABASE_URL
// (bench/gui.sh prepares a 100,000-key SQLite database and runs this under Xvfb.)

#include "auth/tokenstore.h"
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

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QHeaderView>
#include <QLineEdit>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>

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

// Sorts by several columns, each both ways, as a click on the column's header does.
void timeSorting(QTableView *view)
{
    for (const auto &[column, name] :
         {std::pair{KeyColumn::Learned, "learned limit"}, std::pair{KeyColumn::Name, "name"},
          std::pair{KeyColumn::Concurrent429, "concurrency 429s"}, std::pair{KeyColumn::Last429At, "last 429"},
          std::pair{KeyColumn::Adjustments, "adjustments"}}) {
        for (Qt::SortOrder order : {Qt::DescendingOrder, Qt::AscendingOrder}) {
            QElapsedTimer t;
            t.start();
            view->horizontalHeader()->setSortIndicator(int(column), order);
            const double query = ms(t);
            waitForPaint(view->viewport());
            std::printf("sort by %s %s: %.1f ms (query and first rows %.1f ms)\n", name,
                        order == Qt::AscendingOrder ? "ascending" : "descending", ms(t), query);
        }
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
        waitForPaint(window.detail()->historyChart()->viewport());
        worst = std::max(worst, ms(t));
        total += ms(t);
    }
    std::printf("select a key and draw its chart: mean %.1f ms, worst %.1f ms (%d keys)\n", total / picks, worst,
                picks);
}

// Filters the table by a text, as a search typed and confirmed does.
void timeFilter(gui::MainWindow &window, QTableView *view)
{
    QElapsedTimer t;
    t.start();
    auto *search = window.findChild<QLineEdit *>(QStringLiteral("searchEdit"));
    search->setText(QStringLiteral("prod-00"));
    emit search->returnPressed();
    waitForPaint(view->viewport());
    std::printf("filter by text: %.1f ms (%d rows)\n", ms(t), window.keyModel()->rowCount());
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
    waitForPaint(view->viewport());
    std::printf("first painted table: %.0f ms after main(), at %lld ms since the epoch (%d rows fetched of %lld)\n",
                ms(sinceStart), QDateTime::currentMSecsSinceEpoch(), window.keyModel()->rowCount(),
                core.table.count({}).ok() ? core.table.count({}).value() : -1LL);

    timeSorting(view);
    view->sortByColumn(int(KeyColumn::Name), Qt::AscendingOrder);
    waitForPaint(view->viewport());
    timeSelection(window);
    timeFilter(window, view);
    std::printf("resident memory: %s\n", qPrintable(rss()));
    return 0;
}
