// The learning routes of ApiServer: events reported by gateways, the limit a gateway enforces, and the policy.

#include "apiserver.h"

#include "keys/changewriter.h"
#include "keys/keyservice.h"
#include "modebody.h"
#include "responses.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace aether::http {

namespace {

// The body as a JSON value, or why it is not one (shape A problems), with the same checks as the other routes.
Result<QJsonValue> readJsonBody(const QByteArray &body)
{
    if (body.isEmpty())
        return Error::invalid({}, reason::emptyBody);
    if (body.startsWith("\xEF\xBB\xBF") || !isValidUtf8(body))
        return Error::invalid({}, reason::invalidJson);
    std::optional<QJsonValue> value = parseJsonValue(body);
    if (!value)
        return Error::invalid({}, reason::invalidJson);
    return *value;
}

QJsonValue optionalInt(std::optional<int> value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

} // namespace

QJsonObject ApiServer::eventAnswer(const EventOutcome &outcome)
{
    return QJsonObject{
        {QStringLiteral("key_id"), outcome.keyId},
        {QStringLiteral("classification"), outcome.classification
                                               ? QJsonValue(rateLimitKindName(*outcome.classification))
                                               : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("learned_max_concurrent"), optionalInt(outcome.learned)},
        {QStringLiteral("effective_limit"), optionalInt(outcome.effectiveLimit)},
        {QStringLiteral("adjusted"), outcome.adjusted},
        {QStringLiteral("adjustment"),
         outcome.adjusted ? QJsonValue(outcome.adjustment) : QJsonValue(QJsonValue::Null)},
    };
}

QJsonObject ApiServer::errorEntry(const Error &error, Language language) const
{
    const auto [status, body] = errorParts(error, language);
    return QJsonObject{{QStringLiteral("status"), int(status)}, {QStringLiteral("error"), body}};
}

void ApiServer::postEvent(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const Timestamp arrival = m_clock();
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Post, Access::Report, &caller)) {
        refused->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    Result<QJsonValue> value = readJsonBody(request.body());
    if (!value) {
        rejectBody(keyId, value.error(), language).write(std::move(responder));
        return;
    }
    const QHash<qsizetype, bool> floats =
        numbersWrittenWithFraction(request.body(), {}, QLatin1StringView("current_concurrent"));
    Result<LearningEvent> event = parseLearningEvent(value.value(), keyId, arrival, floats.value(0, false));
    if (!event) {
        Error problem = event.error();
        if (problem.reason == reason::dictType && problem.field.isEmpty())
            problem.bound = QStringLiteral("LearningEvent");
        rejectBody(keyId, problem, language).write(std::move(responder));
        return;
    }
    submitChanges(
        {KeyChange::learningEvent(event.takeValue())},
        [this, language](const Outcomes &outcomes) {
            const Result<KeyChangeOutcome> &outcome = outcomes.constFirst();
            if (!outcome)
                return errorResponse(outcome.error(), language);
            return json(eventAnswer(std::get<EventOutcome>(outcome.value())));
        },
        std::move(responder));
}

void ApiServer::postEvents(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    const Timestamp arrival = m_clock(); // every event of the request happened at its arrival
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Post, Access::Report, &caller, {}, maxBatchBodyBytes)) {
        refused->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    const auto reject = [&](const Error &error) { errorResponse(error, language).write(std::move(responder)); };
    Result<QJsonValue> body = readJsonBody(request.body());
    if (!body)
        return reject(body.error());
    if (!body.value().isObject())
        return reject(Error::invalid({}, reason::dictType, QStringLiteral("EventBatch")));
    const QJsonValue list = body.value().toObject().value(QLatin1StringView("events"));
    if (list.isUndefined() || list.isNull())
        return reject(Error::invalid(QStringLiteral("events"), reason::missing));
    if (!list.isArray())
        return reject(Error::invalid(QStringLiteral("events"), reason::listType));
    const QJsonArray events = list.toArray();
    if (events.size() > maxBatchEvents)
        return reject(Error::invalid(QStringLiteral("events"), reason::tooLong, maxBatchEvents));

    const QHash<qsizetype, bool> floats = numbersWrittenWithFraction(request.body(), QLatin1StringView("events"),
                                                                     QLatin1StringView("current_concurrent"));
    qsizetype index = 0;
    QList<KeyChange> changes;
    // Per event: the index of its change, or its error entry.
    std::vector<std::variant<qsizetype, QJsonObject>> entries;
    entries.reserve(size_t(events.size()));
    for (const QJsonValue &value : events) {
        const bool writtenAsFloat = floats.value(index++, false);
        Result<LearningEvent> event = parseLearningEvent(value, std::nullopt, arrival, writtenAsFloat);
        if (!event) {
            Error problem = event.error();
            if (problem.reason == reason::dictType && problem.field.isEmpty())
                problem.bound = QStringLiteral("LearningEvent");
            // As on the single-event route, an unknown key is reported before a bad body.
            const QJsonValue id = value.toObject().value(QLatin1StringView("key_id"));
            if (id.isString()) {
                Result<bool> exists = m_keys.keyExists(id.toString());
                if (!exists)
                    return reject(exists.error());
                if (!exists.value())
                    problem = Error::notFound(id.toString());
            }
            QJsonObject entry = errorEntry(problem, language);
            entry.insert(QStringLiteral("key_id"), id.isString() ? id : QJsonValue(QJsonValue::Null));
            entries.emplace_back(std::move(entry));
            continue;
        }
        entries.emplace_back(changes.size());
        changes.append(KeyChange::learningEvent(event.takeValue()));
    }
    const auto render = [this, language, entries = std::move(entries), changes](const Outcomes &outcomes) {
        QJsonArray results;
        for (const auto &entry : entries) {
            if (const auto *error = std::get_if<QJsonObject>(&entry)) {
                results.append(*error);
                continue;
            }
            const qsizetype index = std::get<qsizetype>(entry);
            const Result<KeyChangeOutcome> &outcome = outcomes.at(index);
            if (outcome) {
                results.append(eventAnswer(std::get<EventOutcome>(outcome.value())));
            } else if (outcome.error().code == ErrorCode::NotFound || outcome.error().code == ErrorCode::InvalidInput) {
                QJsonObject item = errorEntry(outcome.error(), language);
                item.insert(QStringLiteral("key_id"), changes.at(index).keyId);
                results.append(item);
            } else {
                return errorResponse(outcome.error(), language); // storage: nothing was applied
            }
        }
        return json(QJsonObject{{QStringLiteral("results"), results}});
    };
    if (changes.isEmpty()) {
        render({}).write(std::move(responder));
        return;
    }
    submitChanges(std::move(changes), render, std::move(responder));
}

QHttpServerResponse ApiServer::enforcedLimit(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Get, Access::Enforce, &caller, {Method::Get, Method::Patch}))
        return std::move(*refused);
    Result<EnforcedLimit> limit = m_keys.enforcedLimit(keyId);
    if (!limit)
        return errorResponse(limit.error(), languageOf(request));
    return json(QJsonObject{
        {QStringLiteral("key_id"), limit.value().keyId},
        {QStringLiteral("mode"), limit.value().adaptive ? QStringLiteral("adaptive") : QStringLiteral("fixed")},
        {QStringLiteral("limit"), optionalInt(limit.value().limit)},
    });
}

QHttpServerResponse ApiServer::policy(const QHttpServerRequest &request)
{
    const QList<Method> methods{Method::Get, Method::Put, Method::Delete};
    const Method method = methods.contains(request.method()) ? request.method() : Method::Get;
    std::optional<Caller> caller;
    if (auto refused = admit(request, method, method == Method::Get ? Access::Read : Access::Write, &caller, methods))
        return std::move(*refused);
    const Language language = languageOf(request);
    const Actor actor{u"token:" + caller->name};
    Result<LearningPolicy> result = LearningPolicy{};
    if (method == Method::Get) {
        result = m_keys.learningPolicy();
    } else if (method == Method::Delete) {
        result = m_keys.resetLearningPolicy(actor);
    } else {
        Result<QJsonValue> body = readJsonBody(request.body());
        if (!body)
            return errorResponse(body.error(), language);
        if (!body.value().isObject())
            return errorResponse(Error::invalid({}, reason::dictType, QStringLiteral("LearningPolicy")), language);
        result = m_keys.updateLearningPolicy(body.value().toObject(), actor);
    }
    if (!result)
        return errorResponse(result.error(), language);
    return json(result.value().toJson());
}

} // namespace aether::http
