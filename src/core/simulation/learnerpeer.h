#pragma once

#include "keys/keyservice.h"
#include "storage/database.h"

#include <memory>

namespace aether {

// The console's learning behind the simulator's external-learner protocol (sim/README.md, "Driving an external
// learner"): one key in an in-memory database, fed through the same event path as POST …/events, on the simulator's
// virtual clock. Also what the trace replay test drives.
class LearnerPeer {
public:
    explicit LearnerPeer(QString strategy = LearningPolicy::defaultStrategy());
    ~LearnerPeer();

    // Creates the database and the key; fails on an unknown strategy.
    Status open();

    // One protocol line in, one reply line out (without the newline). A line that cannot be read gets
    // {"error": "..."}.
    QByteArray handleLine(const QByteArray &line);

    // The operations behind the protocol, at virtual time t (microseconds).
    Status reset();
    Result<EventOutcome> success(qint64 t, int currentConcurrent, std::optional<double> tpotMs = std::nullopt);
    Result<EventOutcome> rateLimited(qint64 t, const QString &kind, std::optional<int> currentConcurrent);
    // The gate the learner asks for now: the learned limit, none while nothing is learned.
    std::optional<int> gate() const { return m_gate; }

    static const QString keyId;

private:
    Result<EventOutcome> apply(const QJsonObject &body, qint64 t);

    QString m_strategy;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<KeyService> m_keys;
    std::optional<int> m_gate;
};

} // namespace aether
