#pragma once

#include "keys/keyservice.h"

#include <QString>

#include <optional>

namespace aether::gui {

// A change of a key made in the window, through the core's operations, with the short message that reports it.
struct ChangeReport {
    std::optional<Error> error; // set when the change was not made
    QString message;
};

// Who the window's changes are recorded as in the audit log: "gui:<OS user>@<host>".
Actor windowActor();

ChangeReport switchToAdaptive(KeyService &keys, const QString &keyId);
// Fixed with `limit`: the core's toggle-mode operation for an adaptive key, its set-limit operation for a fixed one.
ChangeReport fixLimit(KeyService &keys, const QString &keyId, bool keyIsAdaptive, int limit);
ChangeReport resetLearning(KeyService &keys, const QString &keyId);

} // namespace aether::gui
