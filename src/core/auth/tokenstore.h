#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace aether {

enum class Role { Admin, Viewer, Gateway };

std::optional<Role> roleFromString(QStringView text);
QString roleToString(Role role);

struct TokenInfo {
    QString name;
    Role role = Role::Admin;
    Timestamp createdAt;
    std::optional<Timestamp> lastUsedAt;
};

// Who presented a valid token.
struct Caller {
    QString name; // the token's name, or "environment" for AETHER_CONSOLE_TOKEN
    Role role = Role::Admin;
};

struct NewToken {
    TokenInfo info;
    QString secret; // shown once, never stored
};

// API tokens for the HTTP endpoint. Only SHA-256 hashes are stored (console_tokens); a secret is shown once when
// created. An extra admin token may come from the environment (AETHER_CONSOLE_TOKEN).
class TokenStore {
public:
    explicit TokenStore(Database &db, QString environmentToken = {});
    ~TokenStore();
    TokenStore(const TokenStore &) = delete;
    TokenStore &operator=(const TokenStore &) = delete;

    Result<NewToken> create(const QString &name, Role role);
    Result<QList<TokenInfo>> list();
    Status revoke(const QString &name);
    // The caller owning this secret, std::nullopt for an unknown one. Hashes are compared in constant time.
    Result<std::optional<Caller>> authenticate(QStringView secret);
    Result<bool> hasAnyToken();
    // The length of the AETHER_CONSOLE_TOKEN secret (0 without one): a short one is refused beyond loopback.
    qsizetype environmentTokenLength() const { return m_environmentLength; }
    static constexpr qsizetype minRemoteTokenLength = 32;

    static QByteArray hash(QStringView secret);
    // Where a token's last use is written (at most once a minute per token). By default on this store's own
    // connection; a server hands it to its writer thread, so that a lock held elsewhere never stalls a request.
    using TouchWriter = std::function<void(const QByteArray &hashHex, const Timestamp &at)>;
    void setTouchWriter(TouchWriter writer) { m_touchWriter = std::move(writer); }
    // Writes a token's last use on `db` (best effort: a failure is logged).
    static void writeLastUsed(Database &db, const QByteArray &hashHex, const Timestamp &at);

    // For a server answering many requests: where revocations are announced (PostgreSQL's notifications, see
    // Database::listen()), a token found in the table is remembered for up to cacheMs, so that a request with it
    // costs no query. A token revoked by any console process is refused as soon as the announcement arrives, which
    // is when the revocation commits; one deleted without it (by hand in SQL, or by an older console) within cacheMs.
    // Elsewhere (SQLite, where a lookup costs no round trip) every request is checked against the table.
    void setCacheEnabled(bool enabled);
    bool isCacheInUse() const;
    static constexpr qint64 cacheMs = 5000;
    static constexpr qsizetype maxCachedTokens = 1000;
    static QString revocationChannel() { return QStringLiteral("aether_console_tokens"); }

private:
    void touch(const QByteArray &hashHex);

    Database &m_db;
    QByteArray m_environmentHash;
    qsizetype m_environmentLength = 0;
    QHash<QByteArray, QElapsedTimer> m_lastTouched;
    TouchWriter m_touchWriter;
    struct Verified {
        Caller caller;
        QElapsedTimer since;
    };
    bool m_cacheEnabled = false;
    QHash<QByteArray, Verified> m_verified; // only tokens found in the table: a client cannot fill it
};

} // namespace aether
