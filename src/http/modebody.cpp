#include "modebody.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringDecoder>

#include <cmath>
#include <limits>

namespace aether::http {

namespace {

BodyProblem fieldProblem(const char *field, const char *reason)
{
    return {BodyProblem::Kind::Field, QString::fromLatin1(field), QString::fromLatin1(reason)};
}

} // namespace

bool isValidUtf8(const QByteArray &body)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(body);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}

std::optional<QJsonValue> parseJsonValue(const QByteArray &body)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error == QJsonParseError::NoError)
        return doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    const QJsonDocument wrapped = QJsonDocument::fromJson('[' + body + ']', &error);
    if (error.error == QJsonParseError::NoError && wrapped.array().size() == 1)
        return wrapped.array().first();
    return std::nullopt;
}

namespace {

// pydantic's lax bool: true/false, 0/1, and a few words.
std::variant<bool, const char *> readBool(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        return value.toBool();
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (d == 0)
            return false;
        if (d == 1)
            return true;
        return "bool_parsing";
    }
    case QJsonValue::String: {
        const QString s = value.toString().trimmed().toLower();
        static const QStringList truthy{QStringLiteral("true"), QStringLiteral("yes"), QStringLiteral("on"),
                                        QStringLiteral("1"),    QStringLiteral("t"),   QStringLiteral("y")};
        static const QStringList falsy{QStringLiteral("false"), QStringLiteral("no"), QStringLiteral("off"),
                                       QStringLiteral("0"),     QStringLiteral("f"),  QStringLiteral("n")};
        if (truthy.contains(s))
            return true;
        if (falsy.contains(s))
            return false;
        return "bool_parsing";
    }
    default:
        return "bool_type";
    }
}

qint64 clampToInt64(double d)
{
    if (d >= double(std::numeric_limits<qint64>::max()))
        return std::numeric_limits<qint64>::max();
    if (d <= double(std::numeric_limits<qint64>::min()))
        return std::numeric_limits<qint64>::min();
    return qint64(d);
}

// pydantic's lax int: integers, integral floats, integer strings, and booleans.
std::variant<qint64, const char *> readInt(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Bool:
        return qint64(value.toBool() ? 1 : 0);
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (!std::isfinite(d))
            return "int_parsing";
        if (d != std::floor(d))
            return "int_from_float";
        return clampToInt64(d);
    }
    case QJsonValue::String: {
        const std::optional<qint64> parsed = parseIntegerString(value.toString());
        if (!parsed)
            return "int_parsing";
        return *parsed;
    }
    default:
        return "int_type";
    }
}

} // namespace

std::optional<qint64> parseIntegerString(QStringView text)
{
    text = text.trimmed();
    if (text.isEmpty())
        return std::nullopt;
    qsizetype pos = 0;
    bool negative = false;
    if (text[0] == u'+' || text[0] == u'-') {
        negative = text[0] == u'-';
        ++pos;
    }
    const qsizetype digitsStart = pos;
    qint64 value = 0;
    bool overflow = false;
    while (pos < text.size() && text[pos] >= u'0' && text[pos] <= u'9') {
        if (value > (std::numeric_limits<qint64>::max() - 9) / 10)
            overflow = true;
        else
            value = value * 10 + (text[pos].unicode() - u'0');
        ++pos;
    }
    if (pos == digitsStart)
        return std::nullopt;
    if (pos < text.size() && text[pos] == u'.') {
        ++pos;
        while (pos < text.size() && text[pos] == u'0')
            ++pos;
    }
    if (pos != text.size())
        return std::nullopt;
    if (overflow)
        value = std::numeric_limits<qint64>::max();
    return negative ? -value : value;
}

std::variant<ModeRequest, BodyProblem> parseModeBody(const QByteArray &body)
{
    if (body.isEmpty())
        return BodyProblem{BodyProblem::Kind::Empty, {}, {}};
    if (body.startsWith("\xEF\xBB\xBF") || !isValidUtf8(body))
        return BodyProblem{BodyProblem::Kind::InvalidJson, {}, {}};
    const std::optional<QJsonValue> value = parseJsonValue(body);
    if (!value)
        return BodyProblem{BodyProblem::Kind::InvalidJson, {}, {}};
    if (!value->isObject())
        return BodyProblem{BodyProblem::Kind::Field, {}, QStringLiteral("dict_type")};
    const QJsonObject object = value->toObject();

    ModeRequest request;
    if (!object.contains(u"enabled"))
        return fieldProblem("enabled", "missing");
    const auto enabled = readBool(object.value(u"enabled"));
    if (std::holds_alternative<const char *>(enabled))
        return fieldProblem("enabled", std::get<const char *>(enabled));
    request.enabled = std::get<bool>(enabled);

    const QJsonValue fixed = object.value(u"fixed_limit");
    if (!fixed.isUndefined() && !fixed.isNull()) {
        const auto limit = readInt(fixed);
        if (std::holds_alternative<const char *>(limit))
            return fieldProblem("fixed_limit", std::get<const char *>(limit));
        request.fixedLimit = std::get<qint64>(limit);
    }
    return request;
}

Result<QJsonValue> readJsonBody(const QByteArray &body)
{
    if (body.isEmpty())
        return Error::invalid({}, reason::emptyBody);
    if (body.startsWith("\xEF\xBB\xBF") || !isValidUtf8(body))
        return Error::invalid({}, reason::invalidJson);
    std::optional<QJsonValue> value = parseJsonValue(body);
    if (!value)
        return Error::invalid({}, reason::invalidJson);
    return *value;
}

} // namespace aether::http
