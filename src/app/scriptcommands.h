#pragma once

#include "base/error.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QStringList>

namespace aether {
class KeyService;
class KeyTable;
} // namespace aether

namespace aether::app {

// The exit statuses of aether-console (the man page's EXIT STATUS).
enum ExitStatus { ExitOk = 0, ExitRefused = 1, ExitUsage = 2, ExitUnavailable = 3 };

// The subcommands for scripts (keys, key, set-limit, set-mode, reset, summary, policy): one core operation each, on
// the database of --database, printed as an aligned table in the user's language or, with --json, as exactly the
// body the HTTP API answers for the same operation.
struct ScriptOptions {
    QCommandLineOption endpoint{QStringLiteral("endpoint"),
                                QCoreApplication::translate("Cli", "With keys: only the keys of this endpoint id."),
                                QStringLiteral("id")};
    QCommandLineOption all{QStringLiteral("all"),
                           QCoreApplication::translate("Cli", "With keys: the keys with a fixed limit too.")};
    QCommandLineOption limit{QStringLiteral("limit"),
                             QCoreApplication::translate("Cli", "With set-mode ID fixed: the fixed limit (1 to 100)."),
                             QStringLiteral("n")};
    QCommandLineOption yes{QStringLiteral("yes"),
                           QCoreApplication::translate("Cli", "With reset and policy reset: do not ask for "
                                                              "confirmation.")};
    QCommandLineOption json{QStringLiteral("json"),
                            QCoreApplication::translate("Cli", "Print JSON: with --simulate the metrics, with a "
                                                               "command the HTTP API's answer.")};

    void addTo(QCommandLineParser &parser) const;
    // The commands' synopsis for --help.
    static QString synopsis();
};

// What the command line says of a core operation's error (without the program's name): the console's own sentence
// when the error has one, else what went wrong in the user's language, a driver's or Qt's words quoted after it.
QString describeFailure(const Error &error);

// Whether `name` is one of the subcommands.
bool isScriptCommand(const QString &name);

// Runs the subcommand in `arguments` (the positional arguments: the command, then its own); an ExitStatus.
int runScriptCommand(const QStringList &arguments, const ScriptOptions &options, const QCommandLineParser &parser,
                     KeyService &keys, KeyTable &table);

} // namespace aether::app
