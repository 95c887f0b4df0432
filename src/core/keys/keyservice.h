#pragma once

#include "base/error.h"
#include "keys/keychangebatch.h"
#include "keys/keytypes.h"
#include "keys/summarybuilder.h"
#include "learning/learningpolicy.h"
#include "learning/policystore.h"
#include "storage/database.h"
#include "storage/rowversion.h"

#include <QCache>

#include <QSet>

#include <optional>

namespace aether {

// The original service's six admin operations on provider API keys: list adaptive keys, switch mode, stats, reset
// learning, set a fixed limit, summary. Every front end (HTTP endpoint, GUI, command line) calls these and presents the
// result; all validation and SQL happen here.
class KeyService {
public:
    Database &database() { return m_db; }
    static constexpr int minFixedLimit = aether::minFixedLimit;
    static constexpr int maxFixedLimit = aether::maxFixedLimit;
    static constexpr int initialLimit = 50;      // the stats' effective limit while nothing is learned
    static constexpr int recentStatsRecords = 5; // records in stats.recent_adjustments

    explicit KeyService(Database &db);

    // Adaptive keys (max_concurrent IS NULL), active or not; an empty endpointId means all endpoints.
    Result<QList<KeyListItem>> listAdaptiveKeys(const QString &endpointId = {});
    // At most `limit` of them, those whose id comes after `afterId` (keyset pages of the same list, in id order: a
    // key is neither repeated nor skipped while others are added or removed between pages).
    Result<QList<KeyListItem>> listAdaptiveKeysAfter(const QString &endpointId, const std::optional<QString> &afterId,
                                                     int limit);
    // The same with the fixed keys too (the command line's `keys --all`), in the same shape.
    Result<QList<KeyListItem>> listAllKeys(const QString &endpointId = {});
    Result<bool> keyExists(const QString &keyId);
    // Changes whenever any key may have changed, in this process or another; std::nullopt when unknown. Front ends
    // may keep a rendered answer while it stays the same.
    std::optional<QByteArray> dataRevision();
    // The same where it costs less than a single-key read (SQLite); std::nullopt elsewhere.
    std::optional<QByteArray> cheapDataRevision();
    // adaptive = true clears max_concurrent; false sets it to fixedLimit, which is then required. fixedLimit, when
    // given, must be within [minFixedLimit, maxFixedLimit] in both cases.
    Result<ModeChange> setMode(const QString &keyId, bool adaptive, std::optional<int> fixedLimit, const Actor &actor);
    Result<KeyStats> stats(const QString &keyId);
    // Everything a reset of learning clears, as stored (JSON columns as JSON, times as text), with the key's id and
    // name: what an operator saves before resetting.
    Result<QJsonObject> learningState(const QString &keyId);
    // Clears the learned limit, the 429 counters and times, the history and the samples; keeps the mode.
    Result<LearningReset> resetLearning(const QString &keyId, const Actor &actor);
    Result<LimitChange> setFixedLimit(const QString &keyId, int limit, const Actor &actor);
    Result<Summary> summary(const SummaryScope &scope = {});

    // The limit a gateway must enforce for the key now.
    Result<EnforcedLimit> enforcedLimit(const QString &keyId);
    // One learning event in a transaction of its own (ChangeWriter groups events of many requests instead).
    Result<EventOutcome> applyEvent(LearningEvent event);

    // The learning policy stored in the database (the original service's defaults while none is stored).
    Result<LearningPolicy> learningPolicy();
    // A partial update (LearningPolicy::patched) and the return to the defaults; both audited.
    Result<LearningPolicy> updateLearningPolicy(const QJsonObject &patch, const Actor &actor);
    Result<LearningPolicy> resetLearningPolicy(const Actor &actor);

    // Several changes in one write transaction, so that they share one commit. Each one succeeds or fails on its
    // own (not found, invalid input: nothing of it is written); a storage error fails them all and writes nothing.
    QList<Result<KeyChangeOutcome>> applyChanges(const QList<KeyChange> &changes);
    // One change (KeyChange's named constructors) in a transaction of its own: the one door of every front end.
    Result<KeyChangeOutcome> apply(KeyChange change);

private:
    struct HistoryTail;
    Result<QList<KeyListItem>> listKeys(const QString &endpointId, bool adaptiveOnly,
                                        const std::optional<QString> &afterId = std::nullopt, int limit = -1);
    KeyStats makeStats(const QString &keyId, const SqlStatement &row, const HistoryTail &tail);
    template <typename T> Result<T> applyOne(KeyChange change);
    void warnMalformedHistory(const QString &keyId, const QString &column);

    // The recent records of a key's history as last parsed, with the row version they belong to.
    struct HistoryTail {
        QByteArray version;
        int count = 0;
        QJsonArray recent;
        QByteArray recentJson;
    };
    static constexpr int cachedTails = 4096;

    Database &m_db;
    QSet<QString> m_warnedKeys;
    RowVersion m_versions;
    SummaryBuilder m_summary;
    KeyChangeBatch m_changes;
    PolicyStore m_policies;
    QCache<QString, HistoryTail> m_tails{cachedTails};
    QString m_statsSql;            // built once: the row without its history
    QString m_statsWithHistorySql; // and with it
};

} // namespace aether
