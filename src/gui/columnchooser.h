#pragma once

#include <QCoreApplication>
#include <QList>

class QMenu;
class QPoint;
class QTableView;

namespace aether::gui {

// The key table's columns as an operator arranges them: the header's context menu shows or hides each column (the
// first one, the key's name, always stays), and Default columns brings back the set that fits the default window.
// Order and widths are the header's own (moved by dragging, kept by WindowState with the rest of its state).
class ColumnChooser {
    Q_DECLARE_TR_FUNCTIONS(ColumnChooser)

public:
    // `choosable`: the columns offered, in model order; `hiddenByDefault`: those the default set leaves out.
    ColumnChooser(QTableView *view, QList<int> choosable, QList<int> hiddenByDefault);

    // The default set, each column at least as wide as its title.
    void applyDefaults();
    // Widens columns whose title does not fit (after a change of language).
    void fitTitles();
    // Fills the header's menu: one checkable entry per column, then Default columns.
    void populate(QMenu *menu);

private:
    void showMenu(const QPoint &pos);

    QTableView *m_view;
    QList<int> m_choosable;
    QList<int> m_hiddenByDefault;
};

} // namespace aether::gui
