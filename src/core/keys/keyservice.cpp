#include "keys/keyservice.h"

#include <algorithm>

#include "base/jsoncolumn.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcKeys, "aether.keys")

namespace aether {

KeyService::KeyService(Database &db)
    : m_db(db)
    , m_versions(db)
    , m_summary(db, m_versions,
                [this](const QString &keyId) { warnMalformedHistory(keyId, QStringLiteral("adjustment_history")); })
    , m_changes(db)
    , m_policies(db)
{
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
    return listKeys(endpointId, true);
}

Result<QList<KeyListItem>> KeyService::listAdaptiveKeysAfter(const QString &endpointId,
                                                             const std::optional<QString> &afterId, int limit)
{
    return listKeys(endpointId, true, afterId, limit);
}

Result<QList<KeyListItem>> KeyService::listAllKeys(const QString &endpointId)
{
    return listKeys(endpointId, false);
}

Result<QList<KeyListItem>> KeyService::listKeys(const QString &endpointId, bool adaptiveOnly,
                                                const std::optional<QString> &afterId, int limit)
{
    return m_db.run<QList<KeyListItem>>([&]() -> Result<QList<KeyListItem>> {
        QString sql = QStringLiteral("SELECT id, name, endpoint_id, max_concurrent, learned_max_concurrent, "
                                     "concurrent_429_count, rpm_429_count FROM provider_api_keys");
        QStringList conditions;
        if (adaptiveOnly)
            conditions << QStringLiteral("max_concurrent IS NULL");
        QVariantList binds;
        if (!endpointId.isEmpty()) {
            conditions << QStringLiteral("endpoint_id = ?");
            binds << endpointId;
        }
        if (afterId) {
            conditions << QStringLiteral("id > ?");
            binds << *afterId;
        }
        if (!conditions.isEmpty())
            sql += QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
        // In id order (the primary key's), so that the list can be read in pages.
        sql += QStringLiteral(" ORDER BY id");
        if (limit >= 0) {
            sql += QStringLiteral(" LIMIT ?");
            binds << limit;
        }
        Result<SqlStatement> st = m_db.execBulk(sql, binds);
        if (!st)
            return st.error();
        QList<KeyListItem> items;
        SqlStatement &rows = st.value();
        while (rows.next()) {
            KeyListItem item;
            item.id = rows.value(0).toString();
            item.name = rows.optionalString(1);
            item.endpointId = rows.value(2).toString();
            item.maxConcurrent = rows.optionalInt(3);
            item.learnedMaxConcurrent = rows.optionalInt(4);
            item.concurrent429Count = rows.value(5).toLongLong();
            item.rpm429Count = rows.value(6).toLongLong();
            items.append(std::move(item));
        }
        return items;
    });
}

std::optional<QByteArray> KeyService::dataRevision()
{
    Result<std::optional<QByteArray>> stamp = m_db.run<std::optional<QByteArray>>(
        [this]() -> Result<std::optional<QByteArray>> { return m_db.changeStamp(); });
    return stamp ? stamp.value() : std::nullopt;
}

std::optional<QByteArray> KeyService::cheapDataRevision()
{
    // PostgreSQL's revision scans every key's row version; SQLite's is a counter in shared memory.
    return m_db.dialect().isPostgres() ? std::nullopt : dataRevision();
}

Result<bool> KeyService::keyExists(const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return false;
    return m_db.run<bool>([&]() -> Result<bool> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT 1 FROM provider_api_keys WHERE id = ?"), {keyId});
        if (!st)
            return st.error();
        return st.value().next();
    });
}

Result<KeyStats> KeyService::stats(const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return Error::notFound(keyId);
    const SqlDialect &sql = m_db.dialect();
    return m_db.run<KeyStats>([&]() -> Result<KeyStats> {
        Result<QString> versionExpr = m_versions.expression();
        if (!versionExpr)
            return versionExpr.error();
        const bool versioned = !versionExpr.value().isEmpty();
        // First without the history: most of the time its parsed tail is still cached for the row's version.
        if (m_statsSql.isEmpty()) {
            const QString columns = QStringLiteral("max_concurrent, learned_max_concurrent, concurrent_429_count, "
                                                   "rpm_429_count, %1, last_429_type, %2")
                                        .arg(sql.asText(QStringLiteral("last_429_at")),
                                             versioned ? versionExpr.value() : QStringLiteral("''"));
            m_statsSql = QStringLiteral("SELECT %1 FROM provider_api_keys WHERE id = ?").arg(columns);
            m_statsWithHistorySql = QStringLiteral("SELECT %1, %2 FROM provider_api_keys WHERE id = ?")
                                        .arg(columns, sql.asText(QStringLiteral("adjustment_history")));
        }
        Result<SqlStatement> st = m_db.exec(m_statsSql, {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        HistoryTail *tail = versioned ? m_tails.object(keyId) : nullptr;
        if (tail && tail->version == st.value().value(6).toByteArray())
            return makeStats(keyId, st.value(), *tail);
        // One statement for everything, so the figures and the history come from the same moment.
        Result<SqlStatement> full = m_db.exec(m_statsWithHistorySql, {keyId});
        if (!full)
            return full.error();
        if (!full.value().next())
            return Error::notFound(keyId);
        JsonArrayState state;
        const QJsonArray history = readJsonArray(full.value().value(7), &state);
        if (state == JsonArrayState::Malformed)
            warnMalformedHistory(keyId, QStringLiteral("adjustment_history"));
        auto parsed = std::make_unique<HistoryTail>();
        parsed->version = full.value().value(6).toByteArray();
        parsed->count = int(history.size());
        for (qsizetype i = qMax<qsizetype>(0, history.size() - recentStatsRecords); i < history.size(); ++i)
            parsed->recent.append(history.at(i));
        parsed->recentJson = QJsonDocument(parsed->recent).toJson(QJsonDocument::Compact);
        KeyStats stats = makeStats(keyId, full.value(), *parsed);
        if (versioned)
            m_tails.insert(keyId, parsed.release());
        return stats;
    });
}

KeyStats KeyService::makeStats(const QString &keyId, const SqlStatement &row, const HistoryTail &tail)
{
    KeyStats stats;
    stats.keyId = keyId;
    stats.maxConcurrent = row.optionalInt(0);
    stats.adaptiveMode = !stats.maxConcurrent;
    stats.learnedLimit = row.optionalInt(1);
    stats.effectiveLimit = stats.adaptiveMode ? stats.learnedLimit.value_or(initialLimit) : *stats.maxConcurrent;
    stats.concurrent429Count = row.value(2).toLongLong();
    stats.rpm429Count = row.value(3).toLongLong();
    if (!row.isNull(4)) {
        stats.last429At = Timestamp::parse(row.value(4).toString());
        if (!stats.last429At)
            qCWarning(lcKeys, "key %s: unreadable last_429_at %s", qUtf8Printable(keyId),
                      qUtf8Printable(row.value(4).toString()));
    }
    stats.last429Type = row.optionalString(5);
    stats.adjustmentCount = tail.count;
    stats.recentAdjustments = tail.recent;
    stats.recentAdjustmentsJson = tail.recentJson;
    return stats;
}

Result<ModeChange> KeyService::setMode(const QString &keyId, bool adaptive, std::optional<int> fixedLimit,
                                       const Actor &actor)
{
    return applyOne<ModeChange>(KeyChange::setMode(keyId, adaptive, fixedLimit, actor));
}

Result<LearningReset> KeyService::resetLearning(const QString &keyId, const Actor &actor)
{
    return applyOne<LearningReset>(KeyChange::resetLearning(keyId, actor));
}

Result<LimitChange> KeyService::setFixedLimit(const QString &keyId, int limit, const Actor &actor)
{
    return applyOne<LimitChange>(KeyChange::setLimit(keyId, limit, actor));
}

Result<KeyChangeOutcome> KeyService::apply(KeyChange change)
{
    return applyChanges({std::move(change)}).constFirst();
}

template <typename T> Result<T> KeyService::applyOne(KeyChange change)
{
    Result<KeyChangeOutcome> outcome = apply(std::move(change));
    if (!outcome)
        return outcome.error();
    return std::get<T>(outcome.takeValue());
}

Result<EventOutcome> KeyService::applyEvent(LearningEvent event)
{
    return applyOne<EventOutcome>(KeyChange::learningEvent(std::move(event)));
}

Result<QJsonObject> KeyService::learningState(const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return Error::notFound(keyId);
    const SqlDialect &sql = m_db.dialect();
    const QString select =
        QStringLiteral("SELECT name, max_concurrent, learned_max_concurrent, concurrent_429_count, rpm_429_count, %1, "
                       "last_429_type, last_concurrent_peak, %2, %3, %4 FROM provider_api_keys WHERE id = ?")
            .arg(sql.asText(QStringLiteral("last_429_at")), sql.asText(QStringLiteral("last_probe_increase_at")),
                 sql.asText(QStringLiteral("adjustment_history")), sql.asText(QStringLiteral("utilization_samples")));
    return m_db.run<QJsonObject>([&]() -> Result<QJsonObject> {
        Result<SqlStatement> st = m_db.exec(select, {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        const SqlStatement &row = st.value();
        const auto number = [&row](int column) {
            return row.isNull(column) ? QJsonValue(QJsonValue::Null) : QJsonValue(row.value(column).toLongLong());
        };
        const auto text = [&row](int column) {
            return row.isNull(column) ? QJsonValue(QJsonValue::Null) : QJsonValue(row.value(column).toString());
        };
        JsonArrayState state;
        return QJsonObject{{QStringLiteral("key_id"), keyId},
                           {QStringLiteral("key_name"), text(0)},
                           {QStringLiteral("exported_at"), Timestamp::now().toIsoString()},
                           {QStringLiteral("max_concurrent"), number(1)},
                           {QStringLiteral("learned_max_concurrent"), number(2)},
                           {QStringLiteral("concurrent_429_count"), number(3)},
                           {QStringLiteral("rpm_429_count"), number(4)},
                           {QStringLiteral("last_429_at"), text(5)},
                           {QStringLiteral("last_429_type"), text(6)},
                           {QStringLiteral("last_concurrent_peak"), number(7)},
                           {QStringLiteral("last_probe_increase_at"), text(8)},
                           {QStringLiteral("adjustment_history"), readJsonArray(row.value(9), &state)},
                           {QStringLiteral("utilization_samples"), readJsonArray(row.value(10), &state)}};
    });
}

Result<EnforcedLimit> KeyService::enforcedLimit(const QString &keyId)
{
    if (!m_db.canHold(keyId))
        return Error::notFound(keyId);
    return m_db.run<EnforcedLimit>([&]() -> Result<EnforcedLimit> {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT max_concurrent, learned_max_concurrent FROM provider_api_keys WHERE id = ?"),
            {keyId});
        if (!st)
            return st.error();
        if (!st.value().next())
            return Error::notFound(keyId);
        EnforcedLimit limit;
        limit.keyId = keyId;
        const std::optional<int> max = st.value().optionalInt(0);
        limit.adaptive = !max.has_value();
        limit.limit = max ? max : st.value().optionalInt(1);
        return limit;
    });
}

Result<LearningPolicy> KeyService::learningPolicy()
{
    return m_db.run<LearningPolicy>([this]() { return m_policies.read(); });
}

Result<LearningPolicy> KeyService::updateLearningPolicy(const QJsonObject &patch, const Actor &actor)
{
    return m_policies.update(patch, actor.name);
}

Result<LearningPolicy> KeyService::resetLearningPolicy(const Actor &actor)
{
    return m_policies.reset(actor.name);
}

QList<Result<KeyChangeOutcome>> KeyService::applyChanges(const QList<KeyChange> &changes)
{
    QList<Result<KeyChangeOutcome>> outcomes;
    const Status done = m_db.transaction<Done>(Database::Mode::Write, [&]() -> Status {
        Result<QList<Result<KeyChangeOutcome>>> applied = m_changes.apply(changes);
        if (!applied)
            return applied.error();
        outcomes = applied.takeValue();
        const bool anyApplied =
            std::any_of(outcomes.cbegin(), outcomes.cend(), [](const Result<KeyChangeOutcome> &o) { return o.ok(); });
        return anyApplied ? m_db.notify(Database::changesChannel()) : Status(Done{});
    });
    if (!done) {
        outcomes.clear();
        for (qsizetype i = 0; i < changes.size(); ++i)
            outcomes.append(done.error());
    }
    return outcomes;
}

Result<Summary> KeyService::summary(const SummaryScope &scope)
{
    return m_db.run<Summary>([this, &scope]() { return m_summary.build(scope); });
}

} // namespace aether
