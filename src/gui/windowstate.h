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

    // Restores what was saved; the splitter gets its default sizes when nothing was.
    void restore(QSettings &settings) const;
    void save(QSettings &settings) const;
};

} // namespace aether::gui
