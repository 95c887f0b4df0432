#pragma once

#include "base/error.h"

#include <QByteArray>

namespace aether {
class KeyTable;
}

namespace aether::http {

// The keys' part of GET /metrics in the text exposition format 0.0.4, from one pass over the key table: per key
// (labels key_id, key_name, provider, and endpoint: the API format) its mode, limits, 429 counters and stored
// adjustments;
// per endpoint (also labelled endpoint_id) and per provider the keys by mode, the 429s and the sum of the effective
// limits.
Result<QByteArray> renderKeyMetrics(KeyTable &table);

} // namespace aether::http
