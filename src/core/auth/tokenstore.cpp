#include "auth/tokenstore.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace aether {

namespace {

// How often a token's last_used_at is written: once a minute is precise enough and keeps reads free of writes.
constexpr qint64 touchIntervalMs = 60 * 1000;

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace

std::optional<Role> roleFromString(QStringView text)
{
    if (text == u"admin")
        return Role::Admin;
    if (text == u"viewer")
        return Role::Viewer;
    if (text == u"gateway")
        return Role::Gateway;
    return std::nullopt;
}

QString roleToString(Role role)
{
    switch (role) {
    case Role::Admin:
        return QStringLiteral("admin");
    case Role::Viewer:
        return QStringLiteral("viewer");
    case Role::Gateway:
        return QStringLiteral("gateway");
    }
    return {};
}

TokenStore::TokenStore(Database &db, QString environmentToken)
    : m_db(db)
{
    if (!environmentToken.trimmed().isEmpty()) {
        m_environmentHash = hash(environmentToken.trimmed());
        m_environmentLength = environmentToken.trimmed().size();
    }
}

TokenStore::~TokenStore()
{
    setCacheEnabled(false);
}

QByteArray TokenStore::hash(QStringView secret)
{
    return QCryptographicHash::hash(secret.toUtf8(), QCryptographicHash::Sha256).toHex();
}

Result<NewToken> TokenStore::create(const QString &name, Role role)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty() || trimmed.size() > 100)
        return Error::invalid(QStringLiteral("name"), reason::invalidValue)
            .told(QT_TRANSLATE_NOOP("Error", "a token name must have 1 to 100 characters"));
    QByteArray random(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(random.data()),
                                         reinterpret_cast<quint32 *>(random.data() + random.size()));
    NewToken token;
    token.secret = QStringLiteral("act_") +
                   QString::fromLatin1(random.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
    token.info.name = trimmed;
    token.info.role = role;
    token.info.createdAt = Timestamp::now();
    return m_db.transaction<NewToken>(Database::Mode::Write, [&]() -> Result<NewToken> {
        Result<SqlStatement> existing =
            m_db.exec(QStringLiteral("SELECT 1 FROM console_tokens WHERE name = ?"), {trimmed});
        if (!existing)
            return existing.error();
        if (existing.value().next())
            return Error::conflict().told(QT_TRANSLATE_NOOP("Error", "a token named \"%1\" exists already"), {trimmed});
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("INSERT INTO console_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)"),
            {trimmed, roleToString(role), QString::fromLatin1(hash(token.secret)), token.info.createdAt.toIsoString()});
        if (!st)
            return st.error();
        return token;
    });
}

Result<QList<TokenInfo>> TokenStore::list()
{
    return m_db.run<QList<TokenInfo>>([&]() -> Result<QList<TokenInfo>> {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT name, role, created_at, last_used_at FROM console_tokens ORDER BY name"));
        if (!st)
            return st.error();
        QList<TokenInfo> tokens;
        while (st.value().next()) {
            TokenInfo info;
            info.name = st.value().value(0).toString();
            info.role = roleFromString(st.value().value(1).toString()).value_or(Role::Viewer);
            info.createdAt = Timestamp::parse(st.value().value(2).toString()).value_or(Timestamp());
            if (!st.value().isNull(3))
                info.lastUsedAt = Timestamp::parse(st.value().value(3).toString());
            tokens.append(info);
        }
        return tokens;
    });
}

Status TokenStore::revoke(const QString &name)
{
    const Status revoked = m_db.transaction<Done>(Database::Mode::Write, [&]() -> Status {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("DELETE FROM console_tokens WHERE name = ?"), {name});
        if (!st)
            return st.error();
        if (st.value().rowsAffected() == 0)
            return Error::notFound().told(QT_TRANSLATE_NOOP("Error", "no token named \"%1\""), {name});
        // Servers in other processes forget the tokens they verified when this commits.
        return m_db.notify(revocationChannel());
    });
    if (revoked)
        m_verified.clear();
    return revoked;
}

void TokenStore::setCacheEnabled(bool enabled)
{
    m_verified.clear();
    if (enabled == m_cacheEnabled)
        return;
    m_cacheEnabled = enabled;
    if (enabled)
        m_db.listen(revocationChannel(), [this]() { m_verified.clear(); });
    else
        m_db.stopListening(revocationChannel());
}

bool TokenStore::isCacheInUse() const
{
    return m_cacheEnabled && m_db.isListening(revocationChannel());
}

Result<std::optional<Caller>> TokenStore::authenticate(QStringView secret)
{
    using Found = std::optional<Caller>;
    const QByteArray presented = hash(secret);
    if (!m_environmentHash.isEmpty() && constantTimeEquals(presented, m_environmentHash))
        return Found(Caller{QStringLiteral("environment"), Role::Admin});
    const bool cacheInUse = isCacheInUse();
    if (cacheInUse) {
        const auto verified = m_verified.constFind(presented);
        if (verified != m_verified.cend() && verified->since.elapsed() < cacheMs) {
            const Caller caller = verified->caller;
            touch(presented);
            return Found(caller);
        }
    }
    Result<Found> found = m_db.run<Found>([&]() -> Result<Found> {
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("SELECT token_hash, name, role FROM console_tokens WHERE token_hash = ?"),
                      {QString::fromLatin1(presented)});
        if (!st)
            return st.error();
        if (!st.value().next() || !constantTimeEquals(st.value().value(0).toString().toLatin1(), presented))
            return Found();
        const std::optional<Role> role = roleFromString(st.value().value(2).toString());
        if (!role)
            return Found();
        return Found(Caller{st.value().value(1).toString(), *role});
    });
    if (found && found.value()) {
        // Asked again: the lookup may have found the connection lost, or reconnected (which forgets everything).
        if (cacheInUse && isCacheInUse()) {
            if (m_verified.size() >= maxCachedTokens)
                m_verified.clear();
            Verified &verified = m_verified[presented];
            verified.caller = *found.value();
            verified.since.start();
        }
        touch(presented);
    }
    return found;
}

Result<bool> TokenStore::hasAnyToken()
{
    if (!m_environmentHash.isEmpty())
        return true;
    return m_db.run<bool>([&]() -> Result<bool> {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT 1 FROM console_tokens LIMIT 1"));
        if (!st)
            return st.error();
        return st.value().next();
    });
}

void TokenStore::touch(const QByteArray &hashHex)
{
    QElapsedTimer &timer = m_lastTouched[hashHex];
    if (timer.isValid() && timer.elapsed() < touchIntervalMs)
        return;
    timer.start();
    if (m_touchWriter)
        m_touchWriter(hashHex, Timestamp::now());
    else
        writeLastUsed(m_db, hashHex, Timestamp::now());
}

void TokenStore::writeLastUsed(Database &db, const QByteArray &hashHex, const Timestamp &at)
{
    const Status written = db.transaction<Done>(Database::Mode::Write, [&]() -> Status {
        Result<SqlStatement> st =
            db.exec(QStringLiteral("UPDATE console_tokens SET last_used_at = ? WHERE token_hash = ?"),
                    {at.toIsoString(), QString::fromLatin1(hashHex)});
        if (!st)
            return st.error();
        return Done{};
    });
    if (!written)
        qWarning("token last use not recorded: %s", qUtf8Printable(written.error().detail));
}

} // namespace aether
