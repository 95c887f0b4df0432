#include "controllers/keycontroller.h"

#include "bodies.h"
#include "keys/keyservice.h"
#include "modebody.h"
#include "responses.h"

#include <QUrlQuery>

#include <limits>

namespace aether::http {

namespace {

Actor tokenActor(const Caller &caller)
{
    return Actor{u"token:" + caller.name};
}

// FastAPI's validation of the limit query parameter (422, shape D), with the bounds the core enforces.
std::optional<QHttpServerResponse> checkLimitQuery(const QUrlQuery &query, std::optional<int> *limit)
{
    if (!query.hasQueryItem(QStringLiteral("limit")))
        return queryError("missing", QStringLiteral("Field required"), QJsonValue::Null);
    const QStringList values = query.allQueryItemValues(QStringLiteral("limit"), QUrl::FullyDecoded);
    const QString raw = values.isEmpty() ? QString() : values.last();
    const std::optional<qint64> parsed = parseIntegerString(raw);
    if (!parsed)
        return queryError("int_parsing",
                          QStringLiteral("Input should be a valid integer, unable to parse string as an integer"), raw);
    if (*parsed < minFixedLimit)
        return queryError("greater_than_equal",
                          QStringLiteral("Input should be greater than or equal to %1").arg(minFixedLimit), raw,
                          {{QStringLiteral("ge"), minFixedLimit}});
    if (*parsed > maxFixedLimit)
        return queryError("less_than_equal",
                          QStringLiteral("Input should be less than or equal to %1").arg(maxFixedLimit), raw,
                          {{QStringLiteral("le"), maxFixedLimit}});
    *limit = int(*parsed);
    return std::nullopt;
}

} // namespace

KeyController::KeyController(RouteContext &context)
    : m_context(context)
{
}

QHttpServerResponse KeyController::list(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
        return std::move(*refused);
    const QString endpointId = request.query().queryItemValue(QStringLiteral("endpoint_id"), QUrl::FullyDecoded);
    const std::optional<QByteArray> revision = m_context.keys.dataRevision();
    if (revision && m_keysCache && m_keysCache->revision == *revision && m_keysCache->endpointId == endpointId)
        return QHttpServerResponse(jsonMime, m_keysCache->body);
    Result<QList<KeyListItem>> keys = m_context.keys.listAdaptiveKeys(endpointId);
    if (!keys)
        return m_context.errors.response(keys.error(), languageOf(request));
    QByteArray body = keyListBody(keys.value());
    if (revision)
        m_keysCache = RenderedKeys{*revision, endpointId, body};
    return QHttpServerResponse(jsonMime, std::move(body));
}

QHttpServerResponse KeyController::stats(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
        return std::move(*refused);
    const std::optional<QByteArray> revision = m_context.keys.cheapDataRevision();
    if (revision) {
        if (const RenderedStats *cached = m_statsCache.object(keyId); cached && cached->revision == *revision)
            return QHttpServerResponse(jsonMime, cached->body);
    }
    Result<KeyStats> result = m_context.keys.stats(keyId);
    if (!result)
        return m_context.errors.response(result.error(), languageOf(request));
    QByteArray body = statsBody(result.value());
    if (revision)
        m_statsCache.insert(keyId, new RenderedStats{*revision, body});
    return QHttpServerResponse(jsonMime, std::move(body));
}

QHttpServerResponse KeyController::summary(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
        return std::move(*refused);
    Result<Summary> result = m_context.keys.summary();
    if (!result)
        return m_context.errors.response(result.error(), languageOf(request));
    return json(summaryBody(result.value()));
}

void KeyController::setMode(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    submit(prepareSetMode(keyId, request), request, std::move(responder));
}

void KeyController::setLimit(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    submit(prepareSetLimit(keyId, request), request, std::move(responder));
}

void KeyController::resetLearning(const QString &keyId, const QHttpServerRequest &request,
                                  QHttpServerResponder &&responder)
{
    submit(prepareReset(keyId, request), request, std::move(responder));
}

KeyController::Prepared KeyController::prepareSetMode(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Patch, Access::Write, &caller))
        return std::move(*refused);
    const auto parsed = parseModeBody(request.body());
    if (const auto *problem = std::get_if<BodyProblem>(&parsed)) {
        const Language language = languageOf(request);
        switch (problem->kind) {
        case BodyProblem::Kind::Empty:
            return m_context.rejectBody(keyId, Error::invalid({}, reason::emptyBody), language);
        case BodyProblem::Kind::InvalidJson:
            return m_context.rejectBody(keyId, Error::invalid({}, reason::invalidJson), language);
        case BodyProblem::Kind::Field:
            return m_context.rejectBody(keyId, Error::invalid(problem->field, problem->reason), language);
        }
    }
    const ModeRequest &body = std::get<ModeRequest>(parsed);
    std::optional<int> limit;
    if (body.fixedLimit) // out of int's range is out of the core's range too
        limit = int(
            qBound(qint64(std::numeric_limits<int>::min()), *body.fixedLimit, qint64(std::numeric_limits<int>::max())));
    return KeyChange::setMode(keyId, body.enabled, limit, tokenActor(*caller));
}

KeyController::Prepared KeyController::prepareSetLimit(const QString &keyId, const QHttpServerRequest &request)
{
    using Method = RouteContext::Method;
    std::optional<Caller> caller;
    if (auto refused =
            m_context.gate.admit(request, Method::Patch, Access::Write, &caller, {Method::Get, Method::Patch}))
        return std::move(*refused);
    // FastAPI validates the query before the handler runs: 422 comes before the key lookup.
    std::optional<int> limit;
    if (auto refused = checkLimitQuery(request.query(), &limit))
        return std::move(*refused);
    return KeyChange::setLimit(keyId, *limit, tokenActor(*caller));
}

KeyController::Prepared KeyController::prepareReset(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Delete, Access::Write, &caller))
        return std::move(*refused);
    return KeyChange::resetLearning(keyId, tokenActor(*caller));
}

void KeyController::submit(Prepared prepared, const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    if (auto *response = std::get_if<QHttpServerResponse>(&prepared)) {
        response->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    RouteContext &context = m_context;
    m_context.changes.submit(
        {std::get<KeyChange>(std::move(prepared))},
        [&context, language](const ChangeQueue::Outcomes &outcomes) {
            const Result<KeyChangeOutcome> &outcome = outcomes.constFirst();
            if (!outcome)
                return context.errors.response(outcome.error(), language);
            return QHttpServerResponse(jsonMime, changeBody(outcome.value(), language));
        },
        std::move(responder));
}

} // namespace aether::http
