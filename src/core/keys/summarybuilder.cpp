#include "keys/summarybuilder.h"

#include "base/jsoncolumn.h"
#include "storage/migrations.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <atomic>

namespace aether {

namespace {

constexpr int fetchChunk = 200;
constexpr int digestChunk = 500;
constexpr int digestColumns = 5 + 2 * SummaryBuilder::recentPerKey; // the extra columns come after these
constexpr int passTimeoutMs = 10 * 60 * 1000;                       // a summary's read of every key (PostgreSQL)

// The digest of each history as the database computes it (SQLite's JSON functions, PostgreSQL's jsonb), so that
// 100,000 histories are neither sent to the console nor parsed there: per key its id, version, whether the history is
// NULL, its JSON type, its length (arrays) and, for each of its last recentPerKey records (last first), the record's
// type and its timestamp when that is a string. Only arrays are taken from here; anything else is read and parsed by
// the console, which reports malformed histories as it always did.
// `extra` columns of the key follow (a summary's pass reads everything at once), then with `withOdd` the history itself
// where it is not an array.
QString digestQuery(const SqlDialect &dialect, const QString &version, const QString &where,
                    const QStringList &extra = {}, bool withOdd = false)
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
    if (withOdd) {
        columns << (dialect.isPostgres() ? QStringLiteral("CASE WHEN jsonb_typeof(j) = 'array' THEN NULL ELSE "
                                                          "CAST(h AS text) END")
                                         : QStringLiteral("CASE WHEN kind = 'array' THEN NULL ELSE h END"));
    }
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

std::atomic<qsizetype> digestLimitOfNewBuilders{SummaryBuilder::defaultDigestLimit};

} // namespace

void SummaryBuilder::setDigestLimitOfNewBuilders(qsizetype keys)
{
    digestLimitOfNewBuilders = keys;
}

SummaryBuilder::SummaryBuilder(Database &db, RowVersion &versions, MalformedReporter reportMalformed)
    : m_db(db)
    , m_versions(versions)
    , m_digestLimit(digestLimitOfNewBuilders)
    , m_reportMalformed(std::move(reportMalformed))
{
}

void SummaryBuilder::NewestRecords::offer(const QString &timestamp, qint64 keyOrder, int index, const QString &keyId)
{
    // Newer first; among equal timestamps the keys' order (SQLite's rowid; on PostgreSQL, which keeps no order that
    // lasts — an update moves a row, a plan decides a scan's order — all 0, so that the ids decide), then the
    // history's.
    const auto newer = [&](const Newest &other) {
        if (const int cmp = QString::compare(timestamp, other.timestamp); cmp != 0)
            return cmp > 0;
        if (keyOrder != other.keyOrder)
            return keyOrder < other.keyOrder;
        if (const int cmp = QString::compare(keyId, other.keyId); cmp != 0)
            return cmp < 0;
        return index < other.index;
    };
    if (m_records.size() == size_t(recentRecords) && !newer(m_records.back()))
        return;
    auto at = std::find_if(m_records.begin(), m_records.end(), newer);
    m_records.insert(at, Newest{timestamp, keyOrder, index, keyId});
    if (m_records.size() > size_t(recentRecords))
        m_records.pop_back();
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

Status SummaryBuilder::refresh(const QString &versionExpr, const QStringList &ids)
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
        }
    }
    return Done{};
}

bool SummaryBuilder::digestOfRow(const SqlStatement &row, Digest *d)
{
    *d = Digest{row.value(1).toByteArray(), 0, {}};
    if (row.value(3).toString() != u"array")
        return row.value(2).toBool(); // NULL: no history; anything else the console reads
    d->length = row.value(4).toInt();
    for (int k = recentPerKey; k >= 1; --k) { // stored order
        const int column = 5 + 2 * (k - 1);
        if (d->length - k < 0 || row.value(column).toString() != u"object")
            continue;
        d->tail.append({row.value(column + 1).toString(), d->length - k});
    }
    return true;
}

bool SummaryBuilder::storeDigest(const SqlStatement &row)
{
    Digest d;
    if (!digestOfRow(row, &d))
        return false;
    m_digests.insert(row.value(0).toString(), std::move(d));
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
    // and (when asked) returns it. Another console doing the same at the same moment writes the same values.
    const QString sql =
        QStringLiteral("INSERT INTO console_history_digests (key_id, row_version, length, third_last_at, "
                       "second_last_at, last_at) SELECT id, v, CASE WHEN h IS NULL THEN 0 WHEN jsonb_typeof(j) = "
                       "'array' THEN jsonb_array_length(j) END, %1 FROM (SELECT id, v, h, CAST(h AS jsonb) AS j FROM "
                       "(SELECT id, %2 AS v, adjustment_history AS h FROM provider_api_keys WHERE %3) k WHERE NOT "
                       "EXISTS (SELECT 1 FROM console_history_digests d WHERE d.key_id = k.id AND d.row_version = "
                       "k.v) OFFSET 0) s ON CONFLICT (key_id) DO UPDATE SET row_version = EXCLUDED.row_version, "
                       "length = EXCLUDED.length, third_last_at = EXCLUDED.third_last_at, second_last_at = "
                       "EXCLUDED.second_last_at, last_at = EXCLUDED.last_at")
            .arg(last.join(QStringLiteral(", ")), version, where);
    if (!slow || !done) { // kept only: a summary's pass reads them next, row by row
        Result<SqlStatement> st = m_db.exec(sql, binds);
        return st ? Status(Done{}) : Status(st.error());
    }
    Result<SqlStatement> st = m_db.execBulk(
        sql + QStringLiteral(" RETURNING key_id, row_version, length, third_last_at, second_last_at, last_at"), binds);
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
    KeyScan scan;
    scan.scope = inScope;
    scan.where = QStringLiteral("max_concurrent IS NULL") + inScope;
    scan.binds = scopeBinds;
    Summary summary;
    std::vector<Newest> newest;
    // With digests kept from earlier summaries only the changed histories are read; without (a first summary, or more
    // keys than are kept) one pass reads them all.
    bool onePass = m_digests.isEmpty();
    if (!onePass) {
        QList<Row> rows;
        QStringList stale;
        bool tooMany = false;
        if (const Status read = readKeys(versionExpr.value(), &rows, &stale, &summary, &scan, &tooMany); !read)
            return read.error();
        if (tooMany) {
            m_digests = {};
            onePass = true;
        } else {
            if (const Status refreshed = refreshDigests(versionExpr.value(), stale, scan); !refreshed)
                return refreshed.error();
            if (scope == SummaryScope{})
                forgetGoneKeys(rows);
            summary.totalAdaptiveKeys = rows.size();
            newest = newestRecords(rows, &summary);
        }
    }
    if (onePass) {
        Result<Pass> passed = pass(versionExpr.value(), scan);
        if (!passed)
            return passed.error();
        summary = passed.value().summary;
        summary.totalAdaptiveKeys = passed.value().keys;
        newest = passed.value().newest.records();
        if (passed.value().keeping)
            m_digests = std::move(passed.value().kept);
    }
    if (const Status fixed = countFixedKeys(fixedKeys, scan, &summary); !fixed)
        return fixed.error();
    if (scope == SummaryScope{})
        clearGoneDigests(summary.totalAdaptiveKeys);
    if (const Status added = addRecords(newest, &summary); !added)
        return added.error();
    if (stamp) {
        m_stamp = stamp;
        m_lastScope = scope;
        m_last = summary;
    }
    return summary;
}

Result<SummaryBuilder::Pass> SummaryBuilder::pass(const QString &versionExpr, const KeyScan &scan)
{
    const bool versioned = !versionExpr.isEmpty();
    const QString version = versioned ? versionExpr : QStringLiteral("''");
    const bool postgres = m_db.dialect().isPostgres();
    const auto fresh = [&] {
        Pass p;
        p.keeping = versioned && m_digestLimit > 0; // without versions every history is read each time anyway
        return p;
    };
    Pass result = fresh();
    // Each way below reads the keys row by row; one that fails for a reason other than an outage (a value the
    // database's JSON functions refuse, a table the console may not write) gives way to the next, from the start.
    const auto outage = [](const Status &status) {
        return !status && status.error().code == ErrorCode::StorageUnavailable;
    };
    // The console's own SQLite tables keep each history's length and last records' timestamps in the adaptive keys'
    // covering index (Migrations version 4): no history is read, except those that are not arrays.
    if (hasKeptTail()) {
        const Status read = passRows(
            QStringLiteral("SELECT id, concurrent_429_count, rpm_429_count, %1, rowid, console_adjustment_count, "
                           "console_history_tail, CASE WHEN console_history_tail IS NULL THEN (SELECT "
                           "adjustment_history FROM provider_api_keys h WHERE h.rowid = k.rowid) END FROM "
                           "provider_api_keys k WHERE ")
                    .arg(version) +
                scan.where,
            scan.binds, PassColumns{1, 2, 3, 4, 7},
            [](const SqlStatement &row, const QByteArray &v, Digest *d) {
                return keptTail(v, row.value(5).toInt(), row.value(6), d);
            },
            &result);
        if (!read)
            return read.error();
        return result;
    }
    // PostgreSQL: the kept digests brought up to date in one statement (only missing and stale ones are made), then
    // read with the keys; a key that changed in between has its history read with it.
    if (postgres && hasDigestTable()) {
        // One statement (in parts by id it took ~6 s longer at a million keys: each part scanned again).
        const Status kept =
            withPassTimeout([&] { return keepDigests(version, scan.where, scan.binds, nullptr, nullptr); });
        if (outage(kept))
            return kept.error();
        if (kept) {
            const Status read = withPassTimeout([&] {
                return passRows(
                    QStringLiteral(
                        "SELECT k.id, k.concurrent_429_count, k.rpm_429_count, k.v, 0, d.row_version = k.v, "
                        "d.length, d.third_last_at, d.second_last_at, d.last_at, CASE WHEN d.row_version = k.v "
                        "AND d.length IS NOT NULL THEN NULL ELSE (SELECT %1 FROM provider_api_keys h WHERE "
                        "h.id = k.id) END FROM (SELECT id, concurrent_429_count, rpm_429_count, %2 AS v FROM "
                        "provider_api_keys WHERE %3) k LEFT JOIN console_history_digests d ON d.key_id = k.id")
                        .arg(m_db.dialect().asText(QStringLiteral("adjustment_history")), version, scan.where),
                    scan.binds, PassColumns{1, 2, 3, -1, 10},
                    [](const SqlStatement &row, const QByteArray &v, Digest *d) {
                        return row.value(5).toBool() && keptColumns(row, 6, v, d);
                    },
                    &result);
            });
            if (read || outage(read))
                return read ? Result<Pass>(std::move(result)) : Result<Pass>(read.error());
            result = fresh();
        }
    }
    // The database's JSON functions digest each history on the way.
    const Status digested = withPassTimeout([&] {
        return passRows(
            digestQuery(m_db.dialect(), version, scan.where,
                        {QStringLiteral("concurrent_429_count"), QStringLiteral("rpm_429_count"),
                         postgres ? QStringLiteral("0") : QStringLiteral("rowid")},
                        true),
            scan.binds,
            PassColumns{digestColumns + 0, digestColumns + 1, 1, postgres ? -1 : digestColumns + 2, digestColumns + 3},
            [](const SqlStatement &row, const QByteArray &, Digest *d) { return digestOfRow(row, d); }, &result);
    });
    if (digested || outage(digested))
        return digested ? Result<Pass>(std::move(result)) : Result<Pass>(digested.error());
    // A history those functions refuse (e.g. \u0000 for jsonb): every history read and parsed by the console.
    result = fresh();
    const Status parsed = withPassTimeout([&] {
        return passRows(
            QStringLiteral("SELECT id, concurrent_429_count, rpm_429_count, %1, %2, %3 FROM provider_api_keys WHERE ")
                    .arg(version, postgres ? QStringLiteral("0") : QStringLiteral("rowid"),
                         m_db.dialect().asText(QStringLiteral("adjustment_history"))) +
                scan.where,
            scan.binds, PassColumns{1, 2, 3, postgres ? -1 : 4, 5},
            [](const SqlStatement &, const QByteArray &, Digest *) { return false; }, &result);
    });
    if (!parsed)
        return parsed.error();
    return result;
}

Status SummaryBuilder::withPassTimeout(const std::function<Status()> &statement)
{
    if (!m_db.dialect().isPostgres())
        return statement();
    // PostgreSQL's statement timeout counts the time the console takes to read the rows: a pass over millions of keys
    // (and the first digesting of their histories) may take longer than the 30 s meant for other statements.
    return m_db.transaction<Done>(Database::Mode::Read, [&]() -> Status {
        if (const Status longer = m_db.execRaw(QStringLiteral("SET LOCAL statement_timeout = %1").arg(passTimeoutMs));
            !longer)
            return longer;
        return statement();
    });
}

Status SummaryBuilder::passRows(const QString &sql, const QVariantList &binds, const PassColumns &columns,
                                const KeptDecoder &decode, Pass *pass)
{
    // Read row by row (not execBulk): PostgreSQL would hand over every row at once.
    Result<SqlStatement> st = m_db.exec(sql, binds);
    if (!st)
        return st.error();
    SqlStatement &row = st.value();
    while (row.next()) {
        const QString id = row.value(0).toString();
        const qint64 order = columns.order >= 0 ? row.value(columns.order).toLongLong() : 0;
        ++pass->keys;
        pass->summary.totalConcurrent429Errors += row.value(columns.concurrent429).toLongLong();
        pass->summary.totalRpm429Errors += row.value(columns.rpm429).toLongLong();
        const QByteArray version = row.value(columns.version).toByteArray();
        Digest d;
        if (!decode(row, version, &d)) {
            QJsonArray array;
            d = digest(version, id, row.value(columns.odd), &array);
        }
        pass->summary.totalAdjustments += d.length;
        for (const TailEntry &entry : std::as_const(d.tail))
            pass->newest.offer(entry.timestamp, order, entry.index, id);
        if (pass->keeping) {
            if (pass->kept.size() < m_digestLimit) {
                pass->kept.insert(id, std::move(d));
            } else {
                pass->keeping = false;
                pass->kept = {};
            }
        }
    }
    return m_db.rowsComplete(row);
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

Status SummaryBuilder::countFixedKeys(const QVariant &fixedKeys, const KeyScan &scan, Summary *summary)
{
    if (fixedKeys.isValid() && !fixedKeys.isNull()) {
        summary->totalFixedKeys = fixedKeys.toLongLong();
        return Done{};
    }
    Result<SqlStatement> fixed = m_db.exec(
        QStringLiteral("SELECT count(*) FROM provider_api_keys WHERE max_concurrent IS NOT NULL") + scan.scope,
        scan.binds);
    if (!fixed)
        return fixed.error();
    summary->totalFixedKeys = fixed.value().next() ? fixed.value().value(0).toLongLong() : 0;
    return Done{};
}

Status SummaryBuilder::readKeys(const QString &versionExpr, QList<Row> *rows, QStringList *stale, Summary *summary,
                                KeyScan *scan, bool *tooMany)
{
    const bool versioned = !versionExpr.isEmpty();
    const QString version = versioned ? versionExpr : QStringLiteral("''");
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
            versioned, rows, stale, summary, scan, tooMany);
    }
    // Among records with equal timestamps the keys' order decides (see NewestRecords): SQLite's rowid, whichever
    // index a query walks; PostgreSQL keeps no order that lasts, so there the ids decide.
    const bool postgres = m_db.dialect().isPostgres();
    Result<SqlStatement> st =
        m_db.exec(QStringLiteral("SELECT id, concurrent_429_count, rpm_429_count, %1, %2 FROM provider_api_keys WHERE ")
                          .arg(version, postgres ? QStringLiteral("0") : QStringLiteral("rowid")) +
                      scan->where,
                  scan->binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        if (++scan->keys > m_digestLimit) {
            *tooMany = true;
            return Done{};
        }
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
    if (const Status complete = m_db.rowsComplete(st.value()); !complete)
        return complete;
    if (!postgres)
        std::stable_sort(rows->begin(), rows->end(), [](const Row &a, const Row &b) { return a.order < b.order; });
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
                                    QStringList *stale, Summary *summary, KeyScan *scan, bool *tooMany)
{
    Result<SqlStatement> st = m_db.execBulk(query, scan->binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        const SqlStatement &row = st.value();
        if (++scan->keys > m_digestLimit) {
            *tooMany = true;
            return Done{};
        }
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
    if (const Status complete = m_db.rowsComplete(st.value()); !complete)
        return complete;
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

std::vector<SummaryBuilder::Newest> SummaryBuilder::newestRecords(const QList<Row> &rows, Summary *summary) const
{
    NewestRecords newest;
    for (const Row &row : rows) {
        const auto d = m_digests.constFind(row.id);
        if (d == m_digests.constEnd())
            continue; // deleted between the two queries
        summary->totalAdjustments += d->length;
        for (const TailEntry &entry : d->tail)
            newest.offer(entry.timestamp, row.order, entry.index, row.id);
    }
    return newest.records();
}

Status SummaryBuilder::addRecords(const std::vector<Newest> &winners, Summary *summary)
{
    // A history that changed meanwhile still yields its record at the same position when it is there; the next call
    // sees the new version anyway. The names are read here for the few keys shown, not for every key.
    QStringList ids;
    for (const Newest &n : winners) {
        if (!ids.contains(n.keyId))
            ids << n.keyId;
    }
    if (ids.isEmpty())
        return Done{};
    QVariantList binds;
    for (const QString &id : std::as_const(ids))
        binds << id;
    Result<SqlStatement> st =
        m_db.exec(QStringLiteral("SELECT id, %1, name FROM provider_api_keys WHERE id IN (%2)")
                      .arg(m_db.dialect().asText(QStringLiteral("adjustment_history")), sqlPlaceholders(ids.size())),
                  binds);
    if (!st)
        return st.error();
    QHash<QString, QJsonArray> records;
    QHash<QString, std::optional<QString>> names;
    while (st.value().next()) {
        const QString id = st.value().value(0).toString();
        JsonArrayState state;
        records.insert(id, readJsonArray(st.value().value(1), &state));
        names.insert(id, st.value().optionalString(2));
    }
    for (const Newest &n : winners) {
        const QJsonValue record = records.value(n.keyId).at(n.index);
        if (record.isObject())
            summary->recentAdjustments.append({n.keyId, names.value(n.keyId), record.toObject()});
    }
    return Done{};
}

} // namespace aether
