#pragma once

#include "storage/databaselocation.h"

#include <QString>

namespace aether {

// The few places where SQLite and PostgreSQL differ: locking, types, casts. Everything else is portable SQL.
class SqlDialect {
public:
    explicit SqlDialect(DatabaseLocation::Kind kind)
        : m_kind(kind)
    {
    }

    bool isPostgres() const { return m_kind == DatabaseLocation::Kind::Postgres; }

    // Starts a transaction that will write: SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers
    // never deadlock upgrading read locks; PostgreSQL locks rows with forUpdate().
    QString beginWrite() const { return isPostgres() ? QStringLiteral("BEGIN") : QStringLiteral("BEGIN IMMEDIATE"); }
    QString forUpdate() const { return isPostgres() ? QStringLiteral(" FOR UPDATE") : QString(); }

    // Parameters and columns of timestamptz / json type travel as text in both databases: QDateTime would drop
    // microseconds, and the JSON text is parsed by the core.
    QString timestampParam() const
    {
        return isPostgres() ? QStringLiteral("CAST(? AS timestamptz)") : QStringLiteral("?");
    }
    QString jsonParam() const { return isPostgres() ? QStringLiteral("CAST(? AS json)") : QStringLiteral("?"); }
    QString asText(const QString &column) const
    {
        return isPostgres() ? QStringLiteral("CAST(%1 AS text)").arg(column) : column;
    }

    QString autoIncrementKey() const
    {
        // SQLite: a plain rowid key; AUTOINCREMENT would write sqlite_sequence on every insert.
        return isPostgres() ? QStringLiteral("BIGSERIAL PRIMARY KEY") : QStringLiteral("INTEGER PRIMARY KEY");
    }
    QString tableExistsQuery() const
    {
        return isPostgres() ? QStringLiteral("SELECT 1 FROM information_schema.tables "
                                             "WHERE table_schema = current_schema() AND table_name = ?")
                            : QStringLiteral("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    }

private:
    DatabaseLocation::Kind m_kind;
};

} // namespace aether
