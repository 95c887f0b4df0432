#pragma once

#include "learning/learningpolicy.h"
#include "storage/database.h"

#include <optional>

namespace aether {

// The learning policy in the console's own table (console_meta, row "learning_policy"), shared by every process on the
// database. No row means the original service's defaults. A stored value that is not a valid policy is logged and
// counts as the defaults; it is replaced by the next update.
class PolicyStore {
public:
    explicit PolicyStore(Database &db)
        : m_db(db)
    {
    }

    // Within the caller's transaction (or outside any).
    Result<LearningPolicy> read();
    // A scalar subquery that gives the stored value (NULL: none), for a query that reads the policy with its rows
    // instead of in a statement of its own; fromStored() makes the policy of what it gave.
    static QString storedValueSql();
    LearningPolicy fromStored(const std::optional<QString> &text);
    // Each in a write transaction of its own.
    Result<LearningPolicy> update(const QJsonObject &patch, const QString &actor);
    Result<LearningPolicy> reset(const QString &actor);

private:
    // A partial update (patch) or the return to the defaults (nullptr), in a write transaction of its own.
    Result<LearningPolicy> write(const QJsonObject *patch, const QString &actor);
    Status lockForWrite();
    Status store(const LearningPolicy *policy, const LearningPolicy &old, const QString &actor);

    Database &m_db;
    QString m_cachedText; // the stored text last parsed, and what it gave
    LearningPolicy m_cached;
    bool m_warned = false;
};

} // namespace aether
