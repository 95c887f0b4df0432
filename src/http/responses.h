#pragma once

#include "base/timestamp.h"
#include "messages.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QHttpServerResponse>
#include <QJsonObject>
#include <QList>
#include <QUrlQuery>

#include <optional>

namespace aether::http {

// The building blocks of the endpoint's answers (../shared/spec/api.md): JSON bodies, the error body shapes, request
// helpers.
using StatusCode = QHttpServerResponder::StatusCode;

extern const QByteArray jsonMime;

QHttpServerResponse json(const QJsonObject &object, StatusCode status = StatusCode::Ok);
// Body shapes A (http_error), B (invalid_request) and E (system_error).
QHttpServerResponse errorBody(const char *type, const QString &message, StatusCode status);
// Shape C (routing).
QHttpServerResponse detail(const char *text, StatusCode status);
// 405 with the path's methods in Allow.
QHttpServerResponse methodNotAllowed(const QList<QHttpServerRequest::Method> &allowed);
// 422 body of FastAPI's query validation (shape D).
QHttpServerResponse queryError(const QString &field, const char *type, const QString &message, const QJsonValue &input,
                               const QJsonObject &context = {});
// FastAPI's validation of an integer query parameter (422, shape D): missing (when required), not an integer, or
// outside [min, max]. A parameter given several times counts with its last value. Leaves *value alone when absent.
std::optional<QHttpServerResponse> checkIntegerQuery(const QUrlQuery &query, const QString &field, qint64 min,
                                                     qint64 max, bool required, std::optional<qint64> *value);
// The last value of a query parameter given several times (as FastAPI reads it); empty when absent.
QString lastQueryValue(const QUrlQuery &query, const QString &field);
// FastAPI's validation of a datetime query parameter (422 datetime_parsing): ISO 8601, without an offset UTC. Leaves
// *value alone when absent.
std::optional<QHttpServerResponse> checkTimeQuery(const QUrlQuery &query, const QString &field,
                                                  std::optional<Timestamp> *value);

QJsonValue optionalJson(const std::optional<QString> &value);
QByteArray headerValue(const QHttpServerRequest &request, const QByteArray &name);
Language languageOf(const QHttpServerRequest &request);
QByteArray methodName(QHttpServerRequest::Method method);

} // namespace aether::http
