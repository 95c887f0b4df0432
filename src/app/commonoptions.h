#pragma once

// What aether-console and aether-console-window both read from their command line.

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <optional>

namespace aether::app {

struct CommonOptions {
    QCommandLineOption database{
        QStringLiteral("database"),
        QCoreApplication::translate(
            "Cli", "Database: a file path, sqlite:///abs/path or postgresql://user:password@host:port/dbname "
                   "(default: $AETHER_CONSOLE_DATABASE, else the embedded SQLite file)."),
        QStringLiteral("url")};
    QCommandLineOption demo{
        QStringLiteral("demo"),
        QCoreApplication::translate("Cli", "Fill an empty database with demo providers, endpoints and keys.")};
    QCommandLineOption demoKeys{QStringLiteral("demo-keys"),
                                QCoreApplication::translate("Cli", "Number of keys --demo creates (default 40)."),
                                QStringLiteral("n"), QStringLiteral("40")};

    // The description, --help, --version and these options.
    void addTo(QCommandLineParser &parser) const
    {
        parser.setApplicationDescription(QCoreApplication::translate(
            "Cli", "Aether Console: administration of per-key adaptive concurrency for an LLM API gateway."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({database, demo, demoKeys});
    }

    // --database, else $AETHER_CONSOLE_DATABASE; empty when neither is given.
    QString databaseUrl(const QCommandLineParser &parser) const
    {
        return parser.isSet(database) ? parser.value(database) : qEnvironmentVariable("AETHER_CONSOLE_DATABASE");
    }

    // --demo-keys; std::nullopt when it is not a positive number.
    std::optional<int> demoKeyCount(const QCommandLineParser &parser) const
    {
        bool ok = false;
        const int count = parser.value(demoKeys).toInt(&ok);
        return ok && count >= 1 ? std::optional<int>(count) : std::nullopt;
    }
};

} // namespace aether::app
