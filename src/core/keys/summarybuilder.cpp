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
    // PostgreSQL converts each history to jsonb once (OFFSET 0 keeps the subquery whole): its json functions would
    // parse the whole text again for every element taken, ten times slower. SQLite takes each history's type once.
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

Status SummaryBuilder::refresh(const QString &versionExpr, const QStringList &ids, QHash<QString, QJsonArray> *records,
                               QHash<QString, std::optional<QString>> *names)
{
    const QString version = versionExpr.isEmpty() ? QStringLiteral("''") : versionExpr;
    const QString history = m_db.dialect().asText(QStringLiteral("adjustment_history"));
    for (qsizetype start = 0; start < ids.size(); start += fetchChunk) {
        const QStringList chunk = ids.mid(start, fetchChunk);
        QVariantList binds;
        for (const QString &id : chunk)
            binds << id;
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT id, %1, %2, name FROM provider_api_keys WHERE id IN (%3)")
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
            if (names)
                names->insert(id, st.value().optionalString(3));
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
    if (ids.isEmpty() || !hasDigestTable())
        return computeDigests(versionExpr, ids, scan);
    QStringList slow;
    QSet<QString> done;
    Status kept = Done{};
    if (ids.size() > scan.keys / 4) {
        kept = keepDigests(versionExpr, scan.where, scan.binds, &slow, &done);
    } else {
        for (qsizetype start = 0; start < ids.size() && kept; start += digestChunk) {
            const QStringList chunk = ids.mid(start, digestChunk);
            QVariantList binds;
            for (const QString &id : chunk)
                binds << id;
            kept = keepDigests(versionExpr, QStringLiteral("id IN (%1)").arg(sqlPlaceholders(chunk.size())), binds,
                               &slow, &done);
        }
    }
    if (!kept) {
        if (kept.error().code == ErrorCode::StorageUnavailable)
            return kept;
        // Not kept (no right to write here, a value jsonb refuses, a deadlock with another console): computed.
        return computeDigests(versionExpr, ids, scan);
    }
    QStringList rest; // changed again meanwhile, or kept by another console at the same moment
    for (const QString &id : ids) {
        if (!done.contains(id))
            rest << id;
    }
    if (const Status computed = computeDigests(versionExpr, rest, scan); !computed)
        return computed;
    return refresh(versionExpr, slow);
}

Status SummaryBuilder::keepDigests(const QString &version, const QString &where, const QVariantList &binds,
                                   QStringList *slow, QSet<QString> *done)
{
    // Per record from the third-last to the last: its timestamp when it is an object ('' when that is no string).
    QStringList last;
    for (int k = recentPerKey; k >= 1; --k) {
        last << QStringLiteral("CASE WHEN jsonb_typeof(j -> -%1) = 'object' THEN COALESCE(CASE WHEN "
                               "jsonb_typeof(j -> -%1 -> 'timestamp') = 'string' THEN j -> -%1 ->> 'timestamp' END, "
                               "'') END")
                    .arg(k);
    }
    // One statement: digests only what is missing or stale (OFFSET 0 converts each history to jsonb once), keeps it
    // and returns it. Another console doing the same at the same moment writes the same values.
    const QString sql =
        QStringLiteral("INSERT INTO console_history_digests (key_id, row_version, length, third_last_at, "
                       "second_last_at, last_at) SELECT id, v, CASE WHEN h IS NULL THEN 0 WHEN jsonb_typeof(j) = "
                       "'array' THEN jsonb_array_length(j) END, %1 FROM (SELECT id, v, h, CAST(h AS jsonb) AS j FROM "
                       "(SELECT id, %2 AS v, adjustment_history AS h FROM provider_api_keys WHERE %3) k WHERE NOT "
                       "EXISTS (SELECT 1 FROM console_history_digests d WHERE d.key_id = k.id AND d.row_version = "
                       "k.v) OFFSET 0) s ON CONFLICT (key_id) DO UPDATE SET row_version = EXCLUDED.row_version, "
                       "length = EXCLUDED.length, third_last_at = EXCLUDED.third_last_at, second_last_at = "
                       "EXCLUDED.second_last_at, last_at = EXCLUDED.last_at RETURNING key_id, row_version, length, "
                       "third_last_at, second_last_at, last_at")
            .arg(last.join(QStringLiteral(", ")), version, where);
    Result<SqlStatement> st = m_db.execBulk(sql, binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        const SqlStatement &row = st.value();
        const QString id = row.value(0).toString();
        Digest d;
        if (keptColumns(row, 2, row.value(1).toByteArray(), &d))
            m_digests.insert(id, std::move(d));
        else
            *slow << id; // not an array: the console reads it
        done->insert(id);
    }
    return Done{};
}

Status SummaryBuilder::computeDigests(const QString &versionExpr, const QStringList &ids, const KeyScan &scan)
{
    if (ids.isEmpty())
        return Done{};
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
    QVariantList scopeBinds;
    const QString inScope = scopeCondition(scope, &scopeBinds);
    // PostgreSQL counts the fixed keys in the same pass as the stamp.
    QVariant fixedKeys;
    const std::optional<QByteArray> stamp = m_db.changeStamp(
        QStringLiteral("count(*) FILTER (WHERE max_concurrent IS NOT NULL%1)").arg(inScope), scopeBinds, &fixedKeys);
    if (stamp && m_stamp == stamp && m_lastScope == scope)
        return m_last;
    Result<QString> versionExpr = m_versions.expression();
    if (!versionExpr)
        return versionExpr.error();
    QList<Row> rows;
    QStringList stale;
    Summary summary;
    KeyScan scan;
    scan.scope = inScope;
    scan.where = QStringLiteral("max_concurrent IS NULL") + inScope;
    scan.binds = scopeBinds;
    if (const Status read = readKeys(versionExpr.value(), fixedKeys, &rows, &stale, &summary, &scan); !read)
        return read.error();
    if (const Status refreshed = refreshDigests(versionExpr.value(), stale, scan); !refreshed)
        return refreshed.error();
    if (scope == SummaryScope{}) {
        forgetGoneKeys(rows);
        clearGoneDigests(rows.size());
    }
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

QString SummaryBuilder::scopeCondition(const SummaryScope &scope, QVariantList *binds)
{
    if (!scope.endpointId.isEmpty()) {
        *binds << scope.endpointId;
        return QStringLiteral(" AND endpoint_id = ?");
    }
    if (!scope.providerId.isEmpty()) {
        *binds << scope.providerId;
        return QStringLiteral(" AND endpoint_id IN (SELECT id FROM provider_endpoints WHERE provider_id = ?)");
    }
    return {};
}

Status SummaryBuilder::readKeys(const QString &versionExpr, const QVariant &fixedKeys, QList<Row> *rows,
                                QStringList *stale, Summary *summary, KeyScan *scan)
{
    const bool versioned = !versionExpr.isEmpty();
    if (fixedKeys.isValid() && !fixedKeys.isNull()) {
        summary->totalFixedKeys = fixedKeys.toLongLong();
    } else {
        Result<SqlStatement> fixed = m_db.exec(
            QStringLiteral("SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL") + scan->scope,
            scan->binds);
        if (!fixed)
            return fixed.error();
        summary->totalFixedKeys = fixed.value().next() ? fixed.value().value(0).toLongLong() : 0;
    }
    const QString version = versioned ? versionExpr : QStringLiteral("''");
    // Among records with equal timestamps the keys' order decides (see newestRecords): SQLite's is the rowid's,
    // whichever index a query walks; PostgreSQL's the order its scan returns, as for the original service.
    const QString storageOrder = m_db.dialect().isPostgres() ? QStringLiteral("0") : QStringLiteral("rowid");
    const auto inStorageOrder = [this](QList<Row> *keys) {
        if (!m_db.dialect().isPostgres())
            std::stable_sort(keys->begin(), keys->end(), [](const Row &a, const Row &b) { return a.order < b.order; });
    };
    // The console's own SQLite tables keep each history's length and last records' timestamps (Migrations version
    // 4) in the adaptive keys' index: no history is read at all.
    if (hasKeptTail()) {
        return readKeptKeys(
            QStringLiteral("SELECT id, concurrent_429_count, rpm_429_count, %1, rowid, "
                           "console_adjustment_count, console_history_tail FROM provider_api_keys "
                           "WHERE ")
                    .arg(version) +
                scan->where,
            [](const SqlStatement &row, const QByteArray &v, Digest *d) {
                return keptTail(v, row.value(5).toInt(), row.value(6), d);
            },
            versioned, rows, stale, summary, scan);
    }
    // PostgreSQL: a new process takes the digests kept by earlier ones (those of this row version).
    if (m_digests.isEmpty() && hasDigestTable()) {
        const Status read = readKeptKeys(
            QStringLiteral("SELECT k.id, k.concurrent_429_count, k.rpm_429_count, k.v, 0, d.row_version = k.v, "
                           "d.length, d.third_last_at, d.second_last_at, d.last_at FROM (SELECT id, "
                           "concurrent_429_count, rpm_429_count, %1 AS v FROM provider_api_keys WHERE %2) k LEFT JOIN "
                           "console_history_digests d ON d.key_id = k.id")
                .arg(version, scan->where),
            [](const SqlStatement &row, const QByteArray &v, Digest *d) {
                return row.value(5).toBool() && keptColumns(row, 6, v, d);
            },
            versioned, rows, stale, summary, scan);
        if (read || read.error().code == ErrorCode::StorageUnavailable)
            return read;
        // The table is gone or unreadable: the histories are digested as without it.
        m_digestTable = false;
        rows->clear();
        stale->clear();
        summary->totalConcurrent429Errors = 0;
        summary->totalRpm429Errors = 0;
        scan->keys = 0;
    }
    // Nothing known yet (a first summary): the keys and the digests of their histories in one pass.
    if (m_digests.isEmpty()) {
        Result<SqlStatement> st = m_db.exec(
            digestQuery(m_db.dialect(), version, scan->where,
                        {QStringLiteral("concurrent_429_count"), QStringLiteral("rpm_429_count"), storageOrder}),
            scan->binds);
        if (st) {
            while (st.value().next()) {
                const SqlStatement &row = st.value();
                ++scan->keys;
                rows->append({row.value(0).toString(), row.value(digestColumns + 2).toLongLong()});
                summary->totalConcurrent429Errors += row.value(digestColumns).toLongLong();
                summary->totalRpm429Errors += row.value(digestColumns + 1).toLongLong();
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
    Result<SqlStatement> st =
        m_db.exec(QStringLiteral("SELECT id, concurrent_429_count, rpm_429_count, %1, %2 FROM provider_api_keys WHERE ")
                          .arg(version, storageOrder) +
                      scan->where,
                  scan->binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        ++scan->keys;
        Row row;
        row.id = st.value().value(0).toString();
        row.order = st.value().value(4).toLongLong();
        summary->totalConcurrent429Errors += st.value().value(1).toLongLong();
        summary->totalRpm429Errors += st.value().value(2).toLongLong();
        const auto known = m_digests.constFind(row.id);
        if (!versioned || known == m_digests.constEnd() || known->version != st.value().value(3).toByteArray())
            *stale << row.id;
        rows->append(std::move(row));
    }
    inStorageOrder(rows);
    return Done{};
}

bool SummaryBuilder::hasKeptTail()
{
    return hasKeptKeyColumn(m_db, QStringLiteral("console_history_tail"), &m_keptTail);
}

bool SummaryBuilder::hasDigestTable()
{
    if (!m_digestTable) {
        if (!m_db.dialect().isPostgres()) {
            m_digestTable = false;
        } else {
            Result<SqlStatement> st =
                m_db.exec(m_db.dialect().tableExistsQuery(), {QStringLiteral("console_history_digests")});
            if (!st)
                return false; // ask again next time
            m_digestTable = st.value().next();
        }
    }
    return *m_digestTable;
}

bool SummaryBuilder::keptTail(const QByteArray &version, int length, const QVariant &tail, Digest *d)
{
    if (tail.isNull())
        return false;
    // [type, timestamp] of the third-last, second-last and last record; [] for no history.
    const QJsonArray kept = QJsonDocument::fromJson(tail.toString().toUtf8()).array();
    if (kept.size() != 2 * recentPerKey && !kept.isEmpty())
        return false;
    *d = Digest{version, kept.isEmpty() ? 0 : length, {}};
    for (int k = recentPerKey; k >= 1 && !kept.isEmpty(); --k) {
        const int at = 2 * (recentPerKey - k);
        if (d->length - k >= 0 && kept.at(at).toString() == u"object")
            d->tail.append({kept.at(at + 1).toString(), d->length - k});
    }
    return true;
}

bool SummaryBuilder::keptColumns(const SqlStatement &row, int column, const QByteArray &version, Digest *d)
{
    if (row.isNull(column))
        return false;
    *d = Digest{version, row.value(column).toInt(), {}};
    for (int k = recentPerKey; k >= 1; --k) {
        const int at = column + 1 + recentPerKey - k;
        if (d->length - k >= 0 && !row.isNull(at))
            d->tail.append({row.value(at).toString(), d->length - k});
    }
    return true;
}

Status SummaryBuilder::readKeptKeys(const QString &query, const KeptDecoder &decode, bool versioned, QList<Row> *rows,
                                    QStringList *stale, Summary *summary, KeyScan *scan)
{
    Result<SqlStatement> st = m_db.execBulk(query, scan->binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        const SqlStatement &row = st.value();
        ++scan->keys;
        Row key{row.value(0).toString(), row.value(4).toLongLong()};
        summary->totalConcurrent429Errors += row.value(1).toLongLong();
        summary->totalRpm429Errors += row.value(2).toLongLong();
        const QByteArray rowVersion = row.value(3).toByteArray();
        const auto known = m_digests.constFind(key.id);
        if (versioned && known != m_digests.constEnd() && known->version == rowVersion) {
            rows->append(std::move(key));
            continue;
        }
        Digest d;
        if (decode(row, rowVersion, &d))
            m_digests.insert(key.id, std::move(d));
        else
            *stale << key.id; // not an array, or no digest kept for this version
        rows->append(std::move(key));
    }
    std::stable_sort(rows->begin(), rows->end(), [](const Row &a, const Row &b) { return a.order < b.order; });
    return Done{};
}

void SummaryBuilder::clearGoneDigests(qsizetype adaptiveKeys)
{
    constexpr qint64 cleanupInterval = 3600 * 1000;
    if (!hasDigestTable() || (m_sinceDigestCleanup.isValid() && m_sinceDigestCleanup.elapsed() < cleanupInterval))
        return;
    m_sinceDigestCleanup.start();
    Result<SqlStatement> kept = m_db.exec(QStringLiteral("SELECT count(*) FROM console_history_digests"));
    if (!kept || !kept.value().next() || kept.value().value(0).toLongLong() <= adaptiveKeys)
        return;
    // A failure here costs nothing but space: the next hour tries again.
    (void)m_db.exec(QStringLiteral("DELETE FROM console_history_digests d WHERE NOT EXISTS (SELECT 1 FROM "
                                   "provider_api_keys k WHERE k.id = d.key_id AND k.max_concurrent IS NULL)"));
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
    QHash<QString, std::optional<QString>> names; // read here for the few keys shown, not for every key
    if (const Status reread = refresh(versionExpr, ids, &records, &names); !reread)
        return reread.error();
    for (const Candidate &c : winners) {
        const QJsonValue record = records.value(c.row->id).at(c.index);
        if (record.isObject())
            summary->recentAdjustments.append({c.row->id, names.value(c.row->id), record.toObject()});
    }
    return Done{};
}

} // namespace aether
