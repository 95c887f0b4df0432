#include "keys/keytable.h"

#include "base/jsoncolumn.h"
#include "storage/keyorder.h"
#include "storage/migrations.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace aether {

namespace {

// The SQL expression of each column, in KeyColumn order.
QStringList columnExpressions(const SqlDialect &dialect, bool keptCount)
{
    return {
        QStringLiteral("COALESCE(k.name, '')"),
        QStringLiteral("COALESCE(p.display_name, p.name, '')"),
        QStringLiteral("COALESCE(e.api_format, '')"),
        QStringLiteral("CASE WHEN k.max_concurrent IS NULL THEN 0 ELSE 1 END"),
        QStringLiteral("k.max_concurrent"),
        QStringLiteral("k.learned_max_concurrent"),
        QStringLiteral("CASE WHEN k.max_concurrent IS NULL THEN k.learned_max_concurrent ELSE k.max_concurrent END"),
        QStringLiteral("COALESCE(k.concurrent_429_count, 0)"),
        QStringLiteral("COALESCE(k.rpm_429_count, 0)"),
        dialect.asText(QStringLiteral("k.last_429_at")),
        QStringLiteral("k.last_429_type"),
        keptCount ? QStringLiteral("k.console_adjustment_count")
                  : historyCountExpression(dialect, QStringLiteral("k.adjustment_history")),
        QStringLiteral("CASE WHEN k.is_active THEN 1 ELSE 0 END"),
        QStringLiteral("k.id"),
        QStringLiteral("k.endpoint_id"),
    };
}

// The endpoint (e) and provider (p) of each key (k).
const QString nameJoins = QStringLiteral(" LEFT JOIN provider_endpoints e ON e.id = k.endpoint_id "
                                         "LEFT JOIN providers p ON p.id = e.provider_id");
const QString keyJoins = QStringLiteral(" FROM provider_api_keys k") + nameJoins;

std::optional<int> optionalInt(const QJsonValue &value)
{
    if (!value.isDouble())
        return std::nullopt;
    const double d = value.toDouble();
    if (d < -2147483648.0 || d > 2147483647.0)
        return std::nullopt;
    return int(d);
}

void readKeyRow(const SqlStatement &q, KeyRow *row)
{
    const auto optionalInt = [&q](KeyColumn c) {
        const QVariant v = q.value(int(c));
        return v.isNull() ? std::nullopt : std::optional<int>(v.toInt());
    };
    row->name = q.value(int(KeyColumn::Name)).toString();
    row->provider = q.value(int(KeyColumn::Provider)).toString();
    row->apiFormat = q.value(int(KeyColumn::Endpoint)).toString();
    row->maxConcurrent = optionalInt(KeyColumn::MaxConcurrent);
    row->learned = optionalInt(KeyColumn::Learned);
    row->effective = optionalInt(KeyColumn::Effective);
    row->concurrent429 = q.value(int(KeyColumn::Concurrent429)).toLongLong();
    row->rpm429 = q.value(int(KeyColumn::Rpm429)).toLongLong();
    row->last429At = q.value(int(KeyColumn::Last429At)).toString();
    row->last429Type = q.value(int(KeyColumn::Last429Type)).toString();
    row->adjustments = q.value(int(KeyColumn::Adjustments)).toLongLong();
    row->active = q.value(int(KeyColumn::Active)).toInt() != 0;
    row->id = q.value(int(KeyColumn::Id)).toString();
    row->endpointId = q.value(int(KeyColumn::EndpointId)).toString();
}

} // namespace

KeyTable::KeyTable(Database &db)
    : m_db(db)
{
}

bool KeyTable::hasKeptCount()
{
    return hasKeptKeyColumn(m_db, QStringLiteral("console_adjustment_count"), &m_keptCount);
}

bool KeyTable::hasSqliteObject(const QString &name, std::optional<bool> *known)
{
    if (*known)
        return **known;
    // PostgreSQL: pg_trgm's indexes serve the plain LIKE as it is, and its pages sort through the join.
    if (m_db.dialect().isPostgres())
        return *(*known = false);
    Result<bool> exists = m_db.run<bool>([&]() -> Result<bool> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT 1 FROM sqlite_master WHERE name = ?"), {name});
        if (!st)
            return st.error();
        return st.value().next();
    });
    if (!exists)
        return false;
    return *(*known = exists.value());
}

bool KeyTable::hasSearchIndex()
{
    return hasSqliteObject(QStringLiteral("console_key_search"), &m_searchIndex);
}

bool KeyTable::hasEndpointOrder()
{
    return hasSqliteObject(QStringLiteral("ix_console_order_endpoint"), &m_endpointOrder);
}

QString KeyTable::where(const KeyFilter &filter, QVariantList *binds)
{
    QStringList conditions;
    if (filter.text.toUcs4().size() >= 3 && hasSearchIndex()) {
        // The trigram index finds every name or id that contains the text (case-insensitively), as LIKE would.
        QString phrase = filter.text;
        phrase.replace(u'"', QStringLiteral("\"\""));
        conditions << QStringLiteral(
            "k.rowid IN (SELECT rowid FROM console_key_search WHERE console_key_search MATCH ?)");
        *binds << QString(u'"' + phrase + u'"');
    } else if (!filter.text.isEmpty()) {
        // LIKE with the filter's own wildcards escaped; lower() on both sides makes it case-insensitive everywhere.
        QString pattern = filter.text.toLower();
        pattern.replace(u'\\', QStringLiteral("\\\\"))
            .replace(u'%', QStringLiteral("\\%"))
            .replace(u'_', QStringLiteral("\\_"));
        pattern = u'%' + pattern + u'%';
        conditions << QStringLiteral("(lower(k.name) LIKE ? ESCAPE '\\' OR lower(k.id) LIKE ? ESCAPE '\\')");
        *binds << pattern << pattern;
    }
    if (filter.mode == KeyFilter::Mode::Adaptive)
        conditions << QStringLiteral("k.max_concurrent IS NULL");
    else if (filter.mode == KeyFilter::Mode::Fixed)
        conditions << QStringLiteral("k.max_concurrent IS NOT NULL");
    if (filter.activity != KeyFilter::Activity::All)
        conditions << (filter.activity == KeyFilter::Activity::Active ? QStringLiteral("k.is_active")
                                                                      : QStringLiteral("NOT k.is_active"));
    if (filter.min429 > 0) {
        conditions << QStringLiteral("COALESCE(k.concurrent_429_count, 0) + COALESCE(k.rpm_429_count, 0) >= ?");
        *binds << filter.min429;
    }
    if (filter.last429Since) {
        // SQLite compares instants, whatever form the text has (with 'T' or a space, any offset).
        conditions << (m_db.dialect().isPostgres() ? QStringLiteral("k.last_429_at >= ?")
                                                   : QStringLiteral("julianday(k.last_429_at) >= julianday(?)"));
        *binds << filter.last429Since->toIsoString();
    }
    if (!filter.last429Type.isEmpty()) {
        conditions << QStringLiteral("k.last_429_type = ?");
        *binds << filter.last429Type;
    }
    if (filter.learnedAtMost) {
        conditions << QStringLiteral("k.max_concurrent IS NULL AND k.learned_max_concurrent <= ?");
        *binds << *filter.learnedAtMost;
    }
    if (!filter.endpointId.isEmpty()) {
        conditions << QStringLiteral("k.endpoint_id = ?");
        *binds << filter.endpointId;
    } else if (!filter.providerId.isEmpty()) {
        conditions << QStringLiteral("k.endpoint_id IN (SELECT id FROM provider_endpoints WHERE provider_id = ?)");
        *binds << filter.providerId;
    }
    return conditions.isEmpty() ? QString() : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
}

Result<QStringList> KeyTable::ids(const KeyFilter &filter)
{
    QVariantList binds;
    const QString sql = QStringLiteral("SELECT k.id FROM provider_api_keys k") + where(filter, &binds) +
                        QStringLiteral(" ORDER BY k.id");
    return m_db.run<QStringList>([&]() -> Result<QStringList> {
        Result<SqlStatement> st = m_db.exec(sql, binds);
        if (!st)
            return st.error();
        QStringList ids;
        while (st.value().next())
            ids << st.value().value(0).toString();
        return ids;
    });
}

Result<QSqlQuery> KeyTable::rows(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order)
{
    KeyPageQuery query;
    query.filter = filter;
    query.column = column;
    query.order = order;
    query.limit = -1;
    QVariantList binds;
    const QString sql = pageSql(query, &binds, false);
    return m_db.query(sql, binds);
}

Status KeyTable::scan(const KeyFilter &filter, KeyColumn column, const std::function<void(const KeyRow &)> &visit)
{
    KeyPageQuery query;
    query.filter = filter;
    query.column = column;
    query.limit = -1;
    // Read forward, in one piece on PostgreSQL: a scrollable query would keep a copy of every row.
    return readPage(query, false, [&visit](KeyRow &&row) {
        visit(row);
        return true;
    });
}

QString KeyTable::sortExpression(KeyColumn column, bool *needsNames)
{
    if (needsNames)
        *needsNames = column == KeyColumn::Provider || column == KeyColumn::Endpoint;
    const auto order = [&](KeyOrder o) {
        return keyOrderExpression(o, m_db.dialect(), hasKeptCount(), QStringLiteral("k."));
    };
    switch (column) {
    case KeyColumn::Name:
        return order(KeyOrder::Name);
    case KeyColumn::Provider:
        return QStringLiteral("COALESCE(p.display_name, p.name, '')");
    case KeyColumn::Endpoint:
        return QStringLiteral("COALESCE(e.api_format, '')");
    case KeyColumn::Mode:
        return order(KeyOrder::Mode);
    case KeyColumn::MaxConcurrent:
        return order(KeyOrder::MaxConcurrent);
    case KeyColumn::Learned:
        return order(KeyOrder::Learned);
    case KeyColumn::Effective:
        return order(KeyOrder::Effective);
    case KeyColumn::Concurrent429:
        return order(KeyOrder::Concurrent429);
    case KeyColumn::Rpm429:
        return order(KeyOrder::Rpm429);
    case KeyColumn::Last429At:
        return order(KeyOrder::Last429At);
    case KeyColumn::Last429Type:
        return order(KeyOrder::Last429Type);
    case KeyColumn::Adjustments:
        return order(KeyOrder::Adjustments);
    case KeyColumn::Active:
        return order(KeyOrder::Active);
    case KeyColumn::Id:
        return QStringLiteral("k.id");
    case KeyColumn::EndpointId:
        return QStringLiteral("k.endpoint_id");
    }
    return QStringLiteral("k.id");
}

QString KeyTable::sortParameter(KeyColumn column) const
{
    // PostgreSQL's instants travel as text (see SqlDialect::timestampParam).
    return column == KeyColumn::Last429At ? m_db.dialect().timestampParam() : QStringLiteral("?");
}

Result<QList<KeyRow>> KeyTable::page(const KeyPageQuery &query)
{
    QList<KeyRow> rows;
    if (query.limit <= 0)
        return rows;
    rows.reserve(query.limit);
    const Status read = readPage(query, false, [&rows](KeyRow &&row) {
        rows.append(std::move(row));
        return true;
    });
    if (!read)
        return read.error();
    if (query.anchor == KeyPageQuery::Anchor::Before || query.anchor == KeyPageQuery::Anchor::End)
        std::reverse(rows.begin(), rows.end());
    return rows;
}

Status KeyTable::stream(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order,
                        const std::function<bool(KeyRow &&)> &visit)
{
    KeyPageQuery query;
    query.filter = filter;
    query.column = column;
    query.order = order;
    query.limit = -1;
    return readPage(query, true, visit);
}

QString KeyTable::beyond(KeyColumn column, const QString &sort, bool ascending, const QVariant &value,
                         const QString &id, QVariantList *binds) const
{
    // (sort, id) beyond the row's, written so that an index on (sort, id) serves it in both databases.
    const QString param = sortParameter(column);
    const QString after = ascending ? QStringLiteral(" > ") : QStringLiteral(" < ");
    const QString atLeast = ascending ? QStringLiteral(" >= ") : QStringLiteral(" <= ");
    *binds << value << value << id;
    return QStringLiteral("%1%2%3 AND (%1%4%3 OR k.id%4?)").arg(sort, atLeast, param, after);
}

QString KeyTable::endpointOrderedRefs(const KeyPageQuery &query, bool ascending, QVariantList *binds)
{
    constexpr int mostEndpoints = 100; // SQLite joins at most 500 SELECTs into one compound
    // A text filter narrows to a few keys, found by the trigram index once: sorting those through the join is faster
    // than asking the index again for every endpoint (a million keys: 110 ms against 200 ms for two endpoints).
    if (query.limit < 0 || !query.filter.text.isEmpty() || !hasEndpointOrder())
        return {};
    const bool anchored = query.anchor == KeyPageQuery::Anchor::After || query.anchor == KeyPageQuery::Anchor::Before;
    const QString name = query.column == KeyColumn::Provider ? QStringLiteral("COALESCE(p.display_name, p.name, '')")
                                                             : QStringLiteral("COALESCE(e.api_format, '')");
    struct Group {
        QString value;
        int versusAnchor = 1; // -1: before the anchor's value, 0: its value, 1: after it
        QStringList endpointIds;
        bool orphans = false; // the keys of no endpoint, whose name is ''
    };
    QList<Group> groups;
    QStringList allIds;
    const Status read = m_db.run<Done>([&]() -> Status {
        const QVariant anchor = anchored ? query.value : QVariant(QString());
        // The id NULL stands for the keys of no endpoint.
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral(
                          "SELECT id, v, CASE WHEN v < ? THEN -1 WHEN v = ? THEN 0 ELSE 1 END FROM (SELECT NULL AS id, "
                          "'' AS v UNION ALL SELECT e.id, %1 FROM provider_endpoints e LEFT JOIN providers p ON "
                          "p.id = e.provider_id) ORDER BY v, id")
                          .arg(name),
                      {anchor, anchor});
        if (!st)
            return st.error();
        while (st.value().next()) {
            const QString value = st.value().value(1).toString();
            if (groups.isEmpty() || groups.last().value != value)
                groups.append({value, anchored ? st.value().value(2).toInt() : 1, {}, false});
            if (st.value().isNull(0))
                groups.last().orphans = true;
            else
                groups.last().endpointIds << st.value().value(0).toString();
        }
        Result<SqlStatement> ids = m_db.exec(QStringLiteral("SELECT id FROM provider_endpoints ORDER BY id"));
        if (!ids)
            return ids.error();
        while (ids.value().next())
            allIds << ids.value().value(0).toString();
        return Done{};
    });
    if (!read || allIds.size() > mostEndpoints)
        return {};
    if (!ascending)
        std::reverse(groups.begin(), groups.end());
    const QString direction = ascending ? QStringLiteral(" ASC") : QStringLiteral(" DESC");
    const qint64 rowsNeeded = query.limit + std::max<qint64>(0, query.offset);
    QStringList parts;
    for (const Group &group : std::as_const(groups)) {
        // Ascending, the groups after the anchor's value and its own from the anchor's id on; descending, before.
        if (anchored && group.versusAnchor != 0 && (group.versusAnchor > 0) != ascending)
            continue;
        QStringList members;
        const auto member = [&](const QString &endpointCondition, const QVariantList &endpointBinds, bool indexed) {
            QString condition = where(query.filter, binds);
            condition +=
                (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + endpointCondition;
            *binds << endpointBinds;
            if (anchored && group.versusAnchor == 0) {
                condition += ascending ? QStringLiteral(" AND k.id > ?") : QStringLiteral(" AND k.id < ?");
                *binds << query.id;
            }
            // The keys of no endpoint: the ranges between the endpoints' ids, sorted afterwards (+k.id: not by
            // walking the whole primary key).
            members << QStringLiteral("SELECT sid, kid FROM (SELECT k.rowid AS sid, k.id AS kid FROM "
                                      "provider_api_keys k") +
                           condition +
                           (indexed ? QStringLiteral(" ORDER BY k.id") : QStringLiteral(" ORDER BY +k.id")) +
                           direction + QStringLiteral(" LIMIT ?)");
            *binds << rowsNeeded;
        };
        if (group.orphans) {
            QStringList gaps;
            QVariantList gapBinds;
            for (qsizetype i = 0; i <= allIds.size(); ++i) {
                if (i == 0 && i == allIds.size()) {
                    gaps << QStringLiteral("1 = 1");
                } else if (i == 0) {
                    gaps << QStringLiteral("k.endpoint_id < ?");
                    gapBinds << allIds.at(i);
                } else if (i == allIds.size()) {
                    gaps << QStringLiteral("k.endpoint_id > ?");
                    gapBinds << allIds.at(i - 1);
                } else {
                    gaps << QStringLiteral("(k.endpoint_id > ? AND k.endpoint_id < ?)");
                    gapBinds << allIds.at(i - 1) << allIds.at(i);
                }
            }
            member(u'(' + gaps.join(QStringLiteral(" OR ")) + u')', gapBinds, false);
        }
        for (const QString &endpointId : group.endpointIds)
            member(QStringLiteral("k.endpoint_id = ?"), {endpointId}, true);
        if (members.size() == 1) {
            parts << QStringLiteral("SELECT sid FROM (") + members.first() + u')';
        } else {
            // One name's endpoints merged by id (SQLite merges the ordered parts of a compound with an ORDER BY).
            parts << QStringLiteral("SELECT sid FROM (") + members.join(QStringLiteral(" UNION ALL ")) +
                         QStringLiteral(" ORDER BY kid") + direction + QStringLiteral(" LIMIT ?)");
            *binds << rowsNeeded;
        }
    }
    if (parts.isEmpty())
        return QStringLiteral("SELECT NULL AS sid WHERE 0");
    // The groups one after another: SQLite reads a UNION ALL without ORDER BY part after part and stops at the LIMIT.
    *binds << query.limit;
    QString refs = parts.join(QStringLiteral(" UNION ALL ")) + QStringLiteral(" LIMIT ?");
    if (query.offset > 0) {
        refs += QStringLiteral(" OFFSET ?");
        *binds << query.offset;
    }
    return refs;
}

QString KeyTable::pageSql(const KeyPageQuery &query, QVariantList *binds, bool withSortValue)
{
    bool needsNames = false;
    const QString sort = sortExpression(query.column, &needsNames);
    // Before and End read the order backwards from their anchor; page() turns the rows around afterwards.
    const bool backwards = query.anchor == KeyPageQuery::Anchor::Before || query.anchor == KeyPageQuery::Anchor::End;
    const bool ascending = (query.order == Qt::AscendingOrder) != backwards;
    const QString direction = ascending ? QStringLiteral(" ASC") : QStringLiteral(" DESC");
    const QString orderBy = QStringLiteral(" ORDER BY ") + sort + direction +
                            (query.column == KeyColumn::Id ? QString() : QStringLiteral(", k.id") + direction);
    const bool pg = m_db.dialect().isPostgres();
    const QString ref = pg ? QStringLiteral("k.id") : QStringLiteral("k.rowid");
    QString inner = needsNames && !pg ? endpointOrderedRefs(query, ascending, binds) : QString();
    if (inner.isEmpty()) {
        QString condition = where(query.filter, binds);
        if (query.anchor == KeyPageQuery::Anchor::After || query.anchor == KeyPageQuery::Anchor::Before) {
            condition += (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                         beyond(query.column, sort, ascending, query.value, query.id, binds);
        }
        // Only the page's row references are sorted and skipped (the narrow index); the page's rows are then read
        // whole.
        inner = QStringLiteral("SELECT ") + ref + QStringLiteral(" AS sid FROM provider_api_keys k") +
                (needsNames ? nameJoins : QString()) + condition + orderBy +
                // SQLite: a LIMIT (-1: none) keeps the subquery from being merged into the outer query.
                (query.limit >= 0 ? QStringLiteral(" LIMIT ?")
                 : pg             ? QString()
                                  : QStringLiteral(" LIMIT -1")) +
                (query.offset > 0 ? QStringLiteral(" OFFSET ?") : QString());
        if (query.limit >= 0)
            *binds << query.limit;
        if (query.offset > 0)
            *binds << query.offset;
    }
    QString select = QStringLiteral("SELECT ") + columnExpressions(m_db.dialect(), hasKeptCount()).join(u", ");
    if (withSortValue) // instants as text
        select += u", " + (query.column == KeyColumn::Last429At ? m_db.dialect().asText(sort) : sort);
    return select + QStringLiteral(" FROM (") + inner +
           // SQLite: CROSS JOIN keeps the page's references as the outer loop.
           (pg ? QStringLiteral(") s JOIN provider_api_keys k ON ")
               : QStringLiteral(") s CROSS JOIN provider_api_keys k ON ")) +
           ref + QStringLiteral(" = s.sid") + nameJoins + orderBy;
}

Status KeyTable::readPage(const KeyPageQuery &query, bool streamed, const std::function<bool(KeyRow &&)> &visit)
{
    if (query.offset < 0)
        return Done{};
    if (m_db.dialect().isPostgres() && query.limit < 0 && query.offset > 0)
        return Error::invalid(QStringLiteral("offset"), reason::invalidValue)
            .told(QT_TRANSLATE_NOOP("Error", "a page of the key table needs a limit"));
    QVariantList binds;
    const QString sql = pageSql(query, &binds, true);
    return m_db.run<Done>([&]() -> Status {
        // A page is read in one piece; a stream row by row (PostgreSQL then keeps one row at a time).
        Result<SqlStatement> st = streamed ? m_db.exec(sql, binds) : m_db.execBulk(sql, binds);
        if (!st)
            return st.error();
        while (st.value().next()) {
            KeyRow row;
            readKeyRow(st.value(), &row);
            row.sortValue = st.value().value(keyColumnCount);
            if (!visit(std::move(row)))
                break;
        }
        return Done{};
    });
}

Result<qint64> KeyTable::position(const KeyFilter &filter, KeyColumn column, Qt::SortOrder order, const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return qint64(-1);
    bool needsNames = false;
    const QString sort = sortExpression(column, &needsNames);
    const QString from = QStringLiteral(" FROM provider_api_keys k") + (needsNames ? nameJoins : QString());
    const QString sortColumn = column == KeyColumn::Last429At ? m_db.dialect().asText(sort) : sort;
    return m_db.run<qint64>([&]() -> Result<qint64> {
        QVariantList binds;
        QString condition = where(filter, &binds);
        condition +=
            (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("k.id = ?");
        binds << keyId;
        QVariant value;
        {
            Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT ") + sortColumn + from + condition, binds);
            if (!st)
                return st.error();
            if (!st.value().next())
                return qint64(-1);
            value = st.value().value(0);
        }
        binds.clear();
        condition = where(filter, &binds);
        // The rows before it: beyond it in the opposite direction.
        condition += (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                     beyond(column, sort, order != Qt::AscendingOrder, value, keyId, &binds);
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT count(*)") + from + condition, binds);
        if (!st)
            return st.error();
        return st.value().next() ? st.value().value(0).toLongLong() : qint64(-1);
    });
}

Result<qint64> KeyTable::count(const KeyFilter &filter)
{
    return m_db.run<qint64>([&]() -> Result<qint64> {
        QVariantList binds;
        // The filters name the key table alone: no join, so SQLite counts in the narrowest index that serves them.
        const QString sql = QStringLiteral("SELECT count(*) FROM provider_api_keys k") + where(filter, &binds);
        Result<SqlStatement> st = m_db.exec(sql, binds);
        if (!st)
            return st.error();
        return st.value().next() ? st.value().value(0).toLongLong() : 0;
    });
}

Result<QList<ProviderNode>> KeyTable::navigation()
{
    return m_db.run<QList<ProviderNode>>([&]() -> Result<QList<ProviderNode>> {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT p.id, COALESCE(p.display_name, p.name, p.id), e.id, e.api_format, "
                                     "(SELECT count(*) FROM provider_api_keys k WHERE k.endpoint_id = e.id) "
                                     "FROM providers p LEFT JOIN provider_endpoints e ON e.provider_id = p.id "
                                     "ORDER BY 2, p.id, e.api_format, e.id"));
        if (!st)
            return st.error();
        QList<ProviderNode> providers;
        while (st.value().next()) {
            const QString providerId = st.value().value(0).toString();
            if (providers.isEmpty() || providers.last().id != providerId)
                providers.append({providerId, st.value().value(1).toString(), 0, {}});
            if (st.value().isNull(2))
                continue;
            EndpointNode endpoint{st.value().value(2).toString(), st.value().value(3).toString(),
                                  st.value().value(4).toLongLong()};
            providers.last().keys += endpoint.keys;
            providers.last().endpoints.append(endpoint);
        }
        return providers;
    });
}

Result<QList<Key429Count>> KeyTable::top429(const KeyFilter &filter, int limit)
{
    return m_db.run<QList<Key429Count>>([&]() -> Result<QList<Key429Count>> {
        QVariantList binds;
        QString condition = where(filter, &binds);
        condition += (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) +
                     QStringLiteral("COALESCE(k.concurrent_429_count, 0) + COALESCE(k.rpm_429_count, 0) > 0");
        binds << limit;
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT k.id, COALESCE(k.name, k.id), COALESCE(k.concurrent_429_count, 0), "
                           "COALESCE(k.rpm_429_count, 0), k.max_concurrent IS NULL") +
                keyJoins + condition +
                QStringLiteral(" ORDER BY COALESCE(k.concurrent_429_count, 0) + COALESCE(k.rpm_429_count, 0) DESC, "
                               "k.id LIMIT ?"),
            binds);
        if (!st)
            return st.error();
        QList<Key429Count> keys;
        while (st.value().next()) {
            keys.append({st.value().value(0).toString(), st.value().value(1).toString(),
                         st.value().value(2).toLongLong(), st.value().value(3).toLongLong(),
                         st.value().value(4).toBool()});
        }
        return keys;
    });
}

Result<QList<AdjustmentPoint>> KeyTable::history(const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return Error::notFound(keyId);
    return m_db.run<QList<AdjustmentPoint>>([&]() -> Result<QList<AdjustmentPoint>> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT %1 FROM provider_api_keys WHERE id = ?")
                                                .arg(m_db.dialect().asText(QStringLiteral("adjustment_history"))),
                                            {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        JsonArrayState state;
        const QJsonArray history = readJsonArray(st.value().value(0), &state);
        QList<AdjustmentPoint> points;
        for (const QJsonValue &value : history) {
            if (!value.isObject())
                continue;
            const QJsonObject record = value.toObject();
            AdjustmentPoint point;
            point.at = Timestamp::parse(record.value(QStringLiteral("timestamp")).toString());
            point.oldLimit = optionalInt(record.value(QStringLiteral("old_limit")));
            point.newLimit = optionalInt(record.value(QStringLiteral("new_limit")));
            point.reason = record.value(QStringLiteral("reason")).toString();
            point.record = record;
            points.append(point);
        }
        return points;
    });
}

} // namespace aether
