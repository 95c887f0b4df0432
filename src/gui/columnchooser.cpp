#include "columnchooser.h"

#include <QAction>
#include <QHeaderView>
#include <QMenu>
#include <QTableView>

namespace aether::gui {

ColumnChooser::ColumnChooser(QTableView *view, QList<int> choosable, QList<int> hiddenByDefault)
    : m_view(view)
    , m_choosable(std::move(choosable))
    , m_hiddenByDefault(std::move(hiddenByDefault))
{
    QHeaderView *header = view->horizontalHeader();
    header->setContextMenuPolicy(Qt::CustomContextMenu);
    QObject::connect(header, &QHeaderView::customContextMenuRequested, view,
                     [this](const QPoint &pos) { showMenu(pos); });
}

void ColumnChooser::applyDefaults()
{
    for (const int column : std::as_const(m_choosable))
        m_view->setColumnHidden(column, m_hiddenByDefault.contains(column));
    fitTitles();
}

void ColumnChooser::fitTitles()
{
    QHeaderView *header = m_view->horizontalHeader();
    for (const int column : std::as_const(m_choosable)) {
        // The title with its margins and the sort indicator, as the style measures it.
        const int needed = header->sectionSizeHint(column);
        if (header->sectionSize(column) < needed)
            header->resizeSection(column, needed);
    }
}

void ColumnChooser::showMenu(const QPoint &pos)
{
    QMenu menu(m_view);
    populate(&menu);
    menu.exec(m_view->horizontalHeader()->viewport()->mapToGlobal(pos));
}

void ColumnChooser::populate(QMenu *menu)
{
    const QAbstractItemModel *model = m_view->model();
    for (const int column : std::as_const(m_choosable)) {
        QAction *action = menu->addAction(model->headerData(column, Qt::Horizontal).toString());
        action->setCheckable(true);
        action->setChecked(!m_view->isColumnHidden(column));
        action->setEnabled(column != m_choosable.constFirst());
        QObject::connect(action, &QAction::toggled, m_view, [this, column](bool shown) {
            m_view->setColumnHidden(column, !shown);
            if (shown)
                fitTitles(); // a column shown for the first time is as wide as its title
        });
    }
    menu->addSeparator();
    QObject::connect(menu->addAction(tr("Default columns")), &QAction::triggered, m_view, [this] { applyDefaults(); });
}

} // namespace aether::gui
