#include "requesthead.h"

namespace aether::http {

namespace {

constexpr qsizetype maxChunkLineBytes = 4096;
constexpr int maxLeadingEmptyLines = 8;

bool isWhite(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimmed(QByteArrayView v)
{
    while (!v.isEmpty() && isWhite(v.front()))
        v = v.sliced(1);
    while (!v.isEmpty() && isWhite(v.back()))
        v.chop(1);
    return v;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// A field value: visible ASCII, spaces, tabs and obs-text; no other control characters (NUL, CR, LF, DEL…).
bool isValidValue(QByteArrayView value)
{
    for (char ch : value) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// The comma-separated members of a list-valued header, trimmed; empty members are dropped.
QList<QByteArrayView> listMembers(QByteArrayView value)
{
    QList<QByteArrayView> members;
    qsizetype start = 0;
    for (qsizetype i = 0; i <= value.size(); ++i) {
        if (i == value.size() || value.at(i) == ',') {
            const QByteArrayView member = trimmed(value.sliced(start, i - start));
            if (!member.isEmpty())
                members.append(member);
            start = i + 1;
        }
    }
    return members;
}

// One CRLF-terminated line starting at `pos`. Returns false while the line is incomplete; `bad` is set for a bare
// CR or LF.
bool nextLine(QByteArrayView input, qsizetype pos, QByteArrayView &line, qsizetype &next, bool &bad)
{
    const qsizetype lf = input.indexOf('\n', pos);
    const QByteArrayView segment(input.data() + pos, (lf < 0 ? input.size() : lf) - pos);
    const qsizetype cr = segment.indexOf('\r');
    if (lf < 0) {
        bad = cr >= 0 && cr != segment.size() - 1; // a CR that ends the input so far may still get its LF
        return false;
    }
    if (segment.isEmpty() || cr != segment.size() - 1) {
        bad = true;
        return false;
    }
    line = segment.first(segment.size() - 1);
    next = lf + 1;
    return true;
}

HeadParse invalid(HeadProblem::Kind kind, const char *why)
{
    HeadParse result;
    result.state = HeadParse::State::Invalid;
    result.problem = {kind, why};
    return result;
}

bool parseRequestLine(QByteArrayView line, RequestHead &head)
{
    const qsizetype firstSpace = line.indexOf(' ');
    if (firstSpace <= 0)
        return false;
    const qsizetype secondSpace = line.indexOf(' ', firstSpace + 1);
    if (secondSpace < 0 || line.indexOf(' ', secondSpace + 1) >= 0)
        return false;
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, secondSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(secondSpace + 1);
    if (!isToken(method) || target.isEmpty() || target.front() != '/')
        return false;
    for (char ch : target) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c >= 0x7f)
            return false;
    }
    if (version == "HTTP/1.1")
        head.minorVersion = 1;
    else if (version == "HTTP/1.0")
        head.minorVersion = 0;
    else
        return false;
    head.method = method.toByteArray();
    head.target = target.toByteArray();
    return true;
}

// Applies the framing headers (Content-Length, Transfer-Encoding, Connection, Expect) to `head`.
std::optional<HeadProblem> applyFraming(RequestHead &head)
{
    bool sawLength = false;
    QList<QByteArrayView> codings;
    for (const auto &[name, value] : head.headers) {
        if (equalsIgnoringCase(name, "Content-Length")) {
            const QList<QByteArrayView> members = listMembers(value);
            if (members.isEmpty())
                return HeadProblem{HeadProblem::Kind::Malformed, "empty Content-Length"};
            for (QByteArrayView member : members) {
                for (char c : member) {
                    if (c < '0' || c > '9')
                        return HeadProblem{HeadProblem::Kind::Malformed, "Content-Length is not a number"};
                }
                qsizetype start = 0; // leading zeros do not make a value larger
                while (start + 1 < member.size() && member.at(start) == '0')
                    ++start;
                const QByteArrayView digits = member.sliced(start);
                const bool huge = digits.size() > 18;
                const qint64 length = huge ? 0 : digits.toLongLong();
                if (sawLength && (huge != head.bodyTooLarge || (!huge && head.contentLength != length)))
                    return HeadProblem{HeadProblem::Kind::Malformed, "differing Content-Length values"};
                sawLength = true;
                head.bodyTooLarge = huge;
                if (!huge)
                    head.contentLength = length;
            }
        } else if (equalsIgnoringCase(name, "Transfer-Encoding")) {
            const QList<QByteArrayView> members = listMembers(value);
            if (members.isEmpty())
                return HeadProblem{HeadProblem::Kind::Malformed, "empty Transfer-Encoding"};
            codings += members;
        } else if (equalsIgnoringCase(name, "Connection")) {
            for (QByteArrayView option : listMembers(value)) {
                if (equalsIgnoringCase(option, "close"))
                    head.closeAfter = true;
            }
        } else if (equalsIgnoringCase(name, "Expect")) {
            if (equalsIgnoringCase(trimmed(value), "100-continue"))
                head.expectContinue = true;
        }
    }
    if (!codings.isEmpty()) {
        if (sawLength)
            return HeadProblem{HeadProblem::Kind::Malformed, "both Content-Length and Transfer-Encoding"};
        if (head.minorVersion == 0)
            return HeadProblem{HeadProblem::Kind::Malformed, "Transfer-Encoding in HTTP/1.0"};
        if (!equalsIgnoringCase(codings.back(), "chunked"))
            return HeadProblem{HeadProblem::Kind::Malformed, "the last transfer coding is not chunked"};
        if (codings.size() > 1)
            return HeadProblem{HeadProblem::Kind::NotImplemented, "a transfer coding other than chunked"};
        head.chunked = true;
    }
    if (head.minorVersion == 0)
        head.closeAfter = true; // HTTP/1.0 connections are not kept alive
    return std::nullopt;
}

} // namespace

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

QByteArray RequestHead::path() const
{
    const qsizetype query = target.indexOf('?');
    return query < 0 ? target : target.left(query);
}

QByteArray RequestHead::value(QByteArrayView name) const
{
    for (const auto &[headerName, headerValue] : headers) {
        if (equalsIgnoringCase(headerName, name))
            return headerValue;
    }
    return {};
}

HeadParse parseRequestHead(QByteArrayView input, const HeadLimits &limits)
{
    qsizetype pos = 0;
    int emptyLines = 0;
    RequestHead head;
    bool haveRequestLine = false;
    for (;;) {
        if (pos > limits.maxHeadBytes)
            return invalid(HeadProblem::Kind::TooLarge, "request head too large");
        QByteArrayView line;
        qsizetype next = 0;
        bool bad = false;
        if (!nextLine(input, pos, line, next, bad)) {
            if (bad)
                return invalid(HeadProblem::Kind::Malformed, "bare CR or LF");
            if (input.size() > limits.maxHeadBytes)
                return invalid(HeadProblem::Kind::TooLarge, "request head too large");
            return {};
        }
        if (next > limits.maxHeadBytes)
            return invalid(HeadProblem::Kind::TooLarge, "request head too large");
        pos = next;
        if (!haveRequestLine) {
            if (line.isEmpty()) {
                if (++emptyLines > maxLeadingEmptyLines)
                    return invalid(HeadProblem::Kind::Malformed, "empty lines instead of a request");
                continue;
            }
            if (!parseRequestLine(line, head))
                return invalid(HeadProblem::Kind::Malformed, "invalid request line");
            haveRequestLine = true;
            continue;
        }
        if (line.isEmpty())
            break;
        if (isWhite(line.front()))
            return invalid(HeadProblem::Kind::Malformed, "folded header line");
        if (head.headers.size() >= limits.maxHeaderLines)
            return invalid(HeadProblem::Kind::TooLarge, "too many header lines");
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            return invalid(HeadProblem::Kind::Malformed, "header line without a colon");
        const QByteArrayView name = line.first(colon);
        if (!isToken(name))
            return invalid(HeadProblem::Kind::Malformed, "invalid header name");
        const QByteArrayView value = trimmed(line.sliced(colon + 1));
        if (!isValidValue(value))
            return invalid(HeadProblem::Kind::Malformed, "control character in a header value");
        head.headers.append({name.toByteArray(), value.toByteArray()});
    }
    if (const std::optional<HeadProblem> problem = applyFraming(head)) {
        HeadParse result;
        result.state = HeadParse::State::Invalid;
        result.problem = *problem;
        result.head = std::move(head); // complete but refused: its Accept-Language still chooses the answer's language
        return result;
    }
    head.headBytes = pos;
    HeadParse result;
    result.state = HeadParse::State::Complete;
    result.head = std::move(head);
    return result;
}

bool ChunkedDecoder::takeLine(QByteArrayView input, qsizetype &pos, QByteArrayView &line)
{
    const qsizetype lf = input.indexOf('\n', pos);
    if (lf < 0) {
        m_line.append(input.sliced(pos));
        pos = input.size();
        if (m_line.size() > maxChunkLineBytes)
            m_state = State::Invalid;
        return false;
    }
    m_line.append(input.sliced(pos, lf + 1 - pos));
    pos = lf + 1;
    if (m_line.size() > maxChunkLineBytes || m_line.size() < 2 || m_line.at(m_line.size() - 2) != '\r' ||
        m_line.first(m_line.size() - 2).contains('\r')) {
        m_state = State::Invalid;
        return false;
    }
    line = QByteArrayView(m_line.constData(), m_line.size() - 2);
    return true;
}

namespace {

// A chunk size: hexadecimal digits only; std::nullopt otherwise.
std::optional<qint64> parseChunkSize(QByteArrayView digits)
{
    qint64 value = 0;
    for (char c : digits) {
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        if (digit < 0)
            return std::nullopt;
        value = value * 16 + digit;
    }
    return value;
}

} // namespace

void ChunkedDecoder::readSizeLine(QByteArrayView line, qsizetype maxOut)
{
    const qsizetype ext = line.indexOf(';');
    const QByteArrayView size = trimmed(ext < 0 ? line : line.first(ext));
    const std::optional<qint64> value =
        size.isEmpty() || size.size() > 15 || !isValidValue(line) ? std::nullopt : parseChunkSize(size);
    m_line.clear();
    if (!value) {
        m_state = State::Invalid;
        return;
    }
    m_remaining = *value;
    m_state = *value == 0 ? State::Trailer : State::Data;
    if (*value > 0 && m_decoded + *value > maxOut)
        m_overflowed = true;
}

void ChunkedDecoder::readTrailerLine(QByteArrayView line)
{
    if (line.isEmpty()) {
        m_state = State::Done;
    } else {
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(line.first(colon)) || !isValidValue(line.sliced(colon + 1)) ||
            ++m_trailerLines > m_limits.maxHeaderLines)
            m_state = State::Invalid;
    }
    m_line.clear();
}

qsizetype ChunkedDecoder::feed(QByteArrayView input, QByteArray &out, qsizetype maxOut)
{
    qsizetype pos = 0;
    while (pos < input.size() && m_state != State::Done && m_state != State::Invalid && !m_overflowed) {
        QByteArrayView line;
        switch (m_state) {
        case State::Size:
            if (takeLine(input, pos, line))
                readSizeLine(line, maxOut);
            break;
        case State::Data: {
            const qsizetype take = qsizetype(qMin<qint64>(m_remaining, input.size() - pos));
            out.append(input.sliced(pos, take));
            pos += take;
            m_remaining -= take;
            m_decoded += take;
            if (m_remaining == 0)
                m_state = State::DataEnd;
            break;
        }
        case State::DataEnd:
            if (takeLine(input, pos, line)) {
                m_line.clear();
                m_state = line.isEmpty() ? State::Size : State::Invalid;
            }
            break;
        case State::Trailer:
            if (takeLine(input, pos, line))
                readTrailerLine(line);
            break;
        case State::Done:
        case State::Invalid:
            break;
        }
    }
    return pos;
}

} // namespace aether::http
