#pragma once

#include "controllers/routecontext.h"

namespace aether::http {

// The routes without a token: /healthz (is the database usable), /version and …/openapi.json (the description of
// every route).
class StatusController {
public:
    explicit StatusController(RouteContext &context);

    QHttpServerResponse health(const QHttpServerRequest &request);
    static QHttpServerResponse version(const QHttpServerRequest &request);
    static QHttpServerResponse openApi(const QHttpServerRequest &request);

private:
    RouteContext &m_context;
};

} // namespace aether::http
