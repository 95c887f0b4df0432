#pragma once

#include "controllers/routecontext.h"
#include "gzipstream.h"
#include "keys/keytable.h"

#include <QHttpServerRequest>
#include <QHttpServerResponse>

#include <optional>

namespace aether::http {

// GET /metrics: the keys' numbers and the endpoint's own in Prometheus' text format (a viewer token or higher, or
// none when opened with --metrics-open). Up to maxWholeKeys keys, the keys' part is one pass over the key table, kept
// while the data revision stays the same (like /summary); gzip when the scraper accepts it, the keys' part compressed
// once per revision. Beyond that the answer is streamed (AnswerStreams): made a page of keys at a time
// (KeyMetricsPages), compressed piece by piece, kept nowhere, so that its memory does not grow with the keys.
class MetricsController {
public:
    static constexpr const char *contentType = "text/plain; version=0.0.4; charset=utf-8";
    // ~20 MB of text; a million keys make ~1 GB.
    static constexpr qint64 maxWholeKeys = 20000;

    MetricsController(RouteContext &context);
    void setOpen(bool open) { m_open = open; }
    QHttpServerResponse metrics(const QHttpServerRequest &request);

private:
    struct Rendered {
        std::optional<QByteArray> revision;
        QByteArray text;
        std::optional<GzipPrefix> gzip; // made at the first scrape that accepts gzip
    };
    // The keys' part; nullptr when the database cannot be read, or (*streamed set) when it is too large to hold.
    Rendered *keyPart(bool *streamed);
    // The small part that changes with every request: the database's state, the build and the endpoint's counters.
    QByteArray tail(bool keysRead) const;
    QHttpServerResponse streamedAnswer(bool gzip);

    RouteContext &m_context;
    KeyTable m_table;
    bool m_open = false;
    std::optional<Rendered> m_cache;
};

} // namespace aether::http
