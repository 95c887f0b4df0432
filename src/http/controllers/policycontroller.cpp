#include "controllers/policycontroller.h"

#include "keys/keyservice.h"
#include "modebody.h"
#include "responses.h"

namespace aether::http {

PolicyController::PolicyController(RouteContext &context)
    : m_context(context)
{
}

QHttpServerResponse PolicyController::handle(const QHttpServerRequest &request)
{
    using Method = RouteContext::Method;
    const QList<Method> methods{Method::Get, Method::Put, Method::Delete};
    const Method method = methods.contains(request.method()) ? request.method() : Method::Get;
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, method, method == Method::Get ? Access::Read : Access::Write,
                                            &caller, methods))
        return std::move(*refused);
    const Language language = languageOf(request);
    const Actor actor{u"token:" + caller->name};
    Result<LearningPolicy> result = LearningPolicy{};
    if (method == Method::Get) {
        result = m_context.keys.learningPolicy();
    } else if (method == Method::Delete) {
        result = m_context.keys.resetLearningPolicy(actor);
    } else {
        Result<QJsonValue> body = readJsonBody(request.body());
        if (!body)
            return m_context.errors.response(body.error(), language);
        if (!body.value().isObject())
            return m_context.errors.response(Error::invalid({}, reason::dictType, QStringLiteral("LearningPolicy")),
                                             language);
        result = m_context.keys.updateLearningPolicy(body.value().toObject(), actor);
    }
    if (!result)
        return m_context.errors.response(result.error(), language);
    return json(result.value().toJson());
}

} // namespace aether::http
