#pragma once

#include "database.h"
#include "error.h"
#include "keytypes.h"

#include <QSet>

#include <optional>

namespace aether {

// The seed's six admin operations on provider API keys: list adaptive keys, switch mode, stats, reset learning, set a
// fixed limit, summary. Every front end (HTTP endpoint, GUI, command line) calls these and presents the result; all
// validation and SQL happen here.
class KeyService {
public:
    static constexpr int minFixedLimit = 1;
    static constexpr int maxFixedLimit = 100;
    static constexpr int initialLimit = 50;      // the stats' effective limit while nothing is learned
    static constexpr int recentStatsRecords = 5; // records in stats.recent_adjustments
    static constexpr int recentPerKey = 3;       // records per key considered by the summary
    static constexpr int recentSummaryRecords = 10;

    explicit KeyService(Database &db) : m_db(db) {}

    // Adaptive keys (max_concurrent IS NULL), active or not; an empty endpointId means all endpoints.
    Result<QList<KeyListItem>> listAdaptiveKeys(const QString &endpointId = {});
    Result<bool> keyExists(const QString &keyId);
    // adaptive = true clears max_concurrent; false sets it to fixedLimit, which is then required. fixedLimit, when
    // given, must be within [minFixedLimit, maxFixedLimit] in both cases.
    Result<ModeChange> setMode(const QString &keyId, bool adaptive, std::optional<int> fixedLimit, const Actor &actor);
    Result<KeyStats> stats(const QString &keyId);
    // Clears the learned limit, the 429 counters and times, the history and the samples; keeps the mode.
    Result<LearningReset> resetLearning(const QString &keyId, const Actor &actor);
    Result<LimitChange> setFixedLimit(const QString &keyId, int limit, const Actor &actor);
    Result<Summary> summary();

private:
    Status validateFixedLimit(int limit) const;
    Status audit(const Actor &actor, const QString &action, const QString &keyId, const QJsonObject &detail);
    void warnMalformedHistory(const QString &keyId, const QString &column);
    Result<Summary> computeSummary();

    Database &m_db;
    QSet<QString> m_warnedKeys;
    std::optional<QByteArray> m_summaryStamp;
    Summary m_summaryCache;
};

} // namespace aether
