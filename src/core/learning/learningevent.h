#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "learning/ratelimitclassifier.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>

#include <optional>
#include <variant>

namespace aether {

// One request outcome that a gateway reports for a key (POST …/events): a success, or a 429 with what is known about
// it. Applied by KeyService as a KeyChange of kind LearningEvent.
struct LearningEvent {
    QString keyId;
    bool success = true;
    std::optional<int> currentConcurrent; // required for a success
    std::optional<double> tpotMs;         // a success's time per output token, where the gateway measures it
    std::optional<RateLimitKind> kind;    // given by the gateway: wins over provider + headers
    std::optional<QString> provider;      // else the key's own provider's name
    std::optional<HeaderList> headers;    // else empty headers
    Timestamp at;                         // when it happened (the request's arrival)
};

// What an event did: the answer of POST …/events.
struct EventOutcome {
    QString keyId;
    std::optional<RateLimitKind> classification; // 429s only
    std::optional<int> learned;
    std::optional<int> effectiveLimit; // what a gateway enforces now: learned (none while unlearned) or fixed
    bool adjusted = false;
    QJsonObject adjustment; // the record written; empty when none
};

// The limit a gateway must enforce for a key now (GET …/limit): none means no key-level limit.
struct EnforcedLimit {
    QString keyId;
    bool adaptive = true;
    std::optional<int> limit;
};

// Reads one event object as the endpoint receives it. `keyId` is the key of the route; std::nullopt means the object
// carries its own "key_id" (the batch route). `currentConcurrentWrittenAsFloat` says that the JSON text wrote the
// current_concurrent number with a fraction or an exponent (JSON parsers cannot tell 7.0 from 7). Field problems come
// back as ErrorCode::InvalidInput with the field's name.
Result<LearningEvent> parseLearningEvent(const QJsonValue &value, const std::optional<QString> &keyId, Timestamp at,
                                         bool currentConcurrentWrittenAsFloat = false);

// JSON parsers read 7.0 as 7; the contract refuses it. For the objects a request carries events in, whether their
// member `field` is a number written with a fraction or an exponent (for a member given twice, the last one, as the
// parser keeps it). The objects are the root object when `list` is empty (key 0), else the elements of the root
// object's array member `list` (key = index in it). `json` must be valid JSON.
QHash<qsizetype, bool> numbersWrittenWithFraction(const QByteArray &json, QLatin1StringView list,
                                                  QLatin1StringView field);

} // namespace aether
