#pragma once

#include "base/error.h"
#include "base/timestamp.h"
#include "storage/database.h"
#include "timeline/timelinewriter.h"

#include <QList>
#include <QString>

#include <optional>

namespace aether {

// Which keys a series sums: one key, an endpoint's, a provider's, or all keys (all empty).
struct TimelineScope {
    QString keyId;
    QString endpointId;
    QString providerId;
    bool isAll() const { return keyId.isEmpty() && endpointId.isEmpty() && providerId.isEmpty(); }
};

// [from, to) in buckets of `step` seconds; from is a multiple of step (UTC epoch seconds).
struct TimelineRange {
    qint64 from = 0;
    qint64 to = 0;
    qint64 step = timeline::minute;
    qint64 pointCount() const { return to <= from ? 0 : (to - from + step - 1) / step; }
};

struct TimelinePoint {
    qint64 t = 0; // the bucket's start
    TimelineCounts counts;
    std::optional<int> limit; // one key: the effective limit at the bucket's end (none: no limit)
};

// Every bucket of the range, in order, zero where nothing happened.
struct TimelineSeries {
    TimelineRange range;
    QList<TimelinePoint> points;
    bool hasLimit = false; // one key's series carries its limit
    TimelineCounts total;
};

struct TopKey {
    QString keyId;
    QString name;
    TimelineCounts counts;
};

// Reads the time series (timeline/timelinewriter.h). Older than 48 hours the rows are hours: a finer step puts each
// hour's counts in the bucket where the hour begins.
class TimelineQuery {
public:
    explicit TimelineQuery(Database &db);

    static constexpr qint64 maxPoints = 10000;
    static const QList<qint64> &steps(); // 60, 300, 3600, 86400
    // The finest step that shows [from, to) in at most ~1,500 buckets.
    static qint64 defaultStep(qint64 from, qint64 to);
    // from aligned down to the step; to as given.
    static TimelineRange range(qint64 from, qint64 to, qint64 step);

    // One key's series with its limit; ErrorCode::NotFound when the key does not exist.
    Result<TimelineSeries> keySeries(const QString &keyId, const TimelineRange &range);
    // The sum over the keys of a scope (keys that exist now), without limits.
    Result<TimelineSeries> scopeSeries(const TimelineScope &scope, const TimelineRange &range);
    // The keys of the scope with the most 429s in [from, to), most first (ties by id), only keys with 429s.
    Result<QList<TopKey>> topKeys(const TimelineScope &scope, qint64 from, qint64 to, int count = 10);

private:
    // " JOIN … WHERE …" restricting `table` (one of timeline::tables()) as t to the scope's keys (joined as k), and
    // its binds.
    QString scopeJoin(const TimelineScope &scope, const QString &table, QVariantList *binds) const;
    static void addRow(TimelineSeries *series, qint64 bucket, qint64 rowStep, const TimelineCounts &counts);

    Database &m_db;
};

} // namespace aether
