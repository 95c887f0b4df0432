#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"

#include <QJsonObject>
#include <QList>
#include <QSqlQuery>
#include <QString>

#include <functional>
#include <optional>

namespace aether {

// The columns of the console's key table, in display order. Mode sorts adaptive before fixed; Effective is the limit
// in force (adaptive: the learned one, fixed: max_concurrent); Adjustments is the number of history records.
enum class KeyColumn {
    Name,
    Provider,
    Endpoint,
    Mode,
    MaxConcurrent,
    Learned,
    Effective,
    Concurrent429,
    Rpm429,
    Last429At,
    Last429Type,
    Adjustments,
    Active,     // the gateway's is_active (1 or 0)
    Id,         // not shown as a column of its own: the key id
    EndpointId, // not shown
};
inline constexpr int keyColumnCount = int(KeyColumn::EndpointId) + 1;
inline constexpr int visibleKeyColumnCount = int(KeyColumn::Active) + 1;

struct KeyFilter {
    enum class Mode { All, Adaptive, Fixed };
    enum class Activity { All, Active, Inactive }; // the gateway's is_active
    QString text;                                  // part of the key's name or id, case-insensitive
    Mode mode = Mode::All;
    QString providerId; // empty: every provider
    QString endpointId; // empty: every endpoint (of the provider)
    Activity activity = Activity::All;
    int min429 = 0;                        // concurrency and RPM 429s together at least this; 0: any
    std::optional<Timestamp> last429Since; // the last 429 at or after this
    QString last429Type;                   // concurrent, rpm or unknown; empty: any
    std::optional<int> learnedAtMost;      // adaptive keys whose learned limit is at most this (stuck at the minimum)
};

struct EndpointNode {
    QString id;
    QString apiFormat;
    qint64 keys = 0;
};

struct ProviderNode {
    QString id;
    QString name;
    qint64 keys = 0;
    QList<EndpointNode> endpoints;
};

struct Key429Count {
    QString keyId;
    QString name;
    qint64 concurrent429 = 0;
    qint64 rpm429 = 0;
    bool adaptive = true; // false: the key has a fixed limit
};

// One record of a key's adjustment history.
struct AdjustmentPoint {
    std::optional<Timestamp> at;
    std::optional<int> oldLimit;
    std::optional<int> newLimit;
    QString reason;     // as stored: concurrent_429, unknown_429, high_utilization, probe_increase, …
    QJsonObject record; // everything stored, including fields the console does not know
};

// One key as the key table shows it (KeyTable::scan): the columns of KeyColumn with their types.
struct KeyRow {
    QString id;
    QString name;      // empty when the key has none
    QString provider;  // the provider's display name
    QString apiFormat; // the endpoint's API format
    QString endpointId;
    std::optional<int> maxConcurrent; // set: fixed mode
    std::optional<int> learned;
    std::optional<int> effective; // adaptive: the learned limit; fixed: max_concurrent
    qint64 concurrent429 = 0;
    qint64 rpm429 = 0;
    QString last429At;
    QString last429Type;
    qint64 adjustments = 0; // records in the stored history
    bool active = true;
    QVariant sortValue; // KeyTable::page: the row's value in the page's sort order (with the id: its place there)

    bool adaptive() const { return !maxConcurrent.has_value(); }
};

// Where a page of the key table starts (KeyTable::page).
struct KeyPageQuery {
    KeyFilter filter;
    KeyColumn column = KeyColumn::Name;
    Qt::SortOrder order = Qt::AscendingOrder;
    enum class Anchor {
        Start,  // `offset` rows after the first row
        End,    // the page that ends `offset` rows before the last row
        After,  // the rows right after the row (afterValue, afterId): keyset pagination, the same cost anywhere
        Before, // the rows right before it
    };
    Anchor anchor = Anchor::Start;
    qint64 offset = 0;
    QVariant value; // After, Before: a row's sortValue
    QString id;     // and its id
    int limit = 100;
};

// The read side of the console's key views: the sortable, filterable key table (as a query a QSqlQueryModel fetches
// lazily), the provider/endpoint tree, the keys with the most 429s and a key's whole history. Sorting and filtering
// happen in SQL, so a database with 100,000 keys is never read whole.
class KeyTable {
public:
    explicit KeyTable(Database &db);

    // The rows in KeyColumn order (all keyColumnCount columns), sorted by `column` then by id (page()'s order), as one
    // scrollable query.
    Result<QSqlQuery> rows(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order);
    Result<qint64> count(const KeyFilter &filter);
    // At most `limit` rows of one sort order (ties broken by id), in that order, each with its sortValue; only the
    // page is read. With the console's indexes (Migrations version 14) a page costs the same anywhere in the table
    // for After and Before; Start and End skip `offset` entries of the index.
    Result<QList<KeyRow>> page(const KeyPageQuery &query);
    // Every row of the filter in one sort order (ties broken by id), handed to `visit` as it is read (row by row on
    // every database: memory stays the same at any number of keys) until `visit` returns false.
    Status stream(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order,
                  const std::function<bool(KeyRow &&)> &visit);
    // How many rows of the filter come before the key in this order; -1 when the key is not among them.
    Result<qint64> position(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order, const QString &keyId);
    // Every key of the filter, sorted by `column` then by id, handed to `visit` one at a time as the query is read
    // (the command line's tables, the metrics); the rows are not kept.
    Status scan(const KeyFilter &filter, KeyColumn column, const std::function<void(const KeyRow &)> &visit);
    // The ids of every key of the filter, in id order (bulk changes, "select all shown").
    Result<QStringList> ids(const KeyFilter &filter);
    // Providers by name, each with its endpoints by API format and their key counts.
    Result<QList<ProviderNode>> navigation();
    // The keys of the filter with the most 429 responses (concurrency + RPM), most first.
    Result<QList<Key429Count>> top429(const KeyFilter &filter, int limit = 20);
    // The stored history of a key, oldest first; NotFound for an unknown key. Records that are not objects are
    // skipped; a history that is not a JSON array counts as empty.
    Result<QList<AdjustmentPoint>> history(const QString &keyId);

private:
    QString where(const KeyFilter &filter, QVariantList *binds);
    // The SELECT of a page (limit -1: every row), with its bound values added to *binds; `withSortValue`: each row's
    // sort value as one more column.
    QString pageSql(const KeyPageQuery &query, QVariantList *binds, bool withSortValue);
    // "(sort, id) beyond the row (value, id)" in the direction of the order, its values added to *binds.
    QString beyond(KeyColumn column, const QString &sort, bool ascending, const QVariant &value, const QString &id,
                   QVariantList *binds) const;
    // The console's SQLite tables keep the number of history records in a column (see Migrations).
    bool hasKeptCount();
    // The console's trigram index of names and ids (SQLite's console_key_search) is there.
    bool hasSearchIndex();
    // SQLite: the console's table or index of that name is there (false on PostgreSQL); kept in *known.
    bool hasSqliteObject(const QString &name, std::optional<bool> *known);
    Status readPage(const KeyPageQuery &query, bool streamed, const std::function<bool(KeyRow &&)> &visit);
    // The expression a column sorts by (never NULL) and whether it needs the endpoint and provider joined.
    QString sortExpression(KeyColumn column, bool *needsNames = nullptr);
    // `expression` compared with a bound sort value of `column`.
    QString sortParameter(KeyColumn column) const;
    // SQLite, sorting by provider or endpoint (a joined name no index of the key table holds): the row references of
    // a page as the keys of each endpoint taken in id order from the index (endpoint_id, id), endpoint after
    // endpoint in the order of their names, those of one name merged by id; the LIMIT ends the reading at the page.
    // Empty when that does not apply (no such index, too many endpoints, a text filter); the groups are read here.
    QString endpointOrderedRefs(const KeyPageQuery &query, bool ascending, QVariantList *binds);
    bool hasEndpointOrder();

    Database &m_db;
    std::optional<bool> m_keptCount;
    std::optional<bool> m_searchIndex;
    std::optional<bool> m_endpointOrder;
};

} // namespace aether
