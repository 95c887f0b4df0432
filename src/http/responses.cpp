#include "responses.h"

#include "modebody.h"

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
QHttpServerResponse queryError(const QString &field, const char *type, const QString &message, const QJsonValue &input,
                               const QJsonObject &context)
{
    QJsonObject item{{QStringLiteral("type"), QString::fromLatin1(type)},
                     {QStringLiteral("loc"), QJsonArray{QStringLiteral("query"), field}},
                     {QStringLiteral("msg"), message},
                     {QStringLiteral("input"), input}};
    if (!context.isEmpty())
        item.insert(QStringLiteral("ctx"), context);
    return json(QJsonObject{{QStringLiteral("detail"), QJsonArray{item}}}, StatusCode::UnprocessableEntity);
}

std::optional<QHttpServerResponse> checkIntegerQuery(const QUrlQuery &query, const QString &field, qint64 min,
                                                     qint64 max, bool required, std::optional<qint64> *value)
{
    if (!query.hasQueryItem(field)) {
        if (required)
            return queryError(field, "missing", QStringLiteral("Field required"), QJsonValue::Null);
        return std::nullopt;
    }
    const QStringList values = query.allQueryItemValues(field, QUrl::FullyDecoded);
    const QString raw = values.isEmpty() ? QString() : values.last();
    const std::optional<qint64> parsed = parseIntegerString(raw);
    if (!parsed)
        return queryError(field, "int_parsing",
                          QStringLiteral("Input should be a valid integer, unable to parse string as an integer"), raw);
    if (*parsed < min)
        return queryError(field, "greater_than_equal",
                          QStringLiteral("Input should be greater than or equal to %1").arg(min), raw,
                          {{QStringLiteral("ge"), min}});
    if (*parsed > max)
        return queryError(field, "less_than_equal", QStringLiteral("Input should be less than or equal to %1").arg(max),
                          raw, {{QStringLiteral("le"), max}});
    *value = parsed;
    return std::nullopt;
}

QString lastQueryValue(const QUrlQuery &query, const QString &field)
{
    const QStringList values = query.allQueryItemValues(field, QUrl::FullyDecoded);
    return values.isEmpty() ? QString() : values.last();
}

std::optional<QHttpServerResponse> checkTimeQuery(const QUrlQuery &query, const QString &field,
                                                  std::optional<Timestamp> *value)
{
    if (!query.hasQueryItem(field))
        return std::nullopt;
    const QString raw = lastQueryValue(query, field);
    *value = Timestamp::parse(raw);
    if (!*value)
        return queryError(field, "datetime_parsing", QStringLiteral("Input should be a valid datetime"), raw);
    return std::nullopt;
}

} // namespace aether::http
