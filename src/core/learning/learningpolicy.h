#pragma once

#include "base/error.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace aether {

// The parameters of the learning (../shared/spec/learning.md), stored in the database so that every console and gateway
// process uses the same values. The defaults are the original service's. Changing them never rewrites what keys have
// learned.
struct LearningPolicy {
    int initialLimit = 50;
    int minLimit = 3;
    int maxLimit = 200;
    int increaseStep = 2;
    double decreaseMultiplier = 0.85;
    double unknownDecreaseMultiplier = 0.9;
    int cooldownMinutes = 5;
    int utilizationWindowSize = 20;
    int utilizationWindowSeconds = 120;
    double utilizationThreshold = 0.7;
    double highUtilizationRatio = 0.6;
    int minSamplesForDecision = 5;
    int probeIntervalMinutes = 30;
    int probeMinSamples = 10;
    double probeMinUtilization = 0.3;
    int maxHistoryRecords = 20;
    QString strategy = defaultStrategy();

    // The strategy of a database that stores no policy (a gateway's, or one from before the ceiling strategy): the
    // original service's.
    static QString defaultStrategy() { return QStringLiteral("aether_aimd"); }
    // The one the console recommends, stored in the policy of every database it creates.
    static QString recommendedStrategy() { return QStringLiteral("aether_ceiling"); }
    // The strategies the learner knows, the recommended one first: aether_ceiling (docs/learning-strategy.md);
    // aether_aimd, the original service's algorithm; aether_aimd_clamped never raises a limit on a 429 (a concurrency
    // decrease is clamped to the old limit).
    static QStringList strategies();
    // One line for --list-strategies and the window, in the user's language.
    static QString strategyDescription(const QString &strategy);
    // The JSON field names, in the order the console shows them.
    static QStringList fieldNames();

    QJsonObject toJson() const;
    // A partial update: any subset of the fields; unknown fields, wrong types and out-of-range values are refused with
    // the offending field (nothing of the patch is applied then). The result is validated as a whole.
    static Result<LearningPolicy> patched(const LearningPolicy &base, const QJsonObject &patch);
    // The whole policy's rules (ranges and the relations between fields); the first violation.
    Status validate() const;

    friend bool operator==(const LearningPolicy &a, const LearningPolicy &b) { return a.toJson() == b.toJson(); }
    friend bool operator!=(const LearningPolicy &a, const LearningPolicy &b) { return !(a == b); }
};

} // namespace aether
