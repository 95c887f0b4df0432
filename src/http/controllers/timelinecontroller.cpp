#include "controllers/timelinecontroller.h"

#include "responses.h"
#include "timeline/timelinequery.h"

#include <QJsonArray>

namespace aether::http {

namespace {

struct RangeQuery {
    TimelineRange range;
    Timestamp from;
    Timestamp to;
};

QString stepList()
{
    QStringList steps;
    for (const qint64 step : TimelineQuery::steps())
        steps << QString::number(step);
    return steps.mid(0, steps.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" or ") + steps.constLast();
}

// from, to and step as the routes take them; a 422 in FastAPI's shape for a bad one.
std::optional<QHttpServerResponse> readRange(const QUrlQuery &query, Timestamp now, RangeQuery *out)
{
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
    if (auto refused = checkTimeQuery(query, QStringLiteral("from"), &from))
        return refused;
    if (auto refused = checkTimeQuery(query, QStringLiteral("to"), &to))
        return refused;
    out->to = to.value_or(now);
    out->from = from.value_or(Timestamp::fromMicroseconds(out->to.microseconds() - timeline::day * 1000000));
    if (out->to < out->from)
        return queryError(QStringLiteral("from"), "value_error",
                          QStringLiteral("Value error, from must not be after to"),
                          lastQueryValue(query, QStringLiteral("from")));
    // Whole seconds: a bucket that `to` reaches into is in the range.
    const qint64 fromSeconds = timeline::bucketOf(out->from, 1);
    const qint64 toUs = out->to.microseconds();
    const qint64 toSeconds = timeline::bucketOf(out->to, 1) + (toUs % 1000000 != 0 ? 1 : 0);
    qint64 step = TimelineQuery::defaultStep(fromSeconds, toSeconds);
    if (query.hasQueryItem(QStringLiteral("step"))) {
        const QString raw = lastQueryValue(query, QStringLiteral("step"));
        bool ok = false;
        step = raw.toLongLong(&ok);
        if (!ok || !TimelineQuery::steps().contains(step)) {
            const QString expected = stepList();
            return queryError(QStringLiteral("step"), "literal_error",
                              QStringLiteral("Input should be %1").arg(expected), raw,
                              {{QStringLiteral("expected"), expected}});
        }
    }
    out->range = TimelineQuery::range(fromSeconds, toSeconds, step);
    if (out->range.pointCount() > TimelineQuery::maxPoints) {
        return queryError(QStringLiteral("step"), "value_error",
                          QStringLiteral("Value error, the range holds %1 buckets of %2 seconds; at most %3 are "
                                         "returned: choose a larger step or a shorter range")
                              .arg(out->range.pointCount())
                              .arg(step)
                              .arg(TimelineQuery::maxPoints),
                          query.hasQueryItem(QStringLiteral("step"))
                              ? QJsonValue(lastQueryValue(query, QStringLiteral("step")))
                              : QJsonValue(QJsonValue::Null));
    }
    return std::nullopt;
}

QString isoAt(qint64 seconds)
{
    return Timestamp::fromMicroseconds(seconds * 1000000).toIsoString();
}

QJsonObject countsJson(const TimelineCounts &counts)
{
    return {{QStringLiteral("concurrent_429"), counts.concurrent429},
            {QStringLiteral("rpm_429"), counts.rpm429},
            {QStringLiteral("unknown_429"), counts.unknown429},
            {QStringLiteral("adjustments"), counts.adjustments}};
}

QJsonArray pointsJson(const TimelineSeries &series)
{
    QJsonArray points;
    for (const TimelinePoint &p : series.points) {
        QJsonObject point = countsJson(p.counts);
        point.insert(QStringLiteral("t"), isoAt(p.t));
        if (series.hasLimit)
            point.insert(QStringLiteral("limit"), p.limit ? QJsonValue(*p.limit) : QJsonValue(QJsonValue::Null));
        points.append(point);
    }
    return points;
}

void addRange(QJsonObject *body, const TimelineRange &range)
{
    body->insert(QStringLiteral("step"), range.step);
    body->insert(QStringLiteral("from"), isoAt(range.from));
    body->insert(QStringLiteral("to"), isoAt(range.to));
}

} // namespace

TimelineController::TimelineController(RouteContext &context)
    : m_context(context)
{
}

QHttpServerResponse TimelineController::keyTimeline(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
        return std::move(*refused);
    RangeQuery range;
    if (auto refused = readRange(request.query(), m_context.clock(), &range))
        return std::move(*refused);
    Result<TimelineSeries> series = TimelineQuery(m_context.db).keySeries(keyId, range.range);
    if (!series)
        return m_context.errors.response(series.error(), languageOf(request));
    QJsonObject body{{QStringLiteral("key_id"), keyId}};
    addRange(&body, range.range);
    body.insert(QStringLiteral("points"), pointsJson(series.value()));
    return json(body);
}

QHttpServerResponse TimelineController::timeline(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Read, &caller))
        return std::move(*refused);
    const QUrlQuery query = request.query();
    TimelineScope scope;
    scope.endpointId = lastQueryValue(query, QStringLiteral("endpoint_id"));
    scope.providerId = lastQueryValue(query, QStringLiteral("provider_id"));
    if (!scope.endpointId.isEmpty() && !scope.providerId.isEmpty())
        return queryError(QStringLiteral("provider_id"), "value_error",
                          QStringLiteral("Value error, give endpoint_id or provider_id, not both"), scope.providerId);
    RangeQuery range;
    if (auto refused = readRange(query, m_context.clock(), &range))
        return std::move(*refused);
    TimelineQuery timeline(m_context.db);
    Result<TimelineSeries> series = timeline.scopeSeries(scope, range.range);
    if (!series)
        return m_context.errors.response(series.error(), languageOf(request));
    Result<QList<TopKey>> top = timeline.topKeys(scope, range.range.from, range.range.to);
    if (!top)
        return m_context.errors.response(top.error(), languageOf(request));
    QJsonArray topKeys;
    for (const TopKey &key : top.value()) {
        QJsonObject entry = countsJson(key.counts);
        entry.insert(QStringLiteral("key_id"), key.keyId);
        entry.insert(QStringLiteral("name"), key.name);
        entry.insert(QStringLiteral("total_429"), key.counts.total429());
        topKeys.append(entry);
    }
    const auto idOrNull = [](const QString &id) {
        return id.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(id);
    };
    QJsonObject body{{QStringLiteral("endpoint_id"), idOrNull(scope.endpointId)},
                     {QStringLiteral("provider_id"), idOrNull(scope.providerId)}};
    addRange(&body, range.range);
    body.insert(QStringLiteral("points"), pointsJson(series.value()));
    QJsonObject totals = countsJson(series.value().total);
    totals.insert(QStringLiteral("total_429"), series.value().total.total429());
    body.insert(QStringLiteral("totals"), totals);
    body.insert(QStringLiteral("top_keys"), topKeys);
    return json(body);
}

} // namespace aether::http
