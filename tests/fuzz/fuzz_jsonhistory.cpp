// libFuzzer target: a stored JSON column (adjustment_history, utilization_samples) as another program may have
// written it: read as an array or as empty, never a crash.

#include "base/jsoncolumn.h"

#include <QVariant>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace aether;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    JsonArrayState state{};
    (void)readJsonArray(QVariant(bytes), &state);
    (void)readJsonArray(QVariant(QString::fromUtf8(bytes)), &state);
    return 0;
}
