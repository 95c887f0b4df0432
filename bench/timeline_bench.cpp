// The time series at 10,000 keys (bench/README.md): fills console_timeline with 30 days of synthetic history as the
// console keeps it (minutes for the last 48 hours, hours before), then measures its storage, a sampling pass over
// every key (the first, which sees every key; then steady passes after a gateway raised some counters and wrote some
// histories, and after the console applied learning events itself, whose counts the pass folds in), and the queries of
// the window and the HTTP routes. Prints one line per measurement.
//   aether-timeline-bench DATABASE_URL [--fill [--as-a-console]] [--incidents-per-day X]
// The database must hold the keys already (aether-console --prepare --demo --demo-keys 10000).

#include "keys/keyservice.h"
#include "storage/database.h"
#include "storage/databaselocation.h"
#include "storage/migrations.h"
#include "storage/timelinetables.h"
#include "timeline/timelinemaintenance.h"
#include "timeline/timelinequery.h"
#include "timeline/timelinesampler.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

using namespace aether;

namespace {

void say(const QString &line)
{
    std::printf("%s\n", qPrintable(line));
    std::fflush(stdout);
}

[[noreturn]] void die(const QString &what)
{
    std::fprintf(stderr, "aether-timeline-bench: %s\n", qPrintable(what));
    std::exit(1);
}

template <typename T> T check(Result<T> result, const char *what)
{
    if (!result)
        die(QStringLiteral("%1: %2").arg(QLatin1StringView(what), result.error().detail));
    return std::move(result.value());
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

QStringList keyIds(Database &db)
{
    Result<SqlStatement> st = db.exec(QStringLiteral("SELECT id FROM provider_api_keys ORDER BY id"));
    if (!st)
        die(st.error().detail);
    QStringList ids;
    while (st.value().next())
        ids << st.value().value(0).toString();
    return ids;
}

// Per key, incidents at random times (Poisson, `perDay` a day on average), each 1–20 minutes long; in an incident's
// minutes 1–5 concurrency 429s with probability 0.7, an RPM 429 with 0.1, an adjustment with 0.3 (the limit moves
// down by 15 %, and climbs back by 2 between incidents). Minutes of the last 48 hours stay minutes, older ones are
// summed into hours, as the console's roll-up leaves them. Written in time order, all keys' rows of one stretch of
// time before the next, as the table grows in the console (each key's rows end where the next ones are added), in
// transactions of a few thousand rows. `asAConsole`: every row is written as a minute row, an hour at a time, and after
// each hour the console's maintenance runs as of the hour's end (roll-up, retention, the daily index rebuilds; the
// console runs it every 10 minutes and rolls up whole hours), and a table gets VACUUM ANALYZE when autovacuum's
// default threshold would vacuum it (dead rows above 50 + 20 % of the live ones): the tables and indexes as a month
// of a running console leaves them.
qint64 fill(Database &db, const QStringList &ids, qint64 now, double perDay, bool asAConsole)
{
    QRandomGenerator random(20261202);
    const qint64 start = now - 30 * timeline::day;
    const qint64 minuteSince = timeline::bucketOf(now - timeline::minuteRowsKeptSeconds, timeline::hour);
    QList<TimelineRowWrite> all;
    for (const QString &id : ids) {
        std::map<std::pair<qint64, qint64>, TimelineRowWrite> buckets; // (step, bucket)
        int limit = 40;
        qint64 t = start;
        for (;;) {
            // Exponential gaps between incidents.
            t += qint64(-std::log(1.0 - random.generateDouble()) * timeline::day / perDay);
            if (t >= now)
                break;
            const int minutes = 1 + random.bounded(20);
            limit = std::min(200, limit + 2 * int(random.bounded(6)));
            for (int m = 0; m < minutes; ++m) {
                const qint64 at = timeline::bucketOf(t + m * 60, timeline::minute);
                if (at >= now)
                    break;
                TimelineCounts c;
                if (random.generateDouble() < 0.7)
                    c.concurrent429 = 1 + random.bounded(5);
                if (random.generateDouble() < 0.1)
                    c.rpm429 = 1;
                const int before = limit;
                if (random.generateDouble() < 0.3) {
                    c.adjustments = 1;
                    limit = std::max(3, int(limit * 0.85));
                }
                if (c.onlySuccesses())
                    continue;
                c.successes = random.bounded(200);
                const qint64 step = asAConsole || at >= minuteSince ? timeline::minute : timeline::hour;
                const auto key = std::make_pair(step, timeline::bucketOf(at, step));
                auto found = buckets.find(key);
                if (found == buckets.end())
                    found = buckets.emplace(key, TimelineRowWrite{id, step, key.second, {}, before, {}}).first;
                found->second.counts += c;
                found->second.limitEnd = limit;
            }
        }
        for (const auto &entry : buckets)
            all.append(entry.second);
    }
    QList<const TimelineRowWrite *> order;
    order.reserve(all.size());
    for (const TimelineRowWrite &row : std::as_const(all))
        order.append(&row);
    std::stable_sort(order.begin(), order.end(),
                     [](const TimelineRowWrite *a, const TimelineRowWrite *b) { return a->bucket < b->bucket; });
    constexpr qsizetype perTransaction = 5000;
    qint64 periodEnd = timeline::bucketOf(start, timeline::hour) + timeline::hour;
    for (qsizetype i = 0; i < order.size(); i += perTransaction) {
        QList<TimelineRowWrite> chunk;
        qsizetype j = i;
        for (; j < std::min(order.size(), i + perTransaction); ++j) {
            if (asAConsole && order.at(j)->bucket >= periodEnd)
                break;
            chunk.append(*order.at(j));
        }
        const Result<bool> done = db.transaction<bool>(Database::Mode::Write, [&]() -> Result<bool> {
            if (const Status written = writeTimelineRows(db, chunk); !written)
                return written.error();
            return true;
        });
        if (!done)
            die(done.error().detail);
        i = j - perTransaction;
        if (asAConsole && (j == order.size() || order.at(j)->bucket >= periodEnd)) {
            if (periodEnd > now)
                break;
            check(TimelineMaintenance(db).run(Timestamp::fromMicroseconds(periodEnd * 1000000),
                                              timeline::defaultRetentionDays),
                  "maintenance");
            if (db.dialect().isPostgres()) {
                Result<SqlStatement> st = db.exec(
                    QStringLiteral("SELECT relname FROM pg_stat_user_tables WHERE relname IN ('console_timeline', "
                                   "'console_timeline_hours') AND n_dead_tup > 50 + 0.2 * n_live_tup"));
                QStringList due;
                while (st && st.value().next())
                    due << st.value().value(0).toString();
                for (const QString &table : std::as_const(due))
                    db.execRaw(QStringLiteral("VACUUM ANALYZE %1").arg(table));
            }
            periodEnd += timeline::hour;
        }
    }
    return all.size();
}

// The bytes of the time series: its rows (PostgreSQL: the two tables), their indexes (SQLite: none, the rows are the
// index; PostgreSQL: minute rows' and hour rows') and the keys' views with theirs.
struct Storage {
    qint64 rows = -1;
    qint64 minuteIndex = 0;
    qint64 hourIndex = 0;
    qint64 views = 0;
    qint64 total() const { return rows + minuteIndex + hourIndex + views; }
};

Storage storage(Database &db)
{
    Storage s;
    Result<SqlStatement> st =
        db.dialect().isPostgres()
            ? db.exec(
                  QStringLiteral("SELECT pg_table_size('console_timeline') + pg_table_size('console_timeline_hours'), "
                                 "pg_indexes_size('console_timeline'), pg_indexes_size('console_timeline_hours'), "
                                 "pg_total_relation_size('console_timeline_seen')"))
            : db.exec(QStringLiteral("SELECT sum(CASE WHEN name LIKE 'console_timeline%' AND name <> "
                                     "'console_timeline_seen' THEN pgsize END), 0, 0, "
                                     "sum(CASE WHEN name NOT LIKE 'console_timeline%' OR name = "
                                     "'console_timeline_seen' THEN pgsize END) FROM dbstat WHERE "
                                     "name IN ('console_timeline', 'console_timeline_hours', 'console_timeline_seen', "
                                     "'sqlite_autoindex_console_timeline_seen_1')"));
    if (st && st.value().next()) {
        s.rows = st.value().value(0).toLongLong();
        s.minuteIndex = st.value().value(1).toLongLong();
        s.hourIndex = st.value().value(2).toLongLong();
        s.views = st.value().value(3).toLongLong();
    }
    return s;
}

// A gateway's writes between two passes: counters of `share` of the keys raised, a record added to the history of
// half of those.
void gatewayWrites(Database &db, double share, qint64 now, int round)
{
    const int every = std::max(1, int(1.0 / share));
    const QString ts = Timestamp::fromMicroseconds(now * 1000000).toIsoString();
    const QString record =
        QStringLiteral("{\"timestamp\":\"%1\",\"old_limit\":20,\"new_limit\":17,\"reason\":\"concurrent_429\"}")
            .arg(ts);
    const bool pg = db.dialect().isPostgres();
    const QString append = pg ? QStringLiteral("CAST(COALESCE(CAST(adjustment_history AS jsonb), '[]'::jsonb) || "
                                               "jsonb_build_array(CAST(? AS jsonb)) AS json)")
                              : QStringLiteral("json_insert(COALESCE(adjustment_history, '[]'), '$[#]', json(?))");
    const Result<bool> done = db.transaction<bool>(Database::Mode::Write, [&]() -> Result<bool> {
        Result<SqlStatement> st =
            db.exec(QStringLiteral("UPDATE provider_api_keys SET concurrent_429_count = concurrent_429_count + 2 WHERE "
                                   "abs(%1) % %2 = %3")
                        .arg(pg ? QStringLiteral("hashtext(id)")
                                : QStringLiteral("unicode(substr(id, 2, 1)) * 31 + "
                                                 "unicode(substr(id, 5, 1))"))
                        .arg(every)
                        .arg(round % every));
        if (!st)
            return st.error();
        Result<SqlStatement> history =
            db.exec(QStringLiteral("UPDATE provider_api_keys SET adjustment_history = %1 WHERE abs(%2) % %3 = %4")
                        .arg(append, pg ? QStringLiteral("hashtext(id)")
                                        : QStringLiteral("unicode(substr(id, 2, 1)) * 31 + unicode(substr(id, 5, 1))"))
                        .arg(every * 2)
                        .arg(round % (every * 2)),
                    {record});
        if (!history)
            return history.error();
        return true;
    });
    if (!done)
        die(done.error().detail);
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("url"), QStringLiteral("The database."));
    const QCommandLineOption fillOption(QStringLiteral("fill"), QStringLiteral("Fill 30 days of synthetic history."));
    const QCommandLineOption incidents(QStringLiteral("incidents-per-day"), QStringLiteral("Incidents per key a day."),
                                       QStringLiteral("x"), QStringLiteral("1"));
    const QCommandLineOption asAConsoleOption(
        QStringLiteral("as-a-console"),
        QStringLiteral("Fill minute rows an hour at a time, with the console's maintenance after each hour."));
    parser.addOptions({fillOption, incidents, asAConsoleOption});
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        parser.showHelp(2);
    const Result<DatabaseLocation> location = DatabaseLocation::parse(parser.positionalArguments().constFirst());
    if (!location)
        die(location.error().detail);
    Database db(location.value());
    if (const Status opened = db.open(); !opened)
        die(opened.error().detail);
    if (const Status migrated = Migrations(db).run(); !migrated)
        die(migrated.error().detail);
    const QStringList ids = keyIds(db);
    const qint64 now = Timestamp::now().microseconds() / 1000000;
    say(QStringLiteral("keys: %1").arg(ids.size()));

    QElapsedTimer timer;
    if (parser.isSet(fillOption)) {
        timer.start();
        const qint64 rows = fill(db, ids, now, parser.value(incidents).toDouble(), parser.isSet(asAConsoleOption));
        say(QStringLiteral("filled: %1 rows (%2 incidents per key a day) in %3 s")
                .arg(rows)
                .arg(parser.value(incidents))
                .arg(double(timer.elapsed()) / 1000, 0, 'f', 1));
        if (db.dialect().isPostgres())
            db.execRaw(QStringLiteral("VACUUM ANALYZE console_timeline, console_timeline_hours"));
        else
            db.execRaw(QStringLiteral("ANALYZE"));
    }
    {
        Result<SqlStatement> st = db.exec(QStringLiteral("SELECT (SELECT count(*) FROM console_timeline), "
                                                         "(SELECT count(*) FROM console_timeline_hours)"));
        if (st && st.value().next())
            say(QStringLiteral("rows: %1 (%2 minutes, %3 hours)")
                    .arg(st.value().value(0).toLongLong() + st.value().value(1).toLongLong())
                    .arg(st.value().value(0).toLongLong())
                    .arg(st.value().value(1).toLongLong()));
    }

    // Sampling: the first pass sees every key; then steady passes after a gateway's writes.
    TimelineSampler sampler(db);
    timer.start();
    SamplingPass first = check(sampler.sample(Timestamp::fromMicroseconds(now * 1000000)), "sampling");
    say(QStringLiteral("sampling, first pass: %1 ms (%2 keys, %3 histories, %4 rows)")
            .arg(timer.elapsed())
            .arg(first.keys)
            .arg(first.historiesRead)
            .arg(first.rowsWritten));
    QList<double> idle;
    QList<double> busy;
    for (int round = 1; round <= 7; ++round) {
        const qint64 at = now + round * 30;
        timer.start();
        SamplingPass pass = check(sampler.sample(Timestamp::fromMicroseconds(at * 1000000)), "sampling");
        idle << double(timer.nsecsElapsed()) / 1e6;
        gatewayWrites(db, 0.1, at, round);
        timer.start();
        pass = check(sampler.sample(Timestamp::fromMicroseconds((at + 15) * 1000000)), "sampling");
        busy << double(timer.nsecsElapsed()) / 1e6;
        if (round == 7)
            say(QStringLiteral("sampling, a pass after 10 % of the keys got 429s and 5 % a history record: %1 keys, "
                               "%2 histories read, %3 rows")
                    .arg(pass.keys)
                    .arg(pass.historiesRead)
                    .arg(pass.rowsWritten));
    }
    say(QStringLiteral("sampling pass, nothing changed: median %1 ms (7 passes)").arg(median(idle), 0, 'f', 1));
    say(QStringLiteral("sampling pass, after the gateway's writes: median %1 ms, max %2 ms (7 passes)")
            .arg(median(busy), 0, 'f', 1)
            .arg(*std::max_element(busy.begin(), busy.end()), 0, 'f', 1));

    TimelineQuery query(db);
    QList<double> oneKey;
    QRandomGenerator random(7);
    qint64 points = 0;
    for (int i = 0; i < 21; ++i) {
        const QString id = ids.at(random.bounded(int(ids.size())));
        timer.start();
        const TimelineSeries series = check(
            query.keySeries(id, TimelineQuery::range(now - 30 * timeline::day, now, timeline::hour)), "key series");
        oneKey << double(timer.nsecsElapsed()) / 1e6;
        points += series.total.total429();
    }
    say(QStringLiteral("one key over 30 days by the hour (720 points): median %1 ms (21 keys)")
            .arg(median(oneKey), 0, 'f', 1));
    const auto timeScope = [&](const QString &what, qint64 span, qint64 step, int runs) {
        QList<double> times;
        qint64 total = 0;
        for (int i = 0; i < runs; ++i) {
            timer.start();
            const TimelineSeries series =
                check(query.scopeSeries({}, TimelineQuery::range(now - span, now, step)), "scope series");
            times << double(timer.nsecsElapsed()) / 1e6;
            total = series.total.total429();
        }
        say(QStringLiteral("%1: median %2 ms (%3 runs; %4 429s)")
                .arg(what)
                .arg(median(times), 0, 'f', 1)
                .arg(runs)
                .arg(total));
    };
    timeScope(QStringLiteral("all keys over 24 hours by the minute (1,440 points)"), timeline::day, timeline::minute,
              7);
    timeScope(QStringLiteral("all keys over 7 days by the hour (168 points)"), 7 * timeline::day, timeline::hour, 5);
    timeScope(QStringLiteral("all keys over 30 days by the day (30 points)"), 30 * timeline::day, timeline::day, 3);
    {
        QList<double> times;
        for (int i = 0; i < 5; ++i) {
            timer.start();
            check(query.topKeys({}, now - timeline::day, now), "top keys");
            times << double(timer.nsecsElapsed()) / 1e6;
        }
        say(QStringLiteral("top 10 keys over 24 hours: median %1 ms (5 runs)").arg(median(times), 0, 'f', 1));
    }
    const auto mb = [](qint64 b) { return QString::number(double(b) / 1e6, 'f', 1); };
    const auto sayStorage = [&](const QString &when) {
        const Storage bytes = storage(db);
        say(QStringLiteral("storage of the time series%1: %2 MB (rows %3 MB, their indexes %4 MB: minutes %5, hours "
                           "%6; the keys' views %7 MB)")
                .arg(when, mb(bytes.total()), mb(bytes.rows), mb(bytes.minuteIndex + bytes.hourIndex),
                     mb(bytes.minuteIndex), mb(bytes.hourIndex), mb(bytes.views)));
    };
    sayStorage(QString());
    // The first run over every key may rebuild the index (PostgreSQL, once a day); the second is a plain one.
    for (int run = 0; run < 2; ++run) {
        timer.start();
        const MaintenancePass maintained = check(
            TimelineMaintenance(db).run(Timestamp::fromMicroseconds(now * 1000000), timeline::defaultRetentionDays),
            "maintenance");
        say(QStringLiteral(
                "maintenance (roll-up and retention) over %1 keys: %2 ms, %3 minutes rolled up, %4 expired%5")
                .arg(maintained.keys)
                .arg(timer.elapsed())
                .arg(maintained.minuteRowsRolledUp)
                .arg(maintained.rowsExpired)
                .arg(maintained.indexRebuilt ? QStringLiteral(", an index rebuilt") : QString()));
        if (maintained.indexRebuilt)
            sayStorage(QStringLiteral(" after the rebuild"));
    }
    // The console's own events between two passes: 30 s of 600 concurrency 429s a second (a busy gateway reporting to
    // this console), in batches of 500 on 500 keys, 18,000 pending counts for the pass to fold in.
    {
        KeyService service(db);
        QList<double> folding;
        qsizetype folded = 0;
        for (int round = 1; round <= 3; ++round) {
            const qint64 at = now + 300 + round * 30;
            for (int batch = 0; batch < 36; ++batch) {
                QList<KeyChange> changes;
                for (int i = 0; i < 500; ++i) {
                    LearningEvent e;
                    e.keyId = ids.at((batch * 500 + i) % ids.size());
                    e.success = false;
                    e.kind = RateLimitKind::Concurrent;
                    e.currentConcurrent = 10;
                    e.at = Timestamp::fromMicroseconds((at - 30 + batch * 30 / 36) * 1000000);
                    changes << KeyChange::learningEvent(e);
                }
                for (const Result<KeyChangeOutcome> &outcome : service.applyChanges(changes)) {
                    if (!outcome)
                        die(outcome.error().detail);
                }
            }
            timer.start();
            const SamplingPass pass =
                check(sampler.sample(Timestamp::fromMicroseconds(at * 1000000)), "sampling after events");
            folding << double(timer.nsecsElapsed()) / 1e6;
            folded = pass.pendingFolded;
        }
        say(QStringLiteral("sampling pass after the console's own 18,000 events (batches of 500 keys; %1 keys' pending "
                           "counts folded): median %2 ms, max %3 ms (3 passes)")
                .arg(folded)
                .arg(median(folding), 0, 'f', 1)
                .arg(*std::max_element(folding.begin(), folding.end()), 0, 'f', 1));
    }

    return 0;
}
