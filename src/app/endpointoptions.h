#pragma once

// The command-line options of the HTTP endpoint's protection: connection limits, timeouts, request head limits,
// the wrong-token throttle and TLS. Their defaults are the named constants of GuardLimits and AuthThrottle.

#include "apiserver.h"
#include "tlsconfig.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <optional>

namespace aether::app {

struct EndpointOptions {
    QCommandLineOption maxConnections{
        QStringLiteral("max-connections"),
        QCoreApplication::translate("Cli", "Most client connections at once (default %1).")
            .arg(http::GuardLimits::defaultMaxConnections),
        QStringLiteral("n"), QString::number(http::GuardLimits::defaultMaxConnections)};
    QCommandLineOption maxPerClient{
        QStringLiteral("max-connections-per-client"),
        QCoreApplication::translate("Cli", "Most connections from one client address (default %1).")
            .arg(http::GuardLimits::defaultMaxConnectionsPerAddress),
        QStringLiteral("n"), QString::number(http::GuardLimits::defaultMaxConnectionsPerAddress)};
    QCommandLineOption headerTimeout{
        QStringLiteral("header-timeout"),
        QCoreApplication::translate("Cli", "Seconds a client has to send a request head (default %1).")
            .arg(http::GuardLimits::defaultHeaderTimeoutMs / 1000),
        QStringLiteral("s"), QString::number(http::GuardLimits::defaultHeaderTimeoutMs / 1000)};
    QCommandLineOption idleTimeout{
        QStringLiteral("idle-timeout"),
        QCoreApplication::translate("Cli", "Seconds an idle kept-alive connection stays open, and a body or a "
                                           "client that stopped reading may stall (default %1).")
            .arg(http::GuardLimits::defaultIdleTimeoutMs / 1000),
        QStringLiteral("s"), QString::number(http::GuardLimits::defaultIdleTimeoutMs / 1000)};
    QCommandLineOption maxHeadBytes{
        QStringLiteral("max-head-bytes"),
        QCoreApplication::translate("Cli", "Largest request head in bytes (default %1; larger: 431).")
            .arg(http::HeadLimits{}.maxHeadBytes),
        QStringLiteral("n"), QString::number(http::HeadLimits{}.maxHeadBytes)};
    QCommandLineOption maxHeaderLines{
        QStringLiteral("max-header-lines"),
        QCoreApplication::translate("Cli", "Most header lines in a request (default %1; more: 431).")
            .arg(http::HeadLimits{}.maxHeaderLines),
        QStringLiteral("n"), QString::number(http::HeadLimits{}.maxHeaderLines)};
    QCommandLineOption authFailures{
        QStringLiteral("auth-failures-per-minute"),
        QCoreApplication::translate("Cli", "Wrong tokens a client address may send per minute before it gets 429 "
                                           "(default %1; 0 = no limit).")
            .arg(http::AuthThrottle::defaultMaxFailures),
        QStringLiteral("n"), QString::number(http::AuthThrottle::defaultMaxFailures)};
    QCommandLineOption tlsCert{QStringLiteral("tls-cert"),
                               QCoreApplication::translate("Cli", "Serve HTTPS with this PEM certificate (chain)."),
                               QStringLiteral("file")};
    QCommandLineOption tlsKey{QStringLiteral("tls-key"),
                              QCoreApplication::translate("Cli", "The PEM private key of --tls-cert."),
                              QStringLiteral("file")};

    QCommandLineOption metricsOpen{
        QStringLiteral("metrics-open"),
        QCoreApplication::translate("Cli", "Serve GET /metrics without a token (otherwise a viewer or admin token).")};

    void addTo(QCommandLineParser &parser) const
    {
        parser.addOptions({maxConnections, maxPerClient, headerTimeout, idleTimeout, maxHeadBytes, maxHeaderLines,
                           authFailures, tlsCert, tlsKey, metricsOpen});
    }

    // Applies the options to `server`; an error message for a value out of range or an unreadable TLS file.
    std::optional<QString> applyTo(const QCommandLineParser &parser, http::ApiServer &server) const
    {
        http::GuardLimits limits;
        const auto number = [&](const QCommandLineOption &option, int min, int max, int *out) {
            bool ok = false;
            const int value = parser.value(option).toInt(&ok);
            if (!ok || value < min || value > max)
                return false;
            *out = value;
            return true;
        };
        int headerSeconds = 0, idleSeconds = 0, headBytes = 0, failures = 0;
        const struct {
            const QCommandLineOption &option;
            int min, max;
            int *out;
        } numbers[] = {{maxConnections, 1, 1'000'000, &limits.maxConnections},
                       {maxPerClient, 1, 1'000'000, &limits.maxConnectionsPerAddress},
                       {headerTimeout, 1, 3600, &headerSeconds},
                       {idleTimeout, 1, 86'400, &idleSeconds},
                       {maxHeadBytes, 1024, 1024 * 1024, &headBytes},
                       {maxHeaderLines, 8, 10'000, &limits.head.maxHeaderLines},
                       {authFailures, 0, 1'000'000, &failures}};
        for (const auto &n : numbers) {
            if (!number(n.option, n.min, n.max, n.out))
                return QCoreApplication::translate("Cli", "--%1 takes a whole number from %2 to %3")
                    .arg(n.option.names().constFirst())
                    .arg(n.min)
                    .arg(n.max);
        }
        limits.headerTimeoutMs = headerSeconds * 1000;
        limits.idleTimeoutMs = idleSeconds * 1000;
        limits.head.maxHeadBytes = headBytes;
        server.setGuardLimits(limits);
        server.setAuthFailuresPerMinute(failures);
        server.setMetricsOpen(parser.isSet(metricsOpen));
        if (parser.isSet(tlsCert) != parser.isSet(tlsKey))
            return QCoreApplication::translate("Cli", "--tls-cert and --tls-key go together");
        if (parser.isSet(tlsCert)) {
            Result<QSslConfiguration> tls = http::loadTlsConfiguration(parser.value(tlsCert), parser.value(tlsKey));
            if (!tls)
                return tls.error().text();
            server.setTlsConfiguration(tls.value());
        }
        return std::nullopt;
    }
};

} // namespace aether::app
