#pragma once

#include "keys/keytable.h"

#include <QSqlQueryModel>

namespace aether::gui {

// The key table: a QSqlQueryModel over KeyTable::rows(), so that sorting and filtering run in SQL and rows are fetched
// in chunks as the view scrolls (a database with 100,000 keys is never read whole). Values are shown for people:
// modes as words with an icon, times in local time, 429 types as labels; Qt::UserRole gives the raw value.
class KeyTableModel : public QSqlQueryModel {
    Q_OBJECT
public:
    explicit KeyTableModel(KeyTable &table, QObject *parent = nullptr);

    // Runs the query again for the current filter and sort order. False (and reloadFailed()) when the database
    // failed; the model then keeps its rows.
    bool reload();
    void setFilter(const KeyFilter &filter);
    const KeyFilter &filter() const { return m_filter; }
    KeyColumn sortColumn() const { return m_sortColumn; }
    Qt::SortOrder sortOrder() const { return m_sortOrder; }

    // The row of a key among the rows fetched so far (fetching more while looking); -1 when it is not in the table.
    int rowOfKey(const QString &keyId);
    QString keyIdAt(int row) const;

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    // The sort order of the next reload (without running the query now).
    void setSorting(KeyColumn column, Qt::SortOrder order);
    void fetchMore(const QModelIndex &parent = {}) override;

    // After a change of language: headers and the rows' words are drawn again.
    void retranslate();

    static QString columnTitle(KeyColumn column);
    // What a column shows, its unit and where it comes from (the header's tooltip).
    static QString columnToolTip(KeyColumn column);
    static QString modeLabel(bool adaptive);
    static QString activeLabel(bool active);            // is_active
    static QString limitTypeLabel(const QString &type); // last_429_type: concurrent / rpm / unknown

signals:
    void reloadFailed(const aether::Error &error);

private:
    KeyTable &m_table;
    KeyFilter m_filter;
    KeyColumn m_sortColumn = KeyColumn::Name;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
    bool m_settingQuery = false;
    bool m_fetching = false;
};

} // namespace aether::gui
