#pragma once

#include "jsonwriter.h"
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
// The same list's text in pieces: its items joined by commas, after `first` items were written (keyListBody is "["
// + the pieces + "]").
QByteArray keyListItems(const QList<KeyListItem> &keys, bool first);
// GET …/keys/{id}/stats.
QByteArray statsBody(const KeyStats &stats);
// PATCH …/mode, PATCH …/limit, DELETE …/learning, POST …/events: the answer of a change that was made.
QByteArray changeBody(const KeyChangeOutcome &outcome, Language language);
// One event's answer (POST …/keys/{id}/events), in the order docs/api-changelog.md gives.
QByteArray eventBody(const EventOutcome &outcome);
// POST /events' answer, {"results": […]}: one entry per event in order, an event's answer as eventBody() writes it or
// a refused event's entry. Written straight into the text: a batch of 500 answers built as QJsonObjects and then
// serialized took a third of the route's time in the server.
class EventResultsBody {
public:
    explicit EventResultsBody(qsizetype entries);
    void addOutcome(const EventOutcome &outcome);
    void addEntry(const QJsonObject &entry);
    QByteArray take();

private:
    JsonWriter m_out;
};
// GET …/summary.
QJsonObject summaryBody(const Summary &summary);
// GET …/keys/{id}/limit.
QJsonObject enforcedLimitBody(const EnforcedLimit &limit);
// GET /version.
const QByteArray &versionBody();

} // namespace aether::http
