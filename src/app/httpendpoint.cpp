#include "httpendpoint.h"

#include "auth/tokenstore.h"
#include "keys/changewriter.h"
#include "keys/keyservice.h"
#include "storage/database.h"
#include "storage/walcheckpointer.h"

namespace aether::app {

namespace {

// With the checkpointer copying the log back every half second, SQLite's own checkpoints are a safety net only.
constexpr int autoCheckpointPagesWithCheckpointer = 20000;
constexpr int defaultAutoCheckpointPages = 1000;

} // namespace

HttpEndpoint::HttpEndpoint(Database &db, KeyService &keys, TokenStore &tokens)
    : m_db(db)
    , m_tokens(tokens)
{
    const DatabaseLocation &location = db.location();
    const bool inMemory = location.isSqlite() && location.path == u":memory:";
    if (location.isSqlite() && !inMemory) {
        m_checkpointer = std::make_unique<WalCheckpointer>(location);
        m_checkpointer->start(QThread::LowPriority);
        db.setAutoCheckpointPages(autoCheckpointPagesWithCheckpointer);
    }
    m_writer = inMemory ? std::make_unique<ChangeWriter>(keys)
                        : std::make_unique<ChangeWriter>(location, autoCheckpointPagesWithCheckpointer);
    // A token's last use is written by the writer, so that a request never waits for a lock to record it.
    ChangeWriter *writer = m_writer.get();
    tokens.setTouchWriter([writer](const QByteArray &hashHex, const Timestamp &at) {
        writer->run([hashHex, at](Database &connection) { TokenStore::writeLastUsed(connection, hashHex, at); });
    });
    // Every request presents a token: on PostgreSQL, verified ones are remembered until a revocation is announced.
    tokens.setCacheEnabled(true);
    m_server = std::make_unique<http::ApiServer>(db, keys, tokens, *m_writer);
}

HttpEndpoint::~HttpEndpoint()
{
    m_server.reset();
    m_tokens.setTouchWriter({});
    m_tokens.setCacheEnabled(false);
    m_writer.reset();
    if (m_checkpointer) {
        m_checkpointer.reset();
        m_db.setAutoCheckpointPages(defaultAutoCheckpointPages);
    }
}

Result<quint16> HttpEndpoint::listen(const QHostAddress &address, quint16 port)
{
    return m_server->listen(address, port);
}

void HttpEndpoint::stopListening()
{
    m_server->stopListening();
}

} // namespace aether::app
