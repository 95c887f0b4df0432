#include "auththrottle.h"

namespace aether::http {

std::optional<int> AuthThrottle::blockedFor(const QHostAddress &address) const
{
    if (m_maxFailures <= 0)
        return std::nullopt;
    const auto it = m_windows.constFind(address);
    if (it == m_windows.constEnd() || it->failures < m_maxFailures)
        return std::nullopt;
    const qint64 left = it->startMs + windowMs - m_clock.elapsed();
    if (left <= 0)
        return std::nullopt;
    return int((left + 999) / 1000);
}

void AuthThrottle::recordFailure(const QHostAddress &address)
{
    const qint64 now = m_clock.elapsed();
    auto it = m_windows.find(address);
    if (it == m_windows.end()) {
        if (m_windows.size() >= maxTrackedAddresses)
            dropExpired(now);
        if (m_windows.size() >= maxTrackedAddresses)
            return; // every slot is in use by an address still inside its minute
        it = m_windows.insert(address, Window{now, 0});
    } else if (now - it->startMs >= windowMs) {
        *it = Window{now, 0};
    }
    ++it->failures;
}

void AuthThrottle::dropExpired(qint64 now)
{
    for (auto it = m_windows.begin(); it != m_windows.end();) {
        if (now - it->startMs >= windowMs)
            it = m_windows.erase(it);
        else
            ++it;
    }
}

} // namespace aether::http
