#include "errormapper.h"

namespace aether::http {

namespace {

QJsonObject body(const char *type, const QString &message)
{
    return QJsonObject{{QStringLiteral("type"), QLatin1StringView(type)}, {QStringLiteral("message"), message}};
}

std::pair<StatusCode, QJsonObject> invalidInput(const Error &error, Language language)
{
    if (error.reason == reason::emptyBody)
        return {StatusCode::BadRequest, body("http_error", text(Message::EmptyBody, language))};
    if (error.reason == reason::invalidJson)
        return {StatusCode::BadRequest, body("http_error", text(Message::InvalidJson, language))};
    if (error.reason == reason::requiredWhenFixed)
        return {StatusCode::BadRequest, body("http_error", text(Message::FixedLimitRequired, language))};
    const QString why = validationReason(error.reason, error.bound, language);
    return {StatusCode::BadRequest,
            body("invalid_request", error.field.isEmpty() ? why : fieldLabel(error.field, language) + u": " + why)};
}

} // namespace

std::pair<StatusCode, QJsonObject> ErrorMapper::parts(const Error &error, Language language)
{
    switch (error.code) {
    case ErrorCode::NotFound:
        return {StatusCode::NotFound, body("http_error", text(Message::KeyNotFound, language))};
    case ErrorCode::InvalidInput:
        return invalidInput(error, language);
    case ErrorCode::StorageFailure:
        if (!error.reason.isEmpty()) {
            // The data or the disk is broken: retrying will not help. The log has the details under a reference.
            const QString reference = m_storageLog.failed(error);
            return {StatusCode::InternalServerError,
                    body("system_error", text(Message::StorageBroken, language).arg(reference))};
        }
        break;
    case ErrorCode::StorageUnavailable:
    case ErrorCode::Conflict:
        break;
    }
    m_storageLog.failed(error);
    return {StatusCode::ServiceUnavailable, body("system_error", text(Message::DatabaseError, language))};
}

QHttpServerResponse ErrorMapper::response(const Error &error, Language language)
{
    const auto [status, errorBody] = parts(error, language);
    QHttpServerResponse answer = json(QJsonObject{{QStringLiteral("error"), errorBody}}, status);
    if (status == StatusCode::ServiceUnavailable)
        answer.setHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
    return answer;
}

QJsonObject ErrorMapper::entry(const Error &error, Language language)
{
    const auto [status, errorBody] = parts(error, language);
    return QJsonObject{{QStringLiteral("status"), int(status)}, {QStringLiteral("error"), errorBody}};
}

} // namespace aether::http
