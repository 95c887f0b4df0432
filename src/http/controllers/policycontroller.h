#pragma once

#include "controllers/routecontext.h"

namespace aether::http {

// GET, PUT and DELETE …/policy: the learning policy stored in the database, a partial update of it, the return to
// the defaults.
class PolicyController {
public:
    explicit PolicyController(RouteContext &context);

    QHttpServerResponse handle(const QHttpServerRequest &request);

private:
    RouteContext &m_context;
};

} // namespace aether::http
