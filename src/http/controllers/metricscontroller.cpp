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

MetricsController::Rendered *MetricsController::keyPart(bool *streamed)
{
    *streamed = false;
    const std::optional<QByteArray> revision = m_context.keys.dataRevision();
    if (revision && m_cache && m_cache->revision == revision)
        return &*m_cache;
    if (m_context.streams.isRelayed()) {
        const Result<qint64> keys = m_table.count({});
        if (!keys) {
            m_context.errors.storageLog().failed(keys.error());
            m_cache.reset();
            return nullptr;
        }
        if (keys.value() > maxWholeKeys) {
            m_cache.reset();
            *streamed = true;
            return nullptr;
        }
    }
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

QByteArray MetricsController::tail(bool keysRead) const
{
    QByteArray tail;
    tail += "# HELP aether_database_up 1 when the keys could be read from the database for this scrape, else 0.\n"
            "# TYPE aether_database_up gauge\n"
            "aether_database_up ";
    tail += keysRead ? "1\n" : "0\n";
    tail += "# HELP aether_build_info The console's version.\n# TYPE aether_build_info gauge\n"
            "aether_build_info{version=\"" AETHER_CONSOLE_VERSION "\"} 1\n";
    m_context.metrics.render(tail);
    return tail;
}

QHttpServerResponse MetricsController::streamedAnswer(bool gzip)
{
    struct Stream {
        MetricsController *controller;
        KeyMetricsPages pages;
        std::unique_ptr<GzipPieces> gzip;
        bool ended = false;
        std::optional<QByteArray> next()
        {
            if (ended)
                return QByteArray();
            Result<QByteArray> piece = pages.next();
            if (!piece) {
                // The head went out with 200 already: the connection is cut (AnswerStreams), and the log says why.
                controller->m_context.errors.storageLog().failed(piece.error());
                return std::nullopt;
            }
            QByteArray plain = piece.takeValue();
            const bool last = plain.isEmpty();
            if (last) {
                plain = controller->tail(true); // the endpoint's counters as they are at the end
                ended = true;
            }
            if (!gzip)
                return plain;
            QByteArray out = gzip->add(plain);
            if (last)
                out += gzip->finish();
            return out;
        }
    };
    auto stream = std::make_shared<Stream>(
        Stream{this, KeyMetricsPages(m_table), gzip ? std::make_unique<GzipPieces>() : nullptr, false});
    const quint64 id = m_context.streams.add([stream]() { return stream->next(); });
    QHttpServerResponse response{QByteArray(contentType), QByteArray()};
    response.setHeader(AnswerStreams::markerHeader, QByteArray::number(id));
    response.setHeader(QByteArrayLiteral("Vary"), QByteArrayLiteral("Accept-Encoding"));
    if (gzip)
        response.setHeader(QByteArrayLiteral("Content-Encoding"), QByteArrayLiteral("gzip"));
    return response;
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
    const bool gzip = acceptsGzip(request.value(QByteArrayLiteral("Accept-Encoding")));
    bool streamed = false;
    Rendered *keys = keyPart(&streamed);
    if (streamed)
        return streamedAnswer(gzip);
    const QByteArray tail = this->tail(keys != nullptr);
    QByteArray body;
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
