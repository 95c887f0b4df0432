#include "keys/summarybuilder.h"

#include "base/jsoncolumn.h"

#include <QJsonArray>
#include <QJsonDocument>

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
            continue; // the seed could not merge it into an answer either
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

Result<Summary> SummaryBuilder::build()
{
    const std::optional<QByteArray> stamp = m_db.changeStamp();
    if (stamp && m_stamp == stamp)
        return m_last;
    Result<QString> versionExpr = m_versions.expression();
    if (!versionExpr)
        return versionExpr.error();
    const bool versioned = !versionExpr.value().isEmpty();

    struct Row {
        QString id;
        std::optional<QString> name;
    };
    struct Candidate {
        const QString *timestamp = nullptr;
        int order = 0; // the seed's stable sort keeps key order, then stored order, among equal timestamps
        int index = 0; // position in the key's history
        const Row *row = nullptr;
    };
    QList<Row> rows;
    QStringList stale;
    Summary summary;
    {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT id, name, concurrent_429_count, rpm_429_count, %1 "
                                                           "FROM provider_api_keys WHERE max_concurrent IS NULL")
                                                .arg(versioned ? versionExpr.value() : QStringLiteral("''")));
        if (!st)
            return st.error();
        while (st.value().next()) {
            Row row;
            row.id = st.value().value(0).toString();
            row.name = st.value().optionalString(1);
            summary.totalConcurrent429Errors += st.value().value(2).toLongLong();
            summary.totalRpm429Errors += st.value().value(3).toLongLong();
            const auto known = m_digests.constFind(row.id);
            if (!versioned || known == m_digests.constEnd() || known->version != st.value().value(4).toByteArray())
                stale << row.id;
            rows.append(std::move(row));
        }
    }
    if (const Status refreshed = refresh(versionExpr.value(), stale); !refreshed)
        return refreshed.error();
    if (m_digests.size() > rows.size() * 2 + 64) {
        // Keys were deleted or left adaptive mode: forget their digests.
        QSet<QString> live;
        for (const Row &row : rows)
            live.insert(row.id);
        m_digests.removeIf([&](auto it) { return !live.contains(it.key()); });
    }

    summary.totalAdaptiveKeys = rows.size();
    std::vector<Candidate> candidates;
    candidates.reserve(size_t(rows.size()) * recentPerKey);
    int order = 0;
    for (const Row &row : rows) {
        const auto d = m_digests.constFind(row.id);
        if (d == m_digests.constEnd())
            continue; // deleted between the two queries
        summary.totalAdjustments += d->length;
        for (const TailEntry &entry : d->tail)
            candidates.push_back({&entry.timestamp, order++, entry.index, &row});
    }
    const auto newerFirst = [](const Candidate &a, const Candidate &b) {
        const int cmp = QString::compare(*a.timestamp, *b.timestamp);
        return cmp != 0 ? cmp > 0 : a.order < b.order;
    };
    const size_t keep = std::min<size_t>(recentRecords, candidates.size());
    std::partial_sort(candidates.begin(), candidates.begin() + keep, candidates.end(), newerFirst);

    // Read the few winning records again. A history that changed meanwhile still yields its record at the same
    // position when it is there; the next call sees the new version anyway.
    QStringList winners;
    for (size_t i = 0; i < keep; ++i) {
        if (!winners.contains(candidates[i].row->id))
            winners << candidates[i].row->id;
    }
    QHash<QString, QJsonArray> records;
    if (const Status reread = refresh(versionExpr.value(), winners, &records); !reread)
        return reread.error();
    for (size_t i = 0; i < keep; ++i) {
        const Candidate &c = candidates[i];
        const QJsonValue record = records.value(c.row->id).at(c.index);
        if (record.isObject())
            summary.recentAdjustments.append({c.row->id, c.row->name, record.toObject()});
    }

    if (stamp) {
        m_stamp = stamp;
        m_last = summary;
    }
    return summary;
}

} // namespace aether
