// The learning core alone (no HTTP, no database): decisions per second of Learner::handleSuccess and handle429 on a
// key state held in memory, for each strategy. Prints one line per measurement.
//   aether-learner-bench [decisions]

#include "learning/learner.h"
#include "learning/learningpolicy.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>

using namespace aether;

namespace {

// Successes 1 ms apart, with a concurrency 429 every `every429` events (0: none). The reference sees a realistic mix
// of in-flight counts, so that its window fills, increases happen and the cooldown runs; the ceiling strategy starts
// from a found ceiling and sees counts at and just under its limit (the limit binds: its costliest path, with the
// latency hint's averages and timed probes) and a per-token time, its 429s at the limit (falls of the capacity).
double measure(const QString &strategy, qint64 decisions, int every429, int *finalLimit)
{
    LearningPolicy policy;
    policy.strategy = strategy;
    const Learner learner(policy);
    const bool ceiling = strategy == LearningPolicy::recommendedStrategy();
    LearningState state;
    state.learned = 40;
    qint64 now = 1795694400LL * 1000000;
    if (ceiling) // a ceiling found at 41: the limit holds at 40, probes now and then (the steady state)
        learner.handle429(state, RateLimitKind::Concurrent, 41, Timestamp::fromMicroseconds(now));
    QElapsedTimer timer;
    timer.start();
    for (qint64 i = 0; i < decisions; ++i) {
        now += 1000;
        const int limit = state.learned.value_or(40);
        const int cc = ceiling ? std::max(1, limit - int(i % 4)) : 10 + int(i % 37);
        if (every429 && i % every429 == every429 - 1)
            learner.handle429(state, RateLimitKind::Concurrent, ceiling ? limit : cc, Timestamp::fromMicroseconds(now));
        else
            learner.handleSuccess(state, cc, Timestamp::fromMicroseconds(now), 20.0 + double(i % 7) * 0.1);
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
    for (const QString &strategy : LearningPolicy::strategies()) {
        measure(strategy, decisions / 10, 0, &limit); // warm-up
        for (int round = 1; round <= 3; ++round) {
            const double successes = measure(strategy, decisions, 0, &limit);
            std::printf("%s round %d: handleSuccess only: %.0f decisions/s (final limit %d)\n", qPrintable(strategy),
                        round, successes, limit);
            const double mixed = measure(strategy, decisions, 1000, &limit);
            std::printf("%s round %d: with a concurrency 429 every 1,000 events: %.0f decisions/s (final limit %d)\n",
                        qPrintable(strategy), round, mixed, limit);
        }
    }
    return 0;
}
