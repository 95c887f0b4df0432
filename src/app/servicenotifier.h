#pragma once

#include <QString>

namespace aether::app {

// Tells systemd (Type=notify units: packaging/aether-console.service) that the server listens and, on SIGTERM, that
// it stops. Nothing happens outside such a unit ($NOTIFY_SOCKET unset) or in a build without libsystemd.
class ServiceNotifier {
public:
    static void ready(const QString &status);
    static void stopping();
};

} // namespace aether::app
