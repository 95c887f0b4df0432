#pragma once

#include "auththrottle.h"
#include "connectionguard.h"
#include "base/error.h"
#include "keys/keytypes.h"
#include "messages.h"
#include "storagelog.h"
#include "tlsconfig.h"
#include "auth/tokenstore.h"

#include <QCache>
#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>

#include <functional>
#include <optional>
#include <variant>
#include <vector>

namespace aether {
class ChangeWriter;
class Database;
class KeyService;
} // namespace aether

namespace aether::http {

// The admin API of spec/api.md over QHttpServer. Each route parses its input, calls one KeyService operation and
// renders the result; authentication, size limits, routing errors and the mapping of core errors to status codes and
// bodies live here, in one place.
class ApiServer : public QObject {
    Q_OBJECT
public:
    static constexpr qsizetype maxBodyBytes = 64 * 1024;
    static constexpr qsizetype maxBatchBodyBytes = 1024 * 1024; // POST /events
    static constexpr qsizetype maxBatchEvents = 1000;
    using Clock = std::function<Timestamp()>;

    // Reads go through `keys` on `db`; changes are written by `writer`.
    ApiServer(Database &db, KeyService &keys, TokenStore &tokens, ChangeWriter &writer, QObject *parent = nullptr);

    // Where the arrival time of learning events comes from (Timestamp::now by default); tests use a virtual clock.
    void setClock(Clock clock) { m_clock = std::move(clock); }

    // The limits of the connection guard in front of the routes, and the number of wrong tokens a client address may
    // send per minute (0: no throttling). Take effect at the next listen().
    void setGuardLimits(const GuardLimits &limits) { m_guardLimits = limits; }
    void setAuthFailuresPerMinute(int failures) { m_throttle.setMaxFailures(failures); }
    // Serve HTTPS with this configuration (certificate and key) from the next listen() on.
    void setTlsConfiguration(const QSslConfiguration &configuration) { m_tls = configuration; }
    bool isTls() const { return m_tls.has_value(); }
    // The largest body a request may carry: 1 MiB for POST …/events, 64 KiB otherwise.
    static qsizetype bodyLimitFor(const RequestHead &head);

    // Starts listening; returns the bound port. Refuses a non-loopback address while no token exists.
    Result<quint16> listen(const QHostAddress &address, quint16 port);
    // Stops accepting connections; requests already received are answered.
    void stopListening();

private:
    // Who may call a route: Read (admin, viewer), Write (admin), Report (admin, gateway: posting learning events),
    // Enforce (every role: reading the limit a gateway enforces).
    enum class Access { Read, Write, Report, Enforce };
    using Method = QHttpServerRequest::Method;
    using Outcomes = QList<Result<KeyChangeOutcome>>;
    using Render = std::function<QHttpServerResponse(const Outcomes &)>;

    void addRoutes();
    // The checks every route makes before its own work: method (405, listing `pathMethods` or else `expected` in
    // Allow), authentication (401/403), body size (413).
    std::optional<QHttpServerResponse> admit(const QHttpServerRequest &request, Method expected, Access access,
                                             std::optional<Caller> *caller, const QList<Method> &pathMethods = {},
                                             qsizetype maxBody = maxBodyBytes);
    // The same for the GET routes that need no token (/healthz, /version): method (405) and body size (413).
    static std::optional<QHttpServerResponse> admitOpen(const QHttpServerRequest &request);

    QHttpServerResponse listKeys(const QHttpServerRequest &request);
    // The changing routes: their checks give either an answer at once or a change to apply (see submit()).
    using Prepared = std::variant<QHttpServerResponse, KeyChange>;
    Prepared prepareSetMode(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareReset(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareSetLimit(const QString &keyId, const QHttpServerRequest &request);
    void submit(Prepared prepared, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    // Queues changes for the writer; `render` turns their outcomes into the answer once they are committed.
    void submitChanges(QList<KeyChange> changes, Render render, QHttpServerResponder &&responder);
    // The answer of a body or key problem, checked in the seed's order: an unknown key (404) before the body (400).
    QHttpServerResponse rejectBody(const QString &keyId, const Error &problem, Language language);

    // Learning routes (learningroutes.cpp).
    void postEvent(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    void postEvents(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    QHttpServerResponse enforcedLimit(const QString &keyId, const QHttpServerRequest &request);
    QHttpServerResponse policy(const QHttpServerRequest &request);
    static QJsonObject eventAnswer(const EventOutcome &outcome);
    QJsonObject errorEntry(const Error &error, Language language) const;
    void flushChanges();
    QHttpServerResponse renderChange(const Result<KeyChangeOutcome> &outcome, Language language) const;

    QHttpServerResponse stats(const QString &keyId, const QHttpServerRequest &request);
    QHttpServerResponse summary(const QHttpServerRequest &request);
    QHttpServerResponse health(const QHttpServerRequest &request);
    static QHttpServerResponse version(const QHttpServerRequest &request);

    QHttpServerResponse errorResponse(const Error &error, Language language) const;
    // The status and body object of an error (what errorResponse sends).
    std::pair<QHttpServerResponder::StatusCode, QJsonObject> errorParts(const Error &error, Language language) const;

    Database &m_db;
    KeyService &m_keys;
    TokenStore &m_tokens;
    ChangeWriter &m_writer;
    QHttpServer m_server;
    GuardLimits m_guardLimits;
    std::optional<QSslConfiguration> m_tls;
    AuthThrottle m_throttle;
    mutable StorageLog m_storageLog;

    Clock m_clock = &Timestamp::now;
    struct PendingChange {
        QList<KeyChange> changes;
        Render render;
        QPointer<QTcpSocket> socket;
        QHttpServerResponder responder;
    };
    std::vector<PendingChange> m_pending;
    bool m_flushScheduled = false;

    // The rendered /keys answer (10,000 keys are megabytes of JSON), valid while the data revision stays the same.
    struct RenderedKeys {
        QByteArray revision;
        QString endpointId;
        QByteArray body;
    };
    std::optional<RenderedKeys> m_keysCache;
    // Rendered stats answers of recently asked keys, valid while the (cheap) data revision stays the same.
    struct RenderedStats {
        QByteArray revision;
        QByteArray body;
    };
    QCache<QString, RenderedStats> m_statsCache{4096};
};

} // namespace aether::http
