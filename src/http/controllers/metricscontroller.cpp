#include "controllers/metricscontroller.h"

#include "keymetrics.h"
#include "keys/keyservice.h"
#include "storage/database.h"

namespace aether::http {

MetricsController::MetricsController(RouteContext &context)
    : m_context(context)
    , m_table(context.db)
{
}

MetricsController::Rendered *MetricsController::keyPart()
{
    const std::optional<QByteArray> revision = m_context.keys.dataRevision();
    if (revision && m_cache && m_cache->revision == revision)
        return &*m_cache;
    Result<QByteArray> text = renderKeyMetrics(m_table);
    if (!text) {
        m_context.errors.storageLog().failed(text.error());
        m_cache.reset();
        return nullptr;
    }
    // Without a revision (it could not be read) the next scrape renders again.
    m_cache = Rendered{revision, text.takeValue(), std::nullopt};
    return &*m_cache;
}

QHttpServerResponse MetricsController::metrics(const QHttpServerRequest &request)
{
    if (m_open) {
        if (auto refused = Gatekeeper::admitOpen(request))
            return std::move(*refused);
    } else {
        std::optional<Caller> caller;
        if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
            return std::move(*refused);
    }
    Rendered *keys = keyPart();
    // The small part that changes with every request: the database's state, the build and the endpoint's counters.
    QByteArray tail;
    tail += "# HELP aether_database_up 1 when the keys could be read from the database for this scrape, else 0.\n"
            "# TYPE aether_database_up gauge\n"
            "aether_database_up ";
    tail += keys ? "1\n" : "0\n";
    tail += "# HELP aether_build_info The console's version.\n# TYPE aether_build_info gauge\n"
            "aether_build_info{version=\"" AETHER_CONSOLE_VERSION "\"} 1\n";
    m_context.metrics.render(tail);
    QByteArray body;
    const bool gzip = acceptsGzip(request.value(QByteArrayLiteral("Accept-Encoding")));
    if (gzip) {
        if (keys && !keys->gzip)
            keys->gzip = GzipPrefix(keys->text);
        body = keys ? keys->gzip->finish(tail) : GzipPrefix().finish(tail);
    } else {
        body = keys ? keys->text + tail : tail;
    }
    QHttpServerResponse response(QByteArray(contentType), std::move(body));
    response.setHeader(QByteArrayLiteral("Vary"), QByteArrayLiteral("Accept-Encoding"));
    if (gzip)
        response.setHeader(QByteArrayLiteral("Content-Encoding"), QByteArrayLiteral("gzip"));
    return response;
}

} // namespace aether::http
