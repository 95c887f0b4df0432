#include "answerstreams.h"

namespace aether::http {

quint64 AnswerStreams::add(Maker maker)
{
    if (!m_clock.isValid())
        m_clock.start();
    const qint64 now = m_clock.elapsed();
    m_entries.removeIf([now](const auto &entry) { return now - entry.value().addedMs > unclaimedMs; });
    const quint64 id = m_next++;
    m_entries.insert(id, Entry{std::move(maker), now});
    return id;
}

AnswerStreams::Maker AnswerStreams::take(quint64 id)
{
    const auto it = m_entries.find(id);
    if (it == m_entries.end())
        return {};
    Maker maker = std::move(it->maker);
    m_entries.erase(it);
    return maker;
}

} // namespace aether::http
