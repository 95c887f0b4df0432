#pragma once

#include "keys/keytypes.h"
#include "messages.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

namespace aether::http {

// The answers' bodies as the contract (../shared/spec/api.md) spells them, apart from routing: each takes what a core
// operation returned and renders it, field by field in the contract's order.

// GET …/keys: the JSON array of adaptive keys.
QByteArray keyListBody(const QList<KeyListItem> &keys);
// GET …/keys/{id}/stats.
QByteArray statsBody(const KeyStats &stats);
// PATCH …/mode, PATCH …/limit, DELETE …/learning, POST …/events: the answer of a change that was made.
QByteArray changeBody(const KeyChangeOutcome &outcome, Language language);
// One event's answer (also an entry of POST /events' results).
QJsonObject eventBody(const EventOutcome &outcome);
// GET …/summary.
QJsonObject summaryBody(const Summary &summary);
// GET …/keys/{id}/limit.
QJsonObject enforcedLimitBody(const EnforcedLimit &limit);
// GET /version.
const QByteArray &versionBody();

} // namespace aether::http
