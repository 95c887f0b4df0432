// The program's composition root: parses the command line, opens the database, builds the services and hands them
// to the front end that was asked for (command-line actions or the HTTP endpoint).

#include "apiserver.h"
#include "catalogue.h"
#include "changewriter.h"
#include "commonoptions.h"
#include "database.h"
#include "demodata.h"
#include "endpointoptions.h"
#include "keyservice.h"
#include "learnerpeer.h"
#include "migrations.h"
#include "signalwatcher.h"
#include "tokenstore.h"
#include "walcheckpointer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QTimer>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <memory>
#include <optional>
#include <unistd.h>

using namespace aether;

namespace {

constexpr int eventLoopLockWaitMs = 50;

void printLine(FILE *stream, const QString &text)
{
    std::fputs(qUtf8Printable(text), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

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
                                                  "--help",
                                                  "-h",
                                                  "--help-all",
                                                  "--version",
                                                  "-v",
                                                  "-?"};
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        for (const char *option : headlessOptions) {
            if (arg == option || arg.startsWith(QByteArray(QByteArray(option) + '=')))
                return true;
        }
    }
    return false;
}

// Replaces this process with aether-console-window from the same folder, with the same arguments.
int runWindowProgram(char *argv[])
{
    const QByteArray self = QFile::symLinkTarget(QStringLiteral("/proc/self/exe")).toLocal8Bit();
    const QByteArray window = self.left(self.lastIndexOf('/') + 1) + "aether-console-window";
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
                        .arg(strategy, LearningPolicy::strategies().join(QStringLiteral(", "))));
    LearnerPeer peer(strategy);
    if (const Status opened = peer.open(); !opened)
        return fail(opened.error().detail);
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

Status prepareDatabase(Database &db)
{
    if (!db.isOpen()) {
        if (const Status opened = db.open(); !opened)
            return opened;
    }
    return Migrations(db).run();
}

int listTokens(TokenStore &tokens)
{
    Result<QList<TokenInfo>> list = tokens.list();
    if (!list)
        return fail(list.error().detail);
    printLine(stdout, QStringLiteral("%1  %2  %3  %4")
                          .arg(QCoreApplication::translate("Cli", "NAME"), -24)
                          .arg(QCoreApplication::translate("Cli", "ROLE"), -8)
                          .arg(QCoreApplication::translate("Cli", "CREATED"), -32)
                          .arg(QCoreApplication::translate("Cli", "LAST USED")));
    for (const TokenInfo &t : list.value()) {
        printLine(stdout,
                  QStringLiteral("%1  %2  %3  %4")
                      .arg(t.name, -24)
                      .arg(roleToString(t.role), -8)
                      .arg(t.createdAt.toIsoString(), -32)
                      .arg(t.lastUsedAt ? t.lastUsedAt->toIsoString() : QCoreApplication::translate("Cli", "never")));
    }
    return 0;
}

} // namespace

int main(int argc, char *argv[])
{
    // The window is a program of its own (aether-console-window, beside this one), so that the headless server
    // does not load Qt Widgets and Qt Charts.
    if (!wantsHeadless(argc, argv))
        return runWindowProgram(argv);
    QCoreApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("Aether"));
    QCoreApplication::setApplicationName(QStringLiteral("aether-console"));
    QCoreApplication::setApplicationVersion(QStringLiteral(AETHER_CONSOLE_VERSION));

    // The command line speaks the system's language.
    Catalogue::install(Catalogue::resolve(QStringLiteral("system")));

    QCommandLineParser parser;
    const app::CommonOptions common;
    common.addTo(parser);
    const app::EndpointOptions endpoint;
    const QCommandLineOption serve(QStringLiteral("serve"),
                                   QCoreApplication::translate("Cli", "Run the HTTP endpoint without a window."));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QCoreApplication::translate("Cli", "Address of the HTTP endpoint (default 127.0.0.1:8087; port 0 = any)."),
        QStringLiteral("host:port"), QStringLiteral("127.0.0.1:8087"));
    const QCommandLineOption createToken(QStringLiteral("create-token"),
                                         QCoreApplication::translate("Cli", "Create an API token and print it once."),
                                         QStringLiteral("name"));
    const QCommandLineOption role(
        QStringLiteral("role"),
        QCoreApplication::translate("Cli", "Role of a new token: admin, viewer or gateway (default admin)."),
        QStringLiteral("role"), QStringLiteral("admin"));
    const QCommandLineOption listTokensOption(QStringLiteral("list-tokens"),
                                              QCoreApplication::translate("Cli", "List the API tokens."));
    const QCommandLineOption revokeToken(QStringLiteral("revoke-token"),
                                         QCoreApplication::translate("Cli", "Revoke an API token."),
                                         QStringLiteral("name"));
    const QCommandLineOption prepare(
        QStringLiteral("prepare"),
        QCoreApplication::translate("Cli", "Create or update the database (with --demo: fill it), then exit "
                                           "without opening the window."));
    const QCommandLineOption learnerPeer(
        QStringLiteral("learner-peer"),
        QCoreApplication::translate("Cli", "Serve the learning to the simulator's external-learner protocol on "
                                           "standard input and output (sim/README.md), then exit."));
    const QCommandLineOption strategy(
        QStringLiteral("strategy"),
        QCoreApplication::translate("Cli", "Learning strategy of --learner-peer: %1 (default %2).")
            .arg(LearningPolicy::strategies().join(QStringLiteral(", ")), LearningPolicy::defaultStrategy()),
        QStringLiteral("name"), LearningPolicy::defaultStrategy());
    parser.addOptions(
        {serve, listen, createToken, role, listTokensOption, revokeToken, prepare, learnerPeer, strategy});
    endpoint.addTo(parser);
    parser.process(app);
    if (parser.isSet(learnerPeer))
        return runLearnerPeer(parser.value(strategy));

    const QString url = common.databaseUrl(parser);
    Result<DatabaseLocation> location =
        url.isEmpty() ? Result<DatabaseLocation>(DatabaseLocation::defaultLocation()) : DatabaseLocation::parse(url);
    if (!location)
        return fail(QCoreApplication::translate("Cli", "invalid --database: %1").arg(location.error().detail));

    Database db(location.value());
    bool prepared = true;
    if (Status ready = prepareDatabase(db); !ready) {
        // A server may start before its database (e.g. at boot): it answers 503 until the database is back.
        const bool serveOnly = parser.isSet(serve) && !parser.isSet(createToken) && !parser.isSet(listTokensOption) &&
                               !parser.isSet(revokeToken) && !parser.isSet(common.demo);
        if (!serveOnly || ready.error().code != ErrorCode::StorageUnavailable)
            return fail(QCoreApplication::translate("Cli", "cannot open the database %1: %2")
                            .arg(location.value().displayName(), ready.error().detail));
        printLine(stderr, QCoreApplication::translate(
                              "Cli", "aether-console: the database %1 is unavailable (%2); answering 503 until it "
                                     "is back")
                              .arg(location.value().displayName(), ready.error().detail));
        prepared = false;
    }

    TokenStore tokens(db, qEnvironmentVariable("AETHER_CONSOLE_TOKEN"));
    KeyService keys(db);

    if (parser.isSet(createToken)) {
        const std::optional<Role> newRole = roleFromString(parser.value(role));
        if (!newRole)
            return fail(QCoreApplication::translate("Cli", "unknown role \"%1\": use admin, viewer or gateway")
                            .arg(parser.value(role)));
        Result<NewToken> token = tokens.create(parser.value(createToken), *newRole);
        if (!token)
            return fail(token.error().detail);
        printLine(stdout, QCoreApplication::translate("Cli", "Created %1 token \"%2\". It is shown only once:")
                              .arg(roleToString(*newRole), token.value().info.name));
        printLine(stdout, token.value().secret);
        return 0;
    }
    if (parser.isSet(listTokensOption))
        return listTokens(tokens);
    if (parser.isSet(revokeToken)) {
        if (const Status revoked = tokens.revoke(parser.value(revokeToken)); !revoked)
            return fail(revoked.error().detail);
        printLine(stdout, QCoreApplication::translate("Cli", "Revoked token \"%1\".").arg(parser.value(revokeToken)));
        return 0;
    }
    if (parser.isSet(common.demo)) {
        const std::optional<int> count = common.demoKeyCount(parser);
        if (!count)
            return fail(QCoreApplication::translate("Cli", "--demo-keys takes a positive number"));
        Result<DemoSize> filled = DemoData(db).fill(*count);
        if (filled)
            printLine(stderr, QCoreApplication::translate("Cli", "Demo data: %1 providers, %2 endpoints, %3 keys.")
                                  .arg(filled.value().providers)
                                  .arg(filled.value().endpoints)
                                  .arg(filled.value().keys));
        else if (filled.error().code == ErrorCode::Conflict)
            printLine(stderr,
                      QCoreApplication::translate("Cli", "Demo data not added: %1.").arg(filled.error().detail));
        else
            return fail(filled.error().detail);
    }
    if (!parser.isSet(serve)) {
        printLine(stdout,
                  QCoreApplication::translate("Cli", "Database ready: %1. Start the HTTP endpoint with --serve.")
                      .arg(location.value().displayName()));
        return 0;
    }

    const std::optional<ListenAddress> address = parseListen(parser.value(listen));
    if (!address)
        return fail(
            QCoreApplication::translate("Cli", "invalid --listen \"%1\": use HOST:PORT").arg(parser.value(listen)));
    const bool sqliteFile = location.value().isSqlite() && location.value().path != u":memory:";
    std::unique_ptr<WalCheckpointer> checkpointer;
    if (sqliteFile) {
        checkpointer = std::make_unique<WalCheckpointer>(location.value());
        checkpointer->start(QThread::LowPriority);
        db.setAutoCheckpointPages(20000); // a safety net only
    }
    // Changes are written from a thread of their own, except in a database held in memory (one connection only).
    const bool inMemory = location.value().isSqlite() && !sqliteFile;
    std::unique_ptr<ChangeWriter> writer =
        inMemory ? std::make_unique<ChangeWriter>(keys) : std::make_unique<ChangeWriter>(location.value(), 20000);

    // Requests are read on the event loop: a lock held by another program makes them answer 503 after a moment
    // instead of stalling every other request (the writer thread keeps the longer default wait).
    db.setLockWaitMs(eventLoopLockWaitMs);
    tokens.setTouchWriter([&writer](const QByteArray &hashHex, const Timestamp &at) {
        writer->run([hashHex, at](Database &connection) { TokenStore::writeLastUsed(connection, hashHex, at); });
    });
    http::ApiServer server(db, keys, tokens, *writer);
    if (const std::optional<QString> refused = endpoint.applyTo(parser, server))
        return fail(*refused);
    Result<quint16> port = server.listen(address->address, address->port);
    if (!port)
        return fail(port.error().detail);

    QTimer reconnect;
    if (!prepared) {
        QObject::connect(&reconnect, &QTimer::timeout, &app, [&]() {
            if (prepareDatabase(db)) {
                printLine(stderr,
                          QCoreApplication::translate("Cli", "aether-console: the database is available again"));
                reconnect.stop();
            }
        });
        reconnect.start(1000);
    }

    SignalWatcher watcher;
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &app, [&](int) {
        // Stop accepting, let the event loop send what was answered, then leave.
        server.stopListening();
        QTimer::singleShot(200, &app, &QCoreApplication::quit);
    });
    const bool tls = parser.isSet(endpoint.tlsCert);
    if (!address->address.isLoopback() && !tls)
        printLine(stderr, QCoreApplication::translate(
                              "Cli", "aether-console: warning: serving plain HTTP on %1: tokens and answers cross the "
                                     "network unencrypted and can be read or replayed by anyone on the path. Use "
                                     "--tls-cert/--tls-key or a TLS reverse proxy (docs/security.md).")
                              .arg(urlHost(address->address)));
    printLine(stdout, QStringLiteral("Listening on %1://%2:%3")
                          .arg(tls ? QStringLiteral("https") : QStringLiteral("http"), urlHost(address->address))
                          .arg(port.value()));
    return app.exec();
}
