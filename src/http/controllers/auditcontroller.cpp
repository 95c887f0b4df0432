#include "controllers/auditcontroller.h"

#include "keys/auditlog.h"
#include "responses.h"

#include <QJsonArray>
#include <QUrlQuery>

#include <limits>

namespace aether::http {

namespace {

std::optional<QHttpServerResponse> checkActionQuery(const QUrlQuery &query, QString *action)
{
    *action = lastQueryValue(query, QStringLiteral("action"));
    const QStringList actions = AuditLog::actions();
    if (action->isEmpty() || actions.contains(*action))
        return std::nullopt;
    QStringList quoted;
    for (const QString &a : actions)
        quoted << u'\'' + a + u'\'';
    const QString expected =
        quoted.mid(0, quoted.size() - 1).join(QStringLiteral(", ")) + QStringLiteral(" or ") + quoted.constLast();
    return queryError(QStringLiteral("action"), "enum", QStringLiteral("Input should be %1").arg(expected), *action,
                      {{QStringLiteral("expected"), expected}});
}

QJsonObject entryJson(const AuditEntry &entry)
{
    return {{QStringLiteral("id"), entry.id},
            {QStringLiteral("timestamp"), entry.timestamp},
            {QStringLiteral("actor"), entry.actor},
            {QStringLiteral("action"), entry.action},
            {QStringLiteral("key_id"), optionalJson(entry.keyId)},
            {QStringLiteral("before"), entry.before},
            {QStringLiteral("after"), entry.after}};
}

} // namespace

AuditController::AuditController(RouteContext &context)
    : m_context(context)
{
}

QHttpServerResponse AuditController::list(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = m_context.gate.admit(request, RouteContext::Method::Get, Access::Write, &caller))
        return std::move(*refused);
    const QUrlQuery query = request.query();
    AuditQuery audit;
    audit.keyId = lastQueryValue(query, QStringLiteral("key_id"));
    audit.actor = lastQueryValue(query, QStringLiteral("actor"));
    std::optional<qint64> limit;
    std::optional<qint64> cursor;
    if (auto refused = checkIntegerQuery(query, QStringLiteral("limit"), 1, AuditQuery::maxLimit, false, &limit))
        return std::move(*refused);
    if (auto refused =
            checkIntegerQuery(query, QStringLiteral("cursor"), 1, std::numeric_limits<qint64>::max(), false, &cursor))
        return std::move(*refused);
    if (auto refused = checkActionQuery(query, &audit.action))
        return std::move(*refused);
    if (auto refused = checkTimeQuery(query, QStringLiteral("since"), &audit.since))
        return std::move(*refused);
    if (auto refused = checkTimeQuery(query, QStringLiteral("until"), &audit.until))
        return std::move(*refused);
    audit.limit = int(limit.value_or(AuditQuery::defaultLimit));
    audit.before = cursor;

    Result<AuditLog::Page> page = AuditLog(m_context.db).page(audit);
    if (!page)
        return m_context.errors.response(page.error(), languageOf(request));
    QJsonArray entries;
    for (const AuditEntry &entry : page.value().entries)
        entries.append(entryJson(entry));
    const QJsonValue next =
        page.value().nextCursor ? QJsonValue(QString::number(*page.value().nextCursor)) : QJsonValue(QJsonValue::Null);
    return json(QJsonObject{{QStringLiteral("entries"), entries}, {QStringLiteral("next_cursor"), next}});
}

} // namespace aether::http
