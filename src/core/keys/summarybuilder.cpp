#include "keys/summarybuilder.h"

#include "base/jsoncolumn.h"
#include "storage/migrations.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace aether {

namespace {

constexpr int fetchChunk = 200;
constexpr int digestChunk = 500;
constexpr int digestColumns = 5 + 2 * SummaryBuilder::recentPerKey; // the extra columns come after these

// The digest of each history as the database computes it (SQLite's JSON functions, PostgreSQL's jsonb), so that
// 100,000 histories are neither sent to the console nor parsed there: per key its id, version, whether the history is
// NULL, its JSON type, its length (arrays) and, for each of its last recentPerKey records (last first), the record's
// type and its timestamp when that is a string. Only arrays are taken from here; anything else is read and parsed by
// the console, which reports malformed histories as it always did.
// `extra` columns of the key follow (a first summary reads everything in one pass).
QString digestQuery(const SqlDialect &dialect, const QString &version, const QString &where,
                    const QStringList &extra = {})
{
    QStringList columns{QStringLiteral("id"), QStringLiteral("v"), QStringLiteral("h IS NULL")};
    QString inner = QStringLiteral("id, %1 AS v, adjustment_history AS h").arg(version);
    for (int i = 0; i < extra.size(); ++i)
        inner += QStringLiteral(", %1 AS x%2").arg(extra.at(i)).arg(i);
    if (dialect.isPostgres()) {
        const QString array = QStringLiteral("jsonb_typeof(j) = 'array'");
        columns << QStringLiteral("jsonb_typeof(j)")
                << QStringLiteral("CASE WHEN %1 THEN jsonb_array_length(j) END").arg(array);
        for (int k = 1; k <= SummaryBuilder::recentPerKey; ++k) {
            columns << QStringLiteral("CASE WHEN %1 THEN jsonb_typeof(j -> -%2) END").arg(array).arg(k)
                    << QStringLiteral("CASE WHEN %1 AND jsonb_typeof(j -> -%2 -> 'timestamp') = 'string' THEN "
                                      "j -> -%2 ->> 'timestamp' END")
                           .arg(array)
                           .arg(k);
        }
    } else {
        // The history's type once per key: LIMIT -1 keeps SQLite from copying the expression into every use.
        const QString array = QStringLiteral("kind = 'array'");
        columns << QStringLiteral("kind") << QStringLiteral("CASE WHEN %1 THEN json_array_length(h) END").arg(array);
        for (int k = 1; k <= SummaryBuilder::recentPerKey; ++k) {
            columns << QStringLiteral("CASE WHEN %1 THEN json_type(h, '$[#-%2]') END").arg(array).arg(k)
                    << QStringLiteral("CASE WHEN %1 AND json_type(h, '$[#-%2].timestamp') = 'text' THEN "
                                      "json_extract(h, '$[#-%2].timestamp') END")
                           .arg(array)
                           .arg(k);
        }
    }
    for (int i = 0; i < extra.size(); ++i)
        columns << QStringLiteral("x%1").arg(i);
    // PostgreSQL converts each history once (OFFSET 0 keeps the subquery whole); SQLite takes its type once.
    const QString from =
        dialect.isPostgres()
            ? QStringLiteral("(SELECT %1, CAST(adjustment_history AS jsonb) AS j FROM provider_api_keys WHERE %2 "
                             "OFFSET 0) s")
            : QStringLiteral("(SELECT %1, CASE WHEN json_valid(adjustment_history) THEN json_type(adjustment_history) "
                             "END AS kind FROM provider_api_keys WHERE %2 LIMIT -1)");
    return QStringLiteral("SELECT ") + columns.join(QStringLiteral(", ")) + QStringLiteral(" FROM ") +
           from.arg(inner, where);
}

} // namespace

SummaryBuilder::SummaryBuilder(Database &db, RowVersion &versions, MalformedReporter reportMalformed)
    : m_db(db)
    , m_versions(versions)
    , m_reportMalformed(std::move(reportMalformed))
{
}

SummaryBuilder::Digest SummaryBuilder::digest(const QByteArray &version, const QString &keyId, const QVariant &history,
                                              QJsonArray *array)
{
    Digest d;
    d.version = version;
    JsonArrayState state;
    *array = readJsonArray(history, &state);
    if (state == JsonArrayState::Malformed)
        m_reportMalformed(keyId);
    d.length = int(array->size());
    for (qsizetype i = qMax<qsizetype>(0, array->size() - recentPerKey); i < array->size(); ++i) {
        const QJsonValue record = array->at(i);
        if (!record.isObject())
            continue; // the original service could not merge it into an answer either
        const QJsonValue ts = record.toObject().value(QLatin1String("timestamp"));
        d.tail.append({ts.isString() ? ts.toString() : QString(), int(i)});
    }
    return d;
}

Status SummaryBuilder::refresh(const QString &versionExpr, const QStringList &ids, QHash<QString, QJsonArray> *records)
{
    const QString version = versionExpr.isEmpty() ? QStringLiteral("''") : versionExpr;
    const QString history = m_db.dialect().asText(QStringLiteral("adjustment_history"));
    for (qsizetype start = 0; start < ids.size(); start += fetchChunk) {
        const QStringList chunk = ids.mid(start, fetchChunk);
        QVariantList binds;
        for (const QString &id : chunk)
            binds << id;
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT id, %1, %2 FROM provider_api_keys WHERE id IN (%3)")
                                                .arg(version, history, sqlPlaceholders(chunk.size())),
                                            binds);
        if (!st)
            return st.error();
        while (st.value().next()) {
            const QString id = st.value().value(0).toString();
            QJsonArray array;
            m_digests.insert(id, digest(st.value().value(1).toByteArray(), id, st.value().value(2), &array));
            if (records)
                records->insert(id, array);
        }
    }
    return Done{};
}

bool SummaryBuilder::storeDigest(const SqlStatement &row)
{
    const QString id = row.value(0).toString();
    if (row.value(3).toString() != u"array") {
        if (!row.value(2).toBool())
            return false;                                                // not an array: the console reads it
        m_digests.insert(id, Digest{row.value(1).toByteArray(), 0, {}}); // NULL: no history
        return true;
    }
    Digest d;
    d.version = row.value(1).toByteArray();
    d.length = row.value(4).toInt();
    for (int k = recentPerKey; k >= 1; --k) { // stored order
        const int column = 5 + 2 * (k - 1);
        if (d.length - k < 0 || row.value(column).toString() != u"object")
            continue;
        d.tail.append({row.value(column + 1).toString(), d.length - k});
    }
    m_digests.insert(id, std::move(d));
    return true;
}

Status SummaryBuilder::refreshDigests(const QString &versionExpr, const QStringList &ids, const KeyScan &scan)
{
    const QString version = versionExpr.isEmpty() ? QStringLiteral("''") : versionExpr;
    QStringList slow; // histories that are not arrays: the console reads them itself
    const auto read = [&](const QString &where, const QVariantList &binds, const QStringList &covered) -> Status {
        Result<SqlStatement> st = m_db.exec(digestQuery(m_db.dialect(), version, where), binds);
        if (!st) {
            if (st.error().code == ErrorCode::StorageUnavailable)
                return st.error();
            slow << covered; // a value the database's JSON functions refuse (e.g. \u0000 for jsonb)
            return Done{};
        }
        while (st.value().next()) {
            if (!storeDigest(st.value()))
                slow << st.value().value(0).toString();
        }
        return Done{};
    };
    // Many stale keys (a first summary): one pass over the scope's adaptive keys in storage order costs a fraction
    // of looking each one up by id.
    if (ids.size() > scan.keys / 4) {
        if (const Status status = read(scan.where, scan.binds, ids); !status)
            return status;
        return refresh(versionExpr, slow);
    }
    for (qsizetype start = 0; start < ids.size(); start += digestChunk) {
        const QStringList chunk = ids.mid(start, digestChunk);
        QVariantList binds;
        for (const QString &id : chunk)
            binds << id;
        if (const Status status = read(QStringLiteral("id IN (%1)").arg(sqlPlaceholders(chunk.size())), binds, chunk);
            !status)
            return status;
    }
    return refresh(versionExpr, slow);
}

Result<Summary> SummaryBuilder::build(const SummaryScope &scope)
{
    const std::optional<QByteArray> stamp = m_db.changeStamp();
    if (stamp && m_stamp == stamp && m_lastScope == scope)
        return m_last;
    Result<QString> versionExpr = m_versions.expression();
    if (!versionExpr)
        return versionExpr.error();
    QList<Row> rows;
    QStringList stale;
    Summary summary;
    KeyScan scan;
    if (const Status read = readKeys(versionExpr.value(), scope, &rows, &stale, &summary, &scan); !read)
        return read.error();
    if (const Status refreshed = refreshDigests(versionExpr.value(), stale, scan); !refreshed)
        return refreshed.error();
    if (scope == SummaryScope{})
        forgetGoneKeys(rows);
    summary.totalAdaptiveKeys = rows.size();
    if (const Status added = addRecords(versionExpr.value(), newestRecords(rows, &summary), &summary); !added)
        return added.error();
    if (stamp) {
        m_stamp = stamp;
        m_lastScope = scope;
        m_last = summary;
    }
    return summary;
}

Status SummaryBuilder::readKeys(const QString &versionExpr, const SummaryScope &scope, QList<Row> *rows,
                                QStringList *stale, Summary *summary, KeyScan *scan)
{
    const bool versioned = !versionExpr.isEmpty();
    QString inScope;
    QVariantList binds;
    if (!scope.endpointId.isEmpty()) {
        inScope = QStringLiteral(" AND endpoint_id = ?");
        binds << scope.endpointId;
    } else if (!scope.providerId.isEmpty()) {
        inScope = QStringLiteral(" AND endpoint_id IN (SELECT id FROM provider_endpoints WHERE provider_id = ?)");
        binds << scope.providerId;
    }
    Result<SqlStatement> fixed = m_db.exec(
        QStringLiteral("SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL") + inScope, binds);
    if (!fixed)
        return fixed.error();
    summary->totalFixedKeys = fixed.value().next() ? fixed.value().value(0).toLongLong() : 0;
    const QString version = versioned ? versionExpr : QStringLiteral("''");
    // Among records with equal timestamps the keys' order decides (see newestRecords): SQLite's is the rowid's,
    // whichever index a query walks; PostgreSQL's the order its scan returns, as for the original service.
    const QString storageOrder = m_db.dialect().isPostgres() ? QStringLiteral("0") : QStringLiteral("rowid");
    const auto inStorageOrder = [this](QList<Row> *keys) {
        if (!m_db.dialect().isPostgres())
            std::stable_sort(keys->begin(), keys->end(), [](const Row &a, const Row &b) { return a.order < b.order; });
    };
    scan->where = QStringLiteral("max_concurrent IS NULL") + inScope;
    scan->binds = binds;
    // The console's own SQLite tables keep each history's length and last records' timestamps (Migrations version
    // 4) in the adaptive keys' index: no history is read at all.
    if (hasKeptTail())
        return readKeptKeys(version, versioned, rows, stale, summary, scan);
    // Nothing known yet (a first summary): the keys and the digests of their histories in one pass.
    if (m_digests.isEmpty()) {
        Result<SqlStatement> st = m_db.exec(digestQuery(m_db.dialect(), version, scan->where,
                                                        {QStringLiteral("name"), QStringLiteral("concurrent_429_count"),
                                                         QStringLiteral("rpm_429_count"), storageOrder}),
                                            binds);
        if (st) {
            while (st.value().next()) {
                const SqlStatement &row = st.value();
                ++scan->keys;
                rows->append({row.value(0).toString(), row.optionalString(digestColumns),
                              row.value(digestColumns + 3).toLongLong()});
                summary->totalConcurrent429Errors += row.value(digestColumns + 1).toLongLong();
                summary->totalRpm429Errors += row.value(digestColumns + 2).toLongLong();
                if (!storeDigest(row))
                    *stale << rows->constLast().id;
            }
            inStorageOrder(rows);
            return Done{};
        }
        if (st.error().code == ErrorCode::StorageUnavailable)
            return st.error();
        // A history the database's JSON functions refuse: the keys are read below and their histories one by one.
    }
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("SELECT id, name, concurrent_429_count, rpm_429_count, %1, %2 FROM provider_api_keys WHERE ")
                .arg(version, storageOrder) +
            scan->where,
        binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        ++scan->keys;
        Row row;
        row.id = st.value().value(0).toString();
        row.name = st.value().optionalString(1);
        row.order = st.value().value(5).toLongLong();
        summary->totalConcurrent429Errors += st.value().value(2).toLongLong();
        summary->totalRpm429Errors += st.value().value(3).toLongLong();
        const auto known = m_digests.constFind(row.id);
        if (!versioned || known == m_digests.constEnd() || known->version != st.value().value(4).toByteArray())
            *stale << row.id;
        rows->append(std::move(row));
    }
    inStorageOrder(rows);
    return Done{};
}

bool SummaryBuilder::hasKeptTail()
{
    if (!m_keptTail) {
        m_keptTail = hasKeptKeyColumn(m_db, QStringLiteral("console_history_tail"));
        if (!m_keptTail)
            return false; // ask again next time
    }
    return *m_keptTail;
}

Status SummaryBuilder::readKeptKeys(const QString &version, bool versioned, QList<Row> *rows, QStringList *stale,
                                    Summary *summary, KeyScan *scan)
{
    Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT id, name, concurrent_429_count, rpm_429_count, %1, "
                                                       "rowid, console_adjustment_count, console_history_tail FROM "
                                                       "provider_api_keys WHERE ")
                                                .arg(version) +
                                            scan->where,
                                        scan->binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        const SqlStatement &row = st.value();
        ++scan->keys;
        Row key{row.value(0).toString(), row.optionalString(1), row.value(5).toLongLong()};
        summary->totalConcurrent429Errors += row.value(2).toLongLong();
        summary->totalRpm429Errors += row.value(3).toLongLong();
        const QByteArray rowVersion = row.value(4).toByteArray();
        const auto known = m_digests.constFind(key.id);
        if (versioned && known != m_digests.constEnd() && known->version == rowVersion) {
            rows->append(std::move(key));
            continue;
        }
        // [type, timestamp] of the third-last, second-last and last record; NULL: not an array, read it.
        const QJsonArray tail =
            row.isNull(7) ? QJsonArray() : QJsonDocument::fromJson(row.value(7).toString().toUtf8()).array();
        if (row.isNull(7) || (tail.size() != 2 * recentPerKey && !tail.isEmpty())) {
            *stale << key.id;
        } else {
            Digest d{rowVersion, tail.isEmpty() ? 0 : row.value(6).toInt(), {}};
            for (int k = recentPerKey; k >= 1 && !tail.isEmpty(); --k) {
                const int at = 2 * (recentPerKey - k);
                if (d.length - k >= 0 && tail.at(at).toString() == u"object")
                    d.tail.append({tail.at(at + 1).toString(), d.length - k});
            }
            m_digests.insert(key.id, std::move(d));
        }
        rows->append(std::move(key));
    }
    std::stable_sort(rows->begin(), rows->end(), [](const Row &a, const Row &b) { return a.order < b.order; });
    return Done{};
}

void SummaryBuilder::forgetGoneKeys(const QList<Row> &rows)
{
    if (m_digests.size() <= rows.size() * 2 + 64)
        return; // a few stale digests cost less than a set of every key
    QSet<QString> live;
    for (const Row &row : rows)
        live.insert(row.id);
    m_digests.removeIf([&](auto it) { return !live.contains(it.key()); });
}

std::vector<SummaryBuilder::Candidate> SummaryBuilder::newestRecords(const QList<Row> &rows, Summary *summary) const
{
    std::vector<Candidate> candidates;
    candidates.reserve(size_t(rows.size()) * recentPerKey);
    int order = 0;
    for (const Row &row : rows) {
        const auto d = m_digests.constFind(row.id);
        if (d == m_digests.constEnd())
            continue; // deleted between the two queries
        summary->totalAdjustments += d->length;
        for (const TailEntry &entry : d->tail)
            candidates.push_back({&entry.timestamp, order++, entry.index, &row});
    }
    const auto newerFirst = [](const Candidate &a, const Candidate &b) {
        const int cmp = QString::compare(*a.timestamp, *b.timestamp);
        return cmp != 0 ? cmp > 0 : a.order < b.order;
    };
    const size_t keep = std::min<size_t>(recentRecords, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), newerFirst);
    candidates.resize(keep);
    return candidates;
}

Status SummaryBuilder::addRecords(const QString &versionExpr, const std::vector<Candidate> &winners, Summary *summary)
{
    // A history that changed meanwhile still yields its record at the same position when it is there; the next call
    // sees the new version anyway.
    QStringList ids;
    for (const Candidate &c : winners) {
        if (!ids.contains(c.row->id))
            ids << c.row->id;
    }
    QHash<QString, QJsonArray> records;
    if (const Status reread = refresh(versionExpr, ids, &records); !reread)
        return reread.error();
    for (const Candidate &c : winners) {
        const QJsonValue record = records.value(c.row->id).at(c.index);
        if (record.isObject())
            summary->recentAdjustments.append({c.row->id, c.row->name, record.toObject()});
    }
    return Done{};
}

} // namespace aether
