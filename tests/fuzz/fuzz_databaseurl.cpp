// libFuzzer target: database URLs as an operator types them (--database, AETHER_CONSOLE_DATABASE, the settings
// dialog). A parsed PostgreSQL location must not carry control characters or unquoted option values to libpq.

#include "storage/databaselocation.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    using namespace aether;
    const QString url = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const Result<DatabaseLocation> parsed = DatabaseLocation::parse(url);
    if (!parsed)
        return 0;
    const DatabaseLocation &loc = parsed.value();
    for (const QString &part : {loc.path, loc.host, loc.user, loc.password, loc.databaseName}) {
        for (QChar c : part) {
            if (c.unicode() < 0x20)
                __builtin_trap();
        }
    }
    // Every option is name=value with a plain value or one quoted whole.
    for (const QString &option : loc.options.split(u';', Qt::SkipEmptyParts)) {
        const QString value = option.section(u'=', 1);
        if (value.contains(u' ') && !(value.startsWith(u'\'') && value.endsWith(u'\'')))
            __builtin_trap();
    }
    (void)loc.displayName();
    const Result<DatabaseLocation> again = DatabaseLocation::parse(loc.toUrl());
    (void)again;
    return 0;
}
