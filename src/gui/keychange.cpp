#include "keychange.h"

#include <QCoreApplication>

namespace aether::gui {

namespace {
const Actor guiActor{QStringLiteral("gui")};
}

ChangeReport switchToAdaptive(KeyService &keys, const QString &keyId)
{
    const Result<ModeChange> r = keys.setMode(keyId, true, std::nullopt, guiActor);
    if (!r)
        return {r.error(), {}};
    if (!r.value().effectiveLimit)
        return {std::nullopt,
                QCoreApplication::translate("KeyChange", "Switched to adaptive mode; nothing learned yet.")};
    return {std::nullopt,
            QCoreApplication::translate("KeyChange", "Switched to adaptive mode; the learned limit %1 applies.")
                .arg(*r.value().effectiveLimit)};
}

ChangeReport fixLimit(KeyService &keys, const QString &keyId, bool keyIsAdaptive, int limit)
{
    if (keyIsAdaptive) {
        const Result<ModeChange> r = keys.setMode(keyId, false, limit, guiActor);
        if (!r)
            return {r.error(), {}};
        return {std::nullopt, QCoreApplication::translate("KeyChange", "Switched to fixed mode with a limit of %1.")
                                  .arg(r.value().maxConcurrent.value_or(limit))};
    }
    const Result<LimitChange> r = keys.setFixedLimit(keyId, limit, guiActor);
    if (!r)
        return {r.error(), {}};
    return {std::nullopt,
            QCoreApplication::translate("KeyChange", "Fixed limit set to %1.").arg(r.value().maxConcurrent)};
}

ChangeReport resetLearning(KeyService &keys, const QString &keyId)
{
    const Result<LearningReset> r = keys.resetLearning(keyId, guiActor);
    if (!r)
        return {r.error(), {}};
    return {std::nullopt, QCoreApplication::translate("KeyChange", "Learning state reset; the mode is unchanged.")};
}

} // namespace aether::gui
