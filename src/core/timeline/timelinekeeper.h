#pragma once

#include "storage/databaselocation.h"
#include "timeline/timelinemaintenance.h"
#include "timeline/timelinesampler.h"

#include <QMutex>
#include <QThread>

#include <atomic>

namespace aether {

// Keeps the time series of a database up to date from a thread and connection of its own, in every console process
// (the window and --serve): a sampling pass every `samplingSeconds` (skipped when another process sampled within the
// interval), and roll-up and retention every ten minutes in short chunks. Nothing of it runs on the caller's thread.
class TimelineKeeper : public QThread {
    Q_OBJECT
public:
    struct Settings {
        int samplingSeconds = timeline::defaultSamplingSeconds;
        int retentionDays = timeline::defaultRetentionDays;
    };
    TimelineKeeper(DatabaseLocation location, Settings settings, QObject *parent = nullptr);
    ~TimelineKeeper() override;

    void setRetentionDays(int days) { m_retentionDays = days; }
    int retentionDays() const { return m_retentionDays; }
    // Asks for a sampling pass now (e.g. before a chart is drawn), unless another process sampled within a second.
    void sampleSoon() { m_sampleSoon = true; }

    static constexpr int maintenanceIntervalSeconds = 600;
    static constexpr int minSamplingSeconds = 1;
    static constexpr int maxSamplingSeconds = 3600;

signals:
    void sampled(const aether::SamplingPass &pass);
    void failed(const QString &reason);

protected:
    void run() override;

private:
    DatabaseLocation m_location;
    int m_samplingSeconds;
    std::atomic<int> m_retentionDays;
    std::atomic<bool> m_sampleSoon{false};
};

} // namespace aether
