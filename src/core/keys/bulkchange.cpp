#include "keys/bulkchange.h"

#include "keys/keyservice.h"

#include <QSet>

namespace aether {

BulkChange::BulkChange(KeyService &keys, KeyTable &table)
    : m_keys(keys)
    , m_table(table)
{
}

Status BulkChange::check(const BulkRequest &request)
{
    switch (request.action) {
    case BulkRequest::Action::SetLimit:
        return checkFixedLimit(QStringLiteral("limit"), request.limit);
    case BulkRequest::Action::SetMode:
        if (request.fixedLimit) {
            if (const Status valid = checkFixedLimit(QStringLiteral("fixed_limit"), *request.fixedLimit); !valid)
                return valid;
        }
        if (!request.adaptive && !request.fixedLimit)
            return Error::invalid(QStringLiteral("fixed_limit"), reason::requiredWhenFixed);
        break;
    case BulkRequest::Action::ResetLearning:
        break;
    }
    return Done{};
}

Result<QStringList> BulkChange::selectKeys(const BulkRequest &request)
{
    if (!request.keyIds)
        return m_table.ids(request.filter);
    QStringList ids; // each key once, in the order given
    QSet<QString> seen;
    for (const QString &id : *request.keyIds) {
        if (!seen.contains(id)) {
            seen.insert(id);
            ids << id;
        }
    }
    return ids;
}

KeyChange BulkChange::changeFor(const BulkRequest &request, const QString &keyId)
{
    switch (request.action) {
    case BulkRequest::Action::SetLimit:
        return KeyChange::setLimit(keyId, request.limit, request.actor);
    case BulkRequest::Action::SetMode:
        return KeyChange::setMode(keyId, request.adaptive, request.adaptive ? std::nullopt : request.fixedLimit,
                                  request.actor);
    case BulkRequest::Action::ResetLearning:
        break;
    }
    return KeyChange::resetLearning(keyId, request.actor);
}

void BulkChange::count(const Result<KeyChangeOutcome> &outcome, const QString &keyId, BulkResult *result)
{
    if (!outcome) {
        result->failed.append({keyId, outcome.error()});
        return;
    }
    const bool changed = std::visit(
        [](const auto &o) {
            if constexpr (std::is_same_v<std::decay_t<decltype(o)>, EventOutcome>)
                return o.adjusted;
            else
                return o.changed;
        },
        outcome.value());
    ++(changed ? result->changed : result->unchanged);
}

Result<BulkResult> BulkChange::apply(const BulkRequest &request, const Progress &progress)
{
    if (const Status valid = check(request); !valid)
        return valid.error();
    Result<QStringList> ids = selectKeys(request);
    if (!ids)
        return ids.error();
    BulkResult result;
    result.matched = ids.value().size();
    for (qsizetype start = 0; start < ids.value().size(); start += chunkSize) {
        const QStringList chunk = ids.value().mid(start, chunkSize);
        QList<KeyChange> changes;
        changes.reserve(chunk.size());
        for (const QString &id : chunk)
            changes << changeFor(request, id);
        const QList<Result<KeyChangeOutcome>> outcomes = m_keys.applyChanges(changes);
        for (qsizetype i = 0; i < outcomes.size(); ++i) {
            const Result<KeyChangeOutcome> &outcome = outcomes.at(i);
            if (!outcome && (outcome.error().code == ErrorCode::StorageUnavailable ||
                             outcome.error().code == ErrorCode::StorageFailure))
                return outcome.error(); // the chunk was not written; the chunks before it were
            count(outcome, chunk.at(i), &result);
        }
        const qint64 done = start + chunk.size();
        if (progress && done < result.matched && !progress(done, result.matched)) {
            result.canceled = true;
            break;
        }
    }
    return result;
}

} // namespace aether
