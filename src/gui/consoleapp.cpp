#include "consoleapp.h"

#include "catalogue.h"
#include "consolesettings.h"
#include "database.h"
#include "demodata.h"
#include "guiformat.h"
#include "keyservice.h"
#include "keytable.h"
#include "mainwindow.h"
#include "migrations.h"
#include "tokenstore.h"

#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>

namespace aether::gui {

namespace {

Result<DatabaseLocation> chooseLocation(const WindowOptions &options, const ConsoleSettings &settings)
{
    const QString url = options.databaseUrl.value_or(settings.databaseUrl());
    return url.isEmpty() ? Result<DatabaseLocation>(DatabaseLocation::defaultLocation()) : DatabaseLocation::parse(url);
}

} // namespace

int runConsoleWindow(QApplication &app, const WindowOptions &options)
{
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/aether-console.svg")));
    ConsoleSettings settings;
    bool offerDemo = true;
    for (;;) {
        const Result<DatabaseLocation> location = chooseLocation(options, settings);
        if (!location) {
            QMessageBox::critical(nullptr, QObject::tr("Aether Console"),
                                  QObject::tr("The database address is not valid: %1").arg(location.error().detail));
            return 1;
        }
        const bool firstRun = location.value().isSqlite() && location.value().path != u":memory:" &&
                              !QFileInfo::exists(location.value().path);
        Database db(location.value());
        db.setCacheKibibytes(32 * 1024); // sorting 100,000 keys stays in memory
        Status ready = db.open();
        if (ready)
            ready = Migrations(db).run();
        ConsoleCore core(db, qEnvironmentVariable("AETHER_CONSOLE_TOKEN"));

        if (ready && (options.demo || (firstRun && offerDemo))) {
            const bool fill =
                options.demo ||
                QMessageBox::question(nullptr, QObject::tr("Aether Console"),
                                      QObject::tr("A new console database was created at %1.\n\nFill it with demo "
                                                  "data (3 providers, 5 endpoints, 40 keys with histories) to look "
                                                  "around?")
                                          .arg(location.value().displayName()),
                                      QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes) == QMessageBox::Yes;
            if (fill) {
                const Result<DemoSize> filled = DemoData(db).fill(options.demo ? options.demoKeys : 40);
                if (!filled && filled.error().code != ErrorCode::Conflict)
                    QMessageBox::warning(nullptr, QObject::tr("Aether Console"), describeError(filled.error()));
            }
        }
        offerDemo = false;

        MainWindow window(core.services(), settings);
        if (!ready)
            window.refresh(); // shows the banner with the reason; Retry and auto-refresh try again
        QObject::connect(&window, &MainWindow::languageChosen, &window,
                         [](const QString &language) { Catalogue::install(Catalogue::resolve(language)); });
        bool reopen = false;
        QObject::connect(&window, &MainWindow::reopenRequested, &window, [&] {
            reopen = true;
            window.close();
        });
        window.show();
        const int code = app.exec();
        if (!reopen)
            return code;
    }
}

} // namespace aether::gui
