#pragma once

#include "answerstreams.h"
#include "base/timestamp.h"
#include "changequeue.h"
#include "errormapper.h"
#include "gatekeeper.h"
#include "servermetrics.h"

#include <functional>

namespace aether {
class Database;
class KeyService;
} // namespace aether

namespace aether::http {

// What every controller works with: the core's services, the admission of requests, the mapping of errors, the
// queue of changes, the endpoint's own metrics and the clock that stamps learning events. Owned by ApiServer.
struct RouteContext {
    using Clock = std::function<Timestamp()>;
    using Method = QHttpServerRequest::Method;

    Database &db;
    KeyService &keys;
    Gatekeeper &gate;
    ErrorMapper &errors;
    ChangeQueue &changes;
    ServerMetrics &metrics;
    AnswerStreams &streams;
    Clock clock = &Timestamp::now;

    // The answer of a body problem, checked in the original service's order: an unknown key (404) before the body
    // (400).
    QHttpServerResponse rejectBody(const QString &keyId, const Error &problem, Language language) const;
};

} // namespace aether::http
