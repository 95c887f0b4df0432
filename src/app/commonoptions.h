#pragma once

// What aether-console and aether-console-window both read from their command line.

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSettings>

#include "timeline/timelinekeeper.h"

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

    QCommandLineOption retentionDays{
        QStringLiteral("retention-days"),
        QCoreApplication::translate("Cli", "Days the time series of 429s and limits is kept (default: the setting "
                                           "timeline/retention_days, else 30)."),
        QStringLiteral("days")};
    QCommandLineOption samplingInterval{
        QStringLiteral("sampling-interval"),
        QCoreApplication::translate("Cli", "Seconds between two readings of the keys' counters for the time series "
                                           "(default 30)."),
        QStringLiteral("seconds"), QString::number(timeline::defaultSamplingSeconds)};

    // The description, --help, --version and these options.
    void addTo(QCommandLineParser &parser) const
    {
        parser.setApplicationDescription(QCoreApplication::translate(
            "Cli", "Aether Console: administration of per-key adaptive concurrency for an LLM API gateway."));
        parser.addHelpOption();
        parser.addVersionOption();
        parser.addOptions({database, demo, demoKeys, retentionDays, samplingInterval});
    }

    // --database, else $AETHER_CONSOLE_DATABASE; empty when neither is given.
    QString databaseUrl(const QCommandLineParser &parser) const
    {
        return parser.isSet(database) ? parser.value(database) : qEnvironmentVariable("AETHER_CONSOLE_DATABASE");
    }

    // The settings' key of the retention (QSettings of "Aether"/"aether-console", shared by the window and the server).
    static QString retentionSettingsKey() { return QStringLiteral("timeline/retention_days"); }

    // --retention-days, else the setting, else the default; --sampling-interval. std::nullopt (and *error) when a
    // value is out of range.
    std::optional<TimelineKeeper::Settings> timelineSettings(const QCommandLineParser &parser, QString *error) const
    {
        TimelineKeeper::Settings settings;
        bool ok = false;
        const QString days = parser.isSet(retentionDays)
                                 ? parser.value(retentionDays)
                                 : QSettings().value(retentionSettingsKey(), timeline::defaultRetentionDays).toString();
        settings.retentionDays = days.toInt(&ok);
        if (!ok || settings.retentionDays < timeline::minRetentionDays ||
            settings.retentionDays > timeline::maxRetentionDays) {
            *error = QCoreApplication::translate("Cli", "--retention-days takes a number of days from %1 to %2")
                         .arg(timeline::minRetentionDays)
                         .arg(timeline::maxRetentionDays);
            return std::nullopt;
        }
        settings.samplingSeconds = parser.value(samplingInterval).toInt(&ok);
        if (!ok || settings.samplingSeconds < TimelineKeeper::minSamplingSeconds ||
            settings.samplingSeconds > TimelineKeeper::maxSamplingSeconds) {
            *error = QCoreApplication::translate("Cli", "--sampling-interval takes a number of seconds from %1 to %2")
                         .arg(TimelineKeeper::minSamplingSeconds)
                         .arg(TimelineKeeper::maxSamplingSeconds);
            return std::nullopt;
        }
        return settings;
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
