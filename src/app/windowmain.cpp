// aether-console-window: the console's window. aether-console starts it (with the same arguments) when it is run
// without --serve or another headless option.

#include "catalogue.h"
#include "consoleapp.h"
#include "consolesettings.h"

#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>

using namespace aether;

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Aether"));
    QCoreApplication::setApplicationName(QStringLiteral("aether-console")); // the same settings as the server's
    QCoreApplication::setApplicationVersion(QStringLiteral(AETHER_CONSOLE_VERSION));
    // The window speaks the language chosen in its settings (by default the system's).
    Catalogue::install(Catalogue::resolve(gui::ConsoleSettings().language()));

    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "Cli", "Aether Console: administration of per-key adaptive concurrency for an LLM API gateway."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption database(
        QStringLiteral("database"),
        QCoreApplication::translate("Cli", "Database: a file path, sqlite:///abs/path or "
                                           "postgresql://user:password@host:port/dbname (default: "
                                           "$AETHER_CONSOLE_DATABASE, else the embedded SQLite file)."),
        QStringLiteral("url"));
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QCoreApplication::translate("Cli", "Fill an empty database with demo providers, endpoints and keys."));
    const QCommandLineOption demoKeys(QStringLiteral("demo-keys"),
                                      QCoreApplication::translate("Cli", "Number of keys --demo creates (default 40)."),
                                      QStringLiteral("n"), QStringLiteral("40"));
    parser.addOptions({database, demo, demoKeys});
    parser.process(app);

    gui::WindowOptions options;
    if (parser.isSet(database))
        options.databaseUrl = parser.value(database);
    else if (qEnvironmentVariableIsSet("AETHER_CONSOLE_DATABASE"))
        options.databaseUrl = qEnvironmentVariable("AETHER_CONSOLE_DATABASE");
    options.demo = parser.isSet(demo);
    bool ok = false;
    options.demoKeys = parser.value(demoKeys).toInt(&ok);
    if (!ok || options.demoKeys < 1) {
        std::fprintf(stderr, "aether-console: %s\n",
                     qPrintable(QCoreApplication::translate("Cli", "--demo-keys takes a positive number")));
        return 1;
    }
    return gui::runConsoleWindow(app, options);
}
