#pragma once

#include "base/error.h"
#include "keys/keytable.h"
#include "keys/keytypes.h"

#include <functional>
#include <optional>

namespace aether {

class KeyService;

// One change for many keys: the keys named, or every key of a filter.
struct BulkRequest {
    enum class Action { SetLimit, SetMode, ResetLearning };
    Action action = Action::SetLimit;
    std::optional<QStringList> keyIds; // else `filter`
    KeyFilter filter;
    int limit = 0;                 // SetLimit
    bool adaptive = true;          // SetMode
    std::optional<int> fixedLimit; // SetMode, required when !adaptive
    Actor actor;
};

struct BulkFailure {
    QString keyId;
    Error error;
};

// What a bulk change did: every matched key was changed, was so already, or failed (with why).
struct BulkResult {
    qint64 matched = 0;
    qint64 changed = 0;
    qint64 unchanged = 0;
    QList<BulkFailure> failed;
    bool canceled = false; // stopped by the progress callback: the chunks before it are written
};

// Applies one change to many keys: one transaction per chunk of keys (so that a change of 100,000 keys neither holds
// the write lock for long nor loses what was done when it is cancelled), each key audited as with a single change.
// The request is checked before anything is written: an invalid limit fails the whole request with InvalidInput.
class BulkChange {
public:
    static constexpr qsizetype chunkSize = 500;
    // Called after each chunk with the keys done and the total; false cancels the rest.
    using Progress = std::function<bool(qint64 done, qint64 total)>;

    BulkChange(KeyService &keys, KeyTable &table);

    Result<BulkResult> apply(const BulkRequest &request, const Progress &progress = {});

    // The steps of apply(), for front ends that write the changes their own way (the HTTP endpoint through its
    // change writer): the request's check, the keys it selects, each key's change and the counting of an outcome.
    static Status check(const BulkRequest &request);
    Result<QStringList> selectKeys(const BulkRequest &request);
    static KeyChange changeFor(const BulkRequest &request, const QString &keyId);
    static void count(const Result<KeyChangeOutcome> &outcome, const QString &keyId, BulkResult *result);

private:
    KeyService &m_keys;
    KeyTable &m_table;
};

} // namespace aether
