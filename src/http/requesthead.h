#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <optional>

namespace aether::http {

// Strict HTTP/1.x request framing, checked before QHttpServer sees a byte: Qt 6.4's parser silently drops every
// header of a request whose head it does not like (Content-Length included), which turns the body into a second
// request. These functions know nothing of sockets, so they can be fuzzed and tested on their own.

struct HeadLimits {
    qsizetype maxHeadBytes = 16 * 1024; // request line + header lines + the empty line
    int maxHeaderLines = 100;
};

// One parsed request head. Header lines are kept as they came (name and value trimmed of optional white space).
struct RequestHead {
    QByteArray method;
    QByteArray target;    // origin-form, as sent: "/path?query"
    int minorVersion = 1; // HTTP/1.minorVersion
    QList<std::pair<QByteArray, QByteArray>> headers;
    // The framing the head announces. A Content-Length too large for qint64 is kept as "too large" (bodyTooLarge).
    std::optional<qint64> contentLength;
    bool bodyTooLarge = false;
    bool chunked = false;
    bool closeAfter = false;     // HTTP/1.0, or Connection: close
    bool expectContinue = false; // Expect: 100-continue
    qsizetype headBytes = 0;     // how many input bytes the head took, the empty line included

    QByteArray path() const;                     // the target without its query
    QByteArray value(QByteArrayView name) const; // the first header of that name (ASCII case-insensitive)
};

struct HeadProblem {
    enum class Kind {
        Malformed,     // 400: a line that is not a header, a bad name, bad framing headers…
        TooLarge,      // 431: head over maxHeadBytes or more than maxHeaderLines header lines
        NotImplemented // 501: a Transfer-Encoding other than chunked
    };
    Kind kind = Kind::Malformed;
    const char *why = ""; // for logs and tests
};

// The result of looking at the start of a connection's unread input.
struct HeadParse {
    enum class State { NeedMore, Complete, Invalid };
    State state = State::NeedMore;
    RequestHead head;    // Complete
    HeadProblem problem; // Invalid (head then holds what was read of it, possibly nothing)
};

// Parses a request head from the start of `input` (which may hold more, e.g. the body or pipelined requests).
// Leading empty lines before a request line are skipped, as RFC 9112 allows.
HeadParse parseRequestHead(QByteArrayView input, const HeadLimits &limits = {});

// Decodes a chunked body as it arrives, with the same line rules as the head. feed() consumes what it can and
// appends the decoded bytes to `out`; trailer lines are checked and dropped.
class ChunkedDecoder {
public:
    enum class State { Size, Data, DataEnd, Trailer, Done, Invalid };

    explicit ChunkedDecoder(const HeadLimits &limits = {})
        : m_limits(limits)
    {
    }
    // Returns how many bytes of `input` were consumed. Stops at Done (the rest belongs to the next request).
    qsizetype feed(QByteArrayView input, QByteArray &out, qsizetype maxOut);
    State state() const { return m_state; }
    bool done() const { return m_state == State::Done; }
    bool failed() const { return m_state == State::Invalid; }
    // True when the decoded body would exceed the maxOut given to feed().
    bool overflowed() const { return m_overflowed; }
    qint64 decodedBytes() const { return m_decoded; }

private:
    bool takeLine(QByteArrayView input, qsizetype &pos, QByteArrayView &line);
    void readSizeLine(QByteArrayView line, qsizetype maxOut);
    void readTrailerLine(QByteArrayView line);

    HeadLimits m_limits;
    State m_state = State::Size;
    QByteArray m_line; // a line split across feeds
    qint64 m_remaining = 0;
    qint64 m_decoded = 0;
    int m_trailerLines = 0;
    bool m_overflowed = false;
};

// True for RFC 9110 token characters (header names, methods).
bool isTokenChar(char c);

} // namespace aether::http
