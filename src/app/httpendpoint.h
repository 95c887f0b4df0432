#pragma once

#include "apiserver.h"
#include "base/error.h"

#include <QHostAddress>

#include <memory>

namespace aether {
class ChangeWriter;
class Database;
class KeyService;
class TokenStore;
class WalCheckpointer;
} // namespace aether

namespace aether::app {

// The console's HTTP endpoint with everything it needs, for `aether-console --serve` and for the window alike: the
// API server, the writer of changes and, on an SQLite file, the WAL checkpointer. This is the one place that decides
// how changes are written: from a thread of their own on a connection of their own, or (a database held in memory
// has one connection only) through the caller's services. While it exists, tokens record their last use through the
// writer.
class HttpEndpoint {
public:
    HttpEndpoint(Database &db, KeyService &keys, TokenStore &tokens);
    ~HttpEndpoint();
    HttpEndpoint(const HttpEndpoint &) = delete;
    HttpEndpoint &operator=(const HttpEndpoint &) = delete;

    // To configure before listen(): guard limits, throttling, TLS, the clock.
    http::ApiServer &server() { return *m_server; }
    const http::ApiServer &server() const { return *m_server; }

    // Starts listening; returns the bound port (ApiServer::listen).
    Result<quint16> listen(const QHostAddress &address, quint16 port);
    // Stops accepting connections; requests already received are answered.
    void stopListening();

private:
    Database &m_db;
    TokenStore &m_tokens;
    std::unique_ptr<WalCheckpointer> m_checkpointer;
    std::unique_ptr<ChangeWriter> m_writer;
    std::unique_ptr<http::ApiServer> m_server;
};

} // namespace aether::app
