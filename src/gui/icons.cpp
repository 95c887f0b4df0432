#include "icons.h"

namespace aether::gui {

QIcon icon(Icon which)
{
    const char *name = "aether-console";
    switch (which) {
    case Icon::Application:
        break;
    case Icon::Adaptive:
        name = "adaptive";
        break;
    case Icon::Fixed:
        name = "fixed";
        break;
    case Icon::Refresh:
        name = "refresh";
        break;
    case Icon::AutoRefresh:
        name = "auto-refresh";
        break;
    case Icon::Reset:
        name = "reset";
        break;
    case Icon::Endpoint:
        name = "endpoint";
        break;
    case Icon::Settings:
        name = "settings";
        break;
    }
    return QIcon(QStringLiteral(":/icons/%1.svg").arg(QLatin1String(name)));
}

} // namespace aether::gui
