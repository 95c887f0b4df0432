#include "windowstate.h"

#include <QHeaderView>
#include <QMainWindow>
#include <QSettings>
#include <QSplitter>
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
    window->restoreGeometry(settings.value(geometryKey).toByteArray());
    window->restoreState(settings.value(stateKey).toByteArray());
    if (!splitter->restoreState(settings.value(splitterKey).toByteArray()))
        splitter->setSizes({220, 760, 470});
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
