#include "learning/learningpolicy.h"

#include <QCoreApplication>

#include <QJsonValue>

#include <cmath>
#include <functional>

namespace aether {

namespace {

// One field of the policy: its JSON name, how to read and write it, and its own range.
struct Field {
    const char *name;
    enum class Type { Integer, Number, Text } type;
    std::function<QJsonValue(const LearningPolicy &)> get;
    std::function<void(LearningPolicy &, const QJsonValue &)> set;
};

template <typename T> Field intField(const char *name, T LearningPolicy::*member)
{
    return {name, Field::Type::Integer, [member](const LearningPolicy &p) { return QJsonValue(p.*member); },
            [member](LearningPolicy &p, const QJsonValue &v) { p.*member = int(v.toInteger()); }};
}

Field numberField(const char *name, double LearningPolicy::*member)
{
    return {name, Field::Type::Number, [member](const LearningPolicy &p) { return QJsonValue(p.*member); },
            [member](LearningPolicy &p, const QJsonValue &v) { p.*member = v.toDouble(); }};
}

const QList<Field> &fields()
{
    static const QList<Field> all{
        intField("initial_limit", &LearningPolicy::initialLimit),
        intField("min_limit", &LearningPolicy::minLimit),
        intField("max_limit", &LearningPolicy::maxLimit),
        intField("increase_step", &LearningPolicy::increaseStep),
        numberField("decrease_multiplier", &LearningPolicy::decreaseMultiplier),
        numberField("unknown_decrease_multiplier", &LearningPolicy::unknownDecreaseMultiplier),
        intField("cooldown_minutes", &LearningPolicy::cooldownMinutes),
        intField("utilization_window_size", &LearningPolicy::utilizationWindowSize),
        intField("utilization_window_seconds", &LearningPolicy::utilizationWindowSeconds),
        numberField("utilization_threshold", &LearningPolicy::utilizationThreshold),
        numberField("high_utilization_ratio", &LearningPolicy::highUtilizationRatio),
        intField("min_samples_for_decision", &LearningPolicy::minSamplesForDecision),
        intField("probe_interval_minutes", &LearningPolicy::probeIntervalMinutes),
        intField("probe_min_samples", &LearningPolicy::probeMinSamples),
        numberField("probe_min_utilization", &LearningPolicy::probeMinUtilization),
        intField("max_history_records", &LearningPolicy::maxHistoryRecords),
        {"strategy", Field::Type::Text, [](const LearningPolicy &p) { return QJsonValue(p.strategy); },
         [](LearningPolicy &p, const QJsonValue &v) { p.strategy = v.toString(); }},
    };
    return all;
}

// The type check of one value (pydantic's strict types: no strings for numbers, no booleans).
Status checkType(const Field &field, const QJsonValue &value)
{
    const QString name = QLatin1StringView(field.name);
    switch (field.type) {
    case Field::Type::Integer: {
        if (!value.isDouble())
            return Error::invalid(name, reason::intType);
        const double d = value.toDouble();
        if (d != std::floor(d))
            return Error::invalid(name, reason::intFromFloat);
        if (std::fabs(d) > 1e9)
            return Error::invalid(name, d > 0 ? reason::lessThanEqual : reason::greaterThanEqual,
                                  d > 0 ? 1000000000 : -1000000000);
        return Done{};
    }
    case Field::Type::Number:
        if (!value.isDouble() || !std::isfinite(value.toDouble()))
            return Error::invalid(name, reason::floatType);
        return Done{};
    case Field::Type::Text:
        if (!value.isString())
            return Error::invalid(name, reason::stringType);
        return Done{};
    }
    return Done{};
}

Status atLeast(const char *field, double value, double bound, const QVariant &shown = {})
{
    if (value < bound)
        return Error::invalid(QLatin1StringView(field), reason::greaterThanEqual, shown.isValid() ? shown : bound);
    return Done{};
}

Status atMost(const char *field, double value, double bound, const QVariant &shown = {})
{
    if (value > bound)
        return Error::invalid(QLatin1StringView(field), reason::lessThanEqual, shown.isValid() ? shown : bound);
    return Done{};
}

Status strictlyBetweenZeroAndOne(const char *field, double value)
{
    if (value <= 0)
        return Error::invalid(QLatin1StringView(field), reason::greaterThan, 0);
    if (value >= 1)
        return Error::invalid(QLatin1StringView(field), reason::lessThan, 1);
    return Done{};
}

QString named(const char *field, int value)
{
    return QStringLiteral("%1 (%2)").arg(QLatin1StringView(field)).arg(value);
}

} // namespace

QStringList LearningPolicy::strategies()
{
    return {recommendedStrategy(), defaultStrategy(), QStringLiteral("aether_aimd_clamped")};
}

QString LearningPolicy::strategyDescription(const QString &strategy)
{
    if (strategy == recommendedStrategy())
        return QCoreApplication::translate("Strategy", "holds just below the concurrency at which 429s came, probes "
                                                       "above it rarely; about half the reference's 429s");
    if (strategy == defaultStrategy())
        return QCoreApplication::translate("Strategy", "the original service's algorithm, bit for bit");
    if (strategy == u"aether_aimd_clamped")
        return QCoreApplication::translate("Strategy", "the original algorithm, but a 429 never raises the limit");
    return {};
}

QStringList LearningPolicy::fieldNames()
{
    QStringList names;
    for (const Field &field : fields())
        names << QLatin1StringView(field.name);
    return names;
}

QJsonObject LearningPolicy::toJson() const
{
    QJsonObject object;
    for (const Field &field : fields())
        object.insert(QLatin1StringView(field.name), field.get(*this));
    return object;
}

Result<LearningPolicy> LearningPolicy::patched(const LearningPolicy &base, const QJsonObject &patch)
{
    LearningPolicy policy = base;
    const QStringList names = fieldNames();
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (!names.contains(it.key()))
            return Error::invalid(it.key(), reason::extraForbidden);
    }
    for (const Field &field : fields()) {
        const auto value = patch.constFind(QLatin1StringView(field.name));
        if (value == patch.constEnd())
            continue;
        if (const Status typed = checkType(field, *value); !typed)
            return typed.error();
        field.set(policy, *value);
    }
    if (const Status valid = policy.validate(); !valid)
        return valid.error();
    return policy;
}

Status LearningPolicy::validate() const
{
    const QList<Status> checks{
        atLeast("min_limit", minLimit, 1),
        atMost("max_limit", maxLimit, 100000),
        atLeast("max_limit", maxLimit, minLimit, named("min_limit", minLimit)),
        atLeast("initial_limit", initialLimit, minLimit, named("min_limit", minLimit)),
        atMost("initial_limit", initialLimit, maxLimit, named("max_limit", maxLimit)),
        atLeast("increase_step", increaseStep, 1),
        atMost("increase_step", increaseStep, 1000),
        strictlyBetweenZeroAndOne("decrease_multiplier", decreaseMultiplier),
        strictlyBetweenZeroAndOne("unknown_decrease_multiplier", unknownDecreaseMultiplier),
        atLeast("cooldown_minutes", cooldownMinutes, 0),
        atMost("cooldown_minutes", cooldownMinutes, 10080),
        atLeast("utilization_window_size", utilizationWindowSize, 1),
        atMost("utilization_window_size", utilizationWindowSize, 1000),
        atLeast("utilization_window_seconds", utilizationWindowSeconds, 1),
        atMost("utilization_window_seconds", utilizationWindowSeconds, 86400),
        strictlyBetweenZeroAndOne("utilization_threshold", utilizationThreshold),
        atLeast("high_utilization_ratio", highUtilizationRatio, 0),
        atMost("high_utilization_ratio", highUtilizationRatio, 1),
        atLeast("min_samples_for_decision", minSamplesForDecision, 1),
        atMost("min_samples_for_decision", minSamplesForDecision, utilizationWindowSize,
               named("utilization_window_size", utilizationWindowSize)),
        atLeast("probe_interval_minutes", probeIntervalMinutes, 0),
        atMost("probe_interval_minutes", probeIntervalMinutes, 10080),
        atLeast("probe_min_samples", probeMinSamples, 1),
        atMost("probe_min_samples", probeMinSamples, utilizationWindowSize,
               named("utilization_window_size", utilizationWindowSize)),
        atLeast("probe_min_utilization", probeMinUtilization, 0),
        atMost("probe_min_utilization", probeMinUtilization, 1),
        atLeast("max_history_records", maxHistoryRecords, 1),
        atMost("max_history_records", maxHistoryRecords, 1000),
    };
    for (const Status &check : checks) {
        if (!check)
            return check;
    }
    if (!strategies().contains(strategy))
        return Error::invalid(QStringLiteral("strategy"), reason::literalError,
                              QString(u'\'' + strategies().join(QStringLiteral("' or '")) + u'\''));
    return Done{};
}

} // namespace aether
