#include "windowstate.h"

#include <QHeaderView>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <QSplitter>

#include <algorithm>
#include <QTabWidget>

namespace aether::gui {

namespace {

const QString geometryKey = QStringLiteral("window/geometry");
const QString stateKey = QStringLiteral("window/state");
const QString splitterKey = QStringLiteral("window/splitter");
// The header's state depends on the model's columns: a version with other columns starts from the defaults.
QString tableHeaderKey(const QHeaderView *header)
{
    return QStringLiteral("window/tableHeader/%1").arg(header->count());
}
const QString pageKey = QStringLiteral("window/page");

} // namespace

void WindowState::restore(QSettings &settings) const
{
    const bool placed = window->restoreGeometry(settings.value(geometryKey).toByteArray());
    if (!placed) {
        if (const QScreen *screen = window->screen()) {
            const QRect available = screen->availableGeometry();
            // Room for the frame and title bar.
            const QSize fits = (available.size() - QSize(24, 48)).boundedTo(window->size());
            window->resize(fits.expandedTo(window->minimumSizeHint()));
            window->move(available.center() - QPoint(window->width() / 2, window->height() / 2 + 12));
        }
    }
    window->restoreState(settings.value(stateKey).toByteArray());
    if (!splitter->restoreState(settings.value(splitterKey).toByteArray())) {
        // The default proportions, in the width the window got.
        const double scale = placed ? 1.0 : std::min(1.0, window->width() / 1450.0);
        splitter->setSizes({int(220 * scale), int(760 * scale), int(470 * scale)});
    }
    tableHeader->restoreState(settings.value(tableHeaderKey(tableHeader)).toByteArray());
    pages->setCurrentIndex(settings.value(pageKey, 0).toInt());
}

void WindowState::save(QSettings &settings) const
{
    settings.setValue(geometryKey, window->saveGeometry());
    settings.setValue(stateKey, window->saveState());
    settings.setValue(splitterKey, splitter->saveState());
    settings.setValue(tableHeaderKey(tableHeader), tableHeader->saveState());
    settings.setValue(pageKey, pages->currentIndex());
}

} // namespace aether::gui
