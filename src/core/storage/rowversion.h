#pragma once

#include "base/error.h"
#include "storage/database.h"

#include <optional>

namespace aether {

// An SQL expression whose value changes whenever a key's adjustment history may have changed, so parsed histories
// can be kept between requests. PostgreSQL: the row's xmin (every update makes a new row version, also in a
// gateway's own tables). The console's SQLite tables: console_revision, renewed by triggers. SQLite tables made by
// other software have none: the expression is empty and nothing may be kept.
class RowVersion {
public:
    explicit RowVersion(Database &db)
        : m_db(db)
    {
    }
    Result<QString> expression();

private:
    Database &m_db;
    std::optional<QString> m_expression;
};

} // namespace aether
