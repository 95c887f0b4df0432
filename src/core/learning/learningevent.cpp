#include "learning/learningevent.h"

#include <QJsonArray>

#include <cstring>

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

    const QJsonValue tpot = object.value(QLatin1StringView("tpot_ms"));
    if (!tpot.isUndefined() && !tpot.isNull()) {
        if (!tpot.isDouble() || !std::isfinite(tpot.toDouble()))
            return Error::invalid(QStringLiteral("tpot_ms"), reason::floatType);
        if (tpot.toDouble() < 0)
            return Error::invalid(QStringLiteral("tpot_ms"), reason::greaterThanEqual, 0);
        event.tpotMs = tpot.toDouble();
    }

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

namespace {

// A walk over valid JSON text that finds the number literals of one member in the objects that carry events.
class JsonWalk {
public:
    JsonWalk(const QByteArray &json, QLatin1StringView list, QLatin1StringView field)
        : m_json(json)
        , m_list(list.data(), list.size())
        , m_field(field.data(), field.size())
    {
    }

    QHash<qsizetype, bool> run()
    {
        skipSpace();
        if (peek() == '{')
            object(Role::Root, 0);
        return m_found;
    }

private:
    enum class Role { Other, Root, Event };

    char peek() const { return m_pos < m_json.size() ? m_json[m_pos] : '\0'; }

    void skipSpace()
    {
        while (m_pos < m_json.size() && std::strchr(" \t\r\n", m_json[m_pos]) && m_json[m_pos] != '\0')
            ++m_pos;
    }

    // A string token; escapes are kept as written (the names compared here have none).
    QByteArrayView string()
    {
        const qsizetype start = ++m_pos;
        while (m_pos < m_json.size() && m_json[m_pos] != '"')
            m_pos += m_json[m_pos] == '\\' ? 2 : 1;
        const QByteArrayView text(m_json.constData() + start, m_pos - start);
        ++m_pos;
        return text;
    }

    // Steps over ',' or the container's end after an element.
    void next()
    {
        skipSpace();
        if (peek() == ',') {
            ++m_pos;
            skipSpace();
        }
    }

    void object(Role role, qsizetype index)
    {
        ++m_pos; // '{'
        skipSpace();
        while (m_pos < m_json.size() && peek() != '}') {
            const QByteArrayView key = string();
            skipSpace();
            ++m_pos; // ':'
            skipSpace();
            const bool carriesEvent = role == Role::Event || (role == Role::Root && m_list.isEmpty());
            if (carriesEvent && key == m_field) {
                m_found.remove(index); // a member given twice: the last one counts, as in the parser
                if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
                    m_found.insert(index, number());
                else
                    skipValue();
            } else if (role == Role::Root && !m_list.isEmpty() && key == m_list && peek() == '[') {
                array(true);
            } else {
                skipValue();
            }
            next();
        }
        ++m_pos; // '}'
    }

    void array(bool events)
    {
        ++m_pos; // '['
        skipSpace();
        for (qsizetype i = 0; m_pos < m_json.size() && peek() != ']'; ++i) {
            if (events && peek() == '{')
                object(Role::Event, i);
            else
                skipValue();
            next();
        }
        ++m_pos; // ']'
    }

    void skipValue()
    {
        switch (peek()) {
        case '{':
            object(Role::Other, -1);
            break;
        case '[':
            array(false);
            break;
        case '"':
            string();
            break;
        default:
            while (m_pos < m_json.size() && !std::strchr(",}] \t\r\n", m_json[m_pos]))
                ++m_pos;
        }
    }

    // A number token; true when it has a fraction or an exponent.
    bool number()
    {
        bool fraction = false;
        for (; m_pos < m_json.size(); ++m_pos) {
            const char c = m_json[m_pos];
            if (c == '.' || c == 'e' || c == 'E')
                fraction = true;
            else if (!(c == '-' || c == '+' || (c >= '0' && c <= '9')))
                break;
        }
        return fraction;
    }

    const QByteArray &m_json;
    qsizetype m_pos = 0;
    QByteArrayView m_list;
    QByteArrayView m_field;
    QHash<qsizetype, bool> m_found;
};

} // namespace

QHash<qsizetype, bool> numbersWrittenWithFraction(const QByteArray &json, QLatin1StringView list,
                                                  QLatin1StringView field)
{
    return JsonWalk(json, list, field).run();
}

} // namespace aether
