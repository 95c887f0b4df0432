#include "learning/ceilingstrategy.h"
#include "learning/learner.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>

namespace aether {

namespace {

constexpr qint64 usPerSecond = 1000000;
constexpr int stateVersion = 1;
// Constants of the strategy that the policy does not name (docs/learning-strategy.md has the measurements behind them).
constexpr qint64 recoveryFirstUs = 30 * usPerSecond; // first wait for a probe far below the best level
constexpr qint64 recoveryMaxUs = 600 * usPerSecond;  // its longest wait
constexpr qint64 fallWindowUs = 30 * usPerSecond;    // 429s this soon after a fall's first one: the same fall
constexpr qint64 volatileWindowUs = 1200 * usPerSecond;
constexpr int volatileFalls = 2;        // falls within the window: the capacity is volatile
constexpr double volatileMargin = 0.15; // then the hold stays this far under the 429's concurrency
constexpr double recoveryShare = 0.8;   // below this share of the best level: recovering
constexpr int hintMinSamples = 40;
constexpr double hintSlowAlpha = 0.005;
constexpr double hintFastAlpha = 0.05;
// At high rates (many successes a second) the averages must not follow by count alone: the slow one spans at least
// 300 s (else it follows a rise as fast as the per-token times show it), the fast one at least 100 samples' worth of
// 20 s (else its noise crosses the threshold).
constexpr double hintSlowMinSeconds = 300.0;
constexpr double hintFastSeconds = 20.0;
constexpr double hintFastAlphaMin = 0.01;
constexpr double hintRatio = 0.92;
constexpr double hintRelevel = 0.1;
constexpr qint64 hintQuietUs = 30 * usPerSecond; // no hinted probe this soon after a decrease

QJsonValue optionalInt(const std::optional<qint64> &value)
{
    return value ? QJsonValue(double(*value)) : QJsonValue();
}

std::optional<qint64> readOptional(const QJsonValue &value)
{
    return value.isDouble() ? std::optional<qint64>(qint64(value.toDouble())) : std::nullopt;
}

} // namespace

QByteArray CeilingState::toJson() const
{
    QJsonArray falls;
    for (qint64 t : fallsUs)
        falls.append(double(t));
    QJsonArray window;
    for (const auto &[t, cc] : recent)
        window.append(QJsonArray{double(t), cc});
    const QJsonObject object{
        {QStringLiteral("v"), stateVersion},
        {QStringLiteral("limit"), limit},
        {QStringLiteral("ceiling"), ceiling ? QJsonValue(*ceiling) : QJsonValue()},
        {QStringLiteral("probing"), probing},
        {QStringLiteral("best"), best},
        {QStringLiteral("hold_us"), double(holdUs)},
        {QStringLiteral("recovery_us"), double(recoveryUs)},
        {QStringLiteral("next_probe_us"), double(nextProbeUs)},
        {QStringLiteral("fall_at_us"), optionalInt(fallAtUs)},
        {QStringLiteral("cut_at_us"), optionalInt(cutAtUs)},
        {QStringLiteral("falls_us"), falls},
        {QStringLiteral("streak"), streak},
        {QStringLiteral("recent"), window},
        {QStringLiteral("hint_level"), hintLevel},
        {QStringLiteral("hint_count"), hintCount},
        {QStringLiteral("hint_slow"), hintSlow},
        {QStringLiteral("hint_fast"), hintFast},
        {QStringLiteral("hint_at_us"), double(hintAtUs)},
    };
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

std::optional<CeilingState> CeilingState::fromJson(const QByteArray &text)
{
    const QJsonObject o = QJsonDocument::fromJson(text).object();
    if (o.value(QLatin1StringView("v")).toInt() != stateVersion)
        return std::nullopt;
    CeilingState s;
    s.limit = o.value(QLatin1StringView("limit")).toInt();
    const QJsonValue ceiling = o.value(QLatin1StringView("ceiling"));
    if (ceiling.isDouble())
        s.ceiling = ceiling.toInt();
    s.probing = o.value(QLatin1StringView("probing")).toBool();
    s.best = o.value(QLatin1StringView("best")).toInt();
    s.holdUs = qint64(o.value(QLatin1StringView("hold_us")).toDouble());
    s.recoveryUs = qint64(o.value(QLatin1StringView("recovery_us")).toDouble());
    s.nextProbeUs = qint64(o.value(QLatin1StringView("next_probe_us")).toDouble());
    s.fallAtUs = readOptional(o.value(QLatin1StringView("fall_at_us")));
    s.cutAtUs = readOptional(o.value(QLatin1StringView("cut_at_us")));
    for (const QJsonValue &t : o.value(QLatin1StringView("falls_us")).toArray())
        s.fallsUs.push_back(qint64(t.toDouble()));
    for (const QJsonValue &entry : o.value(QLatin1StringView("recent")).toArray()) {
        const QJsonArray pair = entry.toArray();
        if (pair.size() == 2)
            s.recent.emplace_back(qint64(pair.at(0).toDouble()), pair.at(1).toInt());
    }
    s.streak = o.value(QLatin1StringView("streak")).toInt();
    s.hintLevel = o.value(QLatin1StringView("hint_level")).toInt();
    s.hintCount = o.value(QLatin1StringView("hint_count")).toInt();
    s.hintSlow = o.value(QLatin1StringView("hint_slow")).toDouble();
    s.hintFast = o.value(QLatin1StringView("hint_fast")).toDouble();
    s.hintAtUs = qint64(o.value(QLatin1StringView("hint_at_us")).toDouble());
    return s;
}

bool operator==(const CeilingState &a, const CeilingState &b)
{
    return a.limit == b.limit && a.ceiling == b.ceiling && a.probing == b.probing && a.best == b.best &&
           a.holdUs == b.holdUs && a.recoveryUs == b.recoveryUs && a.nextProbeUs == b.nextProbeUs &&
           a.fallAtUs == b.fallAtUs && a.cutAtUs == b.cutAtUs && a.fallsUs == b.fallsUs && a.streak == b.streak &&
           a.recent == b.recent && a.hintLevel == b.hintLevel && a.hintCount == b.hintCount &&
           a.hintSlow == b.hintSlow && a.hintFast == b.hintFast && a.hintAtUs == b.hintAtUs;
}

CeilingState &Learner::ceilingStateOf(LearningState &state) const
{
    // A state left with another limit than the row's describes a key that someone else changed since (an operator,
    // a gateway learning with the reference, another strategy): start again from the row.
    const int learned = state.learned.value_or(0);
    if (!state.ceilingState || state.ceilingState->limit != learned) {
        state.ceilingState = CeilingState{};
        state.ceilingState->limit = learned;
    }
    CeilingState &c = *state.ceilingState;
    if (c.holdUs <= 0)
        c.holdUs = m_cooldownUs;
    if (c.recoveryUs <= 0)
        c.recoveryUs = recoveryFirstUs;
    return c;
}

void Learner::setCeilingLimit(LearningState &state, CeilingState &c, int newLimit, const char *reasonName,
                              const char *signal, int currentConcurrent, Timestamp now,
                              LearningDecision &decision) const
{
    const int old = state.learned.value_or(0);
    QJsonObject record{
        {QStringLiteral("timestamp"), now.toIsoString()},
        {QStringLiteral("old_limit"), state.learned ? QJsonValue(old) : QJsonValue()},
        {QStringLiteral("new_limit"), newLimit},
        {QStringLiteral("reason"), QLatin1StringView(reasonName)},
        {QStringLiteral("current_concurrent"), currentConcurrent},
        {QStringLiteral("signal"), QLatin1StringView(signal)},
        {QStringLiteral("ceiling"), c.ceiling ? QJsonValue(*c.ceiling) : QJsonValue()},
    };
    appendRecord(state, record);
    decision.record = std::move(record);
    decision.adjusted = true;
    decision.historyChanged = true;
    decision.changed = true;
    state.learned = newLimit;
    c.limit = newLimit;
}

LearningDecision Learner::ceiling429(LearningState &state, RateLimitKind kind, std::optional<int> currentConcurrent,
                                     Timestamp now) const
{
    // The row's bookkeeping is the reference's: every 429 is counted and its time, kind and concurrency kept.
    LearningDecision decision;
    decision.changed = true;
    state.last429At = now;
    state.last429Type = rateLimitKindName(kind);
    state.lastConcurrentPeak = currentConcurrent;
    if (kind == RateLimitKind::Concurrent)
        ++state.concurrent429Count;
    else if (kind == RateLimitKind::Rpm)
        ++state.rpm429Count;
    decision.limit = state.learned;
    // RPM 429s and 429s without a concurrency signal say nothing about the concurrency the provider allows.
    if (kind != RateLimitKind::Concurrent || !currentConcurrent || *currentConcurrent < 1)
        return decision;
    const int cc = *currentConcurrent;
    CeilingState &c = ceilingStateOf(state);
    decision.strategyStateChanged = true;
    // A request admitted before an earlier decrease: it raced that cut and says nothing new.
    if (state.learned && cc > *state.learned)
        return decision;
    const qint64 t = now.microseconds();
    while (!c.recent.empty() && c.recent.front().first <= t - m_windowUs)
        c.recent.erase(c.recent.begin());
    const int recentBest = c.recent.empty() ? 0 : c.recent.front().second;
    int newLimit = 0;
    const char *signal = nullptr;
    if (cc > recentBest) {
        // Nothing at this concurrency worked lately: the capacity is just below it.
        signal = c.probing ? "probe_failed" : "ceiling_found";
        if (c.probing) {
            c.holdUs = std::min(2 * c.holdUs, m_probeIntervalUs);
            c.recoveryUs = std::min(2 * c.recoveryUs, recoveryMaxUs);
        }
        newLimit = cc - 1;
    } else {
        // It worked at this concurrency a moment ago: the capacity fell. The fall's first 429 holds just below; any
        // further one cuts by the policy's multiplier, since the capacity is then more than one slot lower.
        if (c.fallAtUs && t - *c.fallAtUs < fallWindowUs) {
            signal = "fell_further";
            newLimit = int(double(cc) * m_policy.decreaseMultiplier);
        } else {
            signal = "capacity_fell";
            newLimit = cc - 1;
            c.fallAtUs = t;
            c.fallsUs.push_back(t);
        }
        c.holdUs = m_cooldownUs;
        c.recoveryUs = recoveryFirstUs;
    }
    c.fallsUs.erase(
        std::remove_if(c.fallsUs.begin(), c.fallsUs.end(), [t](qint64 at) { return at <= t - volatileWindowUs; }),
        c.fallsUs.end());
    if (int(c.fallsUs.size()) >= volatileFalls)
        newLimit = std::min(newLimit, cc - 1 - int(double(cc) * volatileMargin));
    c.ceiling = cc;
    c.probing = false;
    // Never below the policy's minimum, unless the 429 itself came below it; never above the policy's maximum.
    newLimit = std::max({newLimit, std::min(m_policy.minLimit, cc - 1), 1});
    newLimit = std::min(newLimit, m_policy.maxLimit);
    const bool recovering = double(newLimit) < recoveryShare * double(c.best);
    c.nextProbeUs = t + (recovering ? c.recoveryUs : c.holdUs);
    c.cutAtUs = t;
    c.streak = 0;
    setCeilingLimit(state, c, newLimit, "concurrent_429", signal, cc, now, decision);
    decision.limit = state.learned;
    return decision;
}

LearningDecision Learner::ceilingSuccess(LearningState &state, int cc, std::optional<double> tpotMs,
                                         Timestamp now) const
{
    LearningDecision decision;
    decision.limit = state.learned;
    // A request admitted before a decrease finishes above the new limit: no evidence for the limit now.
    if (state.learned && cc > *state.learned)
        return decision;
    CeilingState &c = ceilingStateOf(state);
    decision.strategyStateChanged = true;
    const qint64 t = now.microseconds();
    while (!c.recent.empty() && c.recent.back().second <= cc)
        c.recent.pop_back();
    c.recent.emplace_back(t, cc);
    while (c.recent.front().first <= t - m_windowUs)
        c.recent.erase(c.recent.begin());
    c.best = std::max(c.best, cc);

    if (!state.learned) {
        // Nothing learned, no limit enforced: only the policy's maximum, once the key is half as busy.
        if (2 * cc >= m_policy.maxLimit) {
            c.streak = 0;
            setCeilingLimit(state, c, m_policy.maxLimit, "high_utilization", "max_limit", cc, now, decision);
            decision.limit = state.learned;
        }
        return decision;
    }
    const int limit = *state.learned;
    if (cc < limit - 1)
        return decision; // the limit does not bind: the traffic, not the provider, sets the concurrency
    if (tpotMs) {
        if (c.hintCount == 0 || std::abs(limit - c.hintLevel) > std::max(1.0, hintRelevel * double(c.hintLevel))) {
            c.hintLevel = limit;
            c.hintCount = 0;
        }
        ++c.hintCount;
        if (c.hintCount == 1) {
            c.hintSlow = c.hintFast = *tpotMs;
        } else {
            const double dt = double(std::max<qint64>(0, t - c.hintAtUs)) / 1e6;
            const double slow = std::min(hintSlowAlpha, -std::expm1(-dt / hintSlowMinSeconds));
            const double fast = std::clamp(-std::expm1(-dt / hintFastSeconds), hintFastAlphaMin, hintFastAlpha);
            c.hintSlow += std::max(1.0 / double(c.hintCount), slow) * (*tpotMs - c.hintSlow);
            c.hintFast += fast * (*tpotMs - c.hintFast);
        }
        c.hintAtUs = t;
    }
    const bool volatileCapacity =
        int(std::count_if(c.fallsUs.begin(), c.fallsUs.end(), [t](qint64 at) { return at > t - volatileWindowUs; })) >=
        volatileFalls;
    if (c.ceiling && cc >= *c.ceiling) {
        // It worked at the concurrency that failed before: the capacity rose. Growth resumes; far below the best
        // level it goes straight back there (after an incident the provider's limit usually returns).
        c.ceiling.reset();
        c.probing = false;
        c.holdUs = m_cooldownUs;
        c.recoveryUs = recoveryFirstUs;
        c.streak = 0;
        if (double(limit) < recoveryShare * double(c.best) && !volatileCapacity) {
            setCeilingLimit(state, c, std::min(c.best, m_policy.maxLimit), "high_utilization", "recovery", cc, now,
                            decision);
            decision.limit = state.learned;
            return decision;
        }
    } else if (c.probing && cc >= limit) {
        c.probing = false;
    }
    if (!c.ceiling) {
        if (++c.streak >= m_policy.minSamplesForDecision && limit < m_policy.maxLimit) {
            c.streak = 0;
            const int step = std::max(m_policy.increaseStep, limit / 10);
            setCeilingLimit(state, c, std::min(limit + step, m_policy.maxLimit), "high_utilization", "growth", cc, now,
                            decision);
            decision.limit = state.learned;
        }
        return decision;
    }
    if (c.probing || limit >= m_policy.maxLimit)
        return decision;
    const bool hinted = !volatileCapacity && c.hintCount >= hintMinSamples && c.hintFast < hintRatio * c.hintSlow &&
                        (!c.cutAtUs || t - *c.cutAtUs >= hintQuietUs);
    if (t < c.nextProbeUs && !hinted)
        return decision;
    // One slot above the hold, to see whether the capacity rose.
    c.probing = true;
    const bool recovering = double(limit + 1) < recoveryShare * double(c.best);
    c.nextProbeUs = t + (recovering ? c.recoveryUs : c.holdUs);
    state.lastProbeAt = now;
    setCeilingLimit(state, c, limit + 1, "probe_increase", hinted ? "latency_hint" : "timed_probe", cc, now, decision);
    decision.limit = state.learned;
    return decision;
}

} // namespace aether
