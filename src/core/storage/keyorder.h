#pragma once

#include "storage/sqldialect.h"

#include <QList>
#include <QString>

namespace aether {

// The sort orders of the key table that an index can serve: each an expression over one provider_api_keys row that
// is never NULL (NULLs become the smallest value, as SQLite sorts them), so that a page can start after a row's
// (value, id) in both directions (keyset pagination). The migrations index exactly these expressions on the
// console's own tables; KeyTable sorts and pages by them on every database.
enum class KeyOrder {
    Name,
    Mode,
    MaxConcurrent,
    Learned,
    Effective,
    Concurrent429,
    Rpm429,
    Last429At,
    Last429Type,
    Adjustments,
    Active,
};

// The expression with `qualifier` ("k." or empty) before each column; `keptCount`: the table has the console's
// console_adjustment_count column (its own SQLite tables).
QString keyOrderExpression(KeyOrder order, const SqlDialect &dialect, bool keptCount, const QString &qualifier);
// Every order above, in declaration order.
QList<KeyOrder> keyOrders();
// The number of records of a JSON history column; 0 for NULL and anything that is not an array (a malformed value
// must not fail the whole table).
QString historyCountExpression(const SqlDialect &dialect, const QString &column);

} // namespace aether
