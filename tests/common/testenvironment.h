#pragma once

#include <QFileInfo>
#include <QLocale>
#include <QStandardPaths>
#include <QString>

namespace aether::test {

// What every suite sets before its first test (call it from initTestCase): the C locale, so that numbers and dates
// read the same on every machine, and Qt's test mode for standard paths, so that settings and data go to a test
// folder and never to the user's.
inline void useTestEnvironment()
{
    QLocale::setDefault(QLocale::c());
    QStandardPaths::setTestModeEnabled(true);
}

// The project's shared material beside the repository (../shared: the API contract, the gateway's schema, the
// simulator and its traces), as the build saw it.
inline QString sharedPath(const QString &relative)
{
    return QStringLiteral(AETHER_SHARED_DIR "/") + relative;
}

// Why a test that needs `relative` under ../shared cannot run here; empty when it is there.
inline QString missingShared(const QString &relative)
{
    const QString path = sharedPath(relative);
    if (QFileInfo::exists(path))
        return {};
    return QStringLiteral("needs %1 (the shared material beside the repository), which is not there").arg(path);
}

} // namespace aether::test

// Skips the test when `relative` is missing under ../shared, with the reason; under CI (where it is always there) a
// missing file fails the test instead.
#define AETHER_REQUIRE_SHARED(relative)                                                                                \
    do {                                                                                                               \
        const QString missing_ = aether::test::missingShared(relative);                                                \
        if (!missing_.isEmpty()) {                                                                                     \
            if (qEnvironmentVariableIsSet("CI"))                                                                       \
                QFAIL(qPrintable(missing_));                                                                           \
            QSKIP(qPrintable(missing_));                                                                               \
        }                                                                                                              \
    } while (false)
