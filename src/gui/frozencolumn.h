#pragma once

#include <QObject>

class QTableView;

namespace aether::gui {

// Keeps one column of a table view in place while the rest scrolls horizontally (Qt's "Frozen Column" example): a
// second view over the same model and selection shows only that column, laid over the table's left edge, and follows
// its vertical scrolling, row heights, column width and sort indicator. The column stays the first one: moving it
// away, or another column before it, puts it back.
class FrozenColumn : public QObject {
    Q_OBJECT
public:
    FrozenColumn(QTableView *view, int column);

    QTableView *overlay() const { return m_overlay; }
    // Puts the column first again (after the header's state was restored).
    void keepFirst();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void updateGeometry();

    QTableView *m_view;
    QTableView *m_overlay;
    int m_column;
};

} // namespace aether::gui
