#include "learning/ratelimitclassifier.h"

#include <QDate>
#include <QDateTime>
#include <QRegularExpression>
#include <QTime>

#include <limits>

namespace aether {

namespace {

// A 429 whose Retry-After asks for a longer pause than this is not a concurrency rejection.
constexpr double maxConcurrentRetryAfterSeconds = 30.0;

struct HeaderFamily {
    QLatin1StringView limit;
    QLatin1StringView remaining;
    QLatin1StringView reset; // empty: the family has none
};

HeaderFamily familyOf(QStringView providerName)
{
    if (providerName.contains(u"anthropic", Qt::CaseInsensitive) ||
        providerName.contains(u"claude", Qt::CaseInsensitive))
        return {QLatin1StringView("anthropic-ratelimit-requests-limit"),
                QLatin1StringView("anthropic-ratelimit-requests-remaining"),
                QLatin1StringView("anthropic-ratelimit-requests-reset")};
    if (providerName.contains(u"openai", Qt::CaseInsensitive))
        return {QLatin1StringView("x-ratelimit-limit-requests"), QLatin1StringView("x-ratelimit-remaining-requests"),
                QLatin1StringView("x-ratelimit-reset-requests")};
    return {QLatin1StringView("x-ratelimit-limit"), QLatin1StringView("x-ratelimit-remaining"), {}};
}

// HTTP header names: ASCII, compared without regard to ASCII case only (no Unicode folding, no trimming).
bool sameHeaderName(QStringView key, QLatin1StringView name)
{
    if (key.size() != name.size())
        return false;
    for (qsizetype i = 0; i < key.size(); ++i) {
        const char16_t c = key[i].unicode();
        const char16_t lower = c >= u'A' && c <= u'Z' ? char16_t(c + 32) : c;
        if (lower != char16_t(name[i].unicode()))
            return false;
    }
    return true;
}

std::optional<QString> header(const HeaderList &headers, QLatin1StringView name)
{
    if (name.isEmpty())
        return std::nullopt;
    for (const auto &[key, value] : headers) {
        if (sameHeaderName(key, name))
            return value.trimmed();
    }
    return std::nullopt;
}

int monthNumber(QStringView name)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; ++i) {
        if (name.compare(QLatin1StringView(months[i]), Qt::CaseInsensitive) == 0)
            return i + 1;
    }
    return 0;
}

// The three date forms HTTP allows (RFC 9110, 5.6.7), always in GMT.
std::optional<Timestamp> parseHttpDate(QStringView text)
{
    static const QRegularExpression imfFixdate(
        QStringLiteral("^[A-Za-z]{3}, (\\d{2}) ([A-Za-z]{3}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$"));
    static const QRegularExpression rfc850(
        QStringLiteral("^[A-Za-z]+, (\\d{2})-([A-Za-z]{3})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$"));
    static const QRegularExpression asctime(
        QStringLiteral("^[A-Za-z]{3} ([A-Za-z]{3}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$"));
    int day = 0, month = 0, year = 0, hour = 0, minute = 0, second = 0;
    if (const auto m = imfFixdate.match(text); m.hasMatch()) {
        day = m.capturedView(1).toInt();
        month = monthNumber(m.capturedView(2));
        year = m.capturedView(3).toInt();
        hour = m.capturedView(4).toInt(), minute = m.capturedView(5).toInt(), second = m.capturedView(6).toInt();
    } else if (const auto m = rfc850.match(text); m.hasMatch()) {
        day = m.capturedView(1).toInt();
        month = monthNumber(m.capturedView(2));
        // Two-digit years: RFC 9110 reads one more than 50 years ahead as the past century.
        year = 2000 + m.capturedView(3).toInt();
        if (year > QDate::currentDate().year() + 50)
            year -= 100;
        hour = m.capturedView(4).toInt(), minute = m.capturedView(5).toInt(), second = m.capturedView(6).toInt();
    } else if (const auto m = asctime.match(text); m.hasMatch()) {
        month = monthNumber(m.capturedView(1));
        day = m.capturedView(2).trimmed().toInt();
        hour = m.capturedView(3).toInt(), minute = m.capturedView(4).toInt(), second = m.capturedView(5).toInt();
        year = m.capturedView(6).toInt();
    } else {
        return std::nullopt;
    }
    const QDate date(year, month, day);
    const QTime time(hour, minute, second);
    if (month == 0 || !date.isValid() || !time.isValid())
        return std::nullopt;
    return Timestamp::fromMicroseconds(QDateTime(date, time, Qt::UTC).toMSecsSinceEpoch() * 1000);
}

} // namespace

QString rateLimitKindName(RateLimitKind kind)
{
    switch (kind) {
    case RateLimitKind::Concurrent:
        return QStringLiteral("concurrent");
    case RateLimitKind::Rpm:
        return QStringLiteral("rpm");
    case RateLimitKind::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

std::optional<RateLimitKind> rateLimitKindFromName(QStringView name)
{
    if (name == u"concurrent")
        return RateLimitKind::Concurrent;
    if (name == u"rpm")
        return RateLimitKind::Rpm;
    if (name == u"unknown")
        return RateLimitKind::Unknown;
    return std::nullopt;
}

std::optional<qint64> parseHeaderInteger(QStringView value)
{
    value = value.trimmed();
    qsizetype pos = 0;
    bool negative = false;
    if (pos < value.size() && (value[pos] == u'+' || value[pos] == u'-'))
        negative = value[pos++] == u'-';
    if (pos == value.size())
        return std::nullopt;
    // Python's int() has no size limit: a longer number saturates here, which keeps every comparison the same.
    constexpr qint64 limit = std::numeric_limits<qint64>::max();
    qint64 number = 0;
    for (; pos < value.size(); ++pos) {
        const char16_t c = value[pos].unicode();
        if (c < u'0' || c > u'9')
            return std::nullopt;
        const int digit = c - u'0';
        number = number > (limit - digit) / 10 ? limit : number * 10 + digit;
    }
    return negative ? -number : number;
}

std::optional<double> parseRetryAfter(QStringView value, Timestamp now)
{
    value = value.trimmed();
    if (const std::optional<qint64> seconds = parseHeaderInteger(value))
        return double(*seconds);
    if (const std::optional<Timestamp> at = parseHttpDate(value))
        return double(at->microseconds() - now.microseconds()) / 1e6;
    return std::nullopt;
}

RateLimitClassification classifyRateLimit(const HeaderList &headers, QStringView providerName,
                                          std::optional<int> currentConcurrent, Timestamp now)
{
    const HeaderFamily family = familyOf(providerName);
    RateLimitClassification result;
    if (const std::optional<QString> limit = header(headers, family.limit))
        result.limit = parseHeaderInteger(*limit);
    if (const std::optional<QString> remaining = header(headers, family.remaining))
        result.remaining = parseHeaderInteger(*remaining);
    result.reset = header(headers, family.reset);
    if (const std::optional<QString> retryAfter = header(headers, QLatin1StringView("retry-after")))
        result.retryAfterSeconds = parseRetryAfter(*retryAfter, now);

    if (result.remaining && *result.remaining == 0)
        result.kind = RateLimitKind::Rpm;
    else if (currentConcurrent && *currentConcurrent >= 2 && (!result.remaining || *result.remaining > 0) &&
             (!result.retryAfterSeconds || *result.retryAfterSeconds <= maxConcurrentRetryAfterSeconds))
        result.kind = RateLimitKind::Concurrent;
    else
        result.kind = RateLimitKind::Unknown;
    return result;
}

} // namespace aether
