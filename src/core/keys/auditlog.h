#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace aether {

// One change recorded in console_audit_log: who did what to which key (or to the policy), with the values before and
// after. `before`/`after` name the stored fields, e.g. {"max_concurrent": null} → {"max_concurrent": 8}.
struct AuditEntry {
    qint64 id = 0;
    QString timestamp;
    QString actor;  // "token:<name>", "gui:<user>@<host>", "cli", …; never a token's secret
    QString action; // set_mode, set_limit, reset_learning, update_policy, reset_policy
    std::optional<QString> keyId;
    std::optional<QString> keyName; // the key's name now; none when it has no name or no longer exists
    QJsonObject before;
    QJsonObject after;
};

struct AuditQuery {
    QString keyId;                  // empty: any
    QString actor;                  // empty: any; ending in '*': a prefix ("gui:*")
    QString action;                 // empty: any
    std::optional<Timestamp> since; // inclusive
    std::optional<Timestamp> until; // inclusive
    int limit = defaultLimit;
    std::optional<qint64> before; // a page's cursor: only entries older than this id

    static constexpr int defaultLimit = 100;
    static constexpr int maxLimit = 1000;
};

// Reads the audit log, newest first, one page at a time (keyset paging on the id, so page 1,000 costs what page 1
// does).
class AuditLog {
public:
    explicit AuditLog(Database &db)
        : m_db(db)
    {
    }

    struct Page {
        QList<AuditEntry> entries;        // newest first
        std::optional<qint64> nextCursor; // set when older entries may follow
    };

    Result<Page> page(const AuditQuery &query);
    // The actions that can appear, in the order a filter lists them.
    static QStringList actions();
    // `before` and `after` of a stored detail: the policy's {"old","new"} objects, or a key change's old_<field> /
    // new_<field> values (a field with only an old value became null).
    static void splitDetail(const QString &detail, QJsonObject *before, QJsonObject *after);

private:
    Database &m_db;
};

} // namespace aether
