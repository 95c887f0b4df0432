#include "keys/auditlog.h"

#include <QJsonDocument>

namespace aether {

QStringList AuditLog::actions()
{
    return {QStringLiteral("set_mode"), QStringLiteral("set_limit"), QStringLiteral("reset_learning"),
            QStringLiteral("update_policy"), QStringLiteral("reset_policy")};
}

void AuditLog::splitDetail(const QString &detail, QJsonObject *before, QJsonObject *after)
{
    const QJsonObject object = QJsonDocument::fromJson(detail.toUtf8()).object();
    if (object.value(QStringLiteral("old")).isObject() || object.value(QStringLiteral("new")).isObject()) {
        *before = object.value(QStringLiteral("old")).toObject();
        *after = object.value(QStringLiteral("new")).toObject();
        return;
    }
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key().startsWith(u"old_")) {
            const QString field = it.key().mid(4);
            before->insert(field, it.value());
            if (!object.contains(QStringLiteral("new_") + field))
                after->insert(field, QJsonValue::Null);
        } else if (it.key().startsWith(u"new_")) {
            after->insert(it.key().mid(4), it.value());
        }
    }
}

Result<AuditLog::Page> AuditLog::page(const AuditQuery &query)
{
    QStringList where;
    QVariantList binds;
    if (!query.keyId.isEmpty()) {
        if (!m_db.canHold(query.keyId))
            return Page{};
        where << QStringLiteral("a.key_id = ?");
        binds << query.keyId;
    }
    if (query.actor.endsWith(u'*')) {
        // A prefix, compared as such (not LIKE, where '%' and '_' would be wildcards; not a range, which a
        // PostgreSQL collation may order differently).
        const QString prefix = query.actor.chopped(1);
        if (!prefix.isEmpty()) {
            where << QStringLiteral("substr(a.actor, 1, ?) = ?");
            binds << prefix.size() << prefix;
        }
    } else if (!query.actor.isEmpty()) {
        where << QStringLiteral("a.actor = ?");
        binds << query.actor;
    }
    if (!query.action.isEmpty()) {
        where << QStringLiteral("a.action = ?");
        binds << query.action;
    }
    // Stored times are one ISO 8601 form in UTC, which sorts as text.
    if (query.since) {
        where << QStringLiteral("a.at >= ?");
        binds << query.since->toIsoString();
    }
    if (query.until) {
        where << QStringLiteral("a.at <= ?");
        binds << query.until->toIsoString();
    }
    if (query.before) {
        where << QStringLiteral("a.id < ?");
        binds << *query.before;
    }
    const int limit = qBound(1, query.limit, AuditQuery::maxLimit);
    const QString sql = QStringLiteral("SELECT a.id, a.at, a.actor, a.action, a.key_id, a.detail, k.name "
                                       "FROM console_audit_log a LEFT JOIN provider_api_keys k ON k.id = a.key_id%1 "
                                       "ORDER BY a.id DESC LIMIT ?")
                            .arg(where.isEmpty() ? QString() : QStringLiteral(" WHERE ") + where.join(u" AND "));
    binds << limit + 1;
    return m_db.run<Page>([&]() -> Result<Page> {
        Result<SqlStatement> st = m_db.exec(sql, binds);
        if (!st)
            return st.error();
        Page page;
        while (st.value().next()) {
            if (page.entries.size() == limit) {
                page.nextCursor = page.entries.constLast().id;
                break;
            }
            AuditEntry entry;
            entry.id = st.value().value(0).toLongLong();
            entry.timestamp = st.value().value(1).toString();
            entry.actor = st.value().value(2).toString();
            entry.action = st.value().value(3).toString();
            if (!st.value().value(4).isNull())
                entry.keyId = st.value().value(4).toString();
            splitDetail(st.value().value(5).toString(), &entry.before, &entry.after);
            entry.keyName = st.value().optionalString(6);
            page.entries.append(entry);
        }
        return page;
    });
}

} // namespace aether
