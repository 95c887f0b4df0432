#include "servermetrics.h"

#include <QLocale>

#include <cmath>

namespace aether::http {

namespace exposition {

QByteArray labelValue(const QString &value)
{
    QByteArray out = value.toUtf8();
    if (out.contains('\\') || out.contains('"') || out.contains('\n'))
        out.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    return out;
}

QByteArray number(double value)
{
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return QByteArray::number(qint64(value));
    const bool plain = std::fabs(value) >= 1e-4 && std::fabs(value) < 1e15;
    return QByteArray::number(value, plain ? 'f' : 'g', QLocale::FloatingPointShortest);
}

} // namespace exposition

namespace {

// Methods outside HTTP's usual ones are counted together, so that a client cannot add series at will.
QByteArray methodLabel(const QByteArray &method)
{
    static const QByteArrayList known{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"};
    return known.contains(method) ? method : QByteArrayLiteral("other");
}

} // namespace

void ServerMetrics::recordRequest(const QString &route, const QByteArray &method, int status, double seconds)
{
    const QByteArray labels = "route=\"" + exposition::labelValue(route) + "\",method=\"" + methodLabel(method) +
                              "\",status=\"" + QByteArray::number(status) + '"';
    ++m_requests[labels];
    ++m_total;
    Histogram &histogram = m_latency[route];
    ++histogram.count;
    histogram.sum += seconds;
    for (size_t i = 0; i < latencyBuckets.size(); ++i) {
        if (seconds <= latencyBuckets[i]) {
            ++histogram.buckets[i];
            break;
        }
    }
}

void ServerMetrics::recordEvents(qint64 applied, qint64 refused)
{
    m_eventsApplied += applied;
    m_eventsRefused += refused;
}

void ServerMetrics::render(QByteArray &out) const
{
    out += "# HELP aether_http_requests_total Requests the HTTP endpoint answered, by route, method and status.\n"
           "# TYPE aether_http_requests_total counter\n";
    for (auto it = m_requests.cbegin(); it != m_requests.cend(); ++it)
        out += "aether_http_requests_total{" + it.key() + "} " + QByteArray::number(it.value()) + '\n';
    out += "# HELP aether_http_request_duration_seconds Time from a complete request to its complete answer.\n"
           "# TYPE aether_http_request_duration_seconds histogram\n";
    for (auto it = m_latency.cbegin(); it != m_latency.cend(); ++it) {
        const QByteArray route = "route=\"" + exposition::labelValue(it.key()) + '"';
        qint64 cumulative = 0;
        for (size_t i = 0; i < latencyBuckets.size(); ++i) {
            cumulative += it.value().buckets[i];
            out += "aether_http_request_duration_seconds_bucket{" + route + ",le=\"" +
                   exposition::number(latencyBuckets[i]) + "\"} " + QByteArray::number(cumulative) + '\n';
        }
        out += "aether_http_request_duration_seconds_bucket{" + route + ",le=\"+Inf\"} " +
               QByteArray::number(it.value().count) + '\n';
        out += "aether_http_request_duration_seconds_sum{" + route + "} " + exposition::number(it.value().sum) + '\n';
        out +=
            "aether_http_request_duration_seconds_count{" + route + "} " + QByteArray::number(it.value().count) + '\n';
    }
    out += "# HELP aether_learning_events_total Learning events this endpoint processed: applied to a key, or "
           "refused (unknown key, invalid event).\n"
           "# TYPE aether_learning_events_total counter\n"
           "aether_learning_events_total{outcome=\"applied\"} " +
           QByteArray::number(m_eventsApplied) +
           "\n"
           "aether_learning_events_total{outcome=\"refused\"} " +
           QByteArray::number(m_eventsRefused) + '\n';
}

} // namespace aether::http
