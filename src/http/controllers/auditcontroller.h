#pragma once

#include "controllers/routecontext.h"

namespace aether::http {

// GET …/audit (admin): the audit log, newest first, a page at a time, filtered by key, actor, action and time.
// Query: key_id, actor (exact, or a prefix ending in '*'), action, since, until (ISO 8601), limit (1..1000, default
// 100), cursor (the next_cursor of the page before).
class AuditController {
public:
    explicit AuditController(RouteContext &context);

    QHttpServerResponse list(const QHttpServerRequest &request);

private:
    RouteContext &m_context;
};

} // namespace aether::http
