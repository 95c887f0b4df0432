#pragma once

#include "keypageloader.h"
#include "keys/keytable.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>

namespace aether::gui {

// The key table: a window onto the keys of a filter in one sort order. It knows how many rows there are (a count
// query) and holds only pages of rows around what the view shows, asked for as the view draws them (keyset
// pagination from a neighbouring page, else an offset from the nearer end), so memory and time do not grow with the
// number of keys. Every query runs on the loader's thread: while a new filter or sort order is read the old rows stay
// shown, and a newer request makes an older one's answer void. Values are shown for people: modes as words with an
// icon, times in local time, 429 types as labels; Qt::UserRole gives the raw value.
class KeyTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    // `cancelVia`: see KeyPageLoader.
    explicit KeyTableModel(DatabaseLocation location, Database *cancelVia = nullptr, QObject *parent = nullptr);

    // Reads the same filter and sort order again (the data changed): the rows shown stay until their new values are
    // there; the count follows.
    void reload();
    // A new filter: the rows change once its first page is there.
    void setFilter(const KeyFilter &filter);
    const KeyFilter &filter() const { return m_filter; }
    KeyColumn sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }
    // The keys the filter shows (rowCount() once loaded); -1 before the first count.
    qint64 keyCount() const { return m_count; }
    // The database holds no key at all (known when the filter shows none).
    bool databaseEmpty() const { return m_count == 0 && m_allKeys == 0; }
    // A count or a page is being read.
    bool isLoading() const;
    static constexpr int pageSize = 200;
    static constexpr int maxPages = 60; // rows kept: at most pageSize × maxPages

    // Reads the providers and endpoints with their key counts (the navigation tree) on the model's thread;
    // navigationLoaded() answers.
    void loadNavigation();
    // Asks where a key stands in the current order; keyLocated() answers.
    void locate(const QString &keyId);
    // The key id of a row whose page is there (empty otherwise).
    QString keyIdAt(int row) const;
    // The row of a key among the pages that are there; -1 otherwise.
    int loadedRowOfKey(const QString &keyId) const;
    // The whole row, when its page is there.
    const KeyRow *rowAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    // The sort order of the next reload (without reading now).
    void setSorting(KeyColumn column, Qt::SortOrder order);

    // After a change of language: headers and the rows' words are drawn again.
    void retranslate();

    static QString columnTitle(KeyColumn column);
    // What a column shows, its unit and where it comes from (the header's tooltip).
    static QString columnToolTip(KeyColumn column);
    static QString modeLabel(bool adaptive);
    static QString activeLabel(bool active);            // is_active
    static QString limitTypeLabel(const QString &type); // last_429_type: concurrent / rpm / unknown
    // A column's raw value in a row (Qt::UserRole): numbers, texts, NULL as an invalid QVariant.
    static QVariant rawValue(const KeyRow &row, KeyColumn column);

signals:
    // A new filter or sort order, or a reload, is shown (its count and first rows).
    void loaded();
    void reloadFailed(const aether::Error &error);
    // Where locate() found the key: its row, -1 when the filter does not show it.
    void keyLocated(const QString &keyId, int row);
    void navigationLoaded(const QList<aether::ProviderNode> &providers);

private:
    struct Page {
        QList<KeyRow> rows;
        mutable quint64 lastUse = 0;
    };
    // A new query (filter or sort order): counted and its first page read, then shown in place of the old rows.
    void restart(bool recount = true);
    void onAnswer(const KeyPageAnswer &answer);
    void requestPage(int page) const;
    KeyPageQuery pageQuery(int page) const;
    const KeyRow *cachedRow(int row) const;
    void dropOldPages();

    KeyPageLoader *m_loader;
    KeyFilter m_filter;
    KeyColumn m_sortColumn = KeyColumn::Name;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    quint64 m_generation = 0;   // of the query asked for last
    quint64 m_shown = 0;        // of the rows shown
    bool m_resetting = false;   // the query asked for last replaces the rows shown once its first page is there
    qint64 m_count = -1;        // rows of the query shown
    qint64 m_pendingCount = -1; // the count of the query asked for last, before its first page is there
    qint64 m_allKeys = -1;
    QHash<int, Page> m_pages;  // of the query shown
    QHash<int, Page> m_stale;  // after reload(): the rows as they were, shown until their page is read again
    mutable QSet<int> m_asked; // pages asked for and not there yet
    QList<std::pair<QString, int>> m_heldLocations; // found in a query whose rows are not shown yet
    mutable quint64 m_uses = 0;
};

} // namespace aether::gui
