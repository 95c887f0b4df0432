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
    // Read in pages of the key list (id order). A list of up to maxWholeKeysBody bytes is answered whole (and kept
    // for the revision); a longer one is streamed, a page at a time as the client takes it, so that a list of any
    // length costs the server at most that much memory.
    struct Pages {
        KeyService &keys;
        QString endpointId;
        std::optional<QString> afterId;
        bool started = false;
        bool done = false;
        std::optional<Error> failure;
        std::optional<QByteArray> next()
        {
            if (done)
                return QByteArray();
            Result<QList<KeyListItem>> page = keys.listAdaptiveKeysAfter(endpointId, afterId, pageKeys);
            if (!page) {
                failure = page.error();
                return std::nullopt;
            }
            QByteArray piece = started ? QByteArray() : QByteArray("[");
            piece += keyListItems(page.value(), !started);
            started = true;
            if (!page.value().isEmpty())
                afterId = page.value().constLast().id;
            if (page.value().size() < pageKeys) {
                piece += ']';
                done = true;
            }
            return piece;
        }
    };
    auto pages = std::make_shared<Pages>(Pages{m_context.keys, endpointId, std::nullopt, false, false, std::nullopt});
    QByteArray body;
    const bool streamed = m_context.streams.isRelayed();
    while (!pages->done && (!streamed || body.size() <= maxWholeKeysBody)) {
        const std::optional<QByteArray> piece = pages->next();
        if (!piece)
            return m_context.errors.response(*pages->failure, languageOf(request));
        body += *piece;
    }
    if (pages->done) {
        if (revision && body.size() <= maxWholeKeysBody)
            m_keysCache = RenderedKeys{*revision, endpointId, body};
        return QHttpServerResponse(jsonMime, std::move(body));
    }
    std::optional<QByteArray> first = std::move(body); // the pages read so far, sent first
    const quint64 stream = m_context.streams.add([pages, first]() mutable -> std::optional<QByteArray> {
        if (first)
            return std::exchange(first, std::nullopt);
        return pages->next();
    });
    QHttpServerResponse response(jsonMime, QByteArray());
    response.setHeader(AnswerStreams::markerHeader, QByteArray::number(stream));
    return response;
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
    std::optional<qint64> limit;
    if (auto refused =
            checkIntegerQuery(request.query(), QStringLiteral("limit"), minFixedLimit, maxFixedLimit, true, &limit))
        return std::move(*refused);
    return KeyChange::setLimit(keyId, int(*limit), tokenActor(*caller));
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
