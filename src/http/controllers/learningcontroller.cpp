#include "controllers/learningcontroller.h"

#include "bodies.h"
#include "keys/keyservice.h"
#include "modebody.h"
#include "responses.h"

namespace aether::http {

namespace {

// A body that is not an object is named by the model it should have been (pydantic's "dict_type" message).
Error namedModel(Error problem)
{
    if (problem.reason == reason::dictType && problem.field.isEmpty())
        problem.bound = QStringLiteral("LearningEvent");
    return problem;
}

// The "events" array of a batch body, or why there is none.
Result<QJsonArray> batchEvents(const QByteArray &body)
{
    Result<QJsonValue> value = readJsonBody(body);
    if (!value)
        return value.error();
    if (!value.value().isObject())
        return Error::invalid({}, reason::dictType, QStringLiteral("EventBatch"));
    const QJsonValue list = value.value().toObject().value(QLatin1StringView("events"));
    if (list.isUndefined() || list.isNull())
        return Error::invalid(QStringLiteral("events"), reason::missing);
    if (!list.isArray())
        return Error::invalid(QStringLiteral("events"), reason::listType);
    if (list.toArray().size() > LearningController::maxBatchEvents)
        return Error::invalid(QStringLiteral("events"), reason::tooLong, LearningController::maxBatchEvents);
    return list.toArray();
}

} // namespace

LearningController::LearningController(RouteContext &context)
    : m_context(context)
{
}

void LearningController::postEvent(const QString &keyId, const QHttpServerRequest &request,
                                   QHttpServerResponder &&responder)
{
    const Timestamp arrival = m_context.clock();
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Post, Access::Report, &caller)) {
        refused->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    Result<QJsonValue> value = readJsonBody(request.body());
    if (!value) {
        m_context.rejectBody(keyId, value.error(), language).write(std::move(responder));
        return;
    }
    const QHash<qsizetype, bool> floats =
        numbersWrittenWithFraction(request.body(), {}, QLatin1StringView("current_concurrent"));
    Result<LearningEvent> event = parseLearningEvent(value.value(), keyId, arrival, floats.value(0, false));
    if (!event) {
        m_context.rejectBody(keyId, namedModel(event.error()), language).write(std::move(responder));
        return;
    }
    RouteContext &context = m_context;
    m_context.changes.submit(
        {KeyChange::learningEvent(event.takeValue())},
        [&context, language](const ChangeQueue::Outcomes &outcomes) {
            const Result<KeyChangeOutcome> &outcome = outcomes.constFirst();
            if (!outcome) {
                if (outcome.error().code == ErrorCode::NotFound || outcome.error().code == ErrorCode::InvalidInput)
                    context.metrics.recordEvents(0, 1);
                return context.errors.response(outcome.error(), language);
            }
            context.metrics.recordEvents(1, 0);
            return QHttpServerResponse(jsonMime, eventBody(std::get<EventOutcome>(outcome.value())));
        },
        std::move(responder));
}

void LearningController::postEvents(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const Timestamp arrival = m_context.clock(); // every event of the request happened at its arrival
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Post, Access::Report, &caller, {},
                                            Gatekeeper::maxBatchBodyBytes)) {
        refused->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    Result<ParsedBatch> batch = parseBatch(request, arrival, language);
    if (!batch) {
        m_context.errors.response(batch.error(), language).write(std::move(responder));
        return;
    }
    QList<KeyChange> changes = batch.value().changes;
    ChangeQueue::Render render = renderBatch(batch.takeValue(), language);
    if (changes.isEmpty())
        render({}).write(std::move(responder));
    else
        m_context.changes.submit(std::move(changes), std::move(render), std::move(responder));
}

Result<LearningController::ParsedBatch> LearningController::parseBatch(const QHttpServerRequest &request,
                                                                       Timestamp arrival, Language language)
{
    Result<QJsonArray> events = batchEvents(request.body());
    if (!events)
        return events.error();
    const QHash<qsizetype, bool> floats = numbersWrittenWithFraction(request.body(), QLatin1StringView("events"),
                                                                     QLatin1StringView("current_concurrent"));
    ParsedBatch batch;
    batch.entries.reserve(size_t(events.value().size()));
    qsizetype index = 0;
    for (const QJsonValue &value : std::as_const(events.value())) {
        const bool writtenAsFloat = floats.value(index++, false);
        Result<LearningEvent> event = parseLearningEvent(value, std::nullopt, arrival, writtenAsFloat);
        if (event) {
            batch.entries.emplace_back(batch.changes.size());
            batch.changes.append(KeyChange::learningEvent(event.takeValue()));
            continue;
        }
        Result<QJsonObject> entry = rejectedEvent(value, namedModel(event.error()), language);
        if (!entry)
            return entry.error();
        batch.entries.emplace_back(entry.takeValue());
    }
    return batch;
}

Result<QJsonObject> LearningController::rejectedEvent(const QJsonValue &value, Error problem, Language language)
{
    // As on the single-event route, an unknown key is reported before a bad body.
    const QJsonValue id = value.toObject().value(QLatin1StringView("key_id"));
    if (id.isString()) {
        Result<bool> exists = m_context.keys.keyExists(id.toString());
        if (!exists)
            return exists.error();
        if (!exists.value())
            problem = Error::notFound(id.toString());
    }
    QJsonObject entry = m_context.errors.entry(problem, language);
    entry.insert(QStringLiteral("key_id"), id.isString() ? id : QJsonValue(QJsonValue::Null));
    return entry;
}

ChangeQueue::Render LearningController::renderBatch(ParsedBatch batch, Language language)
{
    RouteContext &context = m_context;
    return [&context, language, batch = std::move(batch)](const ChangeQueue::Outcomes &outcomes) {
        EventResultsBody results(qsizetype(batch.entries.size()));
        qint64 applied = 0;
        qint64 refused = 0;
        for (const auto &entry : batch.entries) {
            if (const auto *error = std::get_if<QJsonObject>(&entry)) {
                results.addEntry(*error);
                ++refused;
                continue;
            }
            const qsizetype index = std::get<qsizetype>(entry);
            const Result<KeyChangeOutcome> &outcome = outcomes.at(index);
            if (outcome) {
                results.addOutcome(std::get<EventOutcome>(outcome.value()));
                ++applied;
            } else if (outcome.error().code == ErrorCode::NotFound || outcome.error().code == ErrorCode::InvalidInput) {
                QJsonObject item = context.errors.entry(outcome.error(), language);
                item.insert(QStringLiteral("key_id"), batch.changes.at(index).keyId);
                results.addEntry(item);
                ++refused;
            } else {
                return context.errors.response(outcome.error(), language); // storage: nothing was applied
            }
        }
        context.metrics.recordEvents(applied, refused);
        return QHttpServerResponse(jsonMime, results.take());
    };
}

QHttpServerResponse LearningController::enforcedLimit(const QString &keyId, const QHttpServerRequest &request)
{
    using Method = RouteContext::Method;
    std::optional<Caller> caller;
    if (auto refused =
            m_context.gate.admit(request, Method::Get, Access::Enforce, &caller, {Method::Get, Method::Patch}))
        return std::move(*refused);
    Result<EnforcedLimit> limit = m_context.keys.enforcedLimit(keyId);
    if (!limit)
        return m_context.errors.response(limit.error(), languageOf(request));
    return json(enforcedLimitBody(limit.value()));
}

} // namespace aether::http
