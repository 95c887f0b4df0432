// aether-console-window: the console's window. aether-console starts it (with the same arguments) when it is run
// without --serve or another headless option.

#include "base/catalogue.h"
#include "commonoptions.h"
#include "consoleapp.h"
#include "consolesettings.h"

#include <QApplication>

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
    const app::CommonOptions common;
    common.addTo(parser);
    parser.process(app);

    app::WindowOptions options;
    if (const QString url = common.databaseUrl(parser); !url.isEmpty())
        options.databaseUrl = url;
    options.demo = parser.isSet(common.demo);
    const std::optional<int> demoKeys = common.demoKeyCount(parser);
    if (!demoKeys) {
        std::fprintf(stderr, "aether-console: %s\n",
                     qPrintable(QCoreApplication::translate("Cli", "--demo-keys takes a positive number")));
        return 1;
    }
    options.demoKeys = *demoKeys;
    QString timelineProblem;
    const std::optional<TimelineKeeper::Settings> timeline = common.timelineSettings(parser, &timelineProblem);
    if (!timeline) {
        std::fprintf(stderr, "aether-console: %s\n", qPrintable(timelineProblem));
        return 1;
    }
    if (parser.isSet(common.retentionDays))
        options.retentionDays = timeline->retentionDays;
    options.samplingSeconds = timeline->samplingSeconds;
    return app::runConsoleWindow(app, options);
}
