#include "timeline/timelinekeeper.h"

#include "storage/database.h"

#include <QDeadlineTimer>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcTimeline, "aether.timeline")

namespace aether {

namespace {
constexpr int sliceMs = 100;
} // namespace

TimelineKeeper::TimelineKeeper(DatabaseLocation location, Settings settings, QObject *parent)
    : QThread(parent)
    , m_location(std::move(location))
    , m_samplingSeconds(qBound(minSamplingSeconds, settings.samplingSeconds, maxSamplingSeconds))
    , m_retentionDays(qBound(timeline::minRetentionDays, settings.retentionDays, timeline::maxRetentionDays))
{
    qRegisterMetaType<SamplingPass>();
}

TimelineKeeper::~TimelineKeeper()
{
    requestInterruption();
    wait();
}

void TimelineKeeper::run()
{
    Database db(m_location);
    db.setLockWaitMs(1000); // a pass that cannot get the lock tries again at the next interval
    TimelineSampler sampler(db);
    TimelineMaintenance maintenance(db);
    QDeadlineTimer nextSample(0);
    QDeadlineTimer nextMaintenance(5000); // after the window or the server came up
    QString lastFailure;
    const auto report = [&](const Error &error) {
        // Once per distinct reason: a database that is away is retried quietly.
        if (error.detail != lastFailure) {
            lastFailure = error.detail;
            qCWarning(lcTimeline, "time series: %s", qUtf8Printable(error.detail));
            emit failed(error.detail);
        }
    };
    while (!isInterruptionRequested()) {
        const bool soon = m_sampleSoon.exchange(false);
        if (nextSample.hasExpired() || soon) {
            nextSample.setRemainingTime(qint64(m_samplingSeconds) * 1000);
            Result<SamplingPass> pass =
                sampler.sample(Timestamp::now(), soon ? 1 : std::max(1, m_samplingSeconds - 1), m_retentionDays);
            if (!pass) {
                report(pass.error());
            } else {
                lastFailure.clear();
                if (pass.value().ran)
                    emit sampled(pass.value());
            }
        }
        if (nextMaintenance.hasExpired()) {
            nextMaintenance.setRemainingTime(qint64(maintenanceIntervalSeconds) * 1000);
            Result<MaintenancePass> pass =
                maintenance.run(Timestamp::now(), m_retentionDays, [this]() { return !isInterruptionRequested(); });
            if (!pass)
                report(pass.error());
        }
        for (int slept = 0; slept < 1000 && !isInterruptionRequested() && !m_sampleSoon; slept += sliceMs)
            msleep(sliceMs);
    }
}

} // namespace aether
