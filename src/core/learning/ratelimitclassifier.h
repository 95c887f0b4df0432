#pragma once

#include "base/timestamp.h"

#include <QList>
#include <QPair>
#include <QString>

#include <optional>

namespace aether {

// What a 429 answer says about its cause (../shared/spec/learning.md): the concurrency limit, the requests-per-minute
// limit, or something the headers do not tell.
enum class RateLimitKind { Concurrent, Rpm, Unknown };

QString rateLimitKindName(RateLimitKind kind);
std::optional<RateLimitKind> rateLimitKindFromName(QStringView name);

// Response headers as the gateway saw them: names in any case, values as sent.
using HeaderList = QList<QPair<QString, QString>>;

struct RateLimitClassification {
    RateLimitKind kind = RateLimitKind::Unknown;
    std::optional<qint64> limit;
    std::optional<qint64> remaining;
    std::optional<QString> reset;
    std::optional<double> retryAfterSeconds;
};

// Classifies a 429 from its headers, the provider's name (which picks the header family) and the key's in-flight count
// at admission. `now` turns an HTTP-date Retry-After into seconds.
RateLimitClassification classifyRateLimit(const HeaderList &headers, QStringView providerName,
                                          std::optional<int> currentConcurrent, Timestamp now);

// Retry-After as delay seconds or as an HTTP date (IMF-fixdate, RFC 850 or asctime form), relative to `now`;
// std::nullopt when it is neither.
std::optional<double> parseRetryAfter(QStringView value, Timestamp now);
// An integer header value as Python's int() reads it (sign, digits, surrounding white space); std::nullopt otherwise.
std::optional<qint64> parseHeaderInteger(QStringView value);

} // namespace aether
