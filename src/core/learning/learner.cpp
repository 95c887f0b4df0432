#include "learning/learner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace aether {

namespace {

constexpr qint64 usPerSecond = 1000000;

} // namespace

Learner::Learner(LearningPolicy policy)
    : m_policy(std::move(policy))
    , m_clamped(m_policy.strategy == u"aether_aimd_clamped")
    , m_ceiling(m_policy.strategy == u"aether_ceiling")
    , m_windowUs(qint64(m_policy.utilizationWindowSeconds) * usPerSecond)
    , m_cooldownUs(qint64(m_policy.cooldownMinutes) * 60 * usPerSecond)
    , m_probeIntervalUs(qint64(m_policy.probeIntervalMinutes) * 60 * usPerSecond)
{
}

double Learner::pythonRound(double value, int digits)
{
    if (!std::isfinite(value))
        return value;
    // The common case: value·10^digits is not near a half, so rounding it is exact enough, and the quotient of two
    // integers is the double nearest to the decimal (as Python's string round trip gives).
    const double scale = std::pow(10.0, digits);
    const double scaled = value * scale;
    if (std::fabs(scaled) < 1e15) {
        const double floor = std::floor(scaled);
        const double fraction = scaled - floor;
        if (std::fabs(fraction - 0.5) > 1e-6)
            return (fraction < 0.5 ? floor : floor + 1) / scale;
    }
    // Near a half only the exact decimal expansion decides: glibc's printf rounds it correctly, like CPython.
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, value);
    return std::strtod(text, nullptr);
}

int Learner::current(const LearningState &state) const
{
    // "learned or initial", as the original service writes it: a stored 0 counts as nothing learned.
    return state.learned && *state.learned != 0 ? *state.learned : m_policy.initialLimit;
}

void Learner::appendRecord(LearningState &state, QJsonObject record) const
{
    state.history.append(record);
    while (state.history.size() > m_policy.maxHistoryRecords)
        state.history.removeFirst();
}

LearningDecision Learner::handle429(LearningState &state, RateLimitKind kind, std::optional<int> currentConcurrent,
                                    Timestamp now) const
{
    LearningDecision decision;
    if (!state.isAdaptive()) {
        decision.limit = state.maxConcurrent;
        return decision;
    }
    if (m_ceiling)
        return ceiling429(state, kind, currentConcurrent, now);
    decision.changed = true;
    state.last429At = now;
    state.last429Type = rateLimitKindName(kind);
    state.lastConcurrentPeak = currentConcurrent;
    state.samples.clear();

    const int old = current(state);
    std::optional<int> newLimit;
    QString reasonName;
    switch (kind) {
    case RateLimitKind::Concurrent: {
        ++state.concurrent429Count;
        const int cc = currentConcurrent.value_or(0);
        const double base = cc != 0 ? double(cc) : double(old);
        newLimit = std::max(int(base * m_policy.decreaseMultiplier), m_policy.minLimit);
        if (m_clamped)
            newLimit = std::min(*newLimit, std::max(old, m_policy.minLimit));
        reasonName = QStringLiteral("concurrent_429");
        break;
    }
    case RateLimitKind::Rpm:
        ++state.rpm429Count;
        break;
    case RateLimitKind::Unknown:
        newLimit = std::max(int(double(old) * m_policy.unknownDecreaseMultiplier), m_policy.minLimit);
        reasonName = QStringLiteral("unknown_429");
        break;
    }
    if (newLimit) {
        decision.record = QJsonObject{
            {QStringLiteral("timestamp"), now.toIsoString()},
            {QStringLiteral("old_limit"), old},
            {QStringLiteral("new_limit"), *newLimit},
            {QStringLiteral("reason"), reasonName},
            {QStringLiteral("current_concurrent"), currentConcurrent ? QJsonValue(*currentConcurrent) : QJsonValue()},
        };
        appendRecord(state, decision.record);
        state.learned = *newLimit;
        decision.adjusted = true;
        decision.historyChanged = true;
    }
    decision.limit = current(state);
    return decision;
}

void Learner::addSample(LearningState &state, int limit, int currentConcurrent, qint64 nowUs) const
{
    UtilizationSample sample;
    sample.us = nowUs;
    sample.ts = double(nowUs) / 1e6;
    // A stored limit of 0 or less (written by hand) gives utilisation 0, as in the reference model.
    sample.util = limit > 0 ? pythonRound(double(currentConcurrent) / double(limit), 3) : 0.0;
    auto &samples = state.samples;
    samples.push_back(std::move(sample));
    // Keep the samples of the window (newer than now − window: all of them are checked, since samples stored by
    // another writer or before a clock step need not be in order), then the last N of them.
    const qint64 cutoff = nowUs - m_windowUs;
    samples.erase(
        std::remove_if(samples.begin(), samples.end(), [cutoff](const UtilizationSample &s) { return s.us <= cutoff; }),
        samples.end());
    if (samples.size() > size_t(m_policy.utilizationWindowSize))
        samples.erase(samples.begin(), samples.end() - m_policy.utilizationWindowSize);
}

const char *Learner::increaseReason(const LearningState &state, const WindowStats &window, qint64 nowUs) const
{
    const bool inCooldown = state.last429At && nowUs - state.last429At->microseconds() < m_cooldownUs;
    if (inCooldown)
        return nullptr;
    if (window.count >= m_policy.minSamplesForDecision && window.highRatio >= m_policy.highUtilizationRatio)
        return "high_utilization";
    const bool quietSince429 = !state.last429At || nowUs - state.last429At->microseconds() >= m_probeIntervalUs;
    const bool probeDue = !state.lastProbeAt || nowUs - state.lastProbeAt->microseconds() >= m_probeIntervalUs;
    if (quietSince429 && probeDue && window.count >= m_policy.probeMinSamples &&
        window.mean >= m_policy.probeMinUtilization)
        return "probe_increase";
    return nullptr;
}

LearningDecision Learner::handleSuccess(LearningState &state, int currentConcurrent, Timestamp now,
                                        std::optional<double> tpotMs) const
{
    LearningDecision decision;
    if (!state.isAdaptive())
        return decision;
    if (m_ceiling)
        return ceilingSuccess(state, currentConcurrent, tpotMs, now);
    decision.changed = true;
    const int limit = current(state);
    const qint64 nowUs = now.microseconds();
    addSample(state, limit, currentConcurrent, nowUs);
    WindowStats window;
    window.count = qsizetype(state.samples.size());
    qsizetype high = 0;
    double sum = 0.0;
    for (const UtilizationSample &s : state.samples) {
        if (s.util >= m_policy.utilizationThreshold)
            ++high;
        sum += s.util; // in window order, as the reference sums
    }
    window.highRatio = double(high) / double(window.count);
    window.mean = sum / double(window.count);

    const char *reasonName = increaseReason(state, window, nowUs);
    if (!reasonName || limit >= m_policy.maxLimit)
        return decision;
    const int newLimit = std::min(limit + m_policy.increaseStep, m_policy.maxLimit);
    decision.record = QJsonObject{
        {QStringLiteral("timestamp"), now.toIsoString()},
        {QStringLiteral("old_limit"), limit},
        {QStringLiteral("new_limit"), newLimit},
        {QStringLiteral("reason"), QLatin1StringView(reasonName)},
        {QStringLiteral("avg_utilization"), pythonRound(window.mean, 2)},
        {QStringLiteral("high_util_ratio"), pythonRound(window.highRatio, 2)},
        {QStringLiteral("sample_count"), window.count},
        {QStringLiteral("current_concurrent"), currentConcurrent},
    };
    appendRecord(state, decision.record);
    state.learned = newLimit;
    if (reasonName[0] == 'p')
        state.lastProbeAt = now;
    state.samples.clear();
    decision.limit = newLimit;
    decision.adjusted = true;
    decision.historyChanged = true;
    return decision;
}

void Learner::reset(LearningState &state)
{
    state.learned.reset();
    state.concurrent429Count = 0;
    state.rpm429Count = 0;
    state.last429At.reset();
    state.last429Type.reset();
    state.lastConcurrentPeak.reset();
    state.lastProbeAt.reset();
    state.samples.clear();
    state.history = QJsonArray();
    state.ceilingState.reset();
}

} // namespace aether
