#pragma once

#include "controllers/routecontext.h"

#include <QJsonArray>

namespace aether::http {

// The routes of the learning that gateways call: reporting request outcomes (one event, or a batch of up to
// Gatekeeper::maxBatchEvents) and reading the limit to enforce.
class LearningController {
public:
    static constexpr qsizetype maxBatchEvents = 1000;

    explicit LearningController(RouteContext &context);

    void postEvent(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    void postEvents(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    QHttpServerResponse enforcedLimit(const QString &keyId, const QHttpServerRequest &request);

private:
    // A batch's events: the changes to apply and, per event in order, the index of its change or its error entry.
    struct ParsedBatch {
        QList<KeyChange> changes;
        std::vector<std::variant<qsizetype, QJsonObject>> entries;
    };
    Result<ParsedBatch> parseBatch(const QHttpServerRequest &request, Timestamp arrival, Language language);
    // The error entry of an event that could not be read (an unknown key is reported before a bad body).
    Result<QJsonObject> rejectedEvent(const QJsonValue &value, Error problem, Language language);
    ChangeQueue::Render renderBatch(ParsedBatch batch, Language language);

    RouteContext &m_context;
};

} // namespace aether::http
