#pragma once

#include <QByteArray>

#include <memory>

namespace aether::http {

// A gzip body made of a large part compressed once and a small part compressed per answer (the metrics: every key's
// series change only with the data, the endpoint's own counters with every request). The large part ends with a
// sync flush and the small part starts a new deflate stream without history, so the two join into one valid gzip
// member; the trailer's CRC-32 is combined from both (zlib's crc32_combine).
class GzipPrefix {
public:
    GzipPrefix() = default;
    explicit GzipPrefix(const QByteArray &text);
    // The whole gzip member: the stored prefix, then `tail` compressed, then the trailer.
    QByteArray finish(const QByteArray &tail) const;
    qsizetype plainSize() const { return m_plainSize; }

private:
    QByteArray m_compressed; // gzip header and the prefix's deflate blocks, ending on a byte boundary
    unsigned long m_crc = 0;
    qsizetype m_plainSize = 0;
};

// A gzip body compressed piece by piece as it is sent (a streamed answer): each piece ends on a sync flush, so what the
// client has received can be inflated; the first piece starts with the gzip header, finish() adds the trailer.
class GzipPieces {
public:
    GzipPieces();
    ~GzipPieces();
    GzipPieces(const GzipPieces &) = delete;
    GzipPieces &operator=(const GzipPieces &) = delete;
    QByteArray add(const QByteArray &plain);
    QByteArray finish();

private:
    QByteArray deflatePiece(const QByteArray &plain, int flush);

    struct State;
    std::unique_ptr<State> m_state;
    bool m_started = false;
};

// Whether an Accept-Encoding header value accepts gzip (a q of 0 refuses it).
bool acceptsGzip(const QByteArray &acceptEncoding);

} // namespace aether::http
