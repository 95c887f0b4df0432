#include "gzipstream.h"

#include <QList>

#include <zlib.h>

namespace aether::http {

namespace {

// Raw deflate (no zlib or gzip framing) of `in` appended to `out`, ending with `flush` (Z_SYNC_FLUSH or Z_FINISH).
void deflateRaw(const QByteArray &in, int flush, QByteArray &out)
{
    z_stream stream{};
    // Level 1: the metrics of 10,000 keys compress about tenfold at a fraction of level 6's time.
    deflateInit2(&stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    stream.avail_in = uInt(in.size());
    const qsizetype start = out.size();
    out.resize(start + qsizetype(deflateBound(&stream, uLong(in.size()))) + 16);
    stream.next_out = reinterpret_cast<Bytef *>(out.data() + start);
    stream.avail_out = uInt(out.size() - start);
    deflate(&stream, flush);
    out.resize(start + qsizetype(stream.total_out));
    deflateEnd(&stream);
}

// Magic, deflate, no flags, no time, no extra flags, unknown OS.
constexpr char gzipHeader[] = {'\x1f', '\x8b', '\x08', '\x00', '\x00', '\x00', '\x00', '\x00', '\x00', '\xff'};

void appendLittleEndian32(QByteArray &out, unsigned long value)
{
    for (int i = 0; i < 4; ++i)
        out.append(char((value >> (8 * i)) & 0xff));
}

} // namespace

GzipPrefix::GzipPrefix(const QByteArray &text)
{
    m_compressed = QByteArray(gzipHeader, sizeof gzipHeader);
    deflateRaw(text, Z_SYNC_FLUSH, m_compressed);
    m_crc = crc32(0L, reinterpret_cast<const Bytef *>(text.constData()), uInt(text.size()));
    m_plainSize = text.size();
}

QByteArray GzipPrefix::finish(const QByteArray &tail) const
{
    QByteArray out;
    out.reserve(m_compressed.size() + tail.size() + 64);
    out += m_compressed.isEmpty() ? QByteArray(gzipHeader, sizeof gzipHeader) : m_compressed;
    deflateRaw(tail, Z_FINISH, out);
    const unsigned long tailCrc = crc32(0L, reinterpret_cast<const Bytef *>(tail.constData()), uInt(tail.size()));
    appendLittleEndian32(out, crc32_combine(m_crc, tailCrc, z_off_t(tail.size())));
    appendLittleEndian32(out, (unsigned long)(m_plainSize + tail.size()));
    return out;
}

struct GzipPieces::State {
    z_stream stream{};
    unsigned long crc = 0;
    unsigned long size = 0; // modulo 2^32, as the trailer holds it
};

GzipPieces::GzipPieces()
    : m_state(std::make_unique<State>())
{
    deflateInit2(&m_state->stream, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
    m_state->crc = crc32(0L, nullptr, 0);
}

GzipPieces::~GzipPieces()
{
    deflateEnd(&m_state->stream);
}

QByteArray GzipPieces::deflatePiece(const QByteArray &plain, int flush)
{
    QByteArray out;
    if (!m_started) {
        out = QByteArray(gzipHeader, sizeof gzipHeader);
        m_started = true;
    }
    m_state->crc = crc32(m_state->crc, reinterpret_cast<const Bytef *>(plain.constData()), uInt(plain.size()));
    m_state->size += (unsigned long)plain.size();
    z_stream &stream = m_state->stream;
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(plain.constData()));
    stream.avail_in = uInt(plain.size());
    // Until deflate leaves room unused: then it has written everything, the flush included.
    qsizetype used = out.size();
    const qsizetype room = qsizetype(deflateBound(&stream, uLong(plain.size()))) + 64;
    for (;;) {
        out.resize(used + room);
        stream.next_out = reinterpret_cast<Bytef *>(out.data() + used);
        stream.avail_out = uInt(room);
        deflate(&stream, flush);
        used = out.size() - qsizetype(stream.avail_out);
        if (stream.avail_out != 0)
            break;
    }
    out.resize(used);
    return out;
}

QByteArray GzipPieces::add(const QByteArray &plain)
{
    return deflatePiece(plain, Z_SYNC_FLUSH);
}

QByteArray GzipPieces::finish()
{
    QByteArray out = deflatePiece(QByteArray(), Z_FINISH);
    appendLittleEndian32(out, m_state->crc);
    appendLittleEndian32(out, m_state->size & 0xffffffffUL);
    return out;
}

bool acceptsGzip(const QByteArray &acceptEncoding)
{
    for (const QByteArray &part : acceptEncoding.split(',')) {
        const QList<QByteArray> pieces = part.split(';');
        const QByteArray coding = pieces.first().trimmed().toLower();
        if (coding != "gzip" && coding != "*")
            continue;
        for (qsizetype i = 1; i < pieces.size(); ++i) {
            const QByteArray parameter = pieces.at(i).trimmed();
            if (parameter.startsWith("q=") && parameter.mid(2).toDouble() <= 0)
                return false;
        }
        return true;
    }
    return false;
}

} // namespace aether::http
