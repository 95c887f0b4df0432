#pragma once

#include <QByteArray>
#include <QMap>
#include <QString>

#include <array>

namespace aether::http {

// The endpoint's own numbers for GET /metrics: the requests it answered by route, method and status, their latency
// from the complete request to the complete answer, and the learning events it processed. Updated and read on the
// server's thread only.
class ServerMetrics {
public:
    static constexpr std::array<double, 13> latencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,    0.25,  0.5,    1.0,   2.5,  5.0};

    // `route` is the route's pattern ("/api/admin/adaptive/keys/{key_id}/stats", or "other" for unknown paths).
    void recordRequest(const QString &route, const QByteArray &method, int status, double seconds);
    void recordEvents(qint64 applied, qint64 refused);
    qint64 requestCount() const { return m_total; }
    // The families aether_http_requests_total, aether_http_request_duration_seconds and
    // aether_learning_events_total in the text exposition format 0.0.4.
    void render(QByteArray &out) const;

private:
    struct Histogram {
        std::array<qint64, latencyBuckets.size()> buckets{}; // not cumulative; made so when rendered
        qint64 count = 0;
        double sum = 0;
    };
    QMap<QByteArray, qint64> m_requests; // the rendered labels → answers
    QMap<QString, Histogram> m_latency;  // route → its histogram
    qint64 m_total = 0;
    qint64 m_eventsApplied = 0;
    qint64 m_eventsRefused = 0;
};

// Text exposition helpers shared by the metrics' renderers.
namespace exposition {
// A label value with backslash, double quote and line feed escaped.
QByteArray labelValue(const QString &value);
// A sample value: integers as they are, others in the shortest form that reads back the same ("+Inf" for infinity).
QByteArray number(double value);
} // namespace exposition

} // namespace aether::http
