#pragma once

#include "base/error.h"

#include <QByteArray>
#include <QMap>
#include <QString>

#include <optional>

namespace aether {
class KeyTable;
struct KeyRow;
} // namespace aether

namespace aether::http {

// The keys' part of GET /metrics in the text exposition format 0.0.4, from one pass over the key table: per key
// (labels key_id, key_name, provider, and endpoint: the API format) its mode, limits, 429 counters and stored
// adjustments;
// per endpoint (also labelled endpoint_id) and per provider the keys by mode, the 429s and the sum of the effective
// limits.
Result<QByteArray> renderKeyMetrics(KeyTable &table);

// The same text made a page of keys at a time, family after family (the samples of one family must stand together),
// so that its memory does not grow with the keys (GET /metrics of a million keys, streamed). The keys are read once per
// family, in id order; the pass of the first family also sums the endpoints' and providers' figures, written last. A
// key changed between two passes shows its old value in the earlier families and its new one in the later ones.
class KeyMetricsPages {
public:
    static constexpr int pageKeys = 2000;

    explicit KeyMetricsPages(KeyTable &table);
    // The next piece of the text, never empty but at the end (and after it).
    Result<QByteArray> next();

    struct Totals {
        QByteArray labels;
        qint64 adaptive = 0;
        qint64 fixed = 0;
        qint64 concurrent429 = 0;
        qint64 rpm429 = 0;
        qint64 effectiveSum = 0;
    };

private:
    KeyTable &m_table;
    int m_family = 0; // the per-key family being written; past them: the totals, then the end
    std::optional<QString> m_afterId;
    QMap<QByteArray, Totals> m_endpoints;
    QMap<QByteArray, Totals> m_providers;
};

} // namespace aether::http
