#pragma once

#include "auth/tokenstore.h"
#include "auththrottle.h"
#include "responses.h"

#include <QHttpServerRequest>
#include <QHttpServerResponse>

#include <optional>

namespace aether::http {

class ErrorMapper;

// Who may call a route: Read (admin, viewer), Write (admin), Report (admin, gateway: posting learning events),
// Enforce (every role: reading the limit a gateway enforces).
enum class Access { Read, Write, Report, Enforce };

// The one place where requests are admitted, in the contract's order: the method (405 with Allow), the token (401,
// throttled after repeated wrong tokens: 429), the role (403) and the body's size (413).
class Gatekeeper {
public:
    using Method = QHttpServerRequest::Method;
    static constexpr qsizetype maxBodyBytes = 64 * 1024;
    static constexpr qsizetype maxBatchBodyBytes = 1024 * 1024; // POST /events

    Gatekeeper(TokenStore &tokens, ErrorMapper &errors);

    // The checks of a route with a token. `pathMethods` is what Allow lists on a 405 (default: `expected`). On
    // success *caller is who called and std::nullopt is returned; otherwise the refusal to send.
    std::optional<QHttpServerResponse> admit(const QHttpServerRequest &request, Method expected, Access access,
                                             std::optional<Caller> *caller, const QList<Method> &pathMethods = {},
                                             qsizetype maxBody = maxBodyBytes);
    // The same for the GET routes that need no token (/healthz, /version): method (405) and body size (413).
    static std::optional<QHttpServerResponse> admitOpen(const QHttpServerRequest &request);

    void setAuthFailuresPerMinute(int failures) { m_throttle.setMaxFailures(failures); }

private:
    TokenStore &m_tokens;
    ErrorMapper &m_errors;
    AuthThrottle m_throttle;
};

} // namespace aether::http
