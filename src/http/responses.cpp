#include "responses.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace aether::http {

const QByteArray jsonMime = QByteArrayLiteral("application/json");

QHttpServerResponse json(const QJsonObject &object, StatusCode status)
{
    return QHttpServerResponse(jsonMime, QJsonDocument(object).toJson(QJsonDocument::Compact), status);
}

// Body shapes A (http_error), B (invalid_request) and E (system_error).
QHttpServerResponse errorBody(const char *type, const QString &message, StatusCode status)
{
    return json(QJsonObject{{QStringLiteral("error"), QJsonObject{{QStringLiteral("type"), QString::fromLatin1(type)},
                                                                  {QStringLiteral("message"), message}}}},
                status);
}

QHttpServerResponse detail(const char *text, StatusCode status)
{
    return json(QJsonObject{{QStringLiteral("detail"), QString::fromLatin1(text)}}, status);
}

QJsonValue optionalJson(const std::optional<QString> &value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

QByteArray headerValue(const QHttpServerRequest &request, const QByteArray &name)
{
    for (const auto &[key, value] : request.headers()) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

Language languageOf(const QHttpServerRequest &request)
{
    return languageFromAcceptLanguage(headerValue(request, QByteArrayLiteral("Accept-Language")));
}

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return QByteArrayLiteral("GET");
    case QHttpServerRequest::Method::Patch:
        return QByteArrayLiteral("PATCH");
    case QHttpServerRequest::Method::Delete:
        return QByteArrayLiteral("DELETE");
    case QHttpServerRequest::Method::Post:
        return QByteArrayLiteral("POST");
    case QHttpServerRequest::Method::Put:
        return QByteArrayLiteral("PUT");
    default:
        return {};
    }
}

QHttpServerResponse methodNotAllowed(const QList<QHttpServerRequest::Method> &allowed)
{
    QHttpServerResponse response = detail("Method Not Allowed", StatusCode::MethodNotAllowed);
    QByteArrayList names;
    for (const QHttpServerRequest::Method method : allowed)
        names << methodName(method);
    response.setHeader(QByteArrayLiteral("Allow"), names.join(", "));
    return response;
}

// 422 body of FastAPI's query validation (shape D).
QHttpServerResponse queryError(const char *type, const QString &message, const QJsonValue &input,
                               const QJsonObject &context)
{
    QJsonObject item{{QStringLiteral("type"), QString::fromLatin1(type)},
                     {QStringLiteral("loc"), QJsonArray{QStringLiteral("query"), QStringLiteral("limit")}},
                     {QStringLiteral("msg"), message},
                     {QStringLiteral("input"), input}};
    if (!context.isEmpty())
        item.insert(QStringLiteral("ctx"), context);
    return json(QJsonObject{{QStringLiteral("detail"), QJsonArray{item}}}, StatusCode::UnprocessableEntity);
}

} // namespace aether::http
