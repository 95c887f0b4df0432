#include "frozencolumn.h"

#include <QEvent>
#include <QHeaderView>
#include <QScrollBar>
#include <QTableView>

namespace aether::gui {

FrozenColumn::FrozenColumn(QTableView *view, int column)
    : QObject(view)
    , m_view(view)
    , m_overlay(new QTableView(view))
    , m_column(column)
{
    m_overlay->setObjectName(view->objectName() + QStringLiteral("Frozen"));
    m_overlay->setModel(view->model());
    m_overlay->setSelectionModel(view->selectionModel());
    m_overlay->setFocusPolicy(Qt::NoFocus); // the keyboard stays with the table
    m_overlay->setFrameShape(QFrame::NoFrame);
    m_overlay->setSelectionBehavior(view->selectionBehavior());
    m_overlay->setSelectionMode(view->selectionMode());
    m_overlay->setAlternatingRowColors(view->alternatingRowColors());
    m_overlay->setWordWrap(view->wordWrap());
    m_overlay->setContextMenuPolicy(view->contextMenuPolicy());
    m_overlay->setVerticalScrollMode(view->verticalScrollMode());
    m_overlay->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_overlay->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_overlay->verticalHeader()->hide();
    m_overlay->verticalHeader()->setDefaultSectionSize(view->verticalHeader()->defaultSectionSize());
    QHeaderView *header = m_overlay->horizontalHeader();
    header->setHighlightSections(view->horizontalHeader()->highlightSections());
    header->setSortIndicatorShown(view->horizontalHeader()->isSortIndicatorShown());
    header->setSectionsClickable(true);
    header->setContextMenuPolicy(view->horizontalHeader()->contextMenuPolicy());
    for (int c = 0; c < view->model()->columnCount(); ++c)
        m_overlay->setColumnHidden(c, c != column);
    m_overlay->setColumnWidth(column, view->columnWidth(column));
    view->viewport()->stackUnder(m_overlay);

    QHeaderView *mainHeader = view->horizontalHeader();
    connect(mainHeader, &QHeaderView::sectionResized, this, [this](int logical, int, int size) {
        if (logical == m_column) {
            m_overlay->setColumnWidth(m_column, size);
            updateGeometry();
        }
    });
    connect(mainHeader, &QHeaderView::sectionMoved, this, [this] { keepFirst(); });
    connect(mainHeader, &QHeaderView::geometriesChanged, this, [this] { updateGeometry(); });
    connect(mainHeader, &QHeaderView::sortIndicatorChanged, header, &QHeaderView::setSortIndicator);
    header->setSortIndicator(mainHeader->sortIndicatorSection(), mainHeader->sortIndicatorOrder());
    // A click on the frozen title sorts the table as a click on the table's own title would.
    connect(header, &QHeaderView::sectionClicked, this, [this, mainHeader](int logical) {
        const bool again = mainHeader->sortIndicatorSection() == logical;
        const Qt::SortOrder order =
            again && mainHeader->sortIndicatorOrder() == Qt::AscendingOrder ? Qt::DescendingOrder : Qt::AscendingOrder;
        m_view->sortByColumn(logical, order);
    });
    // The table's menus, at the same place.
    connect(header, &QWidget::customContextMenuRequested, this, [this, mainHeader](const QPoint &pos) {
        emit mainHeader->customContextMenuRequested(
            mainHeader->mapFromGlobal(m_overlay->horizontalHeader()->mapToGlobal(pos)));
    });
    connect(m_overlay, &QWidget::customContextMenuRequested, this, [this](const QPoint &pos) {
        emit m_view->customContextMenuRequested(
            m_view->viewport()->mapFromGlobal(m_overlay->viewport()->mapToGlobal(pos)));
    });
    connect(m_overlay, &QAbstractItemView::doubleClicked, m_view, &QAbstractItemView::doubleClicked);
    connect(m_overlay, &QAbstractItemView::activated, m_view, &QAbstractItemView::activated);
    // One vertical position for both.
    connect(m_overlay->verticalScrollBar(), &QAbstractSlider::valueChanged, view->verticalScrollBar(),
            &QAbstractSlider::setValue);
    connect(view->verticalScrollBar(), &QAbstractSlider::valueChanged, m_overlay->verticalScrollBar(),
            &QAbstractSlider::setValue);
    connect(view->verticalHeader(), &QHeaderView::sectionResized, this,
            [this](int row, int, int size) { m_overlay->setRowHeight(row, size); });
    view->installEventFilter(this);
    keepFirst();
    updateGeometry();
    m_overlay->show();
}

bool FrozenColumn::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view &&
        (event->type() == QEvent::Resize || event->type() == QEvent::Show || event->type() == QEvent::LayoutRequest))
        updateGeometry();
    return QObject::eventFilter(watched, event);
}

void FrozenColumn::keepFirst()
{
    QHeaderView *header = m_view->horizontalHeader();
    if (header->visualIndex(m_column) != 0)
        header->moveSection(header->visualIndex(m_column), 0); // sectionMoved comes again, with the column first
}

void FrozenColumn::updateGeometry()
{
    const int frame = m_view->frameWidth();
    const int headerHeight = m_view->horizontalHeader()->height();
    m_overlay->horizontalHeader()->setFixedHeight(headerHeight);
    m_overlay->setGeometry(m_view->verticalHeader()->width() + frame, frame, m_view->columnWidth(m_column),
                           m_view->viewport()->height() + headerHeight);
    m_overlay->verticalScrollBar()->setValue(m_view->verticalScrollBar()->value());
}

} // namespace aether::gui
