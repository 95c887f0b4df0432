#include "keys/summarybuilder.h"

#include "base/jsoncolumn.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace aether {

namespace {

constexpr int fetchChunk = 200;

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
    if (const Status read = readKeys(versionExpr.value(), scope, &rows, &stale, &summary); !read)
        return read.error();
    if (const Status refreshed = refresh(versionExpr.value(), stale); !refreshed)
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
                                QStringList *stale, Summary *summary)
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
    Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT id, name, concurrent_429_count, rpm_429_count, %1 "
                                                       "FROM provider_api_keys WHERE max_concurrent IS NULL")
                                                .arg(versioned ? versionExpr : QStringLiteral("''")) +
                                            inScope,
                                        binds);
    if (!st)
        return st.error();
    while (st.value().next()) {
        Row row;
        row.id = st.value().value(0).toString();
        row.name = st.value().optionalString(1);
        summary->totalConcurrent429Errors += st.value().value(2).toLongLong();
        summary->totalRpm429Errors += st.value().value(3).toLongLong();
        const auto known = m_digests.constFind(row.id);
        if (!versioned || known == m_digests.constEnd() || known->version != st.value().value(4).toByteArray())
            *stale << row.id;
        rows->append(std::move(row));
    }
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
