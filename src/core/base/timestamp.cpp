#include "base/timestamp.h"

#include <QDate>
#include <QDateTime>

#include <chrono>

namespace aether {

namespace {

constexpr qint64 usPerSecond = 1000000;
constexpr qint64 secondsPerDay = 86400;

bool readDigits(QStringView text, qsizetype &pos, int count, int &out)
{
    if (pos + count > text.size())
        return false;
    int value = 0;
    for (int i = 0; i < count; ++i) {
        const QChar c = text[pos + i];
        if (!c.isDigit())
            return false;
        value = value * 10 + c.digitValue();
    }
    pos += count;
    out = value;
    return true;
}

} // namespace

Timestamp Timestamp::now()
{
    // The system clock to the microsecond, as the original service's datetime.now(timezone.utc) gives it.
    return Timestamp(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

QString Timestamp::toIsoString() const
{
    qint64 seconds = m_us / usPerSecond;
    qint64 micro = m_us % usPerSecond;
    if (micro < 0) {
        micro += usPerSecond;
        --seconds;
    }
    qint64 days = seconds / secondsPerDay;
    qint64 secOfDay = seconds % secondsPerDay;
    if (secOfDay < 0) {
        secOfDay += secondsPerDay;
        --days;
    }
    const QDate date = QDate(1970, 1, 1).addDays(days);
    // Written by hand: this runs for every timestamp of every answer, and asprintf costs several times more.
    char buffer[40];
    char *p = buffer;
    const auto put = [&p](int value, int digits) {
        for (int i = digits - 1; i >= 0; --i) {
            p[i] = char('0' + value % 10);
            value /= 10;
        }
        p += digits;
    };
    put(date.year(), 4), *p++ = '-', put(date.month(), 2), *p++ = '-', put(date.day(), 2), *p++ = 'T';
    put(int(secOfDay / 3600), 2), *p++ = ':', put(int(secOfDay / 60 % 60), 2), *p++ = ':', put(int(secOfDay % 60), 2);
    if (micro != 0)
        *p++ = '.', put(int(micro), 6);
    for (const char c : {'+', '0', '0', ':', '0', '0'})
        *p++ = c;
    const QString out = QString::fromLatin1(buffer, p - buffer);
    return out;
}

std::optional<Timestamp> Timestamp::parse(QStringView text)
{
    text = text.trimmed();
    qsizetype pos = 0;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (!readDigits(text, pos, 4, year) || pos >= text.size() || text[pos++] != u'-' ||
        !readDigits(text, pos, 2, month) || pos >= text.size() || text[pos++] != u'-' || !readDigits(text, pos, 2, day))
        return std::nullopt;
    const QDate date(year, month, day);
    if (!date.isValid())
        return std::nullopt;
    qint64 micro = 0;
    if (pos < text.size() && (text[pos] == u'T' || text[pos] == u't' || text[pos] == u' ')) {
        ++pos;
        if (!readDigits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != u':' ||
            !readDigits(text, pos, 2, minute))
            return std::nullopt;
        if (pos < text.size() && text[pos] == u':') {
            ++pos;
            if (!readDigits(text, pos, 2, second))
                return std::nullopt;
            if (pos < text.size() && (text[pos] == u'.' || text[pos] == u',')) {
                ++pos;
                int digits = 0;
                while (pos < text.size() && text[pos].isDigit()) {
                    if (digits < 6)
                        micro = micro * 10 + text[pos].digitValue();
                    ++digits;
                    ++pos;
                }
                if (digits == 0)
                    return std::nullopt;
                for (int i = digits; i < 6; ++i)
                    micro *= 10;
            }
        }
    }
    if (hour > 23 || minute > 59 || second > 60)
        return std::nullopt;
    qint64 offsetSeconds = 0;
    if (pos < text.size()) {
        const QChar sign = text[pos++];
        if (sign == u'Z' || sign == u'z') {
            // UTC
        } else if (sign == u'+' || sign == u'-') {
            int oh = 0, om = 0;
            if (!readDigits(text, pos, 2, oh))
                return std::nullopt;
            if (pos < text.size() && text[pos] == u':')
                ++pos;
            if (pos < text.size() && !readDigits(text, pos, 2, om))
                return std::nullopt;
            offsetSeconds = (oh * 3600 + om * 60) * (sign == u'-' ? -1 : 1);
        } else {
            return std::nullopt;
        }
    }
    if (pos != text.size())
        return std::nullopt;
    const qint64 days = QDate(1970, 1, 1).daysTo(date);
    const qint64 seconds = days * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds;
    return Timestamp(seconds * usPerSecond + micro);
}

} // namespace aether
