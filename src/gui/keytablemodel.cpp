#include "keytablemodel.h"

#include "guiformat.h"
#include "icons.h"

#include <QIcon>
#include <QLocale>
#include <QPalette>

namespace aether::gui {

KeyTableModel::KeyTableModel(KeyTable &table, QObject *parent)
    : QSqlQueryModel(parent)
    , m_table(table)
{
}

bool KeyTableModel::reload()
{
    Result<QSqlQuery> rows = m_table.rows(m_filter, m_sortColumn, m_sortOrder);
    if (!rows) {
        emit reloadFailed(rows.error());
        return false;
    }
    // QSqlQueryModel::setQuery fetches the first rows inside its model reset, announcing them as inserted rows while
    // the reset is still in flight (QAbstractItemModelTester rejects that). They are fetched right after instead.
    m_settingQuery = true;
    setQuery(rows.takeValue());
    m_settingQuery = false;
    if (canFetchMore())
        fetchMore();
    return true;
}

void KeyTableModel::fetchMore(const QModelIndex &parent)
{
    // QSqlQueryModel is not re-entrant here: a fetch asked for while rows are being announced (by a view or a
    // tester reacting to rowsAboutToBeInserted) would announce the same rows twice and leave the count behind.
    if (m_settingQuery || m_fetching)
        return;
    m_fetching = true;
    QSqlQueryModel::fetchMore(parent);
    m_fetching = false;
}

void KeyTableModel::setFilter(const KeyFilter &filter)
{
    m_filter = filter;
    reload();
}

void KeyTableModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= visibleKeyColumnCount)
        return;
    // QTableView::sortByColumn() asks twice (once through the header's signal); one query is enough.
    if (KeyColumn(column) == m_sortColumn && order == m_sortOrder && query().isActive())
        return;
    m_sortColumn = KeyColumn(column);
    m_sortOrder = order;
    reload();
}

void KeyTableModel::setSorting(KeyColumn column, Qt::SortOrder order)
{
    if (int(column) < 0 || int(column) >= visibleKeyColumnCount)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
}

void KeyTableModel::retranslate()
{
    emit headerDataChanged(Qt::Horizontal, 0, keyColumnCount - 1);
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, keyColumnCount - 1));
}

int KeyTableModel::rowOfKey(const QString &keyId)
{
    for (int row = 0;; ++row) {
        if (row >= rowCount()) {
            if (!canFetchMore())
                return -1;
            fetchMore();
            if (row >= rowCount())
                return -1;
        }
        if (keyIdAt(row) == keyId)
            return row;
    }
}

QString KeyTableModel::keyIdAt(int row) const
{
    return QSqlQueryModel::data(index(row, int(KeyColumn::Id))).toString();
}

int KeyTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : keyColumnCount;
}

QVariant KeyTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    const KeyColumn column = KeyColumn(index.column());
    const QVariant raw = QSqlQueryModel::data(index, Qt::DisplayRole);
    if (role == Qt::UserRole)
        return raw;
    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case KeyColumn::Mode:
            return modeLabel(raw.toInt() == 0);
        case KeyColumn::MaxConcurrent:
        case KeyColumn::Learned:
        case KeyColumn::Effective:
            return raw.isNull() ? QStringLiteral("—") : QLocale().toString(raw.toInt());
        case KeyColumn::Concurrent429:
        case KeyColumn::Rpm429:
        case KeyColumn::Adjustments:
            return QLocale().toString(raw.toLongLong());
        case KeyColumn::Last429At:
            return raw.isNull() ? QString() : formatTimestamp(raw.toString());
        case KeyColumn::Last429Type:
            return raw.isNull() ? QString() : limitTypeLabel(raw.toString());
        case KeyColumn::Active:
            return activeLabel(raw.toInt() != 0);
        default:
            return raw;
        }
    case Qt::DecorationRole:
        if (column == KeyColumn::Mode)
            return icon(raw.toInt() == 0 ? Icon::Adaptive : Icon::Fixed);
        return {};
    case Qt::TextAlignmentRole:
        switch (column) {
        case KeyColumn::MaxConcurrent:
        case KeyColumn::Learned:
        case KeyColumn::Effective:
        case KeyColumn::Concurrent429:
        case KeyColumn::Rpm429:
        case KeyColumn::Adjustments:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case Qt::ForegroundRole:
        // An inactive key (the gateway does not use it) is drawn dimmed in every column.
        if (QSqlQueryModel::data(this->index(index.row(), int(KeyColumn::Active))).toInt() == 0)
            return QPalette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::ToolTipRole:
        if (column == KeyColumn::Name) {
            const QString id = QSqlQueryModel::data(this->index(index.row(), int(KeyColumn::Id))).toString();
            if (QSqlQueryModel::data(this->index(index.row(), int(KeyColumn::Active))).toInt() == 0)
                return tr("%1 (inactive: the gateway does not use this key)").arg(id);
            return id;
        }
        if (column == KeyColumn::Last429At && !raw.isNull())
            return raw.toString();
        return {};
    default:
        return {};
    }
}

QVariant KeyTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= keyColumnCount)
        return QSqlQueryModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return columnTitle(KeyColumn(section));
    if (role == Qt::ToolTipRole)
        return columnToolTip(KeyColumn(section));
    return {};
}

QString KeyTableModel::columnToolTip(KeyColumn column)
{
    switch (column) {
    case KeyColumn::Name:
        return tr("The key's name in the gateway");
    case KeyColumn::Provider:
        return tr("The provider the key's endpoint belongs to");
    case KeyColumn::Endpoint:
        return tr("The provider's API endpoint (API format) the key is used for");
    case KeyColumn::Mode:
        return tr("Adaptive: the limit is learned from 429 responses. Fixed: the limit is max concurrent");
    case KeyColumn::MaxConcurrent:
        return tr("The fixed concurrency limit (1–100); — for adaptive keys");
    case KeyColumn::Learned:
        return tr("The concurrency limit learned so far; — until the first adjustment");
    case KeyColumn::Effective:
        return tr("The limit the gateway enforces: max concurrent for fixed keys, the learned limit for adaptive "
                  "keys (— while nothing is learned: no limit on the key)");
    case KeyColumn::Concurrent429:
        return tr("429 responses caused by too many concurrent requests, since the last reset");
    case KeyColumn::Rpm429:
        return tr("429 responses caused by the requests-per-minute limit, since the last reset");
    case KeyColumn::Last429At:
        return tr("When the last 429 response came (local time)");
    case KeyColumn::Last429Type:
        return tr("Whether the last 429 was a concurrency, an RPM or an unknown limit");
    case KeyColumn::Adjustments:
        return tr("How many limit adjustments the kept history holds (the policy keeps the most recent ones)");
    case KeyColumn::Active:
        return tr("Whether the gateway uses the key (its is_active flag); inactive keys are drawn dimmed");
    case KeyColumn::Id:
    case KeyColumn::EndpointId:
        break;
    }
    return {};
}

QString KeyTableModel::columnTitle(KeyColumn column)
{
    switch (column) {
    case KeyColumn::Name:
        return tr("Name");
    case KeyColumn::Provider:
        return tr("Provider");
    case KeyColumn::Endpoint:
        return tr("Endpoint");
    case KeyColumn::Mode:
        return tr("Mode");
    case KeyColumn::MaxConcurrent:
        return tr("Max concurrent");
    case KeyColumn::Learned:
        return tr("Learned limit");
    case KeyColumn::Effective:
        return tr("Effective limit");
    case KeyColumn::Concurrent429:
        return tr("Concurrency 429s");
    case KeyColumn::Rpm429:
        return tr("RPM 429s");
    case KeyColumn::Last429At:
        return tr("Last 429");
    case KeyColumn::Last429Type:
        return tr("Last 429 type");
    case KeyColumn::Adjustments:
        return tr("Adjustments");
    case KeyColumn::Active:
        return tr("Active");
    case KeyColumn::Id:
        return tr("Key ID");
    case KeyColumn::EndpointId:
        return tr("Endpoint ID");
    }
    return {};
}

QString KeyTableModel::modeLabel(bool adaptive)
{
    return adaptive ? tr("Adaptive") : tr("Fixed");
}

QString KeyTableModel::activeLabel(bool active)
{
    return active ? tr("Yes") : tr("No");
}

QString KeyTableModel::limitTypeLabel(const QString &type)
{
    if (type == u"concurrent")
        return tr("Concurrency");
    if (type == u"rpm")
        return tr("RPM");
    if (type == u"unknown")
        return tr("Unknown");
    return type;
}

} // namespace aether::gui
