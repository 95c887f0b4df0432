#include "timeline/timelinequery.h"

#include <algorithm>

namespace aether {

namespace {

constexpr qint64 defaultPointsAtMost = 1500;

TimelineCounts countsAt(const SqlStatement &st, int first)
{
    return TimelineCounts{st.value(first).toLongLong(), st.value(first + 1).toLongLong(),
                          st.value(first + 2).toLongLong(), st.value(first + 3).toLongLong(),
                          st.value(first + 4).toLongLong()};
}

// `column` of a key's row nearest to a slot, in either table: the last row before it or the first at or after it.
// Binds: the key's number and the slot, twice.
enum class Nearest { Before, AtOrAfter };
QString nearestRowSql(const QString &column, Nearest nearest)
{
    const bool before = nearest == Nearest::Before;
    const QString order = before ? QStringLiteral(" DESC") : QString();
    const auto one = [&](qint64 step, const QString &alias) {
        return QStringLiteral("SELECT * FROM (SELECT slot, %1 FROM %2 WHERE key_no = ? AND slot %3 ? ORDER BY slot%4 "
                              "LIMIT 1) AS %5")
            .arg(column, timeline::tableOf(step), before ? QStringLiteral("<") : QStringLiteral(">="), order, alias);
    };
    return QStringLiteral("SELECT %1 FROM (%2 UNION ALL %3) AS nearest ORDER BY slot%4 LIMIT 1")
        .arg(column, one(timeline::minute, QStringLiteral("m")), one(timeline::hour, QStringLiteral("h")), order);
}

TimelineSeries emptySeries(const TimelineRange &range)
{
    TimelineSeries series;
    series.range = range;
    const qint64 count = range.pointCount();
    series.points.reserve(count);
    for (qint64 i = 0; i < count; ++i)
        series.points.append(TimelinePoint{range.from + i * range.step, {}, std::nullopt});
    return series;
}

} // namespace

TimelineQuery::TimelineQuery(Database &db)
    : m_db(db)
{
}

const QList<qint64> &TimelineQuery::steps()
{
    static const QList<qint64> all{timeline::minute, 5 * timeline::minute, timeline::hour, timeline::day};
    return all;
}

qint64 TimelineQuery::defaultStep(qint64 from, qint64 to)
{
    for (const qint64 step : steps()) {
        if (range(from, to, step).pointCount() <= defaultPointsAtMost)
            return step;
    }
    return steps().constLast();
}

TimelineRange TimelineQuery::range(qint64 from, qint64 to, qint64 step)
{
    return TimelineRange{timeline::bucketOf(from, step), to, step};
}

void TimelineQuery::addRow(TimelineSeries *series, qint64 bucket, qint64 rowStep, const TimelineCounts &counts)
{
    const TimelineRange &r = series->range;
    if (bucket + rowStep <= r.from || bucket >= r.to)
        return;
    const qint64 index = (std::max(bucket, r.from) - r.from) / r.step;
    if (index < 0 || index >= series->points.size())
        return;
    series->points[index].counts += counts;
    series->total += counts;
}

Result<TimelineSeries> TimelineQuery::keySeries(const QString &keyId, const TimelineRange &range)
{
    if (!m_db.canHold(keyId))
        return Error::notFound(keyId);
    return m_db.transaction<TimelineSeries>(Database::Mode::Read, [&]() -> Result<TimelineSeries> {
        std::optional<int> current;
        QVariant keyNo; // none: nothing was ever recorded for the key
        {
            Result<SqlStatement> st =
                m_db.exec(QStringLiteral("SELECT k.max_concurrent, k.learned_max_concurrent, s.key_no FROM "
                                         "provider_api_keys k LEFT JOIN console_timeline_seen s ON s.key_id = k.id "
                                         "WHERE k.id = ?"),
                          {keyId});
            if (!st)
                return st.error();
            if (!st.value().next())
                return Error::notFound(keyId);
            current = st.value().isNull(0) ? st.value().optionalInt(1) : st.value().optionalInt(0);
            keyNo = st.value().isNull(2) ? QVariant() : st.value().value(2);
        }
        TimelineSeries series = emptySeries(range);
        series.hasLimit = true;
        if (!keyNo.isValid()) {
            for (TimelinePoint &point : series.points)
                point.limit = current;
            return series;
        }
        const qint64 from = timeline::slotBound(range.from - timeline::hour);
        const qint64 to = timeline::slotBound(range.to);
        // The limit when the range begins: at the end of the last row before it.
        std::optional<std::optional<int>> before;
        {
            Result<SqlStatement> st =
                m_db.exec(nearestRowSql(QStringLiteral("limit_end"), Nearest::Before), {keyNo, from, keyNo, from});
            if (!st)
                return st.error();
            if (st.value().next())
                before = st.value().optionalInt(0);
        }
        std::optional<std::optional<int>> firstBegin;
        QList<std::optional<std::optional<int>>> ends(series.points.size());
        {
            const QString rows = QStringLiteral("SELECT slot, concurrent_429, rpm_429, unknown_429, successes, "
                                                "adjustments, limit_begin, limit_end FROM %1 WHERE key_no = ? AND "
                                                "slot >= ? AND slot < ?");
            Result<SqlStatement> st = m_db.exec(
                QStringLiteral("%1 UNION ALL %2 ORDER BY 1")
                    .arg(rows.arg(timeline::tableOf(timeline::minute)), rows.arg(timeline::tableOf(timeline::hour))),
                {keyNo, from, to, keyNo, from, to});
            if (!st)
                return st.error();
            while (st.value().next()) {
                const SqlStatement &row = st.value();
                const qint64 bucket = timeline::slotStart(row.value(0).toLongLong());
                const qint64 rowStep = timeline::slotStep(row.value(0).toLongLong());
                if (bucket + rowStep <= range.from) {
                    before = row.optionalInt(7);
                    continue;
                }
                if (!firstBegin)
                    firstBegin = row.optionalInt(6);
                addRow(&series, bucket, rowStep, countsAt(row, 1));
                const qint64 index = (std::max(bucket, range.from) - range.from) / range.step;
                if (index >= 0 && index < ends.size())
                    ends[index] = row.optionalInt(7);
            }
        }
        if (!before && !firstBegin) {
            // Nothing in or before the range: the limit it had is the one the first later row began with, or the
            // key's limit now when nothing was recorded since.
            Result<SqlStatement> st =
                m_db.exec(nearestRowSql(QStringLiteral("limit_begin"), Nearest::AtOrAfter), {keyNo, to, keyNo, to});
            if (!st)
                return st.error();
            firstBegin = st.value().next() ? st.value().optionalInt(0) : current;
        }
        std::optional<int> limit = before ? *before : *firstBegin;
        for (qsizetype i = 0; i < series.points.size(); ++i) {
            if (ends.at(i))
                limit = *ends.at(i);
            series.points[i].limit = limit;
        }
        return series;
    });
}

QString TimelineQuery::scopeJoin(const TimelineScope &scope, const QString &table, QVariantList *binds) const
{
    // The keys drive the join (SQLite: CROSS JOIN keeps that order): each key's rows of the range are one seek.
    QString sql = QStringLiteral(" FROM provider_api_keys k ");
    QString where;
    if (!scope.keyId.isEmpty()) {
        where = QStringLiteral(" AND k.id = ?");
        *binds << scope.keyId;
    } else if (!scope.endpointId.isEmpty()) {
        where = QStringLiteral(" AND k.endpoint_id = ?");
        *binds << scope.endpointId;
    } else if (!scope.providerId.isEmpty()) {
        sql += QStringLiteral("JOIN provider_endpoints e ON e.id = k.endpoint_id ");
        where = QStringLiteral(" AND e.provider_id = ?");
        *binds << scope.providerId;
    }
    return sql +
           QStringLiteral("CROSS JOIN console_timeline_seen s CROSS JOIN %1 t WHERE s.key_id = k.id "
                          "AND t.key_no = s.key_no AND t.slot >= ? AND t.slot < ?")
               .arg(table) +
           where;
}

Result<TimelineSeries> TimelineQuery::scopeSeries(const TimelineScope &scope, const TimelineRange &range)
{
    if (!m_db.canHold(QString(scope.keyId + scope.endpointId + scope.providerId)))
        return emptySeries(range);
    return m_db.run<TimelineSeries>([&]() -> Result<TimelineSeries> {
        TimelineSeries series = emptySeries(range);
        // Per table, the range's binds, then the scope's (minute and hour slots differ: no slot is in both).
        QVariantList binds;
        QStringList selects;
        for (const QString &table : timeline::tables()) {
            binds << timeline::slotBound(range.from - timeline::hour) << timeline::slotBound(range.to);
            selects << QStringLiteral("SELECT t.slot, sum(t.concurrent_429), sum(t.rpm_429), sum(t.unknown_429), "
                                      "sum(t.successes), sum(t.adjustments)%1 GROUP BY t.slot")
                           .arg(scopeJoin(scope, table, &binds));
        }
        Result<SqlStatement> st =
            m_db.execBulk(selects.join(QStringLiteral(" UNION ALL ")) + QStringLiteral(" ORDER BY 1"), binds);
        if (!st)
            return st.error();
        while (st.value().next())
            addRow(&series, timeline::slotStart(st.value().value(0).toLongLong()),
                   timeline::slotStep(st.value().value(0).toLongLong()), countsAt(st.value(), 1));
        return series;
    });
}

Result<QList<TopKey>> TimelineQuery::topKeys(const TimelineScope &scope, qint64 from, qint64 to, int count)
{
    if (!m_db.canHold(QString(scope.keyId + scope.endpointId + scope.providerId)))
        return QList<TopKey>();
    return m_db.run<QList<TopKey>>([&]() -> Result<QList<TopKey>> {
        // Each table's sums per key, then their sums.
        QVariantList binds;
        QStringList selects;
        for (const QString &table : timeline::tables()) {
            binds << timeline::slotBound(from) << timeline::slotBound(to);
            selects << QStringLiteral("SELECT k.id AS id, min(k.name) AS name, sum(t.concurrent_429) AS c, "
                                      "sum(t.rpm_429) AS r, sum(t.unknown_429) AS u, sum(t.successes) AS o, "
                                      "sum(t.adjustments) AS a%1 GROUP BY k.id")
                           .arg(scopeJoin(scope, table, &binds));
        }
        binds << count;
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("SELECT id, min(name), sum(c), sum(r), sum(u), sum(o), sum(a) FROM (%1) AS per_table "
                           "GROUP BY id HAVING sum(c + r + u) > 0 ORDER BY sum(c + r + u) DESC, id LIMIT ?")
                .arg(selects.join(QStringLiteral(" UNION ALL "))),
            binds);
        if (!st)
            return st.error();
        QList<TopKey> keys;
        while (st.value().next())
            keys.append(
                TopKey{st.value().value(0).toString(), st.value().value(1).toString(), countsAt(st.value(), 2)});
        return keys;
    });
}

} // namespace aether
