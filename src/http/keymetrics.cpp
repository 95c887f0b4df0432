#include "keymetrics.h"

#include "keys/keytable.h"
#include "servermetrics.h"

#include <QMap>

#include <array>

namespace aether::http {

namespace {

using Totals = KeyMetricsPages::Totals;

void addToTotals(Totals &totals, const KeyRow &key)
{
    ++(key.adaptive() ? totals.adaptive : totals.fixed);
    totals.concurrent429 += key.concurrent429;
    totals.rpm429 += key.rpm429;
    totals.effectiveSum += key.effective.value_or(0);
}

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

void writeAllTotals(QByteArray &out, const QMap<QByteArray, Totals> &endpoints,
                    const QMap<QByteArray, Totals> &providers)
{
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
}

// The per-key families, in the order they are written.
enum class KeyFamily { Adaptive, Effective, Learned, FixedLimit, Errors, Adjustments };
constexpr int keyFamilyCount = int(KeyFamily::Adjustments) + 1;

// Each per-key family's name, type and help, in KeyFamily order.
struct FamilyText {
    const char *name, *type, *help;
};
constexpr std::array<FamilyText, keyFamilyCount> keyFamilies{{
    {"aether_key_adaptive", "gauge", "1 when the key is in adaptive mode, 0 when its limit is fixed."},
    {"aether_key_effective_limit", "gauge",
     "The concurrency limit in force: the learned one (adaptive, absent while nothing is learned) or the fixed one."},
    {"aether_key_learned_limit", "gauge", "The learned concurrency limit (absent while nothing is learned)."},
    {"aether_key_fixed_limit", "gauge", "The fixed concurrency limit (fixed keys only)."},
    {"aether_key_429_total", "counter",
     "429 responses counted for the key, by type (concurrent, rpm); a reset of the learning starts it again."},
    {"aether_key_adjustments", "gauge", "Records in the key's stored adjustment history."},
}};

void familyHeader(QByteArray &out, KeyFamily which)
{
    const FamilyText &text = keyFamilies[size_t(which)];
    family(out, text.name, text.type, text.help);
}

// Per key, provider and API format name the endpoint (they are unique together): its id would add a third to every
// line of the largest families.
QByteArray keyLabels(const KeyRow &key)
{
    return "key_id=\"" + exposition::labelValue(key.id) + "\",key_name=\"" + exposition::labelValue(key.name) +
           "\",provider=\"" + exposition::labelValue(key.provider) + "\",endpoint=\"" +
           exposition::labelValue(key.apiFormat) + '"';
}

void keySample(QByteArray &out, KeyFamily which, const QByteArray &labels, const KeyRow &key)
{
    const char *name = keyFamilies[size_t(which)].name;
    switch (which) {
    case KeyFamily::Adaptive:
        sample(out, name, labels, key.adaptive() ? 1 : 0);
        break;
    case KeyFamily::Effective:
        if (key.effective)
            sample(out, name, labels, *key.effective);
        break;
    case KeyFamily::Learned:
        if (key.learned)
            sample(out, name, labels, *key.learned);
        break;
    case KeyFamily::FixedLimit:
        if (key.maxConcurrent)
            sample(out, name, labels, *key.maxConcurrent);
        break;
    case KeyFamily::Errors:
        sample(out, name, labels + ",type=\"concurrent\"", key.concurrent429);
        sample(out, name, labels + ",type=\"rpm\"", key.rpm429);
        break;
    case KeyFamily::Adjustments:
        sample(out, name, labels, key.adjustments);
        break;
    }
}

void addKeyToTotals(const KeyRow &key, QMap<QByteArray, Totals> *endpoints, QMap<QByteArray, Totals> *providers)
{
    const QByteArray provider = "provider=\"" + exposition::labelValue(key.provider) + '"';
    const QByteArray endpoint = provider + ",endpoint=\"" + exposition::labelValue(key.apiFormat) +
                                "\",endpoint_id=\"" + exposition::labelValue(key.endpointId) + '"';
    Totals &atEndpoint = (*endpoints)[endpoint];
    atEndpoint.labels = endpoint;
    addToTotals(atEndpoint, key);
    Totals &atProvider = (*providers)[provider];
    atProvider.labels = provider;
    addToTotals(atProvider, key);
}

} // namespace

Result<QByteArray> renderKeyMetrics(KeyTable &table)
{
    // One pass: the samples of each family collected apart, then written one family after the other.
    std::array<QByteArray, keyFamilyCount> families;
    QMap<QByteArray, Totals> endpoints; // by provider, endpoint and endpoint id
    QMap<QByteArray, Totals> providers;
    const Status scanned = table.scan({}, KeyColumn::Id, [&](const KeyRow &key) {
        const QByteArray labels = keyLabels(key);
        for (int f = 0; f < keyFamilyCount; ++f)
            keySample(families[size_t(f)], KeyFamily(f), labels, key);
        addKeyToTotals(key, &endpoints, &providers);
    });
    if (!scanned)
        return scanned.error();

    QByteArray out;
    out.reserve(families[0].size() * 8 + 4096);
    for (int f = 0; f < keyFamilyCount; ++f) {
        familyHeader(out, KeyFamily(f));
        out += families[size_t(f)];
    }
    writeAllTotals(out, endpoints, providers);
    return out;
}

KeyMetricsPages::KeyMetricsPages(KeyTable &table)
    : m_table(table)
{
}

Result<QByteArray> KeyMetricsPages::next()
{
    QByteArray piece;
    // A page may hold no sample of its family (no learned limit among its keys): read on until there is one.
    while (piece.isEmpty() && m_family < keyFamilyCount) {
        const KeyFamily which = KeyFamily(m_family);
        if (!m_afterId)
            familyHeader(piece, which);
        KeyPageQuery query;
        query.column = KeyColumn::Id;
        query.limit = pageKeys;
        if (m_afterId) {
            query.anchor = KeyPageQuery::Anchor::After;
            query.value = *m_afterId;
            query.id = *m_afterId;
        }
        Result<QList<KeyRow>> page = m_table.page(query);
        if (!page)
            return page.error();
        for (const KeyRow &key : page.value()) {
            keySample(piece, which, keyLabels(key), key);
            if (which == KeyFamily::Adaptive)
                addKeyToTotals(key, &m_endpoints, &m_providers);
        }
        if (page.value().size() < pageKeys) {
            ++m_family;
            m_afterId.reset();
        } else {
            m_afterId = page.value().constLast().id;
        }
    }
    if (piece.isEmpty() && m_family == keyFamilyCount) {
        writeAllTotals(piece, m_endpoints, m_providers);
        ++m_family;
    }
    return piece;
}

} // namespace aether::http
