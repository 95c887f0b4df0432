#include "keyservice.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcKeys, "aether.keys")

namespace aether {

namespace {

std::optional<int> optionalInt(const SqlStatement &st, int column)
{
    if (st.isNull(column))
        return std::nullopt;
    return st.value(column).toInt();
}

std::optional<QString> optionalString(const SqlStatement &st, int column)
{
    if (st.isNull(column))
        return std::nullopt;
    return st.value(column).toString();
}

QVariant nullableInt(std::optional<int> value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<int>());
}

enum class JsonArrayState { Null, Array, Malformed };

// A JSON column's array. NULL (or JSON null) counts as an empty array; anything else that is not an array is
// reported as malformed and also counts as empty.
QJsonArray readJsonArray(const QVariant &value, JsonArrayState *state)
{
    *state = JsonArrayState::Null;
    if (value.isNull())
        return {};
    const QByteArray text = value.toString().toUtf8();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
    if (error.error == QJsonParseError::NoError && doc.isArray()) {
        *state = JsonArrayState::Array;
        return doc.array();
    }
    if (text.trimmed() == "null")
        return {};
    *state = JsonArrayState::Malformed;
    return {};
}

} // namespace

Status KeyService::validateFixedLimit(int limit) const
{
    if (limit < minFixedLimit)
        return Error::invalid(QStringLiteral("fixed_limit"), reason::greaterThanEqual, minFixedLimit);
    if (limit > maxFixedLimit)
        return Error::invalid(QStringLiteral("fixed_limit"), reason::lessThanEqual, maxFixedLimit);
    return Done{};
}

Status KeyService::audit(const Actor &actor, const QString &action, const QString &keyId, const QJsonObject &detail)
{
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES (?, ?, ?, ?, ?)"),
        {Timestamp::now().toIsoString(), actor.name, action, keyId,
         QString::fromUtf8(QJsonDocument(detail).toJson(QJsonDocument::Compact))});
    if (!st)
        return st.error();
    return Done{};
}

void KeyService::warnMalformedHistory(const QString &keyId, const QString &column)
{
    const QString tag = keyId + u'/' + column;
    if (m_warnedKeys.contains(tag))
        return;
    m_warnedKeys.insert(tag);
    qCWarning(lcKeys, "key %s: %s is not a JSON array; it counts as empty", qUtf8Printable(keyId),
              qUtf8Printable(column));
}

Result<QList<KeyListItem>> KeyService::listAdaptiveKeys(const QString &endpointId)
{
    return m_db.run<QList<KeyListItem>>([&]() -> Result<QList<KeyListItem>> {
        QString sql = QStringLiteral("SELECT id, name, endpoint_id, max_concurrent, learned_max_concurrent, "
                                     "concurrent_429_count, rpm_429_count FROM provider_api_keys "
                                     "WHERE max_concurrent IS NULL");
        QVariantList binds;
        if (!endpointId.isEmpty()) {
            sql += QStringLiteral(" AND endpoint_id = ?");
            binds << endpointId;
        }
        Result<SqlStatement> st = m_db.exec(sql, binds);
        if (!st)
            return st.error();
        QList<KeyListItem> items;
        SqlStatement &rows = st.value();
        while (rows.next()) {
            KeyListItem item;
            item.id = rows.value(0).toString();
            item.name = optionalString(rows, 1);
            item.endpointId = rows.value(2).toString();
            item.maxConcurrent = optionalInt(rows, 3);
            item.learnedMaxConcurrent = optionalInt(rows, 4);
            item.concurrent429Count = rows.value(5).toLongLong();
            item.rpm429Count = rows.value(6).toLongLong();
            items.append(std::move(item));
        }
        return items;
    });
}

Result<bool> KeyService::keyExists(const QString &keyId)
{
    return m_db.run<bool>([&]() -> Result<bool> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT 1 FROM provider_api_keys WHERE id = ?"), {keyId});
        if (!st)
            return st.error();
        return st.value().next();
    });
}

Result<ModeChange> KeyService::setMode(const QString &keyId, bool adaptive, std::optional<int> fixedLimit,
                                       const Actor &actor)
{
    const SqlDialect &sql = m_db.dialect();
    return m_db.transaction<ModeChange>(Database::Mode::Write, [&]() -> Result<ModeChange> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT max_concurrent, learned_max_concurrent "
                                                           "FROM provider_api_keys WHERE id = ?")
                                                + sql.forUpdate(),
                                            {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        const std::optional<int> oldMax = optionalInt(st.value(), 0);
        const std::optional<int> learned = optionalInt(st.value(), 1);
        if (fixedLimit) {
            const Status valid = validateFixedLimit(*fixedLimit);
            if (!valid)
                return valid.error();
        }
        if (!adaptive && !fixedLimit)
            return Error::invalid(QStringLiteral("fixed_limit"), reason::requiredWhenFixed);
        const std::optional<int> newMax = adaptive ? std::nullopt : fixedLimit;
        Result<SqlStatement> update = m_db.exec(
            QStringLiteral("UPDATE provider_api_keys SET max_concurrent = ?, updated_at = %1 WHERE id = ?")
                .arg(sql.timestampParam()),
            {nullableInt(newMax), Timestamp::now().toIsoString(), keyId});
        if (!update)
            return update.error();
        const Status logged = audit(actor, QStringLiteral("set_mode"), keyId,
                                    {{QStringLiteral("old_max_concurrent"), oldMax ? QJsonValue(*oldMax) : QJsonValue()},
                                     {QStringLiteral("new_max_concurrent"), newMax ? QJsonValue(*newMax) : QJsonValue()}});
        if (!logged)
            return logged.error();
        ModeChange change;
        change.keyId = keyId;
        change.isAdaptive = adaptive;
        change.maxConcurrent = newMax;
        change.effectiveLimit = adaptive ? learned : newMax;
        return change;
    });
}

Result<KeyStats> KeyService::stats(const QString &keyId)
{
    const SqlDialect &sql = m_db.dialect();
    return m_db.run<KeyStats>([&]() -> Result<KeyStats> {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT max_concurrent, learned_max_concurrent, concurrent_429_count, rpm_429_count, "
                           "%1, last_429_type, %2 FROM provider_api_keys WHERE id = ?")
                .arg(sql.asText(QStringLiteral("last_429_at")), sql.asText(QStringLiteral("adjustment_history"))),
            {keyId});
        if (!st)
            return st.error();
        SqlStatement &row = st.value();
        if (!row.next())
            return Error::notFound(keyId);
        KeyStats stats;
        stats.keyId = keyId;
        stats.maxConcurrent = optionalInt(row, 0);
        stats.adaptiveMode = !stats.maxConcurrent;
        stats.learnedLimit = optionalInt(row, 1);
        stats.effectiveLimit = stats.adaptiveMode ? stats.learnedLimit.value_or(initialLimit) : *stats.maxConcurrent;
        stats.concurrent429Count = row.value(2).toLongLong();
        stats.rpm429Count = row.value(3).toLongLong();
        if (!row.isNull(4)) {
            stats.last429At = Timestamp::parse(row.value(4).toString());
            if (!stats.last429At)
                qCWarning(lcKeys, "key %s: unreadable last_429_at %s", qUtf8Printable(keyId),
                          qUtf8Printable(row.value(4).toString()));
        }
        stats.last429Type = optionalString(row, 5);
        JsonArrayState state;
        const QJsonArray history = readJsonArray(row.value(6), &state);
        if (state == JsonArrayState::Malformed)
            warnMalformedHistory(keyId, QStringLiteral("adjustment_history"));
        stats.adjustmentCount = int(history.size());
        for (qsizetype i = qMax<qsizetype>(0, history.size() - recentStatsRecords); i < history.size(); ++i)
            stats.recentAdjustments.append(history.at(i));
        return stats;
    });
}

Result<LearningReset> KeyService::resetLearning(const QString &keyId, const Actor &actor)
{
    const SqlDialect &sql = m_db.dialect();
    return m_db.transaction<LearningReset>(Database::Mode::Write, [&]() -> Result<LearningReset> {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT learned_max_concurrent FROM provider_api_keys WHERE id = ?") + sql.forUpdate(),
            {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        const std::optional<int> learned = optionalInt(st.value(), 0);
        Result<SqlStatement> update = m_db.exec(
            QStringLiteral("UPDATE provider_api_keys SET learned_max_concurrent = NULL, concurrent_429_count = 0, "
                           "rpm_429_count = 0, last_429_at = NULL, last_429_type = NULL, "
                           "last_concurrent_peak = NULL, last_probe_increase_at = NULL, adjustment_history = %1, "
                           "utilization_samples = %1, updated_at = %2 WHERE id = ?")
                .arg(sql.jsonParam(), sql.timestampParam()),
            {QStringLiteral("[]"), QStringLiteral("[]"), Timestamp::now().toIsoString(), keyId});
        if (!update)
            return update.error();
        const Status logged =
            audit(actor, QStringLiteral("reset_learning"), keyId,
                  {{QStringLiteral("old_learned_max_concurrent"), learned ? QJsonValue(*learned) : QJsonValue()}});
        if (!logged)
            return logged.error();
        return LearningReset{keyId};
    });
}

Result<LimitChange> KeyService::setFixedLimit(const QString &keyId, int limit, const Actor &actor)
{
    const SqlDialect &sql = m_db.dialect();
    return m_db.transaction<LimitChange>(Database::Mode::Write, [&]() -> Result<LimitChange> {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT max_concurrent FROM provider_api_keys WHERE id = ?") + sql.forUpdate(), {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        const std::optional<int> oldMax = optionalInt(st.value(), 0);
        if (limit < minFixedLimit)
            return Error::invalid(QStringLiteral("limit"), reason::greaterThanEqual, minFixedLimit);
        if (limit > maxFixedLimit)
            return Error::invalid(QStringLiteral("limit"), reason::lessThanEqual, maxFixedLimit);
        Result<SqlStatement> update = m_db.exec(
            QStringLiteral("UPDATE provider_api_keys SET max_concurrent = ?, updated_at = %1 WHERE id = ?")
                .arg(sql.timestampParam()),
            {limit, Timestamp::now().toIsoString(), keyId});
        if (!update)
            return update.error();
        const Status logged = audit(actor, QStringLiteral("set_limit"), keyId,
                                    {{QStringLiteral("old_max_concurrent"), oldMax ? QJsonValue(*oldMax) : QJsonValue()},
                                     {QStringLiteral("new_max_concurrent"), limit}});
        if (!logged)
            return logged.error();
        return LimitChange{keyId, limit, !oldMax.has_value()};
    });
}

Result<Summary> KeyService::summary()
{
    return m_db.run<Summary>([&]() -> Result<Summary> {
        // The summary reads every adaptive key's history; it is recomputed only when the data changed.
        const std::optional<QByteArray> stamp = m_db.changeStamp();
        if (stamp && m_summaryStamp == stamp)
            return m_summaryCache;
        Result<Summary> computed = computeSummary();
        if (computed && stamp) {
            m_summaryStamp = stamp;
            m_summaryCache = computed.value();
        }
        return computed;
    });
}

Result<Summary> KeyService::computeSummary()
{
    const SqlDialect &sql = m_db.dialect();
    const bool pg = sql.isPostgres();
    static const QString h = QStringLiteral("adjustment_history");
    const QString length = sql.jsonArrayLength(h);
    const QString malformed = sql.jsonIsMalformed(h);

    Summary summary;
    Result<SqlStatement> totals = m_db.exec(
        QStringLiteral("SELECT count(*), coalesce(sum(coalesce(concurrent_429_count, 0)), 0), "
                       "coalesce(sum(coalesce(rpm_429_count, 0)), 0), coalesce(sum(%1), 0), "
                       "coalesce(sum(CASE WHEN %2 THEN 1 ELSE 0 END), 0) "
                       "FROM provider_api_keys WHERE max_concurrent IS NULL")
            .arg(length, malformed));
    if (!totals)
        return totals.error();
    qint64 malformedCount = 0;
    if (totals.value().next()) {
        summary.totalAdaptiveKeys = totals.value().value(0).toLongLong();
        summary.totalConcurrent429Errors = totals.value().value(1).toLongLong();
        summary.totalRpm429Errors = totals.value().value(2).toLongLong();
        summary.totalAdjustments = totals.value().value(3).toLongLong();
        malformedCount = totals.value().value(4).toLongLong();
    }
    if (malformedCount > 0) {
        Result<SqlStatement> bad = m_db.exec(
            QStringLiteral("SELECT id FROM provider_api_keys WHERE max_concurrent IS NULL "
                           "AND %1")
                .arg(malformed));
        if (!bad)
            return bad.error();
        while (bad.value().next())
            warnMalformedHistory(bad.value().value(0).toString(), QStringLiteral("adjustment_history"));
    }

    // The last three records of each key, newest timestamp first (string order, a missing one counting as ""),
    // ties in key order and then in stored order, as the seed's stable sort gives them.
    const QString element = sql.jsonElementFromEnd(h, QStringLiteral("t.k"));
    const QString elementIsObject = pg ? QStringLiteral("json_typeof(CAST(%1 AS json)) = 'object'").arg(element)
                                       : QStringLiteral("json_type(%1) = 'object'").arg(element);
    const QString timestamp = pg ? QStringLiteral("coalesce(CAST(%1 AS json) ->> 'timestamp', '') COLLATE \"C\"").arg(element)
                                 : QStringLiteral("coalesce(CAST(%1 ->> '$.timestamp' AS TEXT), '')").arg(element);
    const QString ks = pg ? QStringLiteral("(VALUES (1), (2), (3)) AS t(k)")
                          : QStringLiteral("(SELECT 1 AS k UNION ALL SELECT 2 UNION ALL SELECT 3) AS t");
    const QString recentSql =
        QStringLiteral("SELECT id, name, %1 FROM provider_api_keys CROSS JOIN %2 "
                       "WHERE max_concurrent IS NULL AND adjustment_history IS NOT NULL AND t.k <= (%3) "
                       "AND (CASE WHEN t.k <= (%3) THEN %4 ELSE false END) "
                       "ORDER BY %5 DESC, id, t.k DESC LIMIT %6")
            .arg(element, ks, length, elementIsObject,
                 timestamp)
            .arg(recentSummaryRecords);
    Result<SqlStatement> recent = m_db.exec(recentSql);
    if (!recent)
        return recent.error();
    while (recent.value().next()) {
        RecentAdjustment item;
        item.keyId = recent.value().value(0).toString();
        item.keyName = optionalString(recent.value(), 1);
        item.record = QJsonDocument::fromJson(recent.value().value(2).toString().toUtf8()).object();
        summary.recentAdjustments.append(std::move(item));
    }
    return summary;
}

} // namespace aether
