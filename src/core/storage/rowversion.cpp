#include "storage/rowversion.h"

#include "storage/migrations.h"

namespace aether {

Result<QString> RowVersion::expression()
{
    if (m_expression)
        return *m_expression;
    if (m_db.dialect().isPostgres()) {
        m_expression = QStringLiteral("CAST(xmin AS text)");
        return *m_expression;
    }
    Result<bool> external = Migrations(m_db).gatewayOwnsTables();
    if (!external)
        return external.error();
    m_expression = external.value() ? QString() : QStringLiteral("console_revision");
    return *m_expression;
}

} // namespace aether
