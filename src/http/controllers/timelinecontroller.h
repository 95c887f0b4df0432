#pragma once

#include "controllers/routecontext.h"

namespace aether::http {

// The time series (admin, viewer):
//   GET …/keys/{key_id}/timeline — one key's 429s, adjustments and effective limit per bucket;
//   GET …/timeline — the sum over all keys, an endpoint's (endpoint_id) or a provider's (provider_id), with the ten
//   keys that had the most 429s in the range.
// Query: from, to (ISO 8601; default the last 24 hours), step (60, 300, 3600 or 86400 seconds; default the finest that
// shows the range in at most 1,500 buckets). Every bucket of the range is in the answer, zero when nothing happened;
// at most 10,000 buckets.
class TimelineController {
public:
    explicit TimelineController(RouteContext &context);

    QHttpServerResponse keyTimeline(const QString &keyId, const QHttpServerRequest &request);
    QHttpServerResponse timeline(const QHttpServerRequest &request);

private:
    RouteContext &m_context;
};

} // namespace aether::http
