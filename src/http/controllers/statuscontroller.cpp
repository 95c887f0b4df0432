#include "controllers/statuscontroller.h"

#include "bodies.h"
#include "responses.h"
#include "storage/database.h"

#include <QFile>

namespace aether::http {

StatusController::StatusController(RouteContext &context)
    : m_context(context)
{
}

QHttpServerResponse StatusController::version(const QHttpServerRequest &request)
{
    // A constant answer that touches no database: the ceiling the benchmark compares the other routes with.
    if (auto refused = Gatekeeper::admitOpen(request))
        return std::move(*refused);
    return QHttpServerResponse(jsonMime, versionBody());
}

QHttpServerResponse StatusController::health(const QHttpServerRequest &request)
{
    if (auto refused = Gatekeeper::admitOpen(request))
        return std::move(*refused);
    StorageLog &log = m_context.errors.storageLog();
    const Status ping = m_context.db.ping();
    if (!ping) {
        log.failed(ping.error());
        QHttpServerResponse response = json(QJsonObject{{QStringLiteral("status"), QStringLiteral("degraded")},
                                                        {QStringLiteral("database"), QStringLiteral("unavailable")}},
                                            StatusCode::ServiceUnavailable);
        response.setHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
        return response;
    }
    // The database answers, but a recent change failed for a reason retrying will not cure (disk full, corrupt or
    // read-only file): say so, with the reason.
    if (const std::optional<QString> broken = log.recentBreakage())
        return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("degraded")},
                                {QStringLiteral("database"), QStringLiteral("degraded")},
                                {QStringLiteral("reason"), *broken}},
                    StatusCode::ServiceUnavailable);
    return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                            {QStringLiteral("database"), QStringLiteral("ok")}});
}

QHttpServerResponse StatusController::openApi(const QHttpServerRequest &request)
{
    if (auto refused = Gatekeeper::admitOpen(request))
        return std::move(*refused);
    static const QByteArray document = []() {
        QFile file(QStringLiteral(":/openapi/openapi.json"));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    return QHttpServerResponse(jsonMime, document);
}

} // namespace aether::http
