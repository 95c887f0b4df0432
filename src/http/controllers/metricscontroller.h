#pragma once

#include "controllers/routecontext.h"
#include "gzipstream.h"
#include "keys/keytable.h"

#include <QHttpServerRequest>
#include <QHttpServerResponse>

#include <optional>

namespace aether::http {

// GET /metrics: the keys' numbers and the endpoint's own in Prometheus' text format (a viewer token or higher, or
// none when opened with --metrics-open). The keys' part is one pass over the key table, kept while the data revision
// stays the same (like /summary); gzip when the scraper accepts it, the keys' part compressed once per revision.
class MetricsController {
public:
    static constexpr const char *contentType = "text/plain; version=0.0.4; charset=utf-8";

    MetricsController(RouteContext &context);
    void setOpen(bool open) { m_open = open; }
    QHttpServerResponse metrics(const QHttpServerRequest &request);

private:
    struct Rendered {
        std::optional<QByteArray> revision;
        QByteArray text;
        std::optional<GzipPrefix> gzip; // made at the first scrape that accepts gzip
    };
    // The keys' part; nullptr when the database cannot be read.
    Rendered *keyPart();

    RouteContext &m_context;
    KeyTable m_table;
    bool m_open = false;
    std::optional<Rendered> m_cache;
};

} // namespace aether::http
