#pragma once

#include "base/error.h"
#include "messages.h"
#include "responses.h"
#include "storagelog.h"

#include <QHttpServerResponse>
#include <QJsonObject>

#include <utility>

namespace aether::http {

// The one mapping of core errors to the contract's statuses and bodies: not found 404, invalid input 400 (shapes A
// and B), a broken database 500 with a log reference, an unreachable one 503 with Retry-After. Storage failures are
// logged once per change of state (StorageLog), which /healthz reads.
class ErrorMapper {
public:
    // The status and the body object of an error.
    std::pair<StatusCode, QJsonObject> parts(const Error &error, Language language);
    // {"error": {...}} with the status (and Retry-After: 1 on a 503).
    QHttpServerResponse response(const Error &error, Language language);
    // {"status": N, "error": {...}}: one failed entry of a batch answer.
    QJsonObject entry(const Error &error, Language language);

    StorageLog &storageLog() { return m_storageLog; }

private:
    StorageLog m_storageLog;
};

} // namespace aether::http
