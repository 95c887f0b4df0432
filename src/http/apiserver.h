#pragma once

#include "answerstreams.h"
#include "base/error.h"
#include "changequeue.h"
#include "connectionguard.h"
#include "controllers/auditcontroller.h"
#include "controllers/bulkcontroller.h"
#include "controllers/keycontroller.h"
#include "controllers/learningcontroller.h"
#include "controllers/metricscontroller.h"
#include "controllers/policycontroller.h"
#include "controllers/routecontext.h"
#include "controllers/statuscontroller.h"
#include "controllers/timelinecontroller.h"
#include "errormapper.h"
#include "gatekeeper.h"
#include "servermetrics.h"

#include <QHostAddress>
#include <QHttpServer>
#include <QObject>
#include <QSslConfiguration>

#include <optional>

namespace aether {
class ChangeWriter;
class Database;
class KeyService;
class TokenStore;
} // namespace aether

namespace aether::http {

// The admin API of ../shared/spec/api.md over QHttpServer: the route table (addRoutes) and the listening socket behind
// the connection guard. What a route does lives in its controller (keys, learning, policy, status); admission in the
// Gatekeeper, errors in the ErrorMapper, rendering in bodies.h, and the road of changes to the database in the
// ChangeQueue.
class ApiServer : public QObject {
    Q_OBJECT
public:
    using Clock = RouteContext::Clock;

    // Reads go through `keys` on `db`; changes are written by `writer`.
    ApiServer(Database &db, KeyService &keys, TokenStore &tokens, ChangeWriter &writer, QObject *parent = nullptr);

    // Where the arrival time of learning events comes from (Timestamp::now by default); tests use a virtual clock.
    void setClock(Clock clock) { m_context.clock = std::move(clock); }

    // The limits of the connection guard in front of the routes, and the number of wrong tokens a client address may
    // send per minute (0: no throttling). Take effect at the next listen().
    void setGuardLimits(const GuardLimits &limits) { m_guardLimits = limits; }
    void setAuthFailuresPerMinute(int failures) { m_gate.setAuthFailuresPerMinute(failures); }
    // Serve HTTPS with this configuration (certificate and key) from the next listen() on.
    void setTlsConfiguration(const QSslConfiguration &configuration) { m_tls = configuration; }
    bool isTls() const { return m_tls.has_value(); }
    // The largest body a request may carry: 1 MiB for POST …/events and …/keys/bulk, 64 KiB otherwise.
    static qsizetype bodyLimitFor(const RequestHead &head);

    // GET /metrics without a token (--metrics-open).
    void setMetricsOpen(bool open) { m_metricsRoutes.setOpen(open); }
    // The paths of the route table as registered, with QHttpServer's "<arg>" for a key id.
    const QStringList &routePaths() const { return m_routePaths; }
    // The route a path belongs to, with "{key_id}" for the key id ("other" for a path no route serves): the label of
    // the request metrics.
    QString routeOf(QByteArrayView path) const;
    // Starts listening; returns the bound port. Refuses a non-loopback address while no token exists.
    Result<quint16> listen(const QHostAddress &address, quint16 port);
    // Stops accepting connections; requests already received are answered.
    void stopListening();

private:
    void addRoutes();
    template <typename Handler> void addRoute(const QString &path, Handler &&handler);
    // Whether the tokens allow listening beyond loopback.
    Status checkRemoteAccess(const QHostAddress &address);

    TokenStore &m_tokens;
    ErrorMapper m_errors;
    Gatekeeper m_gate;
    ChangeQueue m_changes;
    ServerMetrics m_metrics;
    AnswerStreams m_streams; // before m_context, which refers to it
    RouteContext m_context;
    KeyController m_keyRoutes;
    LearningController m_learningRoutes;
    PolicyController m_policyRoutes;
    StatusController m_statusRoutes;
    BulkController m_bulkRoutes;
    AuditController m_auditRoutes;
    TimelineController m_timelineRoutes;
    MetricsController m_metricsRoutes;
    QStringList m_routePaths;
    QHttpServer m_server;
    GuardLimits m_guardLimits;
    std::optional<QSslConfiguration> m_tls;
};

} // namespace aether::http
