// The learning core alone (no HTTP, no database): decisions per second of Learner::handleSuccess and handle429 on a
// key state held in memory. Prints one line per measurement.
//   aether-learner-bench [decisions]

#include "learning/learner.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace aether;

namespace {

// Successes at a realistic mix of in-flight counts, 1 ms apart, with a concurrency 429 every `every429` events (0:
// none), so that the window fills, increases happen and the cooldown runs.
double measure(qint64 decisions, int every429, int *finalLimit)
{
    const Learner learner;
    LearningState state;
    state.learned = 40;
    qint64 now = 1795694400LL * 1000000;
    QElapsedTimer timer;
    timer.start();
    for (qint64 i = 0; i < decisions; ++i) {
        now += 1000;
        const int cc = 10 + int(i % 37);
        if (every429 && i % every429 == every429 - 1)
            learner.handle429(state, RateLimitKind::Concurrent, cc, Timestamp::fromMicroseconds(now));
        else
            learner.handleSuccess(state, cc, Timestamp::fromMicroseconds(now));
    }
    const qint64 ns = timer.nsecsElapsed();
    *finalLimit = state.learned.value_or(0);
    return double(decisions) / (double(ns) / 1e9);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const qint64 decisions = argc > 1 ? QByteArray(argv[1]).toLongLong() : 5000000;
    int limit = 0;
    measure(decisions / 10, 0, &limit); // warm-up
    for (int round = 1; round <= 3; ++round) {
        const double successes = measure(decisions, 0, &limit);
        std::printf("round %d: handleSuccess only: %.0f decisions/s (final limit %d)\n", round, successes, limit);
        const double mixed = measure(decisions, 1000, &limit);
        std::printf("round %d: with a concurrency 429 every 1,000 events: %.0f decisions/s (final limit %d)\n", round,
                    mixed, limit);
    }
    return 0;
}
