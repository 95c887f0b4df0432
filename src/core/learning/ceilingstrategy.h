#pragma once

#include <QByteArray>

#include <optional>
#include <utility>
#include <vector>

namespace aether {

// What the ceiling strategy (`aether_ceiling`, docs/learning-strategy.md) remembers about a key beyond the key row's
// columns. It lives in the console's own table console_learning_state, so a gateway's tables stay as they are. Times
// are microseconds of the events' clock.
struct CeilingState {
    int limit = 0;              // the learned limit this state was left with (0: none); a row whose limit differs
                                // was changed by someone else and the state no longer describes it
    std::optional<int> ceiling; // the concurrency of the last 429 that counted: the capacity is below it
    bool probing = false;       // the limit stands one above the hold, to see whether the capacity rose
    int best = 0;               // the highest concurrency that ever succeeded within the limit
    qint64 holdUs = 0;          // wait before the next timed probe (0: the policy's first value)
    qint64 recoveryUs = 0;      // the same while far below `best`
    qint64 nextProbeUs = 0;
    std::optional<qint64> fallAtUs; // the first 429 of the last fall of the capacity
    std::optional<qint64> cutAtUs;  // the last decrease
    std::vector<qint64> fallsUs;    // the starts of the falls of the last 20 minutes
    int streak = 0;                 // binding successes since the last increase
    // Successes within the limit of the recent window, as a monotone queue: times rising, concurrency falling; the
    // front holds the window's highest concurrency.
    std::vector<std::pair<qint64, int>> recent;
    // The latency hint: per-token times of binding successes at one level of the limit.
    int hintLevel = 0;
    int hintCount = 0;
    qint64 hintAtUs = 0; // the last binding success with a per-token time
    double hintSlow = 0.0;
    double hintFast = 0.0;

    QByteArray toJson() const;
    // std::nullopt when the text is not a state this version wrote.
    static std::optional<CeilingState> fromJson(const QByteArray &text);
    friend bool operator==(const CeilingState &a, const CeilingState &b);
};

} // namespace aether
