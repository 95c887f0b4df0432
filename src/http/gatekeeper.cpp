#include "gatekeeper.h"

#include "connectionguard.h"
#include "errormapper.h"

namespace aether::http {

namespace {

// The guard sets this header on a request whose body was over the route's limit and was not read.
bool bodyOverLimit(const QHttpServerRequest &request, qsizetype maxBody)
{
    return request.body().size() > maxBody || !request.value(ConnectionGuard::bodyOverLimitHeader).isEmpty();
}

bool permits(Role role, Access access)
{
    switch (access) {
    case Access::Read:
        return role != Role::Gateway;
    case Access::Write:
        return role == Role::Admin;
    case Access::Report:
        return role == Role::Admin || role == Role::Gateway;
    case Access::Enforce:
        return true;
    }
    return false;
}

// The token of "Authorization: Bearer <token>"; empty when the header is missing or has another shape.
QString bearerToken(const QHttpServerRequest &request)
{
    const QByteArray authorization = headerValue(request, QByteArrayLiteral("Authorization")).trimmed();
    const qsizetype space = authorization.indexOf(' ');
    if (space <= 0 || authorization.left(space).compare("bearer", Qt::CaseInsensitive) != 0)
        return {};
    return QString::fromUtf8(authorization.mid(space + 1).trimmed());
}

} // namespace

Gatekeeper::Gatekeeper(TokenStore &tokens, ErrorMapper &errors)
    : m_tokens(tokens)
    , m_errors(errors)
{
}

std::optional<QHttpServerResponse> Gatekeeper::admit(const QHttpServerRequest &request, Method expected, Access access,
                                                     std::optional<Caller> *caller, const QList<Method> &pathMethods,
                                                     qsizetype maxBody)
{
    const auto language = [&request] { return languageOf(request); }; // only errors need it
    if (request.method() != expected)
        return methodNotAllowed(pathMethods.isEmpty() ? QList<Method>{expected} : pathMethods);
    const QString secret = bearerToken(request);
    if (secret.isEmpty())
        return errorBody("http_error", text(Message::MissingCredentials, language()), StatusCode::Unauthorized);
    if (const std::optional<int> wait = m_throttle.blockedFor(request.remoteAddress())) {
        QHttpServerResponse refused =
            errorBody("http_error", text(Message::TooManyAuthFailures, language()), StatusCode::TooManyRequests);
        refused.setHeader(QByteArrayLiteral("Retry-After"), QByteArray::number(*wait));
        return refused;
    }
    Result<std::optional<Caller>> found = m_tokens.authenticate(secret);
    if (!found)
        return m_errors.response(found.error(), language());
    if (!found.value()) {
        m_throttle.recordFailure(request.remoteAddress());
        return errorBody("http_error", text(Message::InvalidToken, language()), StatusCode::Unauthorized);
    }
    if (!permits(found.value()->role, access))
        return errorBody("http_error", text(Message::AdminRequired, language()), StatusCode::Forbidden);
    if (bodyOverLimit(request, maxBody))
        return errorBody("http_error", text(Message::BodyTooLarge, language()), StatusCode::PayloadTooLarge);
    *caller = found.value();
    return std::nullopt;
}

std::optional<QHttpServerResponse> Gatekeeper::admitOpen(const QHttpServerRequest &request)
{
    if (request.method() != Method::Get)
        return methodNotAllowed({Method::Get});
    if (bodyOverLimit(request, maxBodyBytes))
        return errorBody("http_error", text(Message::BodyTooLarge, languageOf(request)), StatusCode::PayloadTooLarge);
    return std::nullopt;
}

} // namespace aether::http
