#pragma once

#include "base/timestamp.h"
#include "learning/ceilingstrategy.h"
#include "learning/learningpolicy.h"
#include "learning/ratelimitclassifier.h"

#include <QJsonArray>
#include <QJsonObject>

#include <optional>
#include <vector>

namespace aether {

// One utilisation sample of a key: {"ts": epoch seconds, "util": cc / limit rounded to 3 places}. `us` is ts in
// integer microseconds, which the window compares (../shared/spec/learning.md, exactness notes). Fields that another
// writer stored beside ts and util are kept in `stored`.
struct UtilizationSample {
    qint64 us = 0;
    double ts = 0;
    double util = 0;
    QJsonObject stored; // the sample as read from the database; empty for the learner's own
    QByteArray json;    // its JSON text once written (a sample is written with every event of its window)
};

// The learning columns of one key row (schema.md), as the learner reads and writes them.
struct LearningState {
    std::optional<int> maxConcurrent; // set: fixed mode
    std::optional<int> learned;
    qint64 concurrent429Count = 0;
    qint64 rpm429Count = 0;
    std::optional<Timestamp> last429At;
    std::optional<QString> last429Type;
    std::optional<int> lastConcurrentPeak;
    std::optional<Timestamp> lastProbeAt;
    std::vector<UtilizationSample> samples;
    QJsonArray history;
    // The ceiling strategy's own state (console_learning_state); std::nullopt when none is stored.
    std::optional<CeilingState> ceilingState;

    bool isAdaptive() const { return !maxConcurrent.has_value(); }
    // The limit a gateway enforces now: the learned one (none while nothing is learned) or the fixed one.
    std::optional<int> enforcedLimit() const { return isAdaptive() ? learned : maxConcurrent; }
};

// What one event did to a key.
struct LearningDecision {
    std::optional<int> limit; // what handle429 / handleSuccess return (../shared/spec/learning.md)
    bool adjusted = false;    // a history record was written (even when old = new)
    QJsonObject record;       // that record
    bool changed = false;     // any column changed (the row must be written)
    bool historyChanged = false;
    bool strategyStateChanged = false; // LearningState::ceilingState changed (its table must be written)
};

// The learning on a key's state, with the parameters of a policy and the strategy it names: the original service's
// algorithm (../shared/spec/learning.md; aether_aimd, and aether_aimd_clamped) or the console's ceiling strategy
// (aether_ceiling, docs/learning-strategy.md). Holds no state of its own between calls; time comes from the caller
// (integer microseconds), so virtual clocks work.
class Learner {
public:
    explicit Learner(LearningPolicy policy = {});
    const LearningPolicy &policy() const { return m_policy; }

    LearningDecision handle429(LearningState &state, RateLimitKind kind, std::optional<int> currentConcurrent,
                               Timestamp now) const;
    // `tpotMs`: the request's time per output token, where the gateway measures it (the ceiling strategy's latency
    // hint; the reference ignores it).
    LearningDecision handleSuccess(LearningState &state, int currentConcurrent, Timestamp now,
                                   std::optional<double> tpotMs = std::nullopt) const;
    // Clears what was learned: limit, counters, 429 and probe times, samples and history. Keeps the mode.
    static void reset(LearningState &state);

    // Python's round(value, digits) for a double: the correctly rounded decimal, read back as the nearest double.
    static double pythonRound(double value, int digits);

private:
    // The utilisation samples of the window after a success.
    struct WindowStats {
        qsizetype count = 0;
        double highRatio = 0.0; // share of samples at or above the threshold
        double mean = 0.0;
    };
    void addSample(LearningState &state, int limit, int currentConcurrent, qint64 nowUs) const;
    // "high_utilization", "probe_increase" or nullptr (no increase now).
    const char *increaseReason(const LearningState &state, const WindowStats &window, qint64 nowUs) const;
    void appendRecord(LearningState &state, QJsonObject record) const;
    int current(const LearningState &state) const;

    // The ceiling strategy (ceilingstrategy.cpp).
    LearningDecision ceiling429(LearningState &state, RateLimitKind kind, std::optional<int> currentConcurrent,
                                Timestamp now) const;
    LearningDecision ceilingSuccess(LearningState &state, int currentConcurrent, std::optional<double> tpotMs,
                                    Timestamp now) const;
    CeilingState &ceilingStateOf(LearningState &state) const;
    void setCeilingLimit(LearningState &state, CeilingState &c, int newLimit, const char *reasonName,
                         const char *signal, int currentConcurrent, Timestamp now, LearningDecision &decision) const;

    LearningPolicy m_policy;
    bool m_clamped = false;
    bool m_ceiling = false;
    qint64 m_windowUs = 0;
    qint64 m_cooldownUs = 0;
    qint64 m_probeIntervalUs = 0;
};

} // namespace aether
