#include "storage/keyorder.h"

#include "storage/migrations.h"

namespace aether {

QString historyCountExpression(const SqlDialect &dialect, const QString &column)
{
    if (dialect.isPostgres()) {
        return QStringLiteral(
                   "CASE WHEN json_typeof(CAST(%1 AS json)) = 'array' THEN json_array_length(CAST(%1 AS json)) "
                   "ELSE 0 END")
            .arg(column);
    }
    return sqliteHistoryCount(column);
}

QString keyOrderExpression(KeyOrder order, const SqlDialect &dialect, bool keptCount, const QString &q)
{
    switch (order) {
    case KeyOrder::Name:
        return q + QStringLiteral("name"); // NOT NULL in the gateway's schema
    case KeyOrder::Mode:
        return QStringLiteral("CASE WHEN %1max_concurrent IS NULL THEN 0 ELSE 1 END").arg(q);
    case KeyOrder::MaxConcurrent:
        return QStringLiteral("COALESCE(%1max_concurrent, -1)").arg(q);
    case KeyOrder::Learned:
        return QStringLiteral("COALESCE(%1learned_max_concurrent, -1)").arg(q);
    case KeyOrder::Effective:
        return QStringLiteral("COALESCE(%1max_concurrent, %1learned_max_concurrent, -1)").arg(q);
    case KeyOrder::Concurrent429:
        return QStringLiteral("COALESCE(%1concurrent_429_count, 0)").arg(q);
    case KeyOrder::Rpm429:
        return QStringLiteral("COALESCE(%1rpm_429_count, 0)").arg(q);
    case KeyOrder::Last429At:
        // PostgreSQL compares instants; SQLite the stored ISO 8601 text.
        return dialect.isPostgres() ? QStringLiteral("COALESCE(%1last_429_at, '-infinity')").arg(q)
                                    : QStringLiteral("COALESCE(%1last_429_at, '')").arg(q);
    case KeyOrder::Last429Type:
        return QStringLiteral("COALESCE(%1last_429_type, '')").arg(q);
    case KeyOrder::Adjustments:
        return keptCount ? q + QStringLiteral("console_adjustment_count")
                         : historyCountExpression(dialect, q + QStringLiteral("adjustment_history"));
    case KeyOrder::Active:
        return QStringLiteral("CASE WHEN %1is_active THEN 1 ELSE 0 END").arg(q);
    }
    return {};
}

QList<KeyOrder> keyOrders()
{
    QList<KeyOrder> orders;
    for (int o = int(KeyOrder::Name); o <= int(KeyOrder::Active); ++o)
        orders << KeyOrder(o);
    return orders;
}

} // namespace aether
