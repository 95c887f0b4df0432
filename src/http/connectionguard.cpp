#include "connectionguard.h"

#include "transport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace aether::http {

namespace {

constexpr int acceptRetryMs = 100;      // after an accept error (e.g. out of file descriptors)
constexpr int reservedDescriptors = 64; // kept free for the database, logs and the window
constexpr int sweepIntervalMs = 200;    // how often deadlines are checked (the timeouts' granularity)

// The process may open as many files as its hard limit allows; the connection cap stays below that, so that the
// server never runs out of descriptors (Qt pauses accepting for good when accept() fails with EMFILE).
int descriptorBudget()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return GuardLimits::defaultMaxConnections;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    const rlim_t usable = limit.rlim_cur > rlim_t(reservedDescriptors) ? limit.rlim_cur - reservedDescriptors : 1;
    return int(qMin<rlim_t>(usable, rlim_t(1) << 30));
}

QHostAddress peerOf(qintptr descriptor, quint16 *port)
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getpeername(int(descriptor), reinterpret_cast<sockaddr *>(&address), &length) != 0)
        return {};
    QHostAddress peer(reinterpret_cast<const sockaddr *>(&address));
    if (address.ss_family == AF_INET)
        *port = ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
    else if (address.ss_family == AF_INET6)
        *port = ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port);
    // An IPv4 client of a dual-stack listener counts as its IPv4 address.
    bool isV4 = false;
    const quint32 v4 = peer.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4) : peer;
}

} // namespace

// The socket QHttpServer reads a request from and writes its answer to. It is fed one complete, checked request at a
// time by its connection and passes each complete answer back to it; it has no network descriptor of its own.
class FeedSocket : public QTcpSocket {
    Q_OBJECT
public:
    FeedSocket(GuardedConnection *owner, const QHostAddress &peer, quint16 port)
        : m_owner(owner)
    {
        setPeerAddress(peer);
        setPeerPort(port);
        setSocketState(QAbstractSocket::ConnectedState);
        QIODevice::open(QIODevice::ReadWrite);
    }
    ~FeedSocket() override { setSocketState(QAbstractSocket::UnconnectedState); }

    void deliver(const QByteArray &request)
    {
        m_input.append(request);
        emit readyRead();
    }
    // The connection is gone: QHttpServer drops this socket (and its pending answers) on disconnected().
    void hangUp()
    {
        m_owner = nullptr;
        if (state() == QAbstractSocket::UnconnectedState)
            return;
        setSocketState(QAbstractSocket::UnconnectedState);
        QIODevice::close();
        emit disconnected();
    }

    bool isSequential() const override { return true; }
    qint64 bytesAvailable() const override { return QIODevice::bytesAvailable() + m_input.size(); }
    qint64 bytesToWrite() const override { return 0; }
    void disconnectFromHost() override;
    void close() override { disconnectFromHost(); }

protected:
    qint64 readData(char *data, qint64 maxSize) override
    {
        const qint64 n = qMin<qint64>(maxSize, m_input.size());
        memcpy(data, m_input.constData(), size_t(n));
        m_input.remove(0, n);
        return n;
    }
    qint64 readLineData(char *data, qint64 maxSize) override { return QIODevice::readLineData(data, maxSize); }
    qint64 skipData(qint64 maxSize) override { return QIODevice::skipData(maxSize); }
    qint64 writeData(const char *data, qint64 size) override;

private:
    QPointer<GuardedConnection> m_owner;
    QByteArray m_input;
    QByteArray m_answer;        // the answer being written
    qsizetype m_answerEnd = -1; // its total size, once its head is complete
};

// One client connection: reads requests strictly, one at a time, and relays their answers.
class GuardedConnection : public QObject {
    Q_OBJECT
public:
    GuardedConnection(ConnectionGuard *guard, Transport *transport, const QHostAddress &peer, quint16 port)
        : QObject(guard)
        , m_guard(guard)
        , m_transport(transport)
        , m_peer(peer)
        , m_port(port)
    {
        transport->setParent(this);
        connect(transport, &Transport::readable, this, &GuardedConnection::onReadable);
        connect(transport, &Transport::drained, this, &GuardedConnection::onDrained);
        connect(transport, &Transport::closed, this, &GuardedConnection::onClosed);
        arm(guard->limits().headerTimeoutMs); // a new connection must start its request soon
        guard->m_live.insert(this);
    }
    ~GuardedConnection() override
    {
        m_guard->m_live.remove(this);
        if (m_feed)
            m_feed->hangUp();
        m_guard->releaseBody(m_reserved);
        m_guard->release(m_peer);
    }

    void answerReady(QByteArray answer);
    // Called by the guard's sweep: acts on a deadline that has passed.
    void checkDeadline(qint64 nowMs)
    {
        if (m_deadline != 0 && nowMs >= m_deadline) {
            m_deadline = 0;
            onTimeout();
        }
    }
    void feedClosed() { QMetaObject::invokeMethod(this, &GuardedConnection::closeGracefully, Qt::QueuedConnection); }

private:
    enum class Phase { Idle, Head, Body, Handling, Closing };

    void onReadable()
    {
        if (m_phase == Phase::Handling || m_phase == Phase::Closing || m_waitingForReader) {
            m_transport->setReading(false);
            return;
        }
        m_transport->read(m_in, readChunk);
        process();
    }
    void onDrained()
    {
        if (m_stream) {
            pumpStream();
            return;
        }
        if (m_waitingForReader && m_transport->pendingOutput() <= m_guard->limits().maxPendingOutput) {
            m_waitingForReader = false;
            process();
        }
    }
    void onClosed()
    {
        m_phase = Phase::Closing;
        deleteLater();
    }
    void onTimeout()
    {
        switch (m_phase) {
        case Phase::Head:
        case Phase::Body:
            fail(408, Message::RequestTimeout, {});
            break;
        case Phase::Idle:
            if (m_waitingForReader)
                m_transport->abort(); // it does not read its answers
            else
                closeGracefully();
            break;
        case Phase::Handling:
            if (m_stream)
                m_transport->abort(); // it stopped taking a streamed answer
            break;
        case Phase::Closing:
            break;
        }
    }

    void process();
    // After an answer went out (whole, or its stream's last piece): the next request, or the end.
    void finishAnswer(bool close);
    // Sends a streamed answer's next pieces while the client takes them; the end finishes the answer.
    void pumpStream();
    // Reads the next request's head; true when it is complete and its request began.
    bool readHead();
    // Reads the request's body; true when it is complete (or over the limit) and the request is to be dispatched.
    bool readBody();
    // More input is needed: read on, or close when the client will send no more.
    void waitForInput();
    bool beginRequest(RequestHead head);
    void dispatch();
    void fail(int status, Message message, const QByteArray &extraHeaders)
    {
        m_transport->write(ConnectionGuard::errorAnswer(status, message, m_language, extraHeaders));
        closeGracefully();
    }
    void closeGracefully()
    {
        if (m_phase == Phase::Closing)
            return;
        m_phase = Phase::Closing;
        m_deadline = 0;
        m_transport->closeAfterWriting();
    }

    ConnectionGuard *m_guard;
    Transport *m_transport;
    QPointer<FeedSocket> m_feed;
    QHostAddress m_peer;
    quint16 m_port;
    // Timeouts are deadlines checked by one sweep of the guard, not a timer per connection: no timer work per
    // request, and thousands of idle connections cost nothing but their deadline.
    void arm(int ms) { m_deadline = m_guard->nowMs() + ms; }
    qint64 m_deadline = 0; // 0: none
    Phase m_phase = Phase::Idle;
    QByteArray m_in;
    RequestHead m_head;
    QElapsedTimer m_handling; // since the request went to QHttpServer
    QByteArray m_body;
    std::optional<ChunkedDecoder> m_chunked;
    qsizetype m_bodyLimit = 0;
    qint64 m_reserved = 0;
    bool m_overLimit = false;
    bool m_waitingForReader = false;
    Language m_language = Language::Chinese;
    AnswerStreams::Maker m_stream; // the body of the answer being streamed
    static constexpr int maxPiecesAtOnce = 4;
    bool m_streamChunked = false; // HTTP/1.1: chunked framing; HTTP/1.0: the body ends with the connection
    bool m_streamClose = false;
};

void FeedSocket::disconnectFromHost()
{
    // QHttpServer gives up on the connection (a request it cannot parse): close the client's connection too.
    if (m_owner)
        m_owner->feedClosed();
    hangUp();
}

qint64 FeedSocket::writeData(const char *data, qint64 size)
{
    // QHttpServerResponder writes an answer in many small pieces (status line, each header, the body) and always
    // with a Content-Length: collect one whole answer and pass it on in one write.
    m_answer.append(data, size);
    for (;;) {
        if (m_answerEnd < 0) {
            const qsizetype headEnd = m_answer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                break;
            qint64 length = 0;
            for (const QByteArray &line : m_answer.first(headEnd).split('\n')) {
                if (line.startsWith("Content-Length:") || line.startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            m_answerEnd = headEnd + 4 + length;
        }
        if (m_answer.size() < m_answerEnd)
            break;
        QByteArray answer = m_answer.first(m_answerEnd);
        m_answer.remove(0, m_answerEnd);
        m_answerEnd = -1;
        if (m_owner)
            m_owner->answerReady(std::move(answer));
    }
    return size;
}

void GuardedConnection::process()
{
    for (;;) {
        switch (m_phase) {
        case Phase::Idle:
        case Phase::Head:
            if (!readHead())
                return;
            break; // a request began: read its body
        case Phase::Body:
            if (readBody())
                dispatch();
            return;
        case Phase::Handling:
        case Phase::Closing:
            return;
        }
    }
}

void GuardedConnection::waitForInput()
{
    if (m_transport->atEnd())
        closeGracefully(); // the client sent all it will send, and it is not a whole request
    else
        m_transport->setReading(true);
}

bool GuardedConnection::readHead()
{
    const GuardLimits &limits = m_guard->limits();
    if (m_waitingForReader)
        return false;
    if (m_in.isEmpty()) {
        if (m_transport->atEnd()) {
            closeGracefully(); // the client half-closed and every request it sent is answered
            return false;
        }
        if (m_phase == Phase::Idle && m_deadline == 0) // (Head: only leading empty lines so far)
            arm(limits.idleTimeoutMs);
        m_transport->setReading(true);
        return false;
    }
    if (m_phase == Phase::Idle) {
        m_phase = Phase::Head;
        arm(limits.headerTimeoutMs);
    }
    HeadParse parsed = parseRequestHead(m_in, limits.head);
    if (parsed.state == HeadParse::State::NeedMore) {
        waitForInput();
        return false;
    }
    if (parsed.state == HeadParse::State::Invalid) {
        m_language = languageFromAcceptLanguage(parsed.head.value("Accept-Language"));
        switch (parsed.problem.kind) {
        case HeadProblem::Kind::TooLarge:
            fail(431, Message::HeadTooLarge, {});
            break;
        case HeadProblem::Kind::NotImplemented:
            fail(501, Message::UnsupportedTransferEncoding, {});
            break;
        case HeadProblem::Kind::Malformed:
            fail(400, Message::MalformedRequest, {});
            break;
        }
        return false;
    }
    m_in.remove(0, parsed.head.headBytes);
    return beginRequest(std::move(parsed.head));
}

bool GuardedConnection::readBody()
{
    if (!m_chunked) {
        const qsizetype want = qsizetype(*m_head.contentLength) - m_body.size();
        const qsizetype take = qMin(want, m_in.size());
        m_body.append(m_in.constData(), take);
        m_in.remove(0, take);
        if (m_body.size() >= *m_head.contentLength)
            return true;
        waitForInput();
        return false;
    }
    const qsizetype used = m_chunked->feed(m_in, m_body, m_bodyLimit);
    m_in.remove(0, used);
    if (m_chunked->failed()) {
        fail(400, Message::MalformedRequest, {});
        return false;
    }
    if (m_chunked->overflowed()) {
        m_overLimit = true;
        m_body.clear();
        return true; // the routes answer 413 (after 404/405 and 401/403)
    }
    if (m_chunked->done())
        return true;
    waitForInput();
    return false;
}

bool GuardedConnection::beginRequest(RequestHead head)
{
    m_head = std::move(head);
    m_language = languageFromAcceptLanguage(m_head.value("Accept-Language"));
    m_bodyLimit = m_guard->m_bodyLimit ? m_guard->m_bodyLimit(m_head) : 0;
    m_body.clear();
    m_chunked.reset();
    m_overLimit = m_head.bodyTooLarge || (m_head.contentLength && *m_head.contentLength > m_bodyLimit);
    if (m_overLimit) {
        dispatch(); // without reading the body: the routes answer (413 unless an earlier check fails) and we close
        return false;
    }
    const qint64 expected = m_head.chunked ? qint64(m_bodyLimit) : m_head.contentLength.value_or(0);
    if (expected == 0 && !m_head.chunked) {
        m_head.contentLength = 0;
        dispatch();
        return false;
    }
    if (!m_guard->reserveBody(expected)) {
        fail(503, Message::ServerBusy, QByteArrayLiteral("Retry-After: 1\r\n"));
        return false;
    }
    m_reserved = expected;
    if (m_head.chunked)
        m_chunked.emplace(m_guard->limits().head);
    if (m_head.expectContinue)
        m_transport->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    m_phase = Phase::Body;
    arm(m_guard->limits().idleTimeoutMs);
    return true;
}

void GuardedConnection::dispatch()
{
    m_phase = Phase::Handling;
    m_handling.start();
    m_deadline = 0;
    // Reading is paused only when the client sends more while this request is handled (see onReadable()): a client
    // that waits for its answer costs no notifier change.
    // QHttpServer gets a plain, canonical request: the checked head without its framing headers, then our own
    // Content-Length (a chunked body arrives decoded) and, for a body over its limit, the marker instead of the body.
    QByteArray request;
    request.reserve(m_head.headBytes + m_body.size() + 64);
    request += m_head.method + ' ' + m_head.target + (m_head.minorVersion == 0 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
    for (const auto &[name, value] : m_head.headers) {
        const QByteArrayView n(name);
        if (n.compare("Content-Length", Qt::CaseInsensitive) == 0 ||
            n.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0 || n.compare("Expect", Qt::CaseInsensitive) == 0 ||
            n.compare(ConnectionGuard::bodyOverLimitHeader, Qt::CaseInsensitive) == 0)
            continue;
        request += name + ": " + value + "\r\n";
    }
    if (m_overLimit) {
        request += ConnectionGuard::bodyOverLimitHeader;
        request += ": 1\r\n";
        m_body.clear();
    }
    request += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n\r\n";
    request += m_body;
    m_body.clear();
    if (!m_feed) {
        m_feed = new FeedSocket(this, m_peer, m_port);
        m_guard->offerToHttpServer(m_feed);
    }
    emit m_guard->requestForwarded();
    m_feed->deliver(request);
}

void GuardedConnection::answerReady(QByteArray answer)
{
    if (m_phase != Phase::Handling)
        return;
    if (answer.size() > 12) // "HTTP/1.1 200 …"
        m_guard->observe(m_head, answer.mid(9, 3).toInt(), m_handling.nsecsElapsed());
    bool close = m_head.closeAfter || m_overLimit;
    if (AnswerStreams::Maker maker = m_guard->takeStream(&answer)) {
        // A head whose body comes piece by piece: chunked on HTTP/1.1, until the close on HTTP/1.0.
        const qsizetype headEnd = answer.indexOf("\r\n\r\n");
        m_streamChunked = m_head.minorVersion >= 1;
        close = close || !m_streamChunked;
        QByteArray head = answer.first(headEnd + 2);
        if (m_streamChunked)
            head += "Transfer-Encoding: chunked\r\n";
        if (close)
            head += "Connection: close\r\n";
        head += "\r\n";
        m_transport->write(head);
        m_streamClose = close;
        if (m_head.method == "HEAD") {
            finishAnswer(close);
            return;
        }
        m_stream = std::move(maker);
        pumpStream();
        return;
    }
    if (close) {
        const qsizetype headEnd = answer.indexOf("\r\n\r\n");
        if (headEnd >= 0)
            answer.insert(headEnd + 2, "Connection: close\r\n");
    }
    m_transport->write(answer);
    finishAnswer(close);
}

void GuardedConnection::pumpStream()
{
    if (!m_stream)
        return;
    const qsizetype limit = m_guard->limits().maxPendingOutput;
    // A few pieces at a time, then the event loop: other connections are served between the pieces of a long body.
    for (int pieces = 0; m_stream && m_transport->pendingOutput() <= limit; ++pieces) {
        if (pieces == maxPiecesAtOnce) {
            QMetaObject::invokeMethod(this, &GuardedConnection::pumpStream, Qt::QueuedConnection);
            break;
        }
        const std::optional<QByteArray> piece = m_stream();
        if (!piece) { // the body cannot be completed: the client must not take what it got for all of it
            m_stream = {};
            m_transport->abort();
            return;
        }
        if (piece->isEmpty()) {
            m_stream = {};
            if (m_streamChunked)
                m_transport->write(QByteArrayLiteral("0\r\n\r\n"));
            finishAnswer(m_streamClose);
            return;
        }
        if (m_streamChunked)
            m_transport->write(QByteArray::number(piece->size(), 16) + "\r\n" + *piece + "\r\n");
        else
            m_transport->write(*piece);
    }
    if (m_stream)
        arm(m_guard->limits().idleTimeoutMs); // a client that stops taking it is cut off
}

void GuardedConnection::finishAnswer(bool close)
{
    m_guard->releaseBody(m_reserved);
    m_reserved = 0;
    m_chunked.reset();
    if (close) {
        closeGracefully();
        return;
    }
    m_phase = Phase::Idle;
    m_overLimit = false;
    if (m_transport->pendingOutput() > m_guard->limits().maxPendingOutput) {
        m_waitingForReader = true; // no further request is read until the client takes its answers
        arm(m_guard->limits().idleTimeoutMs);
        m_transport->setReading(false);
        return;
    }
    if (m_in.isEmpty() && !m_transport->atEnd()) { // the usual case: wait for the next request
        arm(m_guard->limits().idleTimeoutMs);
        m_transport->setReading(true);
        return;
    }
    // Pipelined input (or the end of it): not from here, QHttpServer is still inside its handler for this request.
    QMetaObject::invokeMethod(this, &GuardedConnection::process, Qt::QueuedConnection);
}

void ConnectionGuard::setAnswerStreams(AnswerStreams *streams)
{
    if (m_streams)
        m_streams->setRelayed(false);
    m_streams = streams;
    if (m_streams)
        m_streams->setRelayed(true);
}

AnswerStreams::Maker ConnectionGuard::takeStream(QByteArray *answer)
{
    if (!m_streams)
        return {};
    const qsizetype headEnd = answer->indexOf("\r\n\r\n");
    if (headEnd < 0)
        return {};
    const QByteArray marker = QByteArray(AnswerStreams::markerHeader) + ": ";
    QList<QByteArray> lines = answer->first(headEnd).split('\n');
    std::optional<quint64> id;
    for (auto it = lines.begin(); it != lines.end();) {
        const QByteArray line = it->trimmed();
        if (line.startsWith(marker)) {
            id = line.mid(marker.size()).toULongLong();
            it = lines.erase(it);
        } else if (line.compare("Content-Length: 0", Qt::CaseInsensitive) == 0) {
            it = lines.erase(it);
        } else {
            ++it;
        }
    }
    if (!id)
        return {};
    AnswerStreams::Maker maker = m_streams->take(*id);
    if (!maker)
        return {};
    *answer = lines.join('\n') + "\r\n\r\n";
    return maker;
}

ConnectionGuard::ConnectionGuard(GuardLimits limits, BodyLimit bodyLimit, QObject *parent)
    : QTcpServer(parent)
    , m_limits(limits)
    , m_bodyLimit(std::move(bodyLimit))
{
    m_limits.maxConnections = qMin(m_limits.maxConnections, descriptorBudget());
    m_clock.start();
    m_sweep.setInterval(sweepIntervalMs);
    connect(&m_sweep, &QTimer::timeout, this, [this] {
        const qint64 now = nowMs();
        const QList<GuardedConnection *> live(m_live.begin(), m_live.end());
        for (GuardedConnection *connection : live) {
            if (m_live.contains(connection))
                connection->checkDeadline(now);
        }
    });
    m_sweep.start();
    connect(this, &QTcpServer::acceptError, this, [this] {
        QTimer::singleShot(acceptRetryMs, this, [this] {
            if (isListening())
                resumeAccepting();
        });
    });
}

ConnectionGuard::~ConnectionGuard()
{
    if (m_streams)
        m_streams->setRelayed(false);
    // Connections are children; they must not call back into a half-destroyed guard.
    const QList<GuardedConnection *> connections = findChildren<GuardedConnection *>(Qt::FindDirectChildrenOnly);
    for (GuardedConnection *connection : connections)
        delete connection;
}

void ConnectionGuard::incomingConnection(qintptr descriptor)
{
    quint16 port = 0;
    const QHostAddress peer = peerOf(descriptor, &port);
    int &fromPeer = m_perAddress[peer];
    if (m_connections >= m_limits.maxConnections || fromPeer >= m_limits.maxConnectionsPerAddress) {
        if (fromPeer == 0)
            m_perAddress.remove(peer);
        refuse(descriptor, Message::TooManyConnections);
        return;
    }
    ++fromPeer;
    ++m_connections;
    Transport *transport = nullptr;
    if (m_tls)
        transport = new TlsTransport(descriptor, *m_tls, nullptr);
    else
        transport = new PlainTransport(int(descriptor), nullptr);
    new GuardedConnection(this, transport, peer, port);
}

void ConnectionGuard::refuse(qintptr descriptor, Message message)
{
    if (!m_tls) { // best effort, never blocking: the descriptor is non-blocking
        const QByteArray answer = errorAnswer(503, message, Language::Chinese, QByteArrayLiteral("Retry-After: 1\r\n"));
        [[maybe_unused]] const ssize_t sent =
            ::send(int(descriptor), answer.constData(), size_t(answer.size()), MSG_NOSIGNAL);
        ::shutdown(int(descriptor), SHUT_WR);
    }
    ::close(int(descriptor));
}

void ConnectionGuard::release(const QHostAddress &peer)
{
    --m_connections;
    auto it = m_perAddress.find(peer);
    if (it != m_perAddress.end() && --it.value() <= 0)
        m_perAddress.erase(it);
}

bool ConnectionGuard::reserveBody(qint64 bytes)
{
    if (m_bufferedBodyBytes + bytes > m_limits.maxBufferedBodyBytes)
        return false;
    m_bufferedBodyBytes += bytes;
    return true;
}

void ConnectionGuard::offerToHttpServer(QTcpSocket *feed)
{
    addPendingConnection(feed);
    emit newConnection();
}

QByteArray ConnectionGuard::errorAnswer(int status, Message message, Language language, const QByteArray &extraHeaders)
{
    static const QHash<int, QByteArray> reasons{{400, "Bad Request"},
                                                {408, "Request Timeout"},
                                                {413, "Payload Too Large"},
                                                {429, "Too Many Requests"},
                                                {431, "Request Header Fields Too Large"},
                                                {501, "Not Implemented"},
                                                {503, "Service Unavailable"}};
    const QByteArray body =
        QJsonDocument(
            QJsonObject{{QStringLiteral("error"), QJsonObject{{QStringLiteral("type"), QStringLiteral("http_error")},
                                                              {QStringLiteral("message"), text(message, language)}}}})
            .toJson(QJsonDocument::Compact);
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasons.value(status) +
           "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n" + extraHeaders + "\r\n" + body;
}

} // namespace aether::http

#include "connectionguard.moc"
