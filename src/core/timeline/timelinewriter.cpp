#include "timeline/timelinewriter.h"

#include <QList>
#include <QStringList>

#include <algorithm>

namespace aether {

TimelineRecorder::TimelineRecorder(Database &db)
    : m_db(db)
{
}

void TimelineRecorder::add(const QString &keyId, Timestamp at, const TimelineCounts &counts,
                           std::optional<int> limitBefore, std::optional<int> limitAfter)
{
    const auto key = std::make_pair(keyId, timeline::bucketOf(at, timeline::minute));
    auto found = m_rows.find(key);
    if (found == m_rows.end()) {
        found = m_rows.emplace(key, Row{}).first;
        found->second.limitBegin = limitBefore;
    }
    Row &row = found->second;
    row.counts += counts;
    row.limitEnd = limitAfter;
    row.limitChanged = row.limitChanged || limitBefore != limitAfter;
}

void TimelineRecorder::noteCounted(const QString &keyId, qint64 concurrent429, qint64 rpm429,
                                   std::optional<qint64> newestRecordUs, std::optional<int> limit)
{
    Counted &counted = m_counted[keyId];
    counted.concurrent429 += concurrent429;
    counted.rpm429 += rpm429;
    if (newestRecordUs && (!counted.newestRecordUs || *counted.newestRecordUs < *newestRecordUs))
        counted.newestRecordUs = newestRecordUs;
    counted.limit = limit;
    counted.counted = true;
}

void TimelineRecorder::noteRowVersion(const QString &keyId, const QString &before)
{
    const auto found = m_counted.find(keyId);
    if (found == m_counted.end() || !found->counted)
        return; // nothing pending for it
    if (!found->rowBefore)
        found->rowBefore = before; // a second write in the transaction found the first one's version
}

void TimelineRecorder::noteReset(const QString &keyId, std::optional<int> limit)
{
    Counted &counted = m_counted[keyId];
    counted = Counted{};
    counted.reset = true;
    counted.limit = limit;
}

qsizetype TimelineRecorder::pendingRows() const
{
    return std::count_if(m_rows.begin(), m_rows.end(), [](const auto &entry) {
        return !entry.second.counts.onlySuccesses() || entry.second.limitChanged;
    });
}

void TimelineRecorder::clear()
{
    m_rows.clear();
    m_counted.clear();
}

QList<TimelineRowWrite> TimelineRecorder::pendingRowWrites() const
{
    QList<TimelineRowWrite> rows;
    for (const auto &[key, row] : m_rows) {
        if (!row.counts.onlySuccesses() || row.limitChanged)
            rows.append({key.first, timeline::minute, key.second, row.counts, row.limitBegin, row.limitEnd});
    }
    return rows;
}

Status TimelineRecorder::write()
{
    // Resets first (their views, in key order as every writer of views takes them), then what was counted after them
    // and the rows.
    QStringList resets;
    QList<TimelinePendingWrite> pending;
    for (auto it = m_counted.constBegin(); it != m_counted.constEnd(); ++it) {
        if (it->reset)
            resets << it.key();
        if (it->counted)
            pending.append({it.key(), it->concurrent429, it->rpm429, it->newestRecordUs, it->limit, it->rowBefore});
    }
    std::sort(resets.begin(), resets.end());
    const QList<TimelineRowWrite> rows = pendingRowWrites();
    if (const Status written = writeResets(resets); !written) {
        clear();
        return written;
    }
    clear();
    return writeTimelineRows(m_db, rows, TimelineViews::Create, pending);
}

Status TimelineRecorder::writeResets(const QStringList &ids)
{
    // The view's counters are set to 0 with the key's; what was counted of the key before and not yet folded into the
    // view is dropped with them. A key no sampler has seen gets a view that waits for its baseline.
    const QString reset = timelineSeenResetSql(m_db.dialect());
    const QString dropPending = timelinePendingDropSql(m_db.dialect());
    for (const QString &id : ids) {
        if (Result<SqlStatement> st = m_db.exec(reset, {id, id, sqlNullableInt(m_counted.value(id).limit)}); !st)
            return st.error();
        if (Result<SqlStatement> st = m_db.exec(dropPending, {id}); !st)
            return st.error();
    }
    return Done{};
}

} // namespace aether
