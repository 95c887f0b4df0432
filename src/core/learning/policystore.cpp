#include "learning/policystore.h"

#include "base/timestamp.h"

#include <QJsonDocument>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPolicy, "aether.policy")

namespace aether {

namespace {

const QString policyRow = QStringLiteral("learning_policy");

} // namespace

Result<LearningPolicy> PolicyStore::read()
{
    Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT ") + storedValueSql());
    if (!st)
        return st.error();
    if (!st.value().next())
        return LearningPolicy{};
    return fromStored(st.value().optionalString(0));
}

QString PolicyStore::storedValueSql()
{
    return QStringLiteral("(SELECT value FROM console_meta WHERE name = '%1')").arg(policyRow);
}

LearningPolicy PolicyStore::fromStored(const std::optional<QString> &text)
{
    if (!text)
        return LearningPolicy{};
    if (*text == m_cachedText)
        return m_cached;
    const QJsonDocument doc = QJsonDocument::fromJson(text->toUtf8());
    Result<LearningPolicy> policy =
        doc.isObject() ? LearningPolicy::patched(LearningPolicy{}, doc.object()) : Error::invalid({}, reason::dictType);
    if (!policy) {
        if (!m_warned)
            qCWarning(lcPolicy, "the stored learning policy is not valid (%s: %s); the defaults apply",
                      qUtf8Printable(policy.error().field), qUtf8Printable(policy.error().reason));
        m_warned = true;
        return LearningPolicy{};
    }
    m_cachedText = *text;
    m_cached = policy.value();
    return m_cached;
}

Status PolicyStore::lockForWrite()
{
    // SQLite holds the database's write lock already (BEGIN IMMEDIATE); PostgreSQL serialises policy writers with a
    // transaction-scoped advisory lock, since the row may not exist yet.
    if (!m_db.dialect().isPostgres())
        return Done{};
    Result<SqlStatement> lock = m_db.exec(QStringLiteral("SELECT pg_advisory_xact_lock(7406178)"));
    return lock ? Status(Done{}) : Status(lock.error());
}

Status PolicyStore::store(const LearningPolicy *policy, const LearningPolicy &old, const QString &actor)
{
    Result<SqlStatement> removed = m_db.exec(QStringLiteral("DELETE FROM console_meta WHERE name = ?"), {policyRow});
    if (!removed)
        return removed.error();
    if (policy) {
        Result<SqlStatement> inserted =
            m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?)"),
                      {policyRow, QString::fromUtf8(QJsonDocument(policy->toJson()).toJson(QJsonDocument::Compact))});
        if (!inserted)
            return inserted.error();
    }
    const QJsonObject detail{{QStringLiteral("old"), old.toJson()},
                             {QStringLiteral("new"), (policy ? *policy : LearningPolicy{}).toJson()}};
    Result<SqlStatement> audit = m_db.exec(
        QStringLiteral("INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES (?, ?, ?, NULL, ?)"),
        {Timestamp::now().toIsoString(), actor,
         policy ? QStringLiteral("update_policy") : QStringLiteral("reset_policy"),
         QString::fromUtf8(QJsonDocument(detail).toJson(QJsonDocument::Compact))});
    return audit ? Status(Done{}) : Status(audit.error());
}

Result<LearningPolicy> PolicyStore::update(const QJsonObject &patch, const QString &actor)
{
    return write(&patch, actor);
}

Result<LearningPolicy> PolicyStore::reset(const QString &actor)
{
    return write(nullptr, actor);
}

Result<LearningPolicy> PolicyStore::write(const QJsonObject *patch, const QString &actor)
{
    return m_db.transaction<LearningPolicy>(Database::Mode::Write, [&]() -> Result<LearningPolicy> {
        if (const Status locked = lockForWrite(); !locked)
            return locked.error();
        Result<LearningPolicy> old = read();
        if (!old)
            return old.error();
        Result<LearningPolicy> policy = patch ? LearningPolicy::patched(old.value(), *patch) : LearningPolicy{};
        if (!policy)
            return policy.error();
        if (const Status stored = store(patch ? &policy.value() : nullptr, old.value(), actor); !stored)
            return stored.error();
        if (const Status told = m_db.notify(Database::changesChannel()); !told)
            return told.error();
        return policy;
    });
}

} // namespace aether
