#pragma once

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>

#include <functional>
#include <optional>

namespace aether::http {

// Answers whose body is made piece by piece as the client takes it, so that a body of any size costs the server a
// few pieces of memory (GET /keys of a million keys). A route registers the body's maker and answers with a head
// only, which names it in markerHeader; the ConnectionGuard sends that head with chunked framing (HTTP/1.0: until the
// connection closes) and asks the maker for the next piece whenever the client has taken what was sent.
class AnswerStreams {
public:
    // The next piece of a body: empty at its end; std::nullopt when it cannot go on, and the connection is then cut
    // (the client sees an incomplete answer, never a short one that looks whole).
    using Maker = std::function<std::optional<QByteArray>()>;
    static constexpr const char *markerHeader = "X-Aether-Stream";
    // A maker not claimed by its answer within this time (its connection went away first) is dropped.
    static constexpr qint64 unclaimedMs = 60'000;

    // Whether a guard relays streamed answers; without one, routes answer in one piece.
    bool isRelayed() const { return m_relayed; }
    void setRelayed(bool relayed) { m_relayed = relayed; }
    // Registers a body; the number goes into the marker header.
    quint64 add(Maker maker);
    // The body a marker names (once); empty when unknown.
    Maker take(quint64 id);
    qsizetype waiting() const { return m_entries.size(); }

private:
    struct Entry {
        Maker maker;
        qint64 addedMs = 0;
    };
    QHash<quint64, Entry> m_entries;
    quint64 m_next = 1;
    bool m_relayed = false;
    QElapsedTimer m_clock;
};

} // namespace aether::http
