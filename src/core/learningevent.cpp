#include "learningevent.h"

#include <QJsonArray>

#include <cmath>
#include <limits>

namespace aether {

namespace {

Result<std::optional<int>> readCount(const QJsonValue &value, bool writtenAsFloat)
{
    const QString field = QStringLiteral("current_concurrent");
    if (value.isUndefined() || value.isNull())
        return std::optional<int>();
    if (!value.isDouble() || writtenAsFloat)
        return Error::invalid(field, value.isDouble() && std::floor(value.toDouble()) != value.toDouble()
                                         ? reason::intFromFloat
                                         : reason::intType);
    const double number = value.toDouble();
    if (number != std::floor(number))
        return Error::invalid(field, reason::intFromFloat);
    if (number < 0)
        return Error::invalid(field, reason::greaterThanEqual, 0);
    if (number > std::numeric_limits<int>::max())
        return Error::invalid(field, reason::lessThanEqual, std::numeric_limits<int>::max());
    return std::optional<int>(int(number));
}

Result<std::optional<HeaderList>> readHeaders(const QJsonValue &value)
{
    if (value.isUndefined() || value.isNull())
        return std::optional<HeaderList>();
    if (!value.isObject())
        return Error::invalid(QStringLiteral("headers"), reason::dictType, QStringLiteral(""));
    const QJsonObject object = value.toObject();
    HeaderList headers;
    headers.reserve(object.size());
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!it.value().isString())
            return Error::invalid(QStringLiteral("headers.") + it.key(), reason::stringType);
        headers.append({it.key(), it.value().toString().trimmed()});
    }
    return std::optional<HeaderList>(std::move(headers));
}

} // namespace

Result<LearningEvent> parseLearningEvent(const QJsonValue &value, const std::optional<QString> &keyId, Timestamp at,
                                         bool currentConcurrentWrittenAsFloat)
{
    if (!value.isObject())
        return Error::invalid(QString(), reason::dictType);
    const QJsonObject object = value.toObject();
    LearningEvent event;
    event.at = at;
    if (keyId) {
        event.keyId = *keyId;
    } else {
        const QJsonValue id = object.value(QLatin1StringView("key_id"));
        if (id.isUndefined() || id.isNull())
            return Error::invalid(QStringLiteral("key_id"), reason::missing);
        if (!id.isString())
            return Error::invalid(QStringLiteral("key_id"), reason::stringType);
        event.keyId = id.toString();
    }

    const QJsonValue outcome = object.value(QLatin1StringView("outcome"));
    if (outcome.isUndefined())
        return Error::invalid(QStringLiteral("outcome"), reason::missing);
    if (outcome == QLatin1StringView("success"))
        event.success = true;
    else if (outcome == QLatin1StringView("rate_limited"))
        event.success = false;
    else
        return Error::invalid(QStringLiteral("outcome"), reason::literalError,
                              QStringLiteral("'success' or 'rate_limited'"));

    Result<std::optional<int>> count =
        readCount(object.value(QLatin1StringView("current_concurrent")), currentConcurrentWrittenAsFloat);
    if (!count)
        return count.error();
    event.currentConcurrent = count.value();
    if (event.success && !event.currentConcurrent)
        return Error::invalid(QStringLiteral("current_concurrent"), reason::missing);

    const QJsonValue kind = object.value(QLatin1StringView("kind"));
    if (!kind.isUndefined() && !kind.isNull()) {
        event.kind = kind.isString() ? rateLimitKindFromName(kind.toString()) : std::nullopt;
        if (!event.kind)
            return Error::invalid(QStringLiteral("kind"), reason::literalError,
                                  QStringLiteral("'concurrent', 'rpm' or 'unknown'"));
    }
    const QJsonValue provider = object.value(QLatin1StringView("provider"));
    if (!provider.isUndefined() && !provider.isNull()) {
        if (!provider.isString())
            return Error::invalid(QStringLiteral("provider"), reason::stringType);
        event.provider = provider.toString();
    }
    Result<std::optional<HeaderList>> headers = readHeaders(object.value(QLatin1StringView("headers")));
    if (!headers)
        return headers.error();
    event.headers = headers.takeValue();
    return event;
}

QList<bool> numberLiteralsWithFraction(const QByteArray &json, QLatin1StringView field)
{
    QList<bool> found;
    const QByteArray needle = '"' + QByteArray(field.data(), field.size()) + '"';
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    for (qsizetype at = json.indexOf(needle); at >= 0; at = json.indexOf(needle, at + 1)) {
        if (at > 0 && json.at(at - 1) == '\\')
            continue; // inside a string
        qsizetype pos = at + needle.size();
        while (pos < json.size() && isSpace(json.at(pos)))
            ++pos;
        if (pos >= json.size() || json.at(pos) != ':')
            continue;
        ++pos;
        while (pos < json.size() && isSpace(json.at(pos)))
            ++pos;
        if (pos >= json.size() || !(json.at(pos) == '-' || (json.at(pos) >= '0' && json.at(pos) <= '9')))
            continue;
        bool fraction = false;
        for (; pos < json.size(); ++pos) {
            const char c = json.at(pos);
            if (c == '.' || c == 'e' || c == 'E')
                fraction = true;
            else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
                break;
        }
        found.append(fraction);
    }
    return found;
}

} // namespace aether
