#include "controllers/routecontext.h"

#include "keys/keyservice.h"

namespace aether::http {

QHttpServerResponse RouteContext::rejectBody(const QString &keyId, const Error &problem, Language language) const
{
    // The original service looks the key up before it reads the body: a missing key wins over a bad body.
    Result<bool> exists = keys.keyExists(keyId);
    if (!exists)
        return errors.response(exists.error(), language);
    if (!exists.value())
        return errors.response(Error::notFound(keyId), language);
    return errors.response(problem, language);
}

} // namespace aether::http
