// libFuzzer target: the 429 classifier's header parsing. The input is "name: value" lines; the first line is the
// provider's name. Retry-After (seconds or an HTTP date) and the integer headers are parsed on their own too.

#include "learning/ratelimitclassifier.h"

#include <cmath>
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace aether;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const QStringList lines = text.split(u'\n');
    HeaderList headers;
    for (qsizetype i = 1; i < lines.size() && i < 64; ++i) {
        const qsizetype colon = lines.at(i).indexOf(u':');
        if (colon >= 0)
            headers.append({lines.at(i).left(colon), lines.at(i).mid(colon + 1)});
    }
    const Timestamp now = Timestamp::fromMicroseconds(1'700'000'000'000'000);
    const RateLimitClassification c = classifyRateLimit(headers, lines.value(0), int(size % 16), now);
    if (c.retryAfterSeconds && std::isnan(*c.retryAfterSeconds))
        __builtin_trap();
    for (const auto &[name, value] : headers) {
        if (const std::optional<double> seconds = parseRetryAfter(value, now); seconds && std::isnan(*seconds))
            __builtin_trap();
        (void)parseHeaderInteger(value);
    }
    return 0;
}
