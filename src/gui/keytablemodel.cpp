#include "keytablemodel.h"

#include "guiformat.h"
#include "icons.h"

#include <QIcon>
#include <QLocale>
#include <QPalette>

namespace aether::gui {

KeyTableModel::KeyTableModel(DatabaseLocation location, Database *cancelVia, QObject *parent)
    : QAbstractTableModel(parent)
    , m_loader(new KeyPageLoader(std::move(location), cancelVia, this))
{
    connect(m_loader, &KeyPageLoader::answered, this, &KeyTableModel::onAnswer);
}

bool KeyTableModel::isLoading() const
{
    return m_resetting || m_loader->isBusy();
}

void KeyTableModel::restart(bool recount)
{
    ++m_generation;
    m_resetting = true;
    m_loader->supersede(m_generation);
    // Another order of the same rows: their number is known (a change of the data comes with reload()).
    m_pendingCount = recount || m_count < 0 ? -1 : m_count;
    if (m_pendingCount < 0) {
        KeyPageRequest count;
        count.kind = KeyPageRequest::Kind::Count;
        count.generation = m_generation;
        count.query.filter = m_filter;
        m_loader->request(count);
    }
    KeyPageRequest first;
    first.generation = m_generation;
    first.query = pageQuery(-1);
    first.page = 0;
    m_loader->request(first);
}

void KeyTableModel::reload()
{
    if (m_resetting || m_count < 0) {
        restart();
        return;
    }
    // The same query read afresh: the rows shown stay (as stale rows) until their pages come again.
    ++m_generation;
    m_shown = m_generation;
    m_loader->supersede(m_generation);
    for (auto it = m_pages.begin(); it != m_pages.end(); ++it)
        m_stale.insert(it.key(), it.value());
    m_pages.clear();
    m_asked.clear();
    KeyPageRequest count;
    count.kind = KeyPageRequest::Kind::Count;
    count.generation = m_generation;
    count.query.filter = m_filter;
    m_loader->request(count);
}

void KeyTableModel::setFilter(const KeyFilter &filter)
{
    m_filter = filter;
    restart();
}

void KeyTableModel::sort(int column, Qt::SortOrder order)
{
    if (column < 0 || column >= visibleKeyColumnCount)
        return;
    // QTableView::sortByColumn() asks twice (once through the header's signal); one query is enough.
    if (KeyColumn(column) == m_sortColumn && order == m_sortOrder && (m_count >= 0 || m_resetting))
        return;
    m_sortColumn = KeyColumn(column);
    m_sortOrder = order;
    restart(m_resetting);
}

void KeyTableModel::setSorting(KeyColumn column, Qt::SortOrder order)
{
    if (int(column) < 0 || int(column) >= visibleKeyColumnCount)
        return;
    m_sortColumn = column;
    m_sortOrder = order;
}

void KeyTableModel::loadNavigation()
{
    KeyPageRequest request;
    request.kind = KeyPageRequest::Kind::Navigation;
    request.generation = m_generation;
    m_loader->request(request);
}

void KeyTableModel::locate(const QString &keyId)
{
    KeyPageRequest request;
    request.kind = KeyPageRequest::Kind::Locate;
    request.generation = m_generation;
    request.query.filter = m_filter;
    request.query.column = m_sortColumn;
    request.query.order = m_sortOrder;
    request.keyId = keyId;
    m_loader->request(request);
}

KeyPageQuery KeyTableModel::pageQuery(int page) const
{
    KeyPageQuery query;
    query.filter = m_filter;
    query.column = m_sortColumn;
    query.order = m_sortOrder;
    query.limit = pageSize;
    if (page < 0) // the first page of a new query
        return query;
    const auto previous = m_pages.constFind(page - 1);
    if (previous != m_pages.cend() && previous->rows.size() == pageSize) {
        query.anchor = KeyPageQuery::Anchor::After;
        query.value = previous->rows.last().sortValue;
        query.id = previous->rows.last().id;
        return query;
    }
    const auto next = m_pages.constFind(page + 1);
    if (next != m_pages.cend() && !next->rows.isEmpty()) {
        query.anchor = KeyPageQuery::Anchor::Before;
        query.value = next->rows.first().sortValue;
        query.id = next->rows.first().id;
        return query;
    }
    // No neighbour: skip rows from the nearer end (Ctrl+End reads the last page backwards from the end).
    const qint64 first = qint64(page) * pageSize;
    const qint64 end = std::min(first + pageSize, std::max<qint64>(m_count, 0));
    if (first <= m_count - end) {
        query.anchor = KeyPageQuery::Anchor::Start;
        query.offset = first;
    } else {
        query.anchor = KeyPageQuery::Anchor::End;
        query.offset = m_count - end;
        query.limit = int(end - first);
    }
    return query;
}

void KeyTableModel::requestPage(int page) const
{
    if (m_asked.contains(page) || m_resetting)
        return;
    m_asked.insert(page);
    KeyPageRequest request;
    request.generation = m_shown;
    request.query = pageQuery(page);
    request.page = page;
    m_loader->request(request);
}

const KeyRow *KeyTableModel::cachedRow(int row) const
{
    if (row < 0 || row >= rowCount())
        return nullptr;
    const int page = row / pageSize;
    const int at = row % pageSize;
    const auto fresh = m_pages.constFind(page);
    if (fresh != m_pages.cend()) {
        fresh->lastUse = ++m_uses;
        return at < fresh->rows.size() ? &fresh->rows.at(at) : nullptr;
    }
    requestPage(page);
    const auto stale = m_stale.constFind(page);
    if (stale != m_stale.cend() && at < stale->rows.size())
        return &stale->rows.at(at);
    return nullptr;
}

const KeyRow *KeyTableModel::rowAt(int row) const
{
    return cachedRow(row);
}

QString KeyTableModel::keyIdAt(int row) const
{
    const KeyRow *key = cachedRow(row);
    return key ? key->id : QString();
}

int KeyTableModel::loadedRowOfKey(const QString &keyId) const
{
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        for (int i = 0; i < it->rows.size(); ++i) {
            if (it->rows.at(i).id == keyId)
                return it.key() * pageSize + i;
        }
    }
    return -1;
}

void KeyTableModel::dropOldPages()
{
    while (m_pages.size() > maxPages) {
        auto oldest = m_pages.begin();
        for (auto it = m_pages.begin(); it != m_pages.end(); ++it) {
            if (it->lastUse < oldest->lastUse)
                oldest = it;
        }
        m_pages.erase(oldest);
    }
    while (m_stale.size() > maxPages)
        m_stale.erase(m_stale.begin());
}

void KeyTableModel::onAnswer(const KeyPageAnswer &answer)
{
    const KeyPageRequest &request = answer.request;
    if (request.kind == KeyPageRequest::Kind::Navigation) {
        if (answer.error)
            emit reloadFailed(*answer.error);
        else
            emit navigationLoaded(answer.providers);
        return;
    }
    if (request.generation != m_generation && request.generation != m_shown)
        return;
    if (answer.error) {
        if (request.generation == m_generation && m_resetting)
            m_resetting = false; // the rows shown stay
        emit reloadFailed(*answer.error);
        return;
    }
    switch (request.kind) {
    case KeyPageRequest::Kind::Count:
        if (m_resetting && request.generation == m_generation) {
            m_pendingCount = answer.count;
            m_allKeys = answer.allKeys;
            return;
        }
        if (request.generation != m_shown)
            return;
        {
            const int before = rowCount();
            m_count = answer.count;
            m_allKeys = answer.allKeys;
            const int after = rowCount();
            // The count moves the rows at the end only: the rows in view keep their place.
            if (after < before) {
                beginRemoveRows({}, after, before - 1);
                endRemoveRows();
            } else if (after > before) {
                beginInsertRows({}, before, after - 1);
                endInsertRows();
            }
            if (after > 0)
                emit dataChanged(index(0, 0), index(after - 1, keyColumnCount - 1));
            emit loaded();
        }
        return;
    case KeyPageRequest::Kind::Page:
        if (m_resetting && request.generation == m_generation) {
            beginResetModel();
            m_pages.clear();
            m_stale.clear();
            m_asked.clear();
            m_count = std::max<qint64>(m_pendingCount, answer.rows.size());
            m_shown = m_generation;
            m_resetting = false;
            m_pages.insert(0, Page{answer.rows, ++m_uses});
            endResetModel();
            emit loaded();
            for (const auto &[keyId, row] : std::as_const(m_heldLocations))
                emit keyLocated(keyId, row);
            m_heldLocations.clear();
            return;
        }
        if (request.generation != m_shown)
            return;
        m_asked.remove(request.page);
        m_pages.insert(request.page, Page{answer.rows, ++m_uses});
        m_stale.remove(request.page);
        dropOldPages();
        {
            const int first = request.page * pageSize;
            const int last = std::min(rowCount() - 1, first + pageSize - 1);
            if (first <= last)
                emit dataChanged(index(first, 0), index(last, keyColumnCount - 1));
        }
        return;
    case KeyPageRequest::Kind::Navigation:
        return;
    case KeyPageRequest::Kind::Locate: {
        if (request.generation != m_generation)
            return;
        const int row = answer.count < 0 || answer.count > INT_MAX ? -1 : int(answer.count);
        if (m_resetting)
            m_heldLocations.append({request.keyId, row}); // told once its query's rows are shown
        else
            emit keyLocated(request.keyId, row);
        return;
    }
    }
}

void KeyTableModel::retranslate()
{
    emit headerDataChanged(Qt::Horizontal, 0, keyColumnCount - 1);
    if (rowCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, keyColumnCount - 1));
}

int KeyTableModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || m_count <= 0)
        return 0;
    return int(std::min<qint64>(m_count, INT_MAX));
}

QVariant KeyTableModel::rawValue(const KeyRow &row, KeyColumn column)
{
    const auto number = [](std::optional<int> v) { return v ? QVariant(*v) : QVariant(); };
    const auto text = [](const QString &v) { return v.isNull() ? QVariant() : QVariant(v); };
    switch (column) {
    case KeyColumn::Name:
        return row.name;
    case KeyColumn::Provider:
        return row.provider;
    case KeyColumn::Endpoint:
        return row.apiFormat;
    case KeyColumn::Mode:
        return row.adaptive() ? 0 : 1;
    case KeyColumn::MaxConcurrent:
        return number(row.maxConcurrent);
    case KeyColumn::Learned:
        return number(row.learned);
    case KeyColumn::Effective:
        return number(row.effective);
    case KeyColumn::Concurrent429:
        return row.concurrent429;
    case KeyColumn::Rpm429:
        return row.rpm429;
    case KeyColumn::Last429At:
        return text(row.last429At);
    case KeyColumn::Last429Type:
        return text(row.last429Type);
    case KeyColumn::Adjustments:
        return row.adjustments;
    case KeyColumn::Active:
        return row.active ? 1 : 0;
    case KeyColumn::Id:
        return row.id;
    case KeyColumn::EndpointId:
        return row.endpointId;
    }
    return {};
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
    const KeyRow *key = cachedRow(index.row());
    if (!key) // its page is being read
        return role == Qt::DisplayRole && column == KeyColumn::Name ? QVariant(QStringLiteral("…")) : QVariant();
    const QVariant raw = rawValue(*key, column);
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
        if (!key->active)
            return QPalette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    case Qt::ToolTipRole:
        if (column == KeyColumn::Name) {
            if (!key->active)
                return tr("%1 (inactive: the gateway does not use this key)").arg(key->id);
            return key->id;
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
        return QAbstractTableModel::headerData(section, orientation, role);
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
