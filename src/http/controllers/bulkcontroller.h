#pragma once

#include "controllers/routecontext.h"

namespace aether::http {

// POST …/keys/bulk (admin): one change for the keys named or for every key of a filter, written through the change
// writer in chunks of BulkChange::chunkSize keys, a transaction each. Answers how many keys matched, changed, were
// so already, and which failed and why.
class BulkController {
public:
    explicit BulkController(RouteContext &context);

    void apply(const QHttpServerRequest &request, QHttpServerResponder &&responder);

private:
    RouteContext &m_context;
};

} // namespace aether::http
