#include "base/jsoncolumn.h"

#include <QJsonDocument>

namespace aether {

QJsonArray readJsonArray(const QVariant &value, JsonArrayState *state)
{
    *state = JsonArrayState::Null;
    if (value.isNull())
        return {};
    const QByteArray text = value.toString().toUtf8();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
    if (error.error == QJsonParseError::NoError && doc.isArray()) {
        *state = JsonArrayState::Array;
        return doc.array();
    }
    if (text.trimmed() == "null")
        return {};
    *state = JsonArrayState::Malformed;
    return {};
}

} // namespace aether
