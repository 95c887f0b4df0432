#include "apiserver.h"

#include "auth/tokenstore.h"
#include "responses.h"

#include <QTcpServer>

namespace aether::http {

ApiServer::ApiServer(Database &db, KeyService &keys, TokenStore &tokens, ChangeWriter &writer, QObject *parent)
    : QObject(parent)
    , m_tokens(tokens)
    , m_gate(tokens, m_errors)
    , m_changes(writer, m_errors)
    , m_context{db, keys, m_gate, m_errors, m_changes, m_metrics, m_streams}
    , m_keyRoutes(m_context)
    , m_learningRoutes(m_context)
    , m_policyRoutes(m_context)
    , m_statusRoutes(m_context)
    , m_bulkRoutes(m_context)
    , m_auditRoutes(m_context)
    , m_timelineRoutes(m_context)
    , m_metricsRoutes(m_context)
{
    addRoutes();
}

template <typename Handler> void ApiServer::addRoute(const QString &path, Handler &&handler)
{
    m_routePaths << path;
    m_server.route(path, std::forward<Handler>(handler));
}

void ApiServer::addRoutes()
{
    // Every path answers every method: a wrong method is a 405 with Allow, decided before authentication.
    using Request = const QHttpServerRequest &;
    using Responder = QHttpServerResponder &&;
    const QString base = QStringLiteral("/api/admin/adaptive");
    KeyController &keys = m_keyRoutes;
    LearningController &learning = m_learningRoutes;
    addRoute(base + u"/keys", [&keys](Request r) { return keys.list(r); });
    addRoute(base + u"/keys/bulk", [this](Request r, Responder out) { m_bulkRoutes.apply(r, std::move(out)); });
    addRoute(base + u"/keys/<arg>/mode",
             [&keys](const QString &id, Request r, Responder out) { keys.setMode(id, r, std::move(out)); });
    addRoute(base + u"/keys/<arg>/stats", [&keys](const QString &id, Request r) { return keys.stats(id, r); });
    addRoute(base + u"/keys/<arg>/learning",
             [&keys](const QString &id, Request r, Responder out) { keys.resetLearning(id, r, std::move(out)); });
    addRoute(base + u"/keys/<arg>/limit", [&keys, &learning](const QString &id, Request r, Responder out) {
        if (r.method() == QHttpServerRequest::Method::Get)
            learning.enforcedLimit(id, r).write(std::move(out)); // what a gateway enforces
        else
            keys.setLimit(id, r, std::move(out)); // PATCH: the fixed limit
    });
    addRoute(base + u"/keys/<arg>/events",
             [&learning](const QString &id, Request r, Responder out) { learning.postEvent(id, r, std::move(out)); });
    addRoute(base + u"/events", [&learning](Request r, Responder out) { learning.postEvents(r, std::move(out)); });
    addRoute(base + u"/policy", [this](Request r) { return m_policyRoutes.handle(r); });
    addRoute(base + u"/summary", [&keys](Request r) { return keys.summary(r); });
    addRoute(base + u"/audit", [this](Request r) { return m_auditRoutes.list(r); });
    addRoute(base + u"/keys/<arg>/timeline",
             [this](const QString &id, Request r) { return m_timelineRoutes.keyTimeline(id, r); });
    addRoute(base + u"/timeline", [this](Request r) { return m_timelineRoutes.timeline(r); });
    addRoute(base + u"/openapi.json", [](Request r) { return StatusController::openApi(r); });
    addRoute(QStringLiteral("/metrics"), [this](Request r) { return m_metricsRoutes.metrics(r); });
    addRoute(QStringLiteral("/healthz"), [this](Request r) { return m_statusRoutes.health(r); });
    addRoute(QStringLiteral("/version"), [](Request r) { return StatusController::version(r); });
    m_server.setMissingHandler(
        [](Request, Responder out) { detail("Not Found", StatusCode::NotFound).write(std::move(out)); });
}

QString ApiServer::routeOf(QByteArrayView path) const
{
    const qsizetype query = path.indexOf('?');
    const QList<QByteArray> parts = path.first(query < 0 ? path.size() : query).toByteArray().split('/');
    for (const QString &route : m_routePaths) {
        const QStringList pattern = route.split(u'/');
        if (pattern.size() != parts.size())
            continue;
        bool match = true;
        for (qsizetype i = 0; i < pattern.size() && match; ++i)
            match =
                pattern.at(i) == u"<arg>" ? !parts.at(i).isEmpty() : pattern.at(i) == QLatin1StringView(parts.at(i));
        if (match)
            return QString(route).replace(QStringLiteral("<arg>"), QStringLiteral("{key_id}"));
    }
    return QStringLiteral("other");
}

Status ApiServer::checkRemoteAccess(const QHostAddress &address)
{
    const qsizetype envLength = m_tokens.environmentTokenLength();
    if (envLength > 0 && envLength < TokenStore::minRemoteTokenLength)
        return Error::conflict().told(
            QT_TRANSLATE_NOOP("Error", "refusing to listen on %1: AETHER_CONSOLE_TOKEN has %2 "
                                       "characters, at least %3 are needed beyond loopback"),
            {address.toString(), QString::number(envLength), QString::number(TokenStore::minRemoteTokenLength)});
    Result<bool> anyToken = m_tokens.hasAnyToken();
    if (!anyToken)
        return anyToken.error();
    if (!anyToken.value())
        return Error::conflict().told(QT_TRANSLATE_NOOP("Error",
                                                        "refusing to listen on %1 without any API token: create "
                                                        "one with --create-token NAME or set AETHER_CONSOLE_TOKEN"),
                                      {address.toString()});
    return Done{};
}

Result<quint16> ApiServer::listen(const QHostAddress &address, quint16 port)
{
    if (!address.isLoopback()) {
        if (const Status allowed = checkRemoteAccess(address); !allowed)
            return allowed.error();
    }
    auto *guard = new ConnectionGuard(m_guardLimits, &ApiServer::bodyLimitFor);
    guard->setAnswerObserver([this](const RequestHead &head, int status, qint64 elapsedNs) {
        m_metrics.recordRequest(routeOf(head.path()), head.method, status, double(elapsedNs) / 1e9);
    });
    guard->setAnswerStreams(&m_streams);
    if (m_tls)
        guard->setTlsConfiguration(*m_tls);
    if (!guard->listen(address, port)) {
        const QString why = guard->errorString();
        delete guard;
        const QString where = address.protocol() == QAbstractSocket::IPv6Protocol
                                  ? QStringLiteral("[%1]:%2").arg(address.toString()).arg(port)
                                  : QStringLiteral("%1:%2").arg(address.toString()).arg(port);
        return Error::unavailable({}).told(QT_TRANSLATE_NOOP("Error", "cannot listen on %1: %2"),
                                           {where, Error::quoted(why)});
    }
    m_server.bind(guard);
    return guard->serverPort();
}

qsizetype ApiServer::bodyLimitFor(const RequestHead &head)
{
    if (head.method == "POST" &&
        (head.path() == "/api/admin/adaptive/events" || head.path() == "/api/admin/adaptive/keys/bulk"))
        return Gatekeeper::maxBatchBodyBytes;
    return Gatekeeper::maxBodyBytes;
}

void ApiServer::stopListening()
{
    for (QTcpServer *server : m_server.servers())
        server->close();
}

} // namespace aether::http
