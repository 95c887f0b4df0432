#pragma once

#include "databaselocation.h"

#include <QString>

namespace aether {

// The few places where SQLite and PostgreSQL differ: locking, types, casts. Everything else is portable SQL.
class SqlDialect {
public:
    explicit SqlDialect(DatabaseLocation::Kind kind) : m_kind(kind) {}

    bool isPostgres() const { return m_kind == DatabaseLocation::Kind::Postgres; }

    // Starts a transaction that will write: SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers
    // never deadlock upgrading read locks; PostgreSQL locks rows with forUpdate().
    QString beginWrite() const { return isPostgres() ? QStringLiteral("BEGIN") : QStringLiteral("BEGIN IMMEDIATE"); }
    QString forUpdate() const { return isPostgres() ? QStringLiteral(" FOR UPDATE") : QString(); }

    // Parameters and columns of timestamptz / json type travel as text in both databases: QDateTime would drop
    // microseconds, and the JSON text is parsed by the core.
    QString timestampParam() const { return isPostgres() ? QStringLiteral("CAST(? AS timestamptz)") : QStringLiteral("?"); }
    QString jsonParam() const { return isPostgres() ? QStringLiteral("CAST(? AS json)") : QStringLiteral("?"); }
    QString asText(const QString &column) const
    {
        return isPostgres() ? QStringLiteral("CAST(%1 AS text)").arg(column) : column;
    }

    QString autoIncrementKey() const
    {
        return isPostgres() ? QStringLiteral("BIGSERIAL PRIMARY KEY") : QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT");
    }
    QString tableExistsQuery() const
    {
        return isPostgres() ? QStringLiteral("SELECT 1 FROM information_schema.tables "
                                             "WHERE table_schema = current_schema() AND table_name = ?")
                            : QStringLiteral("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    }

    // JSON arrays inside the database: reading a count and a few elements there is far cheaper than shipping and
    // parsing whole histories. `column` is a json (PostgreSQL) or text (SQLite) column.
    QString jsonValue(const QString &column) const
    {
        return isPostgres() ? QStringLiteral("CAST(%1 AS json)").arg(column) : column;
    }
    QString jsonIsArray(const QString &column) const
    {
        return isPostgres() ? QStringLiteral("json_typeof(%1) = 'array'").arg(jsonValue(column))
                            : QStringLiteral("(json_valid(%1) AND json_type(%1) = 'array')").arg(column);
    }
    // Neither an array nor NULL / JSON null: such a value counts as empty and is reported.
    QString jsonIsMalformed(const QString &column) const
    {
        return isPostgres() ? QStringLiteral("(%1 IS NOT NULL AND json_typeof(%2) NOT IN ('array', 'null'))")
                                  .arg(column, jsonValue(column))
                            : QStringLiteral("(%1 IS NOT NULL AND NOT (json_valid(%1) AND json_type(%1) IN ('array', "
                                             "'null')))")
                                  .arg(column);
    }
    QString jsonArrayLength(const QString &column) const
    {
        return QStringLiteral("(CASE WHEN %1 THEN json_array_length(%2) ELSE 0 END)")
            .arg(jsonIsArray(column), jsonValue(column));
    }
    // The element `fromEnd` places before the end (1 = last) as JSON text, NULL when there is none. `fromEnd` is an
    // SQL integer expression; use only where the column is known to be an array.
    QString jsonElementFromEnd(const QString &column, const QString &fromEnd) const
    {
        return isPostgres() ? QStringLiteral("CAST(%1 -> (-(%2)) AS text)").arg(jsonValue(column), fromEnd)
                            : QStringLiteral("(%1 -> ('$[#-' || (%2) || ']'))").arg(column, fromEnd);
    }

private:
    DatabaseLocation::Kind m_kind;
};

} // namespace aether
