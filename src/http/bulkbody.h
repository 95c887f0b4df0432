#pragma once

#include "base/error.h"
#include "keys/bulkchange.h"

#include <QJsonValue>

namespace aether::http {

// The body of POST …/keys/bulk:
//   {"action": "set_limit" | "set_mode" | "reset_learning",
//    "key_ids": ["…", …]  or  "filter": {"endpoint_id", "provider_id", "mode": "adaptive" | "fixed", "name_contains"},
//    "limit": N (set_limit), "enabled": bool and "fixed_limit": N (set_mode)}
// JSON types are strict (a number is not a string, a string not a number). Field problems come back as
// ErrorCode::InvalidInput naming the field, like the other routes' bodies.
inline constexpr qsizetype maxBulkKeyIds = 100000;
Result<BulkRequest> parseBulkBody(const QJsonValue &body);

} // namespace aether::http
