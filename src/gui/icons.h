#pragma once

#include <QIcon>

namespace aether::gui {

// The console's icons (resources/icons, built into the program under :/icons).
enum class Icon { Application, Adaptive, Fixed, Refresh, AutoRefresh, Reset, Endpoint, Settings };

QIcon icon(Icon which);

} // namespace aether::gui
