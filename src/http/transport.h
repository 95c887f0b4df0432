#pragma once

// The client's side of a guarded connection (ConnectionGuard's internals): how bytes are read from and written to a
// plain TCP descriptor or a TLS socket.

#include <QObject>
#include <QSocketNotifier>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTimer>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace aether::http {

inline constexpr qint64 readChunk = 64 * 1024;
inline constexpr int lingerMs = 2000;             // how long a closing connection's late input is read and dropped
inline constexpr qint64 maxLingerBytes = 1 << 20; // … and how much of it

// The client's side of a connection: a plain TCP descriptor or a TLS socket, behind one small interface.
class Transport : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
    virtual qint64 read(QByteArray &into, qint64 max) = 0; // appends what is there now, at most max bytes
    virtual void write(const QByteArray &data) = 0;
    virtual qint64 pendingOutput() const = 0;
    virtual void setReading(bool on) = 0;
    virtual bool atEnd() const = 0; // the client sent all it will send (half-close or close)
    virtual void closeAfterWriting() = 0;
    virtual void abort() = 0;

signals:
    void readable();
    void drained(); // some output was written
    void closed();
};

// Plain TCP on the accepted descriptor, with Qt's socket notifiers: reading can really be paused (so a client that
// does not read its answers is not read either), a half-close is seen as the end of input rather than as the end of
// the connection, and closing shuts down the sending side first and drops late input for a moment, so that an
// answer is not cut off by a reset.
class PlainTransport : public Transport {
    Q_OBJECT
public:
    PlainTransport(int fd, QObject *parent)
        : Transport(parent)
        , m_fd(fd)
        , m_readNotifier(fd, QSocketNotifier::Read)
        , m_writeNotifier(fd, QSocketNotifier::Write)
    {
        const int one = 1;
        setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        m_writeNotifier.setEnabled(false);
        connect(&m_readNotifier, &QSocketNotifier::activated, this, [this] {
            if (m_closing)
                discardInput();
            else
                emit readable();
        });
        connect(&m_writeNotifier, &QSocketNotifier::activated, this, &PlainTransport::flush);
        m_linger.setSingleShot(true);
        connect(&m_linger, &QTimer::timeout, this, &PlainTransport::closeDescriptor);
    }
    ~PlainTransport() override { closeDescriptor(); }

    qint64 read(QByteArray &into, qint64 max) override
    {
        if (m_fd < 0 || m_eof)
            return 0;
        const qsizetype old = into.size();
        into.resize(old + max);
        const ssize_t n = ::recv(m_fd, into.data() + old, size_t(max), 0);
        into.resize(old + qMax<ssize_t>(n, 0));
        if (n == 0) {
            m_eof = true;
            m_readNotifier.setEnabled(false);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            abort();
        }
        return qMax<ssize_t>(n, 0);
    }
    void write(const QByteArray &data) override
    {
        if (m_fd < 0)
            return;
        if (m_out.isEmpty()) {
            const ssize_t n = ::send(m_fd, data.constData(), size_t(data.size()), MSG_NOSIGNAL);
            if (n == data.size())
                return;
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                abort();
                return;
            }
            m_out = data.sliced(qMax<ssize_t>(n, 0));
        } else {
            m_out.append(data);
        }
        m_writeNotifier.setEnabled(true);
    }
    qint64 pendingOutput() const override { return m_out.size(); }
    void setReading(bool on) override
    {
        if (m_fd >= 0 && !m_closing)
            m_readNotifier.setEnabled(on && !m_eof);
    }
    bool atEnd() const override { return m_eof; }
    void closeAfterWriting() override
    {
        m_closing = true;
        if (m_out.isEmpty())
            shutdownSending();
    }
    void abort() override
    {
        m_out.clear();
        closeDescriptor();
    }

private:
    void flush()
    {
        while (m_fd >= 0 && !m_out.isEmpty()) {
            const ssize_t n = ::send(m_fd, m_out.constData(), size_t(m_out.size()), MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return;
                if (errno == EINTR)
                    continue;
                abort();
                return;
            }
            m_out.remove(0, n);
        }
        if (m_fd < 0)
            return;
        m_writeNotifier.setEnabled(false);
        emit drained();
        if (m_closing)
            shutdownSending();
    }
    void shutdownSending()
    {
        if (m_fd < 0 || m_linger.isActive())
            return;
        ::shutdown(m_fd, SHUT_WR);
        if (m_eof) {
            closeDescriptor();
            return;
        }
        m_readNotifier.setEnabled(true);
        m_linger.start(lingerMs);
    }
    void discardInput()
    {
        char scratch[16 * 1024];
        const ssize_t n = ::recv(m_fd, scratch, sizeof scratch, 0);
        if (n > 0)
            m_discarded += n;
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || m_discarded > maxLingerBytes)
            closeDescriptor();
    }
    void closeDescriptor()
    {
        if (m_fd < 0)
            return;
        m_readNotifier.setEnabled(false);
        m_writeNotifier.setEnabled(false);
        m_linger.stop();
        ::close(m_fd);
        m_fd = -1;
        emit closed();
    }

    int m_fd;
    QSocketNotifier m_readNotifier;
    QSocketNotifier m_writeNotifier;
    QTimer m_linger;
    QByteArray m_out;
    qint64 m_discarded = 0;
    bool m_eof = false;
    bool m_closing = false;
};

// TLS through QSslSocket. Reading is bounded by the socket's read buffer: data that is not taken stays there and the
// socket stops reading from the network once it is full. Qt closes a TLS connection at the client's end of input.
class TlsTransport : public Transport {
    Q_OBJECT
public:
    TlsTransport(qintptr fd, const QSslConfiguration &configuration, QObject *parent)
        : Transport(parent)
        , m_socket(new QSslSocket(this))
    {
        m_socket->setReadBufferSize(readChunk);
        connect(m_socket, &QSslSocket::readyRead, this, &Transport::readable);
        connect(m_socket, &QSslSocket::encryptedBytesWritten, this, &Transport::drained);
        connect(m_socket, &QSslSocket::disconnected, this, &TlsTransport::finish);
        connect(m_socket, &QSslSocket::errorOccurred, this, [this] {
            if (m_socket->state() == QAbstractSocket::UnconnectedState)
                finish();
        });
        if (!m_socket->setSocketDescriptor(fd)) {
            ::close(int(fd));
            QMetaObject::invokeMethod(this, &TlsTransport::finish, Qt::QueuedConnection);
            return;
        }
        m_socket->setSslConfiguration(configuration);
        m_socket->startServerEncryption();
    }

    qint64 read(QByteArray &into, qint64 max) override
    {
        const QByteArray data = m_socket->read(max);
        into.append(data);
        return data.size();
    }
    void write(const QByteArray &data) override { m_socket->write(data); }
    qint64 pendingOutput() const override { return m_socket->bytesToWrite() + m_socket->encryptedBytesToWrite(); }
    void setReading(bool) override {}
    bool atEnd() const override
    {
        return m_socket->state() != QAbstractSocket::ConnectedState && m_socket->bytesAvailable() == 0;
    }
    void closeAfterWriting() override { m_socket->disconnectFromHost(); }
    void abort() override { m_socket->abort(); }

private:
    void finish()
    {
        if (m_finished)
            return;
        m_finished = true;
        emit closed();
    }

    QSslSocket *m_socket;
    bool m_finished = false;
};

} // namespace aether::http
