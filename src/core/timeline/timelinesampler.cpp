#include "timeline/timelinesampler.h"

#include "base/jsoncolumn.h"
#include "storage/migrations.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

#include <algorithm>
#include <limits>

namespace aether {

namespace {

const QString sampledAtName = QStringLiteral("timeline_sampled_at");
const QString samplingMarkName = QStringLiteral("timeline_sampling_mark");
constexpr qsizetype seenRowsPerStatement = 100;
constexpr qsizetype seenRowsPerJson = 2000;
constexpr qint64 recentLast429Us = 10LL * 60 * 1000000; // a last_429_at this recent dates the counters' increase

std::optional<qint64> optionalLong(const SqlStatement &st, int column)
{
    return st.isNull(column) ? std::nullopt : std::optional<qint64>(st.value(column).toLongLong());
}

// PostgreSQL, for foldLinkedPending(): a key's pending counts summed (c, r), its newest record counted (us), the limit
// its last write left (lim), the last one's number (seq); the row version the first write found (first_before), the
// one the last write left (last_after), and whether each write found the version the one before it left (linked).
const QString linkedPendingByKey = QStringLiteral(
    "SELECT key_id, sum(concurrent_429) AS c, sum(rpm_429) AS r, max(last_record_us) AS us, "
    "(array_agg(limit_value ORDER BY seq DESC))[1] AS lim, max(seq) AS seq, bool_and(linked) AS linked, "
    "min(first_before) AS first_before, (array_agg(row_after ORDER BY seq DESC))[1] AS last_after FROM (SELECT *, "
    "COALESCE(row_before = lag(row_after, 1, row_before) OVER w, false) AS linked, "
    "first_value(row_before) OVER w AS first_before FROM console_timeline_pending "
    "WINDOW w AS (PARTITION BY key_id ORDER BY seq)) q GROUP BY key_id");
std::optional<int> limitValue(const QJsonValue &value)
{
    return value.isDouble() ? std::optional<int>(value.toInt()) : std::nullopt;
}

} // namespace

TimelineSampler::TimelineSampler(Database &db)
    : m_db(db)
    , m_rows(db)
{
}

Result<std::optional<QString>> TimelineSampler::metaValue(const QString &name)
{
    Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT value FROM console_meta WHERE name = ?"), {name});
    if (!st)
        return st.error();
    if (!st.value().next())
        return std::optional<QString>();
    return st.value().optionalString(0);
}

Result<SamplingPass> TimelineSampler::sample(Timestamp now, qint64 minIntervalSeconds, int retentionDays)
{
    const qint64 oldest = timeline::bucketOf(now, timeline::hour) - qint64(retentionDays) * timeline::day;
    const auto sampledRecently = [&](const std::optional<QString> &at) {
        if (!at || minIntervalSeconds <= 0)
            return false;
        const std::optional<Timestamp> t = Timestamp::parse(*at);
        return t && t->microseconds() <= now.microseconds() &&
               now.microseconds() - t->microseconds() < minIntervalSeconds * 1000000;
    };
    // One part of the keys read: what changed, written (the views first, as every writer: they also give new keys the
    // numbers their rows are written under).
    const auto applyPart = [&](const Plan &plan, SamplingPass *pass) -> Status {
        QList<SeenWrite> seen;
        m_rows.clear();
        for (const KeyRead &key : plan.keys) {
            if (key.history)
                ++pass->historiesRead;
            if (key.pendingSeq)
                ++pass->pendingFolded;
            planKey(key, plan, now, oldest, pass, &seen);
        }
        pass->keys += plan.keys.size();
        pass->rowsWritten += m_rows.pendingRows();
        if (const Status written = writeSeen(seen); !written)
            return written.error();
        return m_rows.write();
    };
    // After the last part: the views of keys that are gone, the pending counts folded, the time of the pass.
    const auto finish = [&](SamplingPass *pass, qsizetype views, bool pendingDropped) -> Status {
        Result<qsizetype> gone = forgetGoneKeys(views);
        if (!gone)
            return gone.error();
        pass->goneKeys = gone.value();
        if ((!pendingDropped && pass->pendingFolded > 0) || pass->goneKeys > 0) {
            if (const Status dropped = dropFoldedPending(pass->goneKeys > 0); !dropped)
                return dropped.error();
        }
        return recordMeta(sampledAtName, now.toIsoString());
    };
    const int perRead = keysPerRead();

    if (m_db.dialect().isPostgres()) {
        // One transaction: the advisory lock keeps other processes' passes out until it ends. The keys are read a
        // part at a time (perRead keys, in id order), each part written before the next is read.
        return m_db.transaction<SamplingPass>(Database::Mode::Write, [&]() -> Result<SamplingPass> {
            Result<SqlStatement> lock =
                m_db.exec(QStringLiteral("SELECT pg_try_advisory_xact_lock(?)"), {advisoryLockKey});
            if (!lock)
                return lock.error();
            if (!lock.value().next() || !lock.value().value(0).toBool())
                return SamplingPass{};
            // The pass writes only what it derives from the keys and the pending counts, in one transaction: lost in
            // a crash, it is lost whole and the next pass derives it again. Its commit need not wait for the disk
            // (~30 ms); a later transaction that saw it and commits durably takes it along (the log is in order).
            if (const Status async = m_db.execRaw(QStringLiteral("SET LOCAL synchronous_commit = off")); !async)
                return async.error();
            Result<std::optional<QString>> at = metaValue(sampledAtName);
            if (!at)
                return at.error();
            if (sampledRecently(at.value()))
                return SamplingPass{};
            Result<qsizetype> folded = foldLinkedPending();
            if (!folded)
                return folded.error();
            SamplingPass pass;
            pass.ran = true;
            qsizetype views = 0;
            KeyRange range;
            for (;;) {
                Result<std::optional<QString>> end = rangeEnd(range.after, perRead);
                if (!end)
                    return end.error();
                range.upTo = end.value();
                Plan plan;
                if (const Status read = readKeys(&plan, range); !read)
                    return read.error();
                if (const Status applied = applyPart(plan, &pass); !applied)
                    return applied.error();
                views += plan.views;
                if (!range.upTo)
                    break;
                range.after = range.upTo;
            }
            if (const Status finished = finish(&pass, views, false); !finished)
                return finished.error();
            pass.pendingFolded += folded.value();
            return pass;
        });
    }
    // SQLite: each part is read in a snapshot without holding the write lock (the gateway's and the console's writers
    // go on), then written unless another pass wrote a part meanwhile: every part written leaves a new random mark
    // (console_meta timeline_sampling_mark), and a part is written only where the mark is still the one its read saw.
    // The seen counters are written as differences, so an event that the console applied between the read and the
    // write is neither lost nor counted twice; the pending counts of a part's keys are deleted up to the last one it
    // read. A pass that stops halfway (another took over) leaves every part it wrote complete.
    std::optional<QString> expectedMark;
    Result<bool> due = m_db.transaction<bool>(Database::Mode::Read, [&]() -> Result<bool> {
        Result<std::optional<QString>> at = metaValue(sampledAtName);
        if (!at)
            return at.error();
        Result<std::optional<QString>> mark = metaValue(samplingMarkName);
        if (!mark)
            return mark.error();
        expectedMark = mark.value();
        return !sampledRecently(at.value());
    });
    if (!due)
        return due.error();
    SamplingPass pass;
    if (!due.value())
        return pass;
    // Whether no other pass has written a part since this one's last look.
    const auto markUnchanged = [&]() -> Result<bool> {
        Result<std::optional<QString>> mark = metaValue(samplingMarkName);
        if (!mark)
            return mark.error();
        return mark.value() == expectedMark;
    };
    qsizetype views = 0;
    KeyRange range;
    for (;;) {
        Plan plan;
        Result<bool> read = m_db.transaction<bool>(Database::Mode::Read, [&]() -> Result<bool> {
            Result<bool> unchanged = markUnchanged();
            if (!unchanged || !unchanged.value())
                return unchanged;
            Result<std::optional<QString>> end = rangeEnd(range.after, perRead);
            if (!end)
                return end.error();
            range.upTo = end.value();
            if (const Status keys = readKeys(&plan, range); !keys)
                return keys.error();
            return true;
        });
        if (!read)
            return read.error();
        if (!read.value())
            return pass;
        SamplingPass updated = pass;
        const QString newMark = QString::number(QRandomGenerator::global()->generate64(), 16);
        Result<bool> written = m_db.transaction<bool>(Database::Mode::Write, [&]() -> Result<bool> {
            Result<bool> unchanged = markUnchanged(); // else another pass wrote since this one read
            if (!unchanged || !unchanged.value())
                return unchanged;
            updated = pass;
            updated.ran = true;
            if (const Status applied = applyPart(plan, &updated); !applied)
                return applied.error();
            if (plan.pendingReadUpTo) {
                if (const Status dropped = dropPartPending(range, *plan.pendingReadUpTo); !dropped)
                    return dropped.error();
            }
            if (!range.upTo) {
                if (const Status finished = finish(&updated, views + plan.views, true); !finished)
                    return finished.error();
            }
            if (const Status recorded = recordMeta(samplingMarkName, newMark); !recorded)
                return recorded.error();
            return true;
        });
        if (!written)
            return written.error();
        if (!written.value())
            return pass;
        pass = updated;
        expectedMark = newMark;
        views += plan.views;
        if (!range.upTo)
            return pass;
        range.after = range.upTo;
    }
}

Result<std::optional<QString>> TimelineSampler::rangeEnd(const std::optional<QString> &after, int keys)
{
    // The id of the part's last key; none when no more than `keys` keys are left (the part then reaches to the end,
    // and reads without a range: every key of a small database in one scan).
    QVariantList binds;
    const QString from = rangeCondition({after, std::nullopt}, QStringLiteral("id"), &binds);
    binds << keys - 1;
    Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT id FROM provider_api_keys") + from +
                                            QStringLiteral(" ORDER BY id LIMIT 2 OFFSET ?"),
                                        binds);
    if (!st)
        return st.error();
    if (!st.value().next())
        return std::optional<QString>();
    const QString last = st.value().value(0).toString();
    if (!st.value().next())
        return std::optional<QString>();
    return std::optional<QString>(last);
}

QString TimelineSampler::rangeCondition(const KeyRange &range, const QString &column, QVariantList *binds)
{
    QStringList conditions;
    if (range.after) {
        conditions << column + QStringLiteral(" > ?");
        *binds << *range.after;
    }
    if (range.upTo) {
        conditions << column + QStringLiteral(" <= ?");
        *binds << *range.upTo;
    }
    return conditions.isEmpty() ? QString() : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
}

Status TimelineSampler::dropPartPending(const KeyRange &range, qint64 readUpTo)
{
    // SQLite numbers pending rows in the order their transactions committed (one writer at a time): the part read
    // every row of its keys up to the last one it saw, and folded them all (a key gone meanwhile has nothing left to
    // fold into).
    QVariantList binds;
    QString condition = rangeCondition(range, QStringLiteral("key_id"), &binds);
    condition +=
        (condition.isEmpty() ? QStringLiteral(" WHERE ") : QStringLiteral(" AND ")) + QStringLiteral("seq <= ?");
    binds << readUpTo;
    Result<SqlStatement> st = m_db.exec(QStringLiteral("DELETE FROM console_timeline_pending") + condition, binds);
    return st ? Status(Done{}) : Status(st.error());
}

Result<qsizetype> TimelineSampler::foldLinkedPending()
{
    // The view then holds the counters and limit as they are, the newest record counted, the row version and the last
    // pending count folded; the history's mark is not kept (writeSeen()). A key that needs its baseline, or whose row
    // someone else wrote, or whose counters or limit moved otherwise, is left to the read.
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("UPDATE console_timeline_seen AS s SET concurrent_429 = k.concurrent_429_count, "
                       "rpm_429 = k.rpm_429_count, limit_value = p.lim, history_mark = NULL, "
                       "last_record_us = GREATEST(s.last_record_us, p.us), row_version = CAST(k.xmin AS text), "
                       "folded_seq = p.seq FROM (%1) p, provider_api_keys k WHERE s.key_id = p.key_id AND "
                       "k.id = p.key_id AND s.needs_baseline = 0 AND p.seq > s.folded_seq AND p.linked AND "
                       "p.first_before = s.row_version AND p.last_after = CAST(k.xmin AS text) AND "
                       "k.concurrent_429_count = s.concurrent_429 + p.c AND k.rpm_429_count = s.rpm_429 + p.r AND "
                       "COALESCE(k.max_concurrent, k.learned_max_concurrent) IS NOT DISTINCT FROM p.lim")
            .arg(linkedPendingByKey));
    if (!st)
        return st.error();
    const qsizetype folded = std::max(0, st.value().rowsAffected());
    if (folded > 0) {
        if (const Status dropped = dropFoldedPending(false); !dropped)
            return dropped.error();
    }
    return folded;
}

Status TimelineSampler::readKeys(Plan *plan, const KeyRange &range)
{
    const bool pg = m_db.dialect().isPostgres();
    QString mark;
    bool hashHere = false;
    if (pg) {
        // The mark kept while the row is the version read last (most rows on most passes; views written now keep
        // none, see writeSeen()), else the timestamp of the history's last record: records are counted by their
        // timestamps, so a history whose last record is not newer than what was counted holds nothing to count,
        // whatever else changed in it (one parse of the text, no digest of it).
        // (Keys that only the console wrote since were folded before the read, foldLinkedPending().)
        mark = QStringLiteral("CASE WHEN s.row_version = CAST(k.xmin AS text) THEN s.history_mark ELSE "
                              "k.adjustment_history -> -1 ->> 'timestamp' END");
    } else if (hasKeptKeyColumn(m_db, QStringLiteral("console_revision"), &m_hasRevision)) {
        mark = QStringLiteral("CAST(k.console_revision AS TEXT)"); // renewed by a trigger when the history is written
    } else {
        mark = QStringLiteral("NULL"); // the history's hash, taken here
        hashHere = true;
    }
    // The part's keys (and on PostgreSQL their pending counts): the statement's bound values in the order they appear.
    QVariantList binds;
    const QString pendingRange = pg ? rangeCondition(range, QStringLiteral("key_id"), &binds) : QString();
    const QString keyRange = rangeCondition(range, QStringLiteral("k.id"), &binds);
    const QString sql =
        pg ? QStringLiteral("SELECT k.id, k.concurrent_429_count, k.rpm_429_count, k.max_concurrent, "
                            "k.learned_max_concurrent, CAST(k.last_429_at AS text), "
                            "s.key_id IS NOT NULL AND s.needs_baseline = 0, "
                            "s.concurrent_429, s.rpm_429, s.limit_value, s.last_record_us, s.history_mark, %1, "
                            "NULL, CAST(k.xmin AS text), s.key_no, p.c, p.r, p.us, p.lim, p.seq, NULL "
                            "FROM provider_api_keys k LEFT JOIN console_timeline_seen s ON s.key_id = k.id "
                            "LEFT JOIN (SELECT key_id, sum(concurrent_429) AS c, sum(rpm_429) AS r, "
                            "max(last_record_us) AS us, (array_agg(limit_value ORDER BY seq DESC))[1] AS lim, "
                            "max(seq) AS seq FROM console_timeline_pending%2 GROUP BY key_id) p ON p.key_id = k.id%3")
                 .arg(mark, pendingRange, keyRange)
           : QStringLiteral("SELECT k.id, k.concurrent_429_count, k.rpm_429_count, k.max_concurrent, "
                            "k.learned_max_concurrent, k.last_429_at, s.key_id IS NOT NULL AND s.needs_baseline = 0, "
                            "s.concurrent_429, "
                            "s.rpm_429, s.limit_value, s.last_record_us, s.history_mark, %1, "
                            "CASE WHEN %2 THEN k.adjustment_history END, NULL, s.key_no, NULL, NULL, NULL, NULL, "
                            "NULL, CASE WHEN %3 THEN %4 END "
                            "FROM provider_api_keys k LEFT JOIN console_timeline_seen s ON s.key_id = k.id%5")
                 .arg(mark, hashHere ? QStringLiteral("1") : QStringLiteral("0"),
                      hashHere ? QStringLiteral("0") : QStringLiteral("s.history_mark IS NOT %1").arg(mark),
                      // The last record's timestamp of a history that changed, from the column the trigger keeps
                      // with the history's last three records beside console_revision (storage/migrations.cpp,
                      // sqliteHistoryTail(): the last record's type and timestamp are its fifth and sixth values)
                      // instead of parsing the history twice.
                      QStringLiteral("json_extract(k.console_history_tail, '$[5]')"), keyRange);
    // SQLite: the pending counts by key first, joined here (joined in the statement, SQLite indexes the grouped rows
    // anew on every pass: ~40 of ~90 ms of the read after heavy learning through the console).
    QHash<QString, KeyRead> pending;
    if (!pg) {
        QVariantList pendingBinds;
        Result<SqlStatement> sums = m_db.execBulk(
            QStringLiteral("SELECT p.key_id, p.c, p.r, p.us, (SELECT q.limit_value FROM console_timeline_pending q "
                           "WHERE q.seq = p.seq), p.seq FROM (SELECT key_id, sum(concurrent_429) AS c, "
                           "sum(rpm_429) AS r, max(last_record_us) AS us, max(seq) AS seq FROM "
                           "console_timeline_pending%1 GROUP BY key_id) p")
                .arg(rangeCondition(range, QStringLiteral("key_id"), &pendingBinds)),
            pendingBinds);
        if (!sums)
            return sums.error();
        while (sums.value().next()) {
            const SqlStatement &row = sums.value();
            KeyRead &counted = pending[row.value(0).toString()];
            counted.pendingConcurrent429 = row.value(1).toLongLong();
            counted.pendingRpm429 = row.value(2).toLongLong();
            counted.pendingLastRecordUs = optionalLong(row, 3);
            counted.pendingLimit = row.optionalInt(4);
            counted.pendingSeq = row.value(5).toLongLong();
            plan->pendingReadUpTo = std::max(plan->pendingReadUpTo.value_or(0), *counted.pendingSeq);
        }
    }
    Result<SqlStatement> st = m_db.execBulk(sql, binds);
    if (!st)
        return st.error();
    QStringList newIds;
    QHash<QString, qsizetype> historyIds; // keys whose history is read next, and where they are in plan->keys
    while (st.value().next()) {
        const SqlStatement &row = st.value();
        KeyRead key;
        key.id = row.value(0).toString();
        key.concurrent429 = row.value(1).toLongLong();
        key.rpm429 = row.value(2).toLongLong();
        const std::optional<int> max = row.optionalInt(3);
        key.limit = max ? max : row.optionalInt(4);
        if (!row.isNull(5))
            key.last429At = Timestamp::parse(row.value(5).toString());
        key.seen = row.value(6).toBool();
        key.seenConcurrent429 = row.value(7).toLongLong();
        key.seenRpm429 = row.value(8).toLongLong();
        key.seenLimit = row.optionalInt(9);
        key.seenLastRecordUs = optionalLong(row, 10);
        key.seenMark = row.optionalString(11);
        key.mark = row.optionalString(12);
        key.history = row.optionalString(13);
        if (pg)
            key.rowVersion = row.optionalString(14);
        key.keyNo = optionalLong(row, 15);
        if (pg) {
            key.pendingSeq = optionalLong(row, 20);
            if (key.pendingSeq) {
                key.pendingConcurrent429 = row.value(16).toLongLong();
                key.pendingRpm429 = row.value(17).toLongLong();
                key.pendingLastRecordUs = optionalLong(row, 18);
                key.pendingLimit = row.optionalInt(19);
            }
        } else if (const auto counted = pending.constFind(key.id); counted != pending.constEnd()) {
            key.pendingConcurrent429 = counted->pendingConcurrent429;
            key.pendingRpm429 = counted->pendingRpm429;
            key.pendingLastRecordUs = counted->pendingLastRecordUs;
            key.pendingLimit = counted->pendingLimit;
            key.pendingSeq = counted->pendingSeq;
        }
        if (key.keyNo)
            ++plan->views;
        if (hashHere && key.history) {
            key.mark = QString::number(qHash(*key.history), 16);
            if (key.mark == key.seenMark)
                key.history.reset();
        } else if (!hashHere && key.mark != key.seenMark) {
            // The history changed. Its records are counted by their timestamps: when its last one is not newer than
            // what was counted (most often the console's own records, or the gateway rewrote old ones), it need not
            // be read and parsed; a key's first pass reads it whole.
            // (PostgreSQL: the mark is that timestamp. Selected once: the planner would compute the expression
            // for every place it is named, and it is most of the read's cost.)
            const int lastColumn = pg ? 12 : 21;
            const std::optional<Timestamp> last =
                row.isNull(lastColumn) ? std::nullopt : Timestamp::parse(row.value(lastColumn).toString());
            const std::optional<qint64> counted = countedUpTo(key);
            if (!key.seen || !last || !counted || last->microseconds() > *counted)
                historyIds.insert(key.id, plan->keys.size());
        }
        if (!key.seen)
            newIds << key.id;
        plan->keys.append(std::move(key));
    }
    const Status histories = m_db.selectByIds(
        pg ? QStringLiteral("SELECT id, CAST(adjustment_history AS text) FROM provider_api_keys WHERE id IN (%1)")
           : QStringLiteral("SELECT id, adjustment_history FROM provider_api_keys WHERE id IN (%1)"),
        historyIds.keys(), [plan, &historyIds](const SqlStatement &row) {
            const auto found = historyIds.constFind(row.value(0).toString());
            if (found != historyIds.constEnd() && !row.isNull(1))
                plan->keys[*found].history = row.value(1).toString();
        });
    if (!histories)
        return histories;
    for (const QString &table : timeline::tables()) {
        const Status first =
            m_db.selectByIds(QStringLiteral("SELECT s.key_id, min(t.slot) FROM console_timeline_seen s JOIN %1 t ON "
                                            "t.key_no = s.key_no WHERE s.key_id IN (%2) GROUP BY s.key_id")
                                 .arg(table, QStringLiteral("%1")),
                             newIds, [plan](const SqlStatement &row) {
                                 const qint64 start = timeline::slotStart(row.value(1).toLongLong());
                                 const auto found = plan->firstBuckets.constFind(row.value(0).toString());
                                 if (found == plan->firstBuckets.constEnd() || start < *found)
                                     plan->firstBuckets.insert(row.value(0).toString(), start);
                             });
        if (!first)
            return first;
    }
    return Done{};
}

std::optional<qint64> TimelineSampler::countedUpTo(const KeyRead &key)
{
    // By the last pass, or since by the console's own writes.
    std::optional<qint64> counted = key.seen ? key.seenLastRecordUs : std::nullopt;
    if (key.seen && key.pendingLastRecordUs && (!counted || *counted < *key.pendingLastRecordUs))
        counted = key.pendingLastRecordUs;
    return counted;
}

void TimelineSampler::planKey(const KeyRead &key, const Plan &plan, Timestamp now, qint64 oldest, SamplingPass *pass,
                              QList<SeenWrite> *seen)
{
    const qint64 latest = timeline::bucketOf(now, timeline::minute);
    const std::optional<qint64> countedUs = countedUpTo(key);
    std::optional<qint64> newestUs = countedUs;
    // The limit as last recorded.
    std::optional<int> known = key.pendingSeq ? key.pendingLimit : key.seenLimit;
    if (key.history) {
        JsonArrayState state = JsonArrayState::Null;
        const QJsonArray records = readJsonArray(*key.history, &state);
        const qint64 firstBucket = plan.firstBuckets.value(key.id, std::numeric_limits<qint64>::max());
        for (const QJsonValue &value : records) {
            const QJsonObject record = value.toObject();
            const std::optional<Timestamp> at =
                Timestamp::parse(record.value(QLatin1StringView("timestamp")).toString());
            if (!at)
                continue;
            const qint64 us = at->microseconds();
            if (countedUs && us <= *countedUs)
                continue; // counted before
            if (!newestUs || *newestUs < us)
                newestUs = us;
            const qint64 bucket = timeline::bucketOf(*at, timeline::minute);
            if (!key.seen && bucket >= firstBucket)
                continue; // a new key's record from where its time series begins: written with it already
            if (bucket < oldest || bucket > latest)
                continue;
            TimelineCounts counts;
            counts.adjustments = 1;
            if (record.value(QLatin1StringView("reason")).toString() == u"unknown_429")
                counts.unknown429 = 1;
            const std::optional<int> newLimit = limitValue(record.value(QLatin1StringView("new_limit")));
            m_rows.add(key.id, *at, counts, limitValue(record.value(QLatin1StringView("old_limit"))), newLimit);
            known = newLimit;
        }
    }
    if (!key.seen) {
        // The baseline; a view the console created meanwhile holds what it counted since (written as a difference,
        // like every other view: what a writer adds between this read and the write stays).
        ++pass->newKeys;
        if (key.pendingLastRecordUs && (!newestUs || *newestUs < *key.pendingLastRecordUs))
            newestUs = key.pendingLastRecordUs;
        seen->append({key.id, key.keyNo, key.concurrent429 - key.seenConcurrent429, key.rpm429 - key.seenRpm429,
                      key.limit, key.mark, newestUs, key.rowVersion, key.pendingSeq.value_or(0)});
        return;
    }
    // The view follows the counters as read (written as a difference); what the gateway added is what they rose by
    // beyond the view and the console's own counts.
    const qint64 concurrentDiff = key.concurrent429 - key.seenConcurrent429;
    const qint64 rpmDiff = key.rpm429 - key.seenRpm429;
    const auto added = [](qint64 diff, qint64 pending, qint64 now) {
        // Went down: reset outside the console, then what it holds now, less what the console counted.
        return diff >= pending ? diff - pending : std::max<qint64>(0, now - pending);
    };
    TimelineCounts counts;
    counts.concurrent429 = added(concurrentDiff, key.pendingConcurrent429, key.concurrent429);
    counts.rpm429 = added(rpmDiff, key.pendingRpm429, key.rpm429);
    const std::optional<int> before = known;
    if (counts.total429() > 0 || before != key.limit) {
        Timestamp at = now;
        if (counts.total429() > 0 && key.last429At && key.last429At->microseconds() <= now.microseconds() &&
            now.microseconds() - key.last429At->microseconds() < recentLast429Us)
            at = *key.last429At;
        m_rows.add(key.id, at, counts, before, key.limit);
    }
    if (concurrentDiff != 0 || rpmDiff != 0 || key.limit != key.seenLimit || key.mark != key.seenMark ||
        newestUs != key.seenLastRecordUs || key.pendingSeq)
        seen->append({key.id, key.keyNo, concurrentDiff, rpmDiff, key.limit, key.mark, newestUs, key.rowVersion,
                      key.pendingSeq.value_or(0)});
}

Status TimelineSampler::writeSeen(const QList<SeenWrite> &unsorted)
{
    // In key order, as every writer of these rows takes them (no circular waits on PostgreSQL); the counters as
    // differences, so that a concurrent writer's own additions stay.
    QList<const SeenWrite *> writes;
    writes.reserve(unsorted.size());
    for (const SeenWrite &w : unsorted)
        writes.append(&w);
    std::sort(writes.begin(), writes.end(), [](const SeenWrite *a, const SeenWrite *b) { return a->id < b->id; });
    if (m_db.dialect().isPostgres()) {
        for (qsizetype start = 0; start < writes.size(); start += seenRowsPerJson) {
            QJsonArray views;
            for (qsizetype i = start; i < std::min(writes.size(), start + seenRowsPerJson); ++i) {
                const SeenWrite &w = *writes.at(i);
                views.append(QJsonObject{{QStringLiteral("k"), w.id},
                                         {QStringLiteral("n"), jsonOrNull(w.keyNo)},
                                         {QStringLiteral("c"), w.concurrent429},
                                         {QStringLiteral("r"), w.rpm429},
                                         {QStringLiteral("l"), jsonOrNull(w.limit)},
                                         // No mark kept: the row version says whether the history may have
                                         // changed, and its last record's timestamp whether it holds anything not
                                         // counted yet (~34 bytes a view less; the views are half-empty pages).
                                         {QStringLiteral("m"), QJsonValue()},
                                         {QStringLiteral("u"), jsonOrNull(w.lastRecordUs)},
                                         {QStringLiteral("v"), jsonOrNull(w.rowVersion)},
                                         {QStringLiteral("f"), w.foldedSeq}});
            }
            Result<SqlStatement> st = m_db.exec(
                timelineSeenUpsertJsonSql(), {QString::fromUtf8(QJsonDocument(views).toJson(QJsonDocument::Compact))});
            if (!st)
                return st.error();
        }
        return Done{};
    }
    const auto nullableLong = [](const std::optional<qint64> &v) {
        return v ? QVariant(*v) : QVariant(QMetaType::fromType<qint64>());
    };
    for (qsizetype start = 0; start < writes.size(); start += seenRowsPerStatement) {
        const qsizetype count = std::min(seenRowsPerStatement, writes.size() - start);
        QVariantList binds;
        binds.reserve(count * 9);
        for (qsizetype i = start; i < start + count; ++i) {
            const SeenWrite &w = *writes.at(i);
            binds << w.id << nullableLong(w.keyNo) << w.concurrent429 << w.rpm429 << sqlNullableInt(w.limit)
                  << sqlNullableText(w.mark) << nullableLong(w.lastRecordUs) << sqlNullableText(w.rowVersion)
                  << w.foldedSeq;
        }
        Result<SqlStatement> st = m_db.exec(timelineSeenUpsertSql(m_db.dialect(), count), binds);
        if (!st)
            return st.error();
    }
    return Done{};
}

Result<qsizetype> TimelineSampler::forgetGoneKeys(qsizetype viewsOfKeys)
{
    // Only when there are more views than the keys read had (a count is ~1 ms, the delete's anti-join ~10 ms on
    // 10,000 keys). A view added meanwhile makes the delete run for nothing; a gone key whose view was not counted
    // is forgotten by the next pass.
    {
        Result<SqlStatement> st = m_db.exec(QStringLiteral("SELECT count(*) FROM console_timeline_seen"));
        if (!st)
            return st.error();
        if (st.value().next() && st.value().value(0).toLongLong() <= viewsOfKeys)
            return qsizetype(0);
    }
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("DELETE FROM console_timeline_seen WHERE NOT EXISTS (SELECT 1 FROM provider_api_keys k "
                       "WHERE k.id = console_timeline_seen.key_id)"));
    if (!st)
        return st.error();
    return qsizetype(std::max(0, st.value().rowsAffected()));
}

Status TimelineSampler::dropFoldedPending(bool keysGone)
{
    // One pass over the pending rows (no index: they are appended on every learning event and live one pass) joined
    // with the views (PostgreSQL: a hash join instead of one index lookup per row). When keys are gone, also the
    // pending rows of keys that no longer have a view.
    const QString folded =
        m_db.dialect().isPostgres()
            ? QStringLiteral("DELETE FROM console_timeline_pending p USING console_timeline_seen s "
                             "WHERE s.key_id = p.key_id AND p.seq <= s.folded_seq")
            : QStringLiteral("DELETE FROM console_timeline_pending WHERE seq <= (SELECT s.folded_seq FROM "
                             "console_timeline_seen s WHERE s.key_id = console_timeline_pending.key_id)");
    if (Result<SqlStatement> st = m_db.exec(folded); !st)
        return st.error();
    if (!keysGone)
        return Done{};
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("DELETE FROM console_timeline_pending WHERE NOT EXISTS (SELECT 1 FROM console_timeline_seen s "
                       "WHERE s.key_id = console_timeline_pending.key_id)"));
    return st ? Status(Done{}) : Status(st.error());
}

Status TimelineSampler::recordMeta(const QString &name, const QString &value)
{
    Result<SqlStatement> st = m_db.exec(QStringLiteral("INSERT INTO console_meta (name, value) VALUES (?, ?) "
                                                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value"),
                                        {name, value});
    return st ? Status(Done{}) : Status(st.error());
}

int TimelineSampler::keysPerRead()
{
    return s_keysPerRead.load();
}

void TimelineSampler::setKeysPerRead(int keys)
{
    s_keysPerRead.store(std::max(1, keys));
}

} // namespace aether
