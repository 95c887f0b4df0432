#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>

#include <optional>

namespace aether::http {

// Slows down token guessing: a client address with `maxFailures` wrong tokens within a minute is refused (429 with
// Retry-After) until that minute is over, whatever token it sends meanwhile. Memory is bounded: at most
// `maxTrackedAddresses` addresses are remembered, the expired ones are dropped first.
class AuthThrottle {
public:
    static constexpr int defaultMaxFailures = 20;
    static constexpr qint64 windowMs = 60'000;
    static constexpr qsizetype maxTrackedAddresses = 65'536;

    explicit AuthThrottle(int maxFailures = defaultMaxFailures)
        : m_maxFailures(maxFailures)
    {
        m_clock.start();
    }
    void setMaxFailures(int maxFailures) { m_maxFailures = maxFailures; }

    // Seconds until `address` may try again, or nothing when it may try now.
    std::optional<int> blockedFor(const QHostAddress &address) const;
    void recordFailure(const QHostAddress &address);

private:
    struct Window {
        qint64 startMs = 0;
        int failures = 0;
    };
    void dropExpired(qint64 now);

    int m_maxFailures;
    QElapsedTimer m_clock;
    QHash<QHostAddress, Window> m_windows;
};

} // namespace aether::http
