#pragma once

#include "controllers/routecontext.h"

#include <QCache>

#include <optional>
#include <variant>

namespace aether::http {

// The routes of the original service's six admin operations on keys: the list of adaptive keys, a key's stats,
// its mode, its fixed limit, the reset of its learning, and the summary over all keys.
class KeyController {
public:
    explicit KeyController(RouteContext &context);

    QHttpServerResponse list(const QHttpServerRequest &request);
    QHttpServerResponse stats(const QString &keyId, const QHttpServerRequest &request);
    void setMode(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    void setLimit(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    void resetLearning(const QString &keyId, const QHttpServerRequest &request, QHttpServerResponder &&responder);
    QHttpServerResponse summary(const QHttpServerRequest &request);

private:
    // A changing route's checks give either an answer at once or the change to queue.
    using Prepared = std::variant<QHttpServerResponse, KeyChange>;
    Prepared prepareSetMode(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareSetLimit(const QString &keyId, const QHttpServerRequest &request);
    Prepared prepareReset(const QString &keyId, const QHttpServerRequest &request);
    void submit(Prepared prepared, const QHttpServerRequest &request, QHttpServerResponder &&responder);

    RouteContext &m_context;
    // The rendered list (10,000 keys are megabytes of JSON), valid while the data revision stays the same.
    struct RenderedKeys {
        QByteArray revision;
        QString endpointId;
        QByteArray body;
    };
    std::optional<RenderedKeys> m_keysCache;
    // Keys per page of GET /keys; a list of up to maxWholeKeysBody bytes (~18,000 keys) is answered whole and kept
    // while the data is the same, a longer one is streamed.
    static constexpr int pageKeys = 2000;
    static constexpr qsizetype maxWholeKeysBody = 4 * 1024 * 1024;
    // Rendered stats of recently asked keys, valid while the (cheap) data revision stays the same.
    struct RenderedStats {
        QByteArray revision;
        QByteArray body;
    };
    QCache<QString, RenderedStats> m_statsCache{4096};
};

} // namespace aether::http
