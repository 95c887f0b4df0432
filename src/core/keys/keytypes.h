#pragma once

#include "base/timestamp.h"
#include "learning/learningevent.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <memory>
#include <optional>
#include <variant>

namespace aether {

// The range of a fixed concurrency limit, as the original service validates it.
inline constexpr int minFixedLimit = 1;
inline constexpr int maxFixedLimit = 100;

// Value types returned by KeyService. "Mode is derived, never stored": max_concurrent NULL means adaptive.

struct KeyListItem {
    QString id;
    std::optional<QString> name;
    QString endpointId;
    std::optional<int> maxConcurrent;
    std::optional<int> learnedMaxConcurrent;
    qint64 concurrent429Count = 0;
    qint64 rpm429Count = 0;

    bool isAdaptive() const { return !maxConcurrent.has_value(); }
    // Adaptive: the learned limit (may be unknown); fixed: the configured limit.
    std::optional<int> effectiveLimit() const { return isAdaptive() ? learnedMaxConcurrent : maxConcurrent; }
};

struct ModeChange {
    QString keyId;
    bool isAdaptive = true;
    std::optional<int> maxConcurrent;
    std::optional<int> effectiveLimit; // adaptive: learned limit or none; fixed: max_concurrent
    bool changed = true;               // false: the key was in this mode (with this limit) already
};

struct LimitChange {
    QString keyId;
    int maxConcurrent = 0;
    bool wasAdaptive = false;
    bool changed = true; // false: the key had this fixed limit already
};

struct LearningReset {
    QString keyId;
    bool changed = true; // false: nothing was learned or recorded
};

struct KeyStats {
    QString keyId;
    bool adaptiveMode = true;
    std::optional<int> maxConcurrent;
    int effectiveLimit = 0; // adaptive: learned limit, or the initial limit while nothing is learned
    std::optional<int> learnedLimit;
    qint64 concurrent429Count = 0;
    qint64 rpm429Count = 0;
    std::optional<Timestamp> last429At;
    std::optional<QString> last429Type;
    int adjustmentCount = 0;
    QJsonArray recentAdjustments;     // the last five stored records, oldest first
    QByteArray recentAdjustmentsJson; // the same as compact JSON, rendered once per stored history
};

struct RecentAdjustment {
    QString keyId;
    std::optional<QString> keyName;
    QJsonObject record; // as stored, including fields the console does not know
};

// Which keys a summary covers: every key, a provider's or an endpoint's (the endpoint wins when both are given).
struct SummaryScope {
    QString providerId;
    QString endpointId;
    bool operator==(const SummaryScope &other) const
    {
        return providerId == other.providerId && endpointId == other.endpointId;
    }
};

struct Summary {
    qint64 totalAdaptiveKeys = 0;
    qint64 totalFixedKeys = 0; // the keys of the scope with a fixed limit (not part of the original's answer)
    qint64 totalConcurrent429Errors = 0;
    qint64 totalRpm429Errors = 0;
    qint64 totalAdjustments = 0;
    QList<RecentAdjustment> recentAdjustments; // newest first, at most ten
};

// Who asked for a change; written to the audit log.
struct Actor {
    QString name; // e.g. "token:ops", "cli", "gui"
};

// One change of a key for KeyService::applyChanges.
struct KeyChange {
    enum class Kind { SetMode, SetLimit, ResetLearning, LearningEvent };
    Kind kind = Kind::SetMode;
    QString keyId;
    bool adaptive = true;     // SetMode
    std::optional<int> limit; // SetMode: the fixed limit; SetLimit: the limit
    Actor actor;
    std::shared_ptr<const aether::LearningEvent> event; // LearningEvent (keyId is the event's)

    // The ways to ask for a change, for every front end (HTTP, window, command line).
    static KeyChange setMode(const QString &keyId, bool adaptive, std::optional<int> fixedLimit, Actor actor)
    {
        return {Kind::SetMode, keyId, adaptive, fixedLimit, std::move(actor), {}};
    }
    static KeyChange setLimit(const QString &keyId, int limit, Actor actor)
    {
        return {Kind::SetLimit, keyId, false, limit, std::move(actor), {}};
    }
    static KeyChange resetLearning(const QString &keyId, Actor actor)
    {
        return {Kind::ResetLearning, keyId, true, std::nullopt, std::move(actor), {}};
    }
    static KeyChange learningEvent(LearningEvent event)
    {
        KeyChange change;
        change.kind = Kind::LearningEvent;
        change.keyId = event.keyId;
        change.event = std::make_shared<const aether::LearningEvent>(std::move(event));
        return change;
    }
};

using KeyChangeOutcome = std::variant<ModeChange, LimitChange, LearningReset, EventOutcome>;

// A fixed limit within [minFixedLimit, maxFixedLimit]; else InvalidInput naming `field` and the bound crossed.
Status checkFixedLimit(const QString &field, int limit);

// The keys that changes touch, each once, in the order they first appear.
QStringList distinctKeyIds(const QList<KeyChange> &changes);

} // namespace aether
