#include "servicenotifier.h"

#ifdef AETHER_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace aether::app {

void ServiceNotifier::ready(const QString &status)
{
#ifdef AETHER_HAVE_SYSTEMD
    sd_notify(0, qPrintable(QStringLiteral("READY=1\nSTATUS=") + status));
#else
    Q_UNUSED(status);
#endif
}

void ServiceNotifier::stopping()
{
#ifdef AETHER_HAVE_SYSTEMD
    sd_notify(0, "STOPPING=1");
#endif
}

} // namespace aether::app
