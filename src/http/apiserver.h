#pragma once

#include "error.h"
#include "keytypes.h"
#include "messages.h"
#include "tokenstore.h"

#include <QCache>
#include <QHostAddress>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>

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

    // Reads go through `keys` on `db`; changes are written by `writer`.
    ApiServer(Database &db, KeyService &keys, TokenStore &tokens, ChangeWriter &writer, QObject *parent = nullptr);

    // Starts listening; returns the bound port. Refuses a non-loopback address while no token exists.
    Result<quint16> listen(const QHostAddress &address, quint16 port);
    // Stops accepting connections; requests already received are answered.
    void stopListening();

private:
    enum class Access { Read, Write };
    using Method = QHttpServerRequest::Method;

    void addRoutes();
    // The checks every route makes before its own work: method (405), authentication (401/403), body size (413).
    std::optional<QHttpServerResponse> admit(const QHttpServerRequest &request, Method allowed, Access access,
                                             std::optional<Caller> *caller);
    // The same for the GET routes that need no token (/healthz, /version): method (405) and body size (413).
    static std::optional<QHttpServerResponse> admitOpen(const QHttpServerRequest &request);

    QHttpServerResponse listKeys(const QHttpServerRequest &request);
    // The changing routes: their checks give either an answer at once or a change to apply (see submit()).
    using Prepared = std::variant<QHttpServerResponse, KeyChange>;
    Prepared prepareSetMode(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareReset(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareSetLimit(const QString &keyId, const QHttpServerRequest &request);
    void submit(Prepared prepared, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    void flushChanges();
    QHttpServerResponse renderChange(const Result<KeyChangeOutcome> &outcome, Language language) const;

    QHttpServerResponse stats(const QString &keyId, const QHttpServerRequest &request);
    QHttpServerResponse summary(const QHttpServerRequest &request);
    QHttpServerResponse health(const QHttpServerRequest &request);
    static QHttpServerResponse version(const QHttpServerRequest &request);

    QHttpServerResponse errorResponse(const Error &error, Language language) const;

    Database &m_db;
    KeyService &m_keys;
    TokenStore &m_tokens;
    ChangeWriter &m_writer;
    QHttpServer m_server;

    struct PendingChange {
        KeyChange change;
        Language language;
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
