#include "keymetrics.h"

#include "keys/keytable.h"
#include "servermetrics.h"

#include <QMap>

namespace aether::http {

namespace {

struct Totals {
    QByteArray labels;
    qint64 adaptive = 0;
    qint64 fixed = 0;
    qint64 concurrent429 = 0;
    qint64 rpm429 = 0;
    qint64 effectiveSum = 0;

    void add(const KeyRow &key)
    {
        ++(key.adaptive() ? adaptive : fixed);
        concurrent429 += key.concurrent429;
        rpm429 += key.rpm429;
        effectiveSum += key.effective.value_or(0);
    }
};

// One family's header.
void family(QByteArray &out, const char *name, const char *type, const char *help)
{
    out += QByteArrayLiteral("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void sample(QByteArray &out, const char *name, const QByteArray &labels, qint64 value)
{
    out += name;
    out += '{';
    out += labels;
    out += "} ";
    out += QByteArray::number(value);
    out += '\n';
}

// The aggregate families of one scope (per endpoint or per provider), each family's samples together.
struct Scope {
    const char *keys, *keysHelp, *errors, *errorsHelp, *limits, *limitsHelp;
};

void writeTotals(QByteArray &out, const Scope &scope, const QMap<QByteArray, Totals> &totals)
{
    family(out, scope.keys, "gauge", scope.keysHelp);
    for (const Totals &t : totals) {
        sample(out, scope.keys, t.labels + ",mode=\"adaptive\"", t.adaptive);
        sample(out, scope.keys, t.labels + ",mode=\"fixed\"", t.fixed);
    }
    family(out, scope.errors, "counter", scope.errorsHelp);
    for (const Totals &t : totals) {
        sample(out, scope.errors, t.labels + ",type=\"concurrent\"", t.concurrent429);
        sample(out, scope.errors, t.labels + ",type=\"rpm\"", t.rpm429);
    }
    family(out, scope.limits, "gauge", scope.limitsHelp);
    for (const Totals &t : totals)
        sample(out, scope.limits, t.labels, t.effectiveSum);
}

// Families of the same name must be contiguous: the per-key samples are collected per family while the table is
// read, then written one family after the other.
struct KeyFamilies {
    QByteArray adaptive, effective, learned, fixedLimit, errors, adjustments;
};

} // namespace

Result<QByteArray> renderKeyMetrics(KeyTable &table)
{
    KeyFamilies keys;
    QMap<QByteArray, Totals> endpoints; // by provider, endpoint and endpoint id
    QMap<QByteArray, Totals> providers;
    const Status scanned = table.scan({}, KeyColumn::Id, [&](const KeyRow &key) {
        const QByteArray provider = "provider=\"" + exposition::labelValue(key.provider) + '"';
        const QByteArray format = provider + ",endpoint=\"" + exposition::labelValue(key.apiFormat) + '"';
        const QByteArray endpoint = format + ",endpoint_id=\"" + exposition::labelValue(key.endpointId) + '"';
        // Per key, provider and API format name the endpoint (they are unique together): its id would add a third
        // to every line of the largest families.
        const QByteArray labels = "key_id=\"" + exposition::labelValue(key.id) + "\",key_name=\"" +
                                  exposition::labelValue(key.name) + "\"," + format;
        sample(keys.adaptive, "aether_key_adaptive", labels, key.adaptive() ? 1 : 0);
        if (key.effective)
            sample(keys.effective, "aether_key_effective_limit", labels, *key.effective);
        if (key.learned)
            sample(keys.learned, "aether_key_learned_limit", labels, *key.learned);
        if (key.maxConcurrent)
            sample(keys.fixedLimit, "aether_key_fixed_limit", labels, *key.maxConcurrent);
        sample(keys.errors, "aether_key_429_total", labels + ",type=\"concurrent\"", key.concurrent429);
        sample(keys.errors, "aether_key_429_total", labels + ",type=\"rpm\"", key.rpm429);
        sample(keys.adjustments, "aether_key_adjustments", labels, key.adjustments);
        Totals &atEndpoint = endpoints[endpoint];
        atEndpoint.labels = endpoint;
        atEndpoint.add(key);
        Totals &atProvider = providers[provider];
        atProvider.labels = provider;
        atProvider.add(key);
    });
    if (!scanned)
        return scanned.error();

    QByteArray out;
    out.reserve(keys.adaptive.size() * 8 + 4096);
    family(out, "aether_key_adaptive", "gauge", "1 when the key is in adaptive mode, 0 when its limit is fixed.");
    out += keys.adaptive;
    family(out, "aether_key_effective_limit", "gauge",
           "The concurrency limit in force: the learned one (adaptive, absent while nothing is learned) or the fixed "
           "one.");
    out += keys.effective;
    family(out, "aether_key_learned_limit", "gauge",
           "The learned concurrency limit (absent while nothing is learned).");
    out += keys.learned;
    family(out, "aether_key_fixed_limit", "gauge", "The fixed concurrency limit (fixed keys only).");
    out += keys.fixedLimit;
    family(out, "aether_key_429_total", "counter",
           "429 responses counted for the key, by type (concurrent, rpm); a reset of the learning starts it again.");
    out += keys.errors;
    family(out, "aether_key_adjustments", "gauge", "Records in the key's stored adjustment history.");
    out += keys.adjustments;

    writeTotals(out,
                {"aether_keys", "Keys per endpoint and mode.", "aether_endpoint_429_total",
                 "429 responses of the endpoint's keys, by type.", "aether_endpoint_effective_limits",
                 "The sum of the effective limits of the endpoint's keys (keys with nothing learned count 0)."},
                endpoints);
    writeTotals(out,
                {"aether_provider_keys", "Keys per provider and mode.", "aether_provider_429_total",
                 "429 responses of the provider's keys, by type.", "aether_provider_effective_limits",
                 "The sum of the effective limits of the provider's keys."},
                providers);
    return out;
}

} // namespace aether::http
