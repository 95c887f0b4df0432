#pragma once

#include "base/error.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>
#include <QVariant>

#include <optional>
#include <variant>

namespace aether::http {

// The body of PATCH /keys/{id}/mode after the original service's (pydantic's lax mode) coercions.
struct ModeRequest {
    bool enabled = true;
    std::optional<qint64> fixedLimit;
};

// Why a body could not be read. Kind::Field carries a pydantic error type (missing, bool_type, bool_parsing, int_type,
// int_parsing, int_from_float, dict_type) for the first offending field.
struct BodyProblem {
    enum class Kind { Empty, InvalidJson, Field };
    Kind kind = Kind::InvalidJson;
    QString field;
    QString reason;
};

std::variant<ModeRequest, BodyProblem> parseModeBody(const QByteArray &body);

// The checks every JSON body gets: valid UTF-8 without a byte-order mark, then any JSON value (scalars included, which
// QJsonDocument alone does not take at the top level).
bool isValidUtf8(const QByteArray &body);
std::optional<QJsonValue> parseJsonValue(const QByteArray &body);
// Both checks on a request's body: the value, or why it is none (InvalidInput: empty_body or invalid_json).
Result<QJsonValue> readJsonBody(const QByteArray &body);

// A query or body integer as pydantic reads it from a string: surrounding white space, an optional sign, digits, and
// an optional fraction of zeros. std::nullopt when it is not such a string.
std::optional<qint64> parseIntegerString(QStringView text);

} // namespace aether::http
