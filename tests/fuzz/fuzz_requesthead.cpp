// libFuzzer target: the connection guard's request framing (head parser and chunked decoder) on arbitrary bytes.
// Whatever the input, parsing must not crash, read out of bounds, loop, or report more than it was given.

#include "requesthead.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace aether::http;
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    HeadLimits limits;
    limits.maxHeadBytes = 4096;
    limits.maxHeaderLines = 20;
    const HeadParse parsed = parseRequestHead(input, limits);
    if (parsed.state == HeadParse::State::Complete) {
        const RequestHead &head = parsed.head;
        if (head.headBytes <= 0 || head.headBytes > input.size() || head.headBytes > limits.maxHeadBytes ||
            head.headers.size() > limits.maxHeaderLines || head.method.isEmpty() || !head.target.startsWith('/') ||
            (head.chunked && head.contentLength))
            __builtin_trap();
        if (head.chunked) {
            // The body, fed in two pieces, must decode as it would in one.
            const QByteArrayView body = input.sliced(head.headBytes);
            ChunkedDecoder whole(limits), split(limits);
            QByteArray a, b;
            const qsizetype usedWhole = whole.feed(body, a, 1 << 16);
            const qsizetype half = body.size() / 2;
            qsizetype usedSplit = split.feed(body.first(half), b, 1 << 16);
            if (usedSplit == half)
                usedSplit += split.feed(body.sliced(half), b, 1 << 16);
            if (usedWhole > body.size() || a.size() > (1 << 16) + body.size())
                __builtin_trap();
            if (whole.done() && split.done() && (a != b || usedWhole != usedSplit))
                __builtin_trap();
        }
    } else if (parsed.state == HeadParse::State::NeedMore && input.size() > limits.maxHeadBytes) {
        __builtin_trap(); // an over-long head must be refused, not waited for
    }
    return 0;
}
