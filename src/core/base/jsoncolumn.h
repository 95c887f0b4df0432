#pragma once

#include <QJsonArray>
#include <QJsonValue>
#include <QVariant>

#include <optional>

namespace aether {

// What a JSON array column (adjustment_history, utilization_samples) held.
enum class JsonArrayState { Null, Array, Malformed };

// A JSON column's array. NULL (or JSON null) counts as an empty array; anything else that is not an array is
// reported as malformed and also counts as empty.
QJsonArray readJsonArray(const QVariant &value, JsonArrayState *state);

// A value, or JSON null when there is none.
template <typename T> QJsonValue jsonOrNull(const std::optional<T> &value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

} // namespace aether
