#include "consoleapp.h"

#include "base/catalogue.h"
#include "consolecore.h"
#include "consolesettings.h"
#include "dialogs.h"
#include "guiformat.h"
#include "icons.h"
#include "mainwindow.h"
#include "storage/databasesetup.h"
#include "timeline/timelinekeeper.h"

#include <QApplication>
#include <QFileInfo>

namespace aether::app {

namespace {

constexpr int defaultDemoKeys = 40;

Result<DatabaseLocation> chooseLocation(const WindowOptions &options, const gui::ConsoleSettings &settings)
{
    const QString url = options.databaseUrl.value_or(settings.databaseUrl());
    return url.isEmpty() ? Result<DatabaseLocation>(DatabaseLocation::defaultLocation()) : DatabaseLocation::parse(url);
}

// Opens, migrates and (with --demo, or when the user agrees on a first run) fills the database. Whether it is ready;
// when not, the window shows why.
Status prepare(Database &db, const WindowOptions &options, bool offerDemo)
{
    const DatabaseLocation &location = db.location();
    const bool firstRun = location.isSqlite() && location.path != u":memory:" && !QFileInfo::exists(location.path);
    db.setCacheKibibytes(32 * 1024); // sorting 100,000 keys stays in memory
    const DatabaseSetup setup = setUpDatabase(db, [&]() -> std::optional<int> {
        if (options.demo)
            return options.demoKeys;
        if (!firstRun || !offerDemo)
            return std::nullopt;
        const bool fill = gui::dialogs::askYesNo(
            nullptr, QObject::tr("Aether Console"),
            QObject::tr("A new console database was created at %1.\n\nFill it with demo data (3 providers, 5 "
                        "endpoints, 40 keys with histories) to look around?")
                .arg(location.displayName()),
            false, true);
        return fill ? std::optional<int>(defaultDemoKeys) : std::nullopt;
    });
    if (setup.demo && !*setup.demo && setup.demo->error().code != ErrorCode::Conflict)
        gui::dialogs::warning(nullptr, QObject::tr("Aether Console"), gui::describeError(setup.demo->error()));
    return setup.ready;
}

} // namespace

int runConsoleWindow(QApplication &app, const WindowOptions &options)
{
    QApplication::setWindowIcon(gui::icon(gui::Icon::Application));
    gui::ConsoleSettings settings;
    bool offerDemo = true;
    for (;;) {
        const Result<DatabaseLocation> location = chooseLocation(options, settings);
        if (!location) {
            gui::dialogs::critical(nullptr, QObject::tr("Aether Console"),
                                   QObject::tr("The database address is not valid: %1").arg(location.error().text()));
            return 1;
        }
        Database db(location.value());
        const Status ready = prepare(db, options, offerDemo);
        offerDemo = false;
        ConsoleCore core(db, qEnvironmentVariable("AETHER_CONSOLE_TOKEN"));
        TimelineKeeper timeline(location.value(),
                                {options.samplingSeconds, options.retentionDays.value_or(settings.retentionDays())});
        timeline.start();
        gui::ConsoleServices services = core.services();
        services.timeline = &timeline;
        gui::MainWindow window(services, settings);
        if (!ready)
            window.refresh(); // shows the banner with the reason; Retry and auto-refresh try again
        QObject::connect(&window, &gui::MainWindow::languageChosen, &window,
                         [](const QString &language) { Catalogue::install(Catalogue::resolve(language)); });
        bool reopen = false;
        QObject::connect(&window, &gui::MainWindow::reopenRequested, &window, [&] {
            reopen = true;
            window.close();
        });
        window.show();
        const int code = app.exec();
        if (!reopen)
            return code;
    }
}

} // namespace aether::app
