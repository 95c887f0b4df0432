#include "keys/keychangebatch.h"

#include "base/timestamp.h"

#include <QSet>

#include <algorithm>

namespace aether {

namespace {

constexpr qsizetype auditRowsPerStatement = 50;

// A small fixed-shape JSON object for the audit row; formatted directly, it costs a fraction of a QJsonDocument.
QString detail(const char *oldField, std::optional<int> oldValue, const char *newField = nullptr,
               std::optional<int> newValue = std::nullopt)
{
    const auto value = [](std::optional<int> v) { return v ? QString::number(*v) : QStringLiteral("null"); };
    QString text = QStringLiteral("{\"") + QLatin1String(oldField) + QStringLiteral("\":") + value(oldValue);
    if (newField)
        text += QStringLiteral(",\"") + QLatin1String(newField) + QStringLiteral("\":") + value(newValue);
    return text + u'}';
}

} // namespace

Status checkFixedLimit(const QString &field, int limit)
{
    if (limit < minFixedLimit)
        return Error::invalid(field, reason::greaterThanEqual, minFixedLimit);
    if (limit > maxFixedLimit)
        return Error::invalid(field, reason::lessThanEqual, maxFixedLimit);
    return Done{};
}

QStringList distinctKeyIds(const QList<KeyChange> &changes)
{
    QStringList ids;
    QSet<QString> seen;
    for (const KeyChange &change : changes) {
        if (!seen.contains(change.keyId)) {
            seen.insert(change.keyId);
            ids << change.keyId;
        }
    }
    return ids;
}

KeyChangeBatch::KeyChangeBatch(Database &db)
    : m_db(db)
    , m_learning(db)
    , m_timeline(db)
    , m_setMaxSql(QStringLiteral("UPDATE provider_api_keys SET max_concurrent = ?, updated_at = %1 WHERE %2 = ?")
                      .arg(db.dialect().timestampParam(), rowKeyColumn()))
    , m_resetSql(QStringLiteral("UPDATE provider_api_keys SET learned_max_concurrent = NULL, concurrent_429_count = 0, "
                                "rpm_429_count = 0, last_429_at = NULL, last_429_type = NULL, "
                                "last_concurrent_peak = NULL, last_probe_increase_at = NULL, adjustment_history = %1, "
                                "utilization_samples = %1, updated_at = %2 WHERE %3 = ?")
                     .arg(db.dialect().jsonParam(), db.dialect().timestampParam(), rowKeyColumn()))
{
}

QString KeyChangeBatch::rowKeyColumn() const
{
    return m_db.dialect().isPostgres() ? QStringLiteral("id") : QStringLiteral("rowid");
}

Result<QList<Result<KeyChangeOutcome>>> KeyChangeBatch::apply(const QList<KeyChange> &changes)
{
    const auto isEvent = [](const KeyChange &change) { return change.kind == KeyChange::Kind::LearningEvent; };
    if (std::none_of(changes.begin(), changes.end(), isEvent))
        return applyAdminChanges(changes);
    QList<Result<KeyChangeOutcome>> outcomes;
    outcomes.reserve(changes.size());
    for (qsizetype start = 0; start < changes.size();) {
        const bool events = isEvent(changes.at(start));
        qsizetype end = start + 1;
        while (end < changes.size() && isEvent(changes.at(end)) == events)
            ++end;
        const QList<KeyChange> run = changes.mid(start, end - start);
        Result<QList<Result<KeyChangeOutcome>>> applied = events ? applyEvents(run) : applyAdminChanges(run);
        if (!applied)
            return applied.error();
        outcomes += applied.value();
        start = end;
    }
    return outcomes;
}

Result<QList<Result<KeyChangeOutcome>>> KeyChangeBatch::applyEvents(const QList<KeyChange> &changes)
{
    QList<const LearningEvent *> events;
    events.reserve(changes.size());
    for (const KeyChange &change : changes) {
        if (change.event)
            events << change.event.get();
    }
    Result<QList<Result<EventOutcome>>> applied = m_learning.apply(events);
    if (!applied)
        return applied.error();
    QList<Result<KeyChangeOutcome>> outcomes;
    outcomes.reserve(changes.size());
    qsizetype next = 0;
    for (const KeyChange &change : changes) {
        if (!change.event) {
            outcomes.append(Error::notFound(change.keyId)); // a change of kind LearningEvent without its event
            continue;
        }
        const Result<EventOutcome> &outcome = applied.value().at(next++);
        outcomes.append(outcome ? Result<KeyChangeOutcome>(KeyChangeOutcome(outcome.value()))
                                : Result<KeyChangeOutcome>(outcome.error()));
    }
    return outcomes;
}

Result<QList<Result<KeyChangeOutcome>>> KeyChangeBatch::applyAdminChanges(const QList<KeyChange> &changes)
{
    const QStringList ids = distinctKeyIds(changes);
    QHash<QString, KeyState> states;
    if (const Status locked = lockKeys(ids, &states); !locked)
        return locked.error();

    QList<Result<KeyChangeOutcome>> outcomes;
    QList<AuditRow> audit;
    for (const KeyChange &change : changes) {
        const auto state = states.find(change.keyId);
        outcomes.append(state == states.end() ? Result<KeyChangeOutcome>(Error::notFound(change.keyId))
                                              : applyOne(change, &state.value(), &audit));
    }
    const Timestamp at = Timestamp::now();
    const QString now = at.toIsoString();
    if (const Status written = writeKeys(ids, states, now); !written)
        return written.error();
    if (const Status logged = writeAudit(audit, now); !logged)
        return logged.error();
    if (const Status recorded = writeTimeline(ids, states, at); !recorded)
        return recorded.error();
    return outcomes;
}

Status KeyChangeBatch::lockKeys(const QStringList &ids, QHash<QString, KeyState> *states)
{
    // SQLite holds the database write lock already; only PostgreSQL locks rows (in id order).
    const QString sql =
        QStringLiteral("SELECT id, max_concurrent, learned_max_concurrent, %1, "
                       "CASE WHEN concurrent_429_count = 0 AND rpm_429_count = 0 AND last_429_at IS NULL AND "
                       "(adjustment_history IS NULL OR %4 IN ('', '[]')) THEN 1 ELSE 0 END "
                       "FROM provider_api_keys WHERE id IN (%3)%2")
            .arg(rowKeyColumn(), m_db.dialect().isPostgres() ? QStringLiteral(" ORDER BY id FOR UPDATE") : QString(),
                 QStringLiteral("%3"), m_db.dialect().asText(QStringLiteral("adjustment_history")));
    return m_db.selectByIds(sql, ids, // %3: the ids
                            [states](const SqlStatement &st) {
                                KeyState state;
                                state.maxConcurrent = st.optionalInt(1);
                                state.learned = st.optionalInt(2);
                                state.rowKey = st.value(3);
                                state.nothingRecorded = st.value(4).toInt() == 1;
                                state.limitAtLock = state.effectiveLimit();
                                states->insert(st.value(0).toString(), state);
                            });
}

Result<KeyChangeOutcome> KeyChangeBatch::applyOne(const KeyChange &change, KeyState *state, QList<AuditRow> *audit)
{
    switch (change.kind) {
    case KeyChange::Kind::SetMode: {
        if (change.limit) {
            if (const Status valid = checkFixedLimit(QStringLiteral("fixed_limit"), *change.limit); !valid)
                return valid.error();
        }
        if (!change.adaptive && !change.limit)
            return Error::invalid(QStringLiteral("fixed_limit"), reason::requiredWhenFixed);
        const std::optional<int> oldMax = state->maxConcurrent;
        const std::optional<int> newMax = change.adaptive ? std::nullopt : change.limit;
        state->maxConcurrent = newMax;
        state->maxChanged = true;
        audit->append({change.actor.name, QStringLiteral("set_mode"), change.keyId,
                       detail("old_max_concurrent", oldMax, "new_max_concurrent", newMax)});
        ModeChange outcome;
        outcome.keyId = change.keyId;
        outcome.isAdaptive = change.adaptive;
        outcome.maxConcurrent = newMax;
        outcome.effectiveLimit = change.adaptive ? state->learned : newMax;
        outcome.changed = oldMax != newMax;
        return KeyChangeOutcome(outcome);
    }
    case KeyChange::Kind::SetLimit: {
        const int limit = change.limit.value_or(0);
        if (const Status valid = checkFixedLimit(QStringLiteral("limit"), limit); !valid)
            return valid.error();
        const std::optional<int> oldMax = state->maxConcurrent;
        state->maxConcurrent = limit;
        state->maxChanged = true;
        audit->append({change.actor.name, QStringLiteral("set_limit"), change.keyId,
                       detail("old_max_concurrent", oldMax, "new_max_concurrent", limit)});
        return KeyChangeOutcome(LimitChange{change.keyId, limit, !oldMax.has_value(), oldMax != limit});
    }
    case KeyChange::Kind::ResetLearning: {
        audit->append({change.actor.name, QStringLiteral("reset_learning"), change.keyId,
                       detail("old_learned_max_concurrent", state->learned)});
        const bool changed = state->learned.has_value() || !state->nothingRecorded;
        state->learned.reset();
        state->learningReset = true;
        state->nothingRecorded = true;
        return KeyChangeOutcome(LearningReset{change.keyId, changed});
    }
    case KeyChange::Kind::LearningEvent:
        break; // LearningBatch's
    }
    return Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "the console does not know this change"));
}

Status KeyChangeBatch::writeKeys(const QStringList &ids, const QHash<QString, KeyState> &states, const QString &now)
{
    for (const QString &id : ids) {
        const auto state = states.constFind(id);
        if (state == states.constEnd())
            continue;
        if (state->learningReset) {
            Result<SqlStatement> st =
                m_db.exec(m_resetSql, {QStringLiteral("[]"), QStringLiteral("[]"), now, state->rowKey});
            if (!st)
                return st.error();
            // What the ceiling strategy remembered goes with what was learned.
            Result<SqlStatement> forget =
                m_db.exec(QStringLiteral("DELETE FROM console_learning_state WHERE key_id = ?"), {id});
            if (!forget)
                return forget.error();
        }
        if (state->maxChanged) {
            Result<SqlStatement> st =
                m_db.exec(m_setMaxSql, {sqlNullableInt(state->maxConcurrent), now, state->rowKey});
            if (!st)
                return st.error();
        }
    }
    return Done{};
}

Status KeyChangeBatch::writeTimeline(const QStringList &ids, const QHash<QString, KeyState> &states, Timestamp now)
{
    m_timeline.clear();
    for (const QString &id : ids) {
        const auto state = states.constFind(id);
        if (state == states.constEnd())
            continue;
        const std::optional<int> limit = state->effectiveLimit();
        if (limit != state->limitAtLock)
            m_timeline.add(id, now, TimelineCounts{}, state->limitAtLock, limit);
        if (state->learningReset)
            m_timeline.noteReset(id, limit);
        else if (limit != state->limitAtLock)
            m_timeline.noteCounted(id, 0, 0, std::nullopt, limit);
    }
    return m_timeline.write();
}

Status KeyChangeBatch::writeAudit(const QList<AuditRow> &rows, const QString &now)
{
    for (qsizetype start = 0; start < rows.size(); start += auditRowsPerStatement) {
        const qsizetype count = qMin(auditRowsPerStatement, rows.size() - start);
        QVariantList binds;
        for (qsizetype i = start; i < start + count; ++i) {
            const AuditRow &row = rows.at(i);
            binds << now << row.actor << row.action << row.keyId << row.detail;
        }
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES %1")
                          .arg(sqlPlaceholders(count, QStringLiteral("(?, ?, ?, ?, ?)"))),
                      binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

} // namespace aether
