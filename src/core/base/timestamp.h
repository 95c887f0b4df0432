#pragma once

#include <QString>

#include <optional>

namespace aether {

// A UTC instant with microsecond precision. QDateTime keeps only milliseconds, and the original service's timestamps
// carry microseconds that clients compare, so instants travel as integer microseconds since the Unix epoch.
class Timestamp {
public:
    Timestamp() = default;
    static Timestamp fromMicroseconds(qint64 us) { return Timestamp(us); }
    static Timestamp now();

    // Python isoformat() style in UTC: 2025-12-25T14:47:08.123456+00:00, without the fraction when it is zero.
    QString toIsoString() const;
    // Accepts ISO 8601 with 'T' or a space, 0-9 fraction digits, and an offset (Z, +hh, +hhmm, +hh:mm) or none (UTC),
    // which covers SQLite text and PostgreSQL's timestamptz text output.
    static std::optional<Timestamp> parse(QStringView text);

    qint64 microseconds() const { return m_us; }
    double epochSeconds() const { return double(m_us) / 1e6; }

    friend bool operator==(Timestamp a, Timestamp b) { return a.m_us == b.m_us; }
    friend bool operator!=(Timestamp a, Timestamp b) { return a.m_us != b.m_us; }
    friend bool operator<(Timestamp a, Timestamp b) { return a.m_us < b.m_us; }

private:
    explicit Timestamp(qint64 us)
        : m_us(us)
    {
    }
    qint64 m_us = 0;
};

} // namespace aether
