// The program's composition root: parses the command line, opens the database, builds the services and hands them
// to the front end that was asked for (command-line actions or the HTTP endpoint).

#include "auth/tokenstore.h"
#include "base/catalogue.h"
#include "commonoptions.h"
#include "endpointoptions.h"
#include "httpendpoint.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "scriptcommands.h"
#include "servicenotifier.h"
#include "signalwatcher.h"
#include "simulatecommand.h"
#include "simulation/learnerpeer.h"
#include "storage/database.h"
#include "storage/databasesetup.h"
#include "terminaltable.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <optional>
#include <unistd.h>

using namespace aether;

namespace {

constexpr int eventLoopLockWaitMs = 50;

using app::printLine;

int fail(const QString &text)
{
    printLine(stderr, QStringLiteral("aether-console: ") + text);
    return 1;
}

struct ListenAddress {
    QHostAddress address;
    quint16 port = 0;
};

std::optional<ListenAddress> parseListen(const QString &text)
{
    const qsizetype colon = text.lastIndexOf(u':');
    QString host = colon < 0 ? QStringLiteral("127.0.0.1") : text.left(colon);
    const QString portText = colon < 0 ? text : text.mid(colon + 1);
    bool ok = false;
    const uint port = portText.toUInt(&ok);
    if (!ok || port > 65535)
        return std::nullopt;
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty())
        host = QStringLiteral("127.0.0.1");
    ListenAddress listen;
    listen.port = quint16(port);
    if (host == u"localhost")
        listen.address = QHostAddress(QHostAddress::LocalHost);
    else if (!listen.address.setAddress(host))
        return std::nullopt;
    return listen;
}

QString urlHost(const QHostAddress &address)
{
    return address.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + address.toString() + u']' : address.toString();
}

// True when the command line asks for something that needs no window: serving, token commands, --prepare, help.
bool wantsHeadless(int argc, char *argv[])
{
    static const char *const headlessOptions[] = {"--serve",
                                                  "--create-token",
                                                  "--list-tokens",
                                                  "--revoke-token",
                                                  "--prepare",
                                                  "--learner-peer",
                                                  "--simulate",
                                                  "--list-strategies",
                                                  "--help",
                                                  "-h",
                                                  "--help-all",
                                                  "--version",
                                                  "-v",
                                                  "-?"};
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (app::isScriptCommand(QString::fromLocal8Bit(arg)))
            return true;
        for (const char *option : headlessOptions) {
            if (arg == option || arg.startsWith(QByteArray(QByteArray(option) + '=')))
                return true;
        }
    }
    return false;
}

// Whether every option the parser did not know is one of QGuiApplication's (-platform, -style…), which the window
// program takes.
bool onlyWindowOptionsUnknown(const QCommandLineParser &parser)
{
    static const QStringList qtOptions{QStringLiteral("platform"),        QStringLiteral("platformpluginpath"),
                                       QStringLiteral("platformtheme"),   QStringLiteral("plugin"),
                                       QStringLiteral("qwindowgeometry"), QStringLiteral("qwindowicon"),
                                       QStringLiteral("qwindowtitle"),    QStringLiteral("reverse"),
                                       QStringLiteral("session"),         QStringLiteral("display"),
                                       QStringLiteral("geometry"),        QStringLiteral("style"),
                                       QStringLiteral("stylesheet"),      QStringLiteral("widgetcount")};
    const QStringList unknown = parser.unknownOptionNames();
    return !unknown.isEmpty() &&
           std::all_of(unknown.cbegin(), unknown.cend(), [](const QString &name) { return qtOptions.contains(name); });
}

// Replaces this process with aether-console-window, with the same arguments: beside this program in a build folder,
// in ../libexec/aether-console once installed.
int runWindowProgram(char *argv[])
{
    const QByteArray self = QFile::symLinkTarget(QStringLiteral("/proc/self/exe")).toLocal8Bit();
    const QByteArray folder = self.left(self.lastIndexOf('/') + 1);
    QByteArray window = folder + "aether-console-window";
    if (!QFile::exists(QString::fromLocal8Bit(window)))
        window = folder + "../libexec/aether-console/aether-console-window";
    argv[0] = const_cast<char *>(window.constData());
    execv(window.constData(), argv);
    std::fprintf(stderr, "aether-console: cannot start the window program %s: %s\n", window.constData(),
                 std::strerror(errno));
    return 1;
}

// The simulator's external-learner protocol on stdin/stdout (sim/README.md): a JSON line in, a JSON line out.
int runLearnerPeer(const QString &strategy)
{
    if (!LearningPolicy::strategies().contains(strategy))
        return fail(QCoreApplication::translate("Cli", "unknown strategy \"%1\": use one of %2")
                        .arg(strategy, LearningPolicy::strategies().join(
                                           QCoreApplication::translate("Cli", ", ", "between the items of a list"))));
    LearnerPeer peer(strategy);
    if (const Status opened = peer.open(); !opened)
        return fail(app::describeFailure(opened.error()));
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.empty())
            continue;
        const QByteArray reply = peer.handleLine(QByteArray::fromStdString(line));
        std::fwrite(reply.constData(), 1, size_t(reply.size()), stdout);
        std::fputc('\n', stdout);
        std::fflush(stdout);
    }
    return 0;
}

int listTokens(TokenStore &tokens)
{
    Result<QList<TokenInfo>> list = tokens.list();
    if (!list)
        return fail(app::describeFailure(list.error()));
    app::TextTable table({QCoreApplication::translate("Cli", "NAME"), QCoreApplication::translate("Cli", "ROLE"),
                          QCoreApplication::translate("Cli", "CREATED"),
                          QCoreApplication::translate("Cli", "LAST USED")});
    for (const TokenInfo &t : list.value()) {
        table.addRow({t.name, roleToString(t.role), t.createdAt.toIsoString(),
                      t.lastUsedAt ? t.lastUsedAt->toIsoString()
                                   : QCoreApplication::translate("Cli", "never", "token never used")});
    }
    table.print(stdout);
    return 0;
}

// The options of aether-console beyond those it shares with the window (CommonOptions) and the endpoint's limits.
struct CliOptions {
    QCommandLineOption serve{QStringLiteral("serve"),
                             QCoreApplication::translate("Cli", "Serve the HTTP API without a window.")};
    QCommandLineOption listen{
        QStringLiteral("listen"),
        QCoreApplication::translate("Cli", "Address of the HTTP API (default 127.0.0.1:8087; port 0 = any)."),
        QStringLiteral("host:port"), QStringLiteral("127.0.0.1:8087")};
    QCommandLineOption createToken{QStringLiteral("create-token"),
                                   QCoreApplication::translate("Cli", "Create an API token and print it once."),
                                   QStringLiteral("name")};
    QCommandLineOption role{
        QStringLiteral("role"),
        QCoreApplication::translate("Cli", "Role of a new token: admin, viewer or gateway (default admin)."),
        QStringLiteral("role"), QStringLiteral("admin")};
    QCommandLineOption listTokens{QStringLiteral("list-tokens"),
                                  QCoreApplication::translate("Cli", "List the API tokens.")};
    QCommandLineOption revokeToken{QStringLiteral("revoke-token"),
                                   QCoreApplication::translate("Cli", "Revoke an API token."), QStringLiteral("name")};
    QCommandLineOption prepare{
        QStringLiteral("prepare"),
        QCoreApplication::translate("Cli", "Create or update the database (with --demo: fill it), then exit "
                                           "without opening the window.")};
    QCommandLineOption learnerPeer{
        QStringLiteral("learner-peer"),
        QCoreApplication::translate("Cli", "Serve the learning to the simulator's external-learner protocol on "
                                           "standard input and output (sim/README.md), then exit.")};
    QCommandLineOption strategy{
        QStringLiteral("strategy"),
        QCoreApplication::translate("Cli", "Learning strategy: of --learner-peer (default %2), or one of those "
                                           "--simulate compares (repeat it; default all): %1.")
            .arg(LearningPolicy::strategies().join(
                     QCoreApplication::translate("Cli", ", ", "between the items of a list")),
                 LearningPolicy::defaultStrategy()),
        QStringLiteral("name")};
    QCommandLineOption listStrategies{
        QStringLiteral("list-strategies"),
        QCoreApplication::translate("Cli", "List the learning strategies, the recommended one first, then exit.")};
    QCommandLineOption simulate{
        QStringLiteral("simulate"),
        QCoreApplication::translate("Cli", "Run the learning simulator over a scenario (a built-in name such as "
                                           "limit_change, or a file in the JSON format of sim/scenarios) with each "
                                           "--strategy and the oracle, print the metrics, then exit."),
        QStringLiteral("scenario")};
    QCommandLineOption policy{
        QStringLiteral("policy"),
        QCoreApplication::translate("Cli", "With --simulate: a JSON file of learning policy values to use instead of "
                                           "the defaults."),
        QStringLiteral("file")};
    QCommandLineOption seed{QStringLiteral("seed"),
                            QCoreApplication::translate("Cli", "With --simulate: the random seed, instead of the "
                                                               "scenario's."),
                            QStringLiteral("n")};
    app::CommonOptions common;
    app::ScriptOptions script;
    app::EndpointOptions endpoint;

    void addTo(QCommandLineParser &parser) const
    {
        common.addTo(parser);
        parser.addOptions({serve, listen, createToken, role, listTokens, revokeToken, prepare, learnerPeer, strategy,
                           listStrategies, simulate, policy, seed});
        endpoint.addTo(parser);
        script.addTo(parser);
    }
    // Only serving: a database that is not reachable yet is waited for (503 until then).
    bool servesOnly(const QCommandLineParser &parser) const
    {
        return parser.isSet(serve) && !parser.isSet(createToken) && !parser.isSet(listTokens) &&
               !parser.isSet(revokeToken) && !parser.isSet(common.demo);
    }
};

// --create-token, --list-tokens, --revoke-token; std::nullopt when none was asked for.
std::optional<int> runTokenCommand(const CliOptions &cli, const QCommandLineParser &parser, TokenStore &tokens)
{
    if (parser.isSet(cli.createToken)) {
        const std::optional<Role> newRole = roleFromString(parser.value(cli.role));
        if (!newRole)
            return fail(QCoreApplication::translate("Cli", "unknown role \"%1\": use admin, viewer or gateway")
                            .arg(parser.value(cli.role)));
        Result<NewToken> token = tokens.create(parser.value(cli.createToken), *newRole);
        if (!token)
            return fail(app::describeFailure(token.error()));
        printLine(stdout, QCoreApplication::translate("Cli", "Created %1 token \"%2\". It is shown only once:")
                              .arg(roleToString(*newRole), token.value().info.name));
        printLine(stdout, token.value().secret);
        return 0;
    }
    if (parser.isSet(cli.listTokens))
        return listTokens(tokens);
    if (parser.isSet(cli.revokeToken)) {
        if (const Status revoked = tokens.revoke(parser.value(cli.revokeToken)); !revoked)
            return fail(app::describeFailure(revoked.error()));
        printLine(stdout,
                  QCoreApplication::translate("Cli", "Revoked token \"%1\".").arg(parser.value(cli.revokeToken)));
        return 0;
    }
    return std::nullopt;
}

// Reports what --demo did; false when it failed.
bool reportDemo(const Result<DemoSize> &filled)
{
    if (filled)
        printLine(stderr, QCoreApplication::translate("Cli", "Demo data: %1 providers, %2 endpoints, %3 keys.")
                              .arg(filled.value().providers)
                              .arg(filled.value().endpoints)
                              .arg(filled.value().keys));
    else if (filled.error().code == ErrorCode::Conflict)
        printLine(stderr, QCoreApplication::translate("Cli", "Demo data not added: %1.").arg(filled.error().text()));
    else
        fail(app::describeFailure(filled.error()));
    return filled || filled.error().code == ErrorCode::Conflict;
}

// Opens, migrates and (with --demo) fills the database. An exit code when the program is to stop; *waiting says
// that a server starts without its database (it answers 503 until the database is back).
std::optional<int> prepare(const CliOptions &cli, const QCommandLineParser &parser, Database &db, bool *waiting)
{
    const std::optional<int> demoKeys = cli.common.demoKeyCount(parser);
    if (parser.isSet(cli.common.demo) && !demoKeys)
        return fail(QCoreApplication::translate("Cli", "--demo-keys takes a positive number"));
    const DatabaseSetup setup = setUpDatabase(
        db, [&]() -> std::optional<int> { return parser.isSet(cli.common.demo) ? demoKeys : std::nullopt; });
    *waiting = !setup.ready;
    if (!setup.ready) {
        const QString where = db.location().displayName();
        if (!cli.servesOnly(parser) || setup.ready.error().code != ErrorCode::StorageUnavailable)
            return fail(QCoreApplication::translate("Cli", "cannot open the database %1: %2")
                            .arg(where, setup.ready.error().text()));
        printLine(stderr, QCoreApplication::translate(
                              "Cli", "aether-console: the database %1 is unavailable (%2); answering 503 until it "
                                     "is back")
                              .arg(where, setup.ready.error().text()));
    }
    if (setup.demo && !reportDemo(*setup.demo))
        return 1;
    return std::nullopt;
}

// Serves the admin API until SIGTERM or SIGINT.
int serve(const CliOptions &cli, const QCommandLineParser &parser, Database &db, bool waitForDatabase)
{
    const std::optional<ListenAddress> address = parseListen(parser.value(cli.listen));
    if (!address)
        return fail(
            QCoreApplication::translate("Cli", "invalid --listen \"%1\": use HOST:PORT").arg(parser.value(cli.listen)));
    TokenStore tokens(db, qEnvironmentVariable("AETHER_CONSOLE_TOKEN"));
    KeyService keys(db);
    // Requests are read on the event loop: a lock held by another program makes them answer 503 after a moment
    // instead of stalling every other request (the writer thread keeps the longer default wait).
    db.setLockWaitMs(eventLoopLockWaitMs);
    app::HttpEndpoint endpoint(db, keys, tokens);
    if (const std::optional<QString> refused = cli.endpoint.applyTo(parser, endpoint.server()))
        return fail(*refused);
    QString timelineProblem;
    const std::optional<TimelineKeeper::Settings> timelineSettings =
        cli.common.timelineSettings(parser, &timelineProblem);
    if (!timelineSettings)
        return fail(timelineProblem);
    const Result<quint16> port = endpoint.listen(address->address, address->port);
    if (!port)
        return fail(app::describeFailure(port.error()));
    // The time series: sampled and maintained on a thread of its own while the server runs.
    TimelineKeeper timeline(db.location(), *timelineSettings);
    timeline.start();

    QTimer reconnect;
    QObject::connect(&reconnect, &QTimer::timeout, &reconnect, [&]() {
        if (setUpDatabase(db).ready) {
            printLine(stderr, QCoreApplication::translate("Cli", "aether-console: the database is available again"));
            reconnect.stop();
        }
    });
    if (waitForDatabase)
        reconnect.start(1000);
    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &watcher, [&](int) {
        // Stop accepting, let the event loop send what was answered, then leave.
        app::ServiceNotifier::stopping();
        endpoint.stopListening();
        QTimer::singleShot(200, QCoreApplication::instance(), &QCoreApplication::quit);
    });
    const bool tls = endpoint.server().isTls();
    if (!address->address.isLoopback() && !tls)
        printLine(stderr, QCoreApplication::translate(
                              "Cli", "aether-console: warning: serving plain HTTP on %1: tokens and answers cross the "
                                     "network unencrypted and can be read or replayed by anyone on the path. Use "
                                     "--tls-cert/--tls-key or a TLS reverse proxy (docs/security.md).")
                              .arg(urlHost(address->address)));
    const QString listening =
        QStringLiteral("Listening on %1://%2:%3")
            .arg(tls ? QStringLiteral("https") : QStringLiteral("http"), urlHost(address->address))
            .arg(port.value());
    printLine(stdout, listening);
    app::ServiceNotifier::ready(listening);
    return QCoreApplication::exec();
}

// A command for scripts on the database: exit status 3 when it cannot be opened.
int runScript(const CliOptions &cli, const QCommandLineParser &parser, Database &db)
{
    const DatabaseSetup setup = setUpDatabase(db, []() -> std::optional<int> { return std::nullopt; });
    if (!setup.ready) {
        printLine(stderr, QStringLiteral("aether-console: ") +
                              QCoreApplication::translate("Cli", "cannot open the database %1: %2")
                                  .arg(db.location().displayName(), setup.ready.error().text().simplified()));
        return app::ExitUnavailable;
    }
    KeyService keys(db);
    KeyTable table(db);
    return app::runScriptCommand(parser.positionalArguments(), cli.script, parser, keys, table);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Aether"));
    QCoreApplication::setApplicationName(QStringLiteral("aether-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AETHER_CONSOLE_VERSION));
    // The command line speaks the system's language.
    Catalogue::install(Catalogue::resolve(QStringLiteral("system")));

    QCommandLineParser parser;
    const CliOptions cli;
    cli.addTo(parser);
    // A usage error exits with 2 (process() would exit with 1); process() then handles --help and --version.
    const bool parsed = parser.parse(QCoreApplication::arguments());
    const QStringList positional = parser.positionalArguments();
    // The window is a program of its own (aether-console-window), so that the headless server does not load Qt
    // Widgets and Qt Charts. It takes Qt's own window options (-platform, -style…) too.
    if (!wantsHeadless(argc, argv) && positional.isEmpty() && (parsed || onlyWindowOptionsUnknown(parser)))
        return runWindowProgram(argv);
    if (!parsed) {
        printLine(stderr, QStringLiteral("aether-console: ") + parser.errorText());
        return app::ExitUsage;
    }
    parser.process(app);
    if (!positional.isEmpty() && !app::isScriptCommand(positional.constFirst())) {
        printLine(
            stderr,
            QStringLiteral("aether-console: ") +
                QCoreApplication::translate("Cli", "unknown command \"%1\"; see --help").arg(positional.constFirst()));
        return app::ExitUsage;
    }
    if (parser.isSet(cli.learnerPeer))
        return runLearnerPeer(parser.isSet(cli.strategy) ? parser.value(cli.strategy)
                                                         : LearningPolicy::defaultStrategy());
    if (parser.isSet(cli.listStrategies))
        return app::listStrategies();
    if (parser.isSet(cli.simulate)) {
        std::optional<qint64> seed;
        if (parser.isSet(cli.seed)) {
            bool ok = false;
            seed = parser.value(cli.seed).toLongLong(&ok);
            if (!ok || *seed < 0)
                return fail(QCoreApplication::translate("Cli", "--seed takes a number of 0 or more"));
        }
        return app::simulate(parser.value(cli.simulate), parser.values(cli.strategy), parser.value(cli.policy), seed,
                             parser.isSet(cli.script.json));
    }

    const QString url = cli.common.databaseUrl(parser);
    Result<DatabaseLocation> location =
        url.isEmpty() ? Result<DatabaseLocation>(DatabaseLocation::defaultLocation()) : DatabaseLocation::parse(url);
    if (!location) {
        fail(QCoreApplication::translate("Cli", "invalid --database: %1").arg(location.error().text()));
        return app::ExitUsage;
    }
    Database db(location.value());
    if (!positional.isEmpty())
        return runScript(cli, parser, db);
    bool waiting = false;
    if (const std::optional<int> stop = prepare(cli, parser, db, &waiting))
        return *stop;
    TokenStore tokens(db, qEnvironmentVariable("AETHER_CONSOLE_TOKEN"));
    if (const std::optional<int> done = runTokenCommand(cli, parser, tokens))
        return *done;
    if (parser.isSet(cli.serve))
        return serve(cli, parser, db, waiting);
    printLine(stdout, QCoreApplication::translate("Cli", "Database ready: %1. Serve the HTTP API with --serve.")
                          .arg(location.value().displayName()));
    return 0;
}
