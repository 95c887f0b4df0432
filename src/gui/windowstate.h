#pragma once

class QHeaderView;
class QMainWindow;
class QSettings;
class QSplitter;
class QTabWidget;

namespace aether::gui {

// What the window remembers between runs (under window/ in the settings): geometry, docks and toolbars, the
// splitter, the key table's columns (order, widths, sort order) and the page shown.
struct WindowState {
    QMainWindow *window;
    QSplitter *splitter;
    QHeaderView *tableHeader;
    QTabWidget *pages;

    // Restores what was saved; the splitter gets its default sizes when nothing was. Without a saved geometry the
    // window takes its default size, or less on a small screen (1366×768, or 1600×1000 at 150 %): it always fits
    // the screen's available area.
    void restore(QSettings &settings) const;
    void save(QSettings &settings) const;
};

} // namespace aether::gui
