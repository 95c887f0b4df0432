#pragma once

#include "answerstreams.h"
#include "messages.h"
#include "requesthead.h"

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QSet>
#include <QSslConfiguration>
#include <QTcpServer>
#include <QTimer>

#include <functional>
#include <optional>

namespace aether::http {

class GuardedConnection;

// The limits every client of the endpoint is held to, whatever it sends and with or without a token. The defaults
// are the documented ones (README, docs/security.md); `aether-console --help` names the options that change them.
struct GuardLimits {
    static constexpr int defaultMaxConnections = 4000;
    static constexpr int defaultMaxConnectionsPerAddress = 512;
    static constexpr int defaultHeaderTimeoutMs = 10'000;
    static constexpr int defaultIdleTimeoutMs = 60'000;

    int maxConnections = defaultMaxConnections;
    int maxConnectionsPerAddress = defaultMaxConnectionsPerAddress;
    int headerTimeoutMs = defaultHeaderTimeoutMs; // from a request's first byte to the end of its head
    int idleTimeoutMs = defaultIdleTimeoutMs;     // a kept-alive connection without a request; a stalled body or reader
    HeadLimits head;
    qsizetype maxPendingOutput = 1024 * 1024;       // unsent answer bytes beyond which a connection is not read
    qint64 maxBufferedBodyBytes = 64 * 1024 * 1024; // request bodies held at once, over all connections
};

// A TCP server in front of QHttpServer (bound to it with QAbstractHttpServer::bind). It accepts the connections
// itself, reads each request with the strict framing of requesthead.h, and hands QHttpServer one complete request at
// a time through an in-process socket (FeedSocket), so that:
//  - a request head is checked before anything is buffered (431, 400 and close; 501 for an unknown transfer coding);
//  - a body is refused from its Content-Length (or as a chunked body grows) before it is read: the head goes on to
//    the routes with `bodyOverLimitHeader` set and no body, so routing, authentication and roles answer first, as the
//    contract orders them, and the route answers 413; the connection is then closed;
//  - answers leave in request order, and a client that does not read its answers is not read either;
//  - idle, slow and surplus connections are closed (timeouts, total and per-address caps), and HTTP/1.0,
//    Connection: close and a client's half-close are honoured.
// With a TLS configuration it serves HTTPS (QSslSocket) and the same rules apply to the decrypted stream.
class ConnectionGuard : public QTcpServer {
    Q_OBJECT
public:
    // The largest body a request may carry, decided from its head (route and method).
    using BodyLimit = std::function<qsizetype(const RequestHead &)>;
    // Set (with the value "1") on a request whose body was over its limit and was not read.
    static constexpr const char *bodyOverLimitHeader = "X-Aether-Body-Over-Limit";

    // Told of every request QHttpServer answered: its head, the answer's status and the time from the complete
    // request to the complete answer.
    using AnswerObserver = std::function<void(const RequestHead &, int status, qint64 elapsedNs)>;

    ConnectionGuard(GuardLimits limits, BodyLimit bodyLimit, QObject *parent = nullptr);
    void setAnswerObserver(AnswerObserver observer) { m_observer = std::move(observer); }
    // Where routes register the bodies of streamed answers (AnswerStreams); without it every answer is whole.
    void setAnswerStreams(AnswerStreams *streams);
    ~ConnectionGuard() override;

    void setTlsConfiguration(const QSslConfiguration &configuration) { m_tls = configuration; }
    bool isTls() const { return m_tls.has_value(); }
    const GuardLimits &limits() const { return m_limits; }
    int connectionCount() const { return m_connections; }

    // A complete guard answer (status line, headers, JSON error body, Connection: close).
    static QByteArray errorAnswer(int status, Message message, Language language, const QByteArray &extraHeaders = {});

signals:
    // A request was handed to QHttpServer (tests and benchmarks count them).
    void requestForwarded();

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    friend class GuardedConnection;
    void release(const QHostAddress &peer);
    void refuse(qintptr descriptor, Message message);
    bool reserveBody(qint64 bytes);
    void releaseBody(qint64 bytes) { m_bufferedBodyBytes -= bytes; }
    void observe(const RequestHead &head, int status, qint64 elapsedNs)
    {
        if (m_observer)
            m_observer(head, status, elapsedNs);
    }
    void offerToHttpServer(QTcpSocket *feed);
    qint64 nowMs() const { return m_clock.elapsed(); }

    GuardLimits m_limits;
    BodyLimit m_bodyLimit;
    AnswerObserver m_observer;
    AnswerStreams *m_streams = nullptr;
    // The maker an answer's marker header names, with the marker and the empty body's length taken out of *answer.
    AnswerStreams::Maker takeStream(QByteArray *answer);
    std::optional<QSslConfiguration> m_tls;
    int m_connections = 0;
    QHash<QHostAddress, int> m_perAddress;
    qint64 m_bufferedBodyBytes = 0;
    QElapsedTimer m_clock;
    QTimer m_sweep;
    QSet<GuardedConnection *> m_live;
};

} // namespace aether::http
