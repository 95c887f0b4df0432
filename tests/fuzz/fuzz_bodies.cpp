// libFuzzer target: the request body parsers of the admin API: PATCH …/mode, a learning event (single and batch,
// with the check for numbers written with a fraction) and a learning-policy patch.

#include "learning/learningevent.h"
#include "learning/learningpolicy.h"
#include "modebody.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace aether;
    const QByteArray body(reinterpret_cast<const char *>(data), qsizetype(size));
    (void)http::parseModeBody(body);
    const std::optional<QJsonValue> value = http::parseJsonValue(body);
    if (!value)
        return 0;
    const Timestamp at = Timestamp::fromMicroseconds(1'700'000'000'000'000);
    const QHash<qsizetype, bool> single =
        numbersWrittenWithFraction(body, QLatin1StringView(), QLatin1StringView("current_concurrent"));
    (void)parseLearningEvent(*value, QStringLiteral("k"), at, single.value(0, false));
    const QHash<qsizetype, bool> batch =
        numbersWrittenWithFraction(body, QLatin1StringView("events"), QLatin1StringView("current_concurrent"));
    if (value->isObject()) {
        const QJsonArray events = value->toObject().value(QLatin1StringView("events")).toArray();
        for (qsizetype i = 0; i < events.size() && i < 64; ++i)
            (void)parseLearningEvent(events.at(i), std::nullopt, at, batch.value(i, false));
        const Result<LearningPolicy> patched = LearningPolicy::patched(LearningPolicy{}, value->toObject());
        if (patched && !patched.value().validate())
            __builtin_trap(); // a patch that was accepted must give a valid policy
    }
    return 0;
}
