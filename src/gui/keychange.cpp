#include "keychange.h"

#include <QCoreApplication>
#include <QDir>
#include <QSysInfo>

namespace aether::gui {

namespace {

// A change through the core's one door (KeyService::apply), with the outcome of its kind.
template <typename T> Result<T> change(KeyService &keys, KeyChange request)
{
    Result<KeyChangeOutcome> outcome = keys.apply(std::move(request));
    if (!outcome)
        return outcome.error();
    return std::get<T>(outcome.takeValue());
}

} // namespace

Actor windowActor()
{
    static const Actor actor = [] {
        QString user = qEnvironmentVariable("USER");
        if (user.isEmpty())
            user = qEnvironmentVariable("USERNAME");
        if (user.isEmpty())
            user = QDir::home().dirName();
        return Actor{QStringLiteral("gui:%1@%2").arg(user, QSysInfo::machineHostName())};
    }();
    return actor;
}

ChangeReport switchToAdaptive(KeyService &keys, const QString &keyId)
{
    const Result<ModeChange> r = change<ModeChange>(keys, KeyChange::setMode(keyId, true, std::nullopt, windowActor()));
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
        const Result<ModeChange> r = change<ModeChange>(keys, KeyChange::setMode(keyId, false, limit, windowActor()));
        if (!r)
            return {r.error(), {}};
        return {std::nullopt, QCoreApplication::translate("KeyChange", "Switched to fixed mode with a limit of %1.")
                                  .arg(r.value().maxConcurrent.value_or(limit))};
    }
    const Result<LimitChange> r = change<LimitChange>(keys, KeyChange::setLimit(keyId, limit, windowActor()));
    if (!r)
        return {r.error(), {}};
    return {std::nullopt,
            QCoreApplication::translate("KeyChange", "Fixed limit set to %1.").arg(r.value().maxConcurrent)};
}

ChangeReport resetLearning(KeyService &keys, const QString &keyId)
{
    const Result<LearningReset> r = change<LearningReset>(keys, KeyChange::resetLearning(keyId, windowActor()));
    if (!r)
        return {r.error(), {}};
    return {std::nullopt, QCoreApplication::translate("KeyChange", "Learning state reset; the mode is unchanged.")};
}

} // namespace aether::gui
