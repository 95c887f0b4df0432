#pragma once

class QChart;
class QPalette;

namespace aether::gui {

// Draws a chart in the colours of the window's palette (light or dark): background, titles, axis labels, grid and
// legend; the series keep their own colours (the reasons' and modes' colours mean something).
void applyPalette(QChart *chart, const QPalette &palette);

} // namespace aether::gui
