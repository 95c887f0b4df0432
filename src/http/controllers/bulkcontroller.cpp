#include "controllers/bulkcontroller.h"

#include "bulkbody.h"
#include "keys/keytable.h"
#include "modebody.h"
#include "responses.h"

#include <QJsonArray>

namespace aether::http {

BulkController::BulkController(RouteContext &context)
    : m_context(context)
{
}

void BulkController::apply(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Post, Access::Write, &caller, {},
                                            Gatekeeper::maxBatchBodyBytes)) {
        refused->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    Result<QJsonValue> body = readJsonBody(request.body());
    Result<BulkRequest> bulk = body ? parseBulkBody(body.value()) : Result<BulkRequest>(body.error());
    if (bulk)
        bulk.value().actor = Actor{u"token:" + caller->name};
    const Status valid = bulk ? BulkChange::check(bulk.value()) : Status(bulk.error());
    if (!valid) {
        m_context.errors.response(valid.error(), language).write(std::move(responder));
        return;
    }
    KeyTable table(m_context.db);
    Result<QStringList> ids = BulkChange(m_context.keys, table).selectKeys(bulk.value());
    if (!ids) {
        m_context.errors.response(ids.error(), language).write(std::move(responder));
        return;
    }
    QList<QList<KeyChange>> groups;
    for (qsizetype start = 0; start < ids.value().size(); start += BulkChange::chunkSize) {
        QList<KeyChange> group;
        for (const QString &id : ids.value().mid(start, BulkChange::chunkSize))
            group << BulkChange::changeFor(bulk.value(), id);
        groups << group;
    }
    RouteContext &context = m_context;
    m_context.changes.submitGroups(
        std::move(groups),
        [&context, language, ids = ids.takeValue()](const ChangeQueue::Outcomes &outcomes) {
            BulkResult result;
            result.matched = ids.size();
            for (qsizetype i = 0; i < outcomes.size(); ++i) {
                const Result<KeyChangeOutcome> &outcome = outcomes.at(i);
                if (!outcome && (outcome.error().code == ErrorCode::StorageUnavailable ||
                                 outcome.error().code == ErrorCode::StorageFailure))
                    return context.errors.response(outcome.error(), language); // earlier chunks may be written
                BulkChange::count(outcome, ids.at(i), &result);
            }
            QJsonArray failed;
            for (const BulkFailure &failure : std::as_const(result.failed))
                failed.append(
                    QJsonObject{{QStringLiteral("key_id"), failure.keyId},
                                {QStringLiteral("error"), context.errors.parts(failure.error, language).second}});
            return json(QJsonObject{{QStringLiteral("matched"), result.matched},
                                    {QStringLiteral("changed"), result.changed},
                                    {QStringLiteral("unchanged"), result.unchanged},
                                    {QStringLiteral("failed"), failed}});
        },
        std::move(responder));
}

} // namespace aether::http
