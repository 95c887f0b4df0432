#include "storage/demodata.h"

#include "base/timestamp.h"
#include "storage/migrations.h"
#include "storage/timelinetables.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QUuid>

#include <cmath>

namespace aether {

namespace {

struct DemoEndpoint {
    int provider;
    const char *format;
    const char *baseUrl;
};

const char *const providerNames[] = {"anthropic", "openai", "gemini"};
const char *const providerDisplayNames[] = {"Anthropic", "OpenAI", "Google Gemini"};
const DemoEndpoint endpoints[] = {
    {0, "CLAUDE", "https://api.anthropic.com"},
    {0, "CLAUDE_CLI", "https://api.anthropic.com"},
    {1, "OPENAI", "https://api.openai.com"},
    {1, "OPENAI_CLI", "https://api.openai.com"},
    {2, "GEMINI", "https://generativelanguage.googleapis.com"},
};
const char *const keyStems[] = {"prod", "batch", "eval", "backup", "team-a", "team-b", "research", "staging"};

QString demoId(const QString &what)
{
    static const QUuid ns(QStringLiteral("6f1c1f3e-4d0b-4a55-9a3e-6e2f7f3b8a10"));
    return QUuid::createUuidV5(ns, what).toString(QUuid::WithoutBraces);
}

// One 429 or adjustment of the story, for the time series (console_timeline).
struct TimelineEntry {
    qint64 us = 0;
    int concurrent429 = 0;
    int rpm429 = 0;
    int unknown429 = 0;
    int adjustments = 0;
    int limitBefore = 0;
    int limitAfter = 0;
};

struct KeyHistory {
    QJsonArray records;
    QList<TimelineEntry> timeline; // every event of the story, also those the history no longer keeps
    std::optional<int> learned;
    int concurrent429 = 0;
    int rpm429 = 0;
    std::optional<qint64> last429Us;
    QString last429Type;
};

// A plausible learning story: 429s cut the limit to 85 % of the in-flight count, busy periods and probes raise it.
KeyHistory makeHistory(QRandomGenerator &rng, qint64 nowUs)
{
    KeyHistory h;
    const int events = rng.bounded(0, 26);
    qint64 t = nowUs - qint64(7) * 86400 * 1000000 + rng.bounded(0, 3600) * qint64(1000000);
    int limit = 50;
    bool learnedAny = false;
    for (int i = 0; i < events; ++i) {
        t += qint64(rng.bounded(600, 40000)) * 1000000 + rng.bounded(0, 1000000);
        if (t > nowUs - 60 * 1000000)
            break;
        const int roll = rng.bounded(100);
        QJsonObject rec;
        int next = limit;
        if (roll < 40) {
            const int cc = qMax(2, limit - rng.bounded(0, 6) + rng.bounded(0, 3));
            next = qMax(int(std::trunc(cc * 0.85)), 3);
            rec.insert(QStringLiteral("reason"), QStringLiteral("concurrent_429"));
            rec.insert(QStringLiteral("current_concurrent"), cc);
            ++h.concurrent429;
            h.last429Us = t;
            h.last429Type = QStringLiteral("concurrent");
        } else if (roll < 48) {
            next = qMax(int(std::trunc(limit * 0.9)), 3);
            rec.insert(QStringLiteral("reason"), QStringLiteral("unknown_429"));
            rec.insert(QStringLiteral("current_concurrent"), rng.bounded(0, 2));
            h.last429Us = t;
            h.last429Type = QStringLiteral("unknown");
        } else if (roll < 56) {
            ++h.rpm429;
            h.last429Us = t;
            h.last429Type = QStringLiteral("rpm");
            h.timeline.append({t, 0, 1, 0, 0, limit, limit});
            continue; // an RPM 429 changes no limit and writes no record
        } else {
            next = qMin(limit + 2, 200);
            const bool probe = roll >= 85;
            const int samples = probe ? rng.bounded(10, 21) : rng.bounded(5, 21);
            rec.insert(QStringLiteral("reason"),
                       probe ? QStringLiteral("probe_increase") : QStringLiteral("high_utilization"));
            rec.insert(QStringLiteral("avg_utilization"),
                       (probe ? 30 + rng.bounded(0, 40) : 70 + rng.bounded(0, 30)) / 100.0);
            rec.insert(QStringLiteral("high_util_ratio"),
                       (probe ? rng.bounded(0, 60) : 60 + rng.bounded(0, 41)) / 100.0);
            rec.insert(QStringLiteral("sample_count"), samples);
            rec.insert(QStringLiteral("current_concurrent"), qMax(1, int(limit * 0.8)));
        }
        rec.insert(QStringLiteral("timestamp"), Timestamp::fromMicroseconds(t).toIsoString());
        rec.insert(QStringLiteral("old_limit"), limit);
        rec.insert(QStringLiteral("new_limit"), next);
        h.records.append(rec);
        const QString reason = rec.value(QStringLiteral("reason")).toString();
        h.timeline.append(
            {t, reason == u"concurrent_429" ? 1 : 0, 0, reason == u"unknown_429" ? 1 : 0, 1, limit, next});
        limit = next;
        learnedAny = true;
    }
    while (h.records.size() > 20)
        h.records.removeFirst();
    if (learnedAny)
        h.learned = limit;
    return h;
}

Status insertTimeline(Database &db, const QString &keyId, const QList<TimelineEntry> &entries)
{
    // The story's 429s and adjustments per minute, as the console records them.
    QList<TimelineRowWrite> rows;
    rows.reserve(entries.size());
    for (const TimelineEntry &e : entries) {
        TimelineRowWrite row;
        row.keyId = keyId;
        row.bucket = timeline::bucketOf(Timestamp::fromMicroseconds(e.us), timeline::minute);
        row.counts = TimelineCounts{e.concurrent429, e.rpm429, e.unknown429, 0, e.adjustments};
        row.limitBegin = e.limitBefore;
        row.limitEnd = e.limitAfter;
        rows.append(row);
    }
    return writeTimelineRows(db, rows);
}

} // namespace

Result<DemoSize> DemoData::fill(int keyCount, quint32 seed)
{
    if (keyCount < 1 || keyCount > 1000000)
        return Error::invalid(QStringLiteral("keys"), reason::invalidValue)
            .told(QT_TRANSLATE_NOOP("Error", "1 to 1,000,000 keys"));
    Result<bool> external = Migrations(m_db).gatewayOwnsTables();
    if (!external)
        return external.error();
    if (external.value())
        return Error::conflict().told(
            QT_TRANSLATE_NOOP("Error", "the tables belong to a gateway; demo data goes only into the console's own "
                                       "database"));
    return m_db.transaction<DemoSize>(Database::Mode::Write, [&]() -> Result<DemoSize> {
        Result<SqlStatement> count = m_db.exec(QStringLiteral("SELECT count(*) FROM provider_api_keys"));
        if (!count)
            return count.error();
        if (count.value().next() && count.value().value(0).toLongLong() > 0)
            return Error::conflict().told(QT_TRANSLATE_NOOP(
                "Error", "the database holds keys already; demo data goes only into an empty database"));
        const qint64 nowUs = Timestamp::now().microseconds();
        const QString created = Timestamp::fromMicroseconds(nowUs - qint64(30) * 86400 * 1000000).toIsoString();
        if (const Status inserted = insertEndpoints(created); !inserted)
            return inserted.error();
        QRandomGenerator rng(seed);
        if (const Status inserted = insertKeys(keyCount, rng, nowUs, created); !inserted)
            return inserted.error();
        return DemoSize{int(std::size(providerNames)), int(std::size(endpoints)), keyCount};
    });
}

Status DemoData::insertEndpoints(const QString &created)
{
    const QString ts = m_db.dialect().timestampParam();
    for (int p = 0; p < int(std::size(providerNames)); ++p) {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, %1, %1)")
                .arg(ts),
            {demoId(QStringLiteral("provider-%1").arg(p)), QString::fromLatin1(providerNames[p]),
             QString::fromLatin1(providerDisplayNames[p]), true, created, created});
        if (!st)
            return st.error();
    }
    for (int e = 0; e < int(std::size(endpoints)); ++e) {
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, "
                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, %1, %1)")
                .arg(ts),
            {demoId(QStringLiteral("endpoint-%1").arg(e)),
             demoId(QStringLiteral("provider-%1").arg(endpoints[e].provider)), QString::fromLatin1(endpoints[e].format),
             QString::fromLatin1(endpoints[e].baseUrl), true, created, created});
        if (!st)
            return st.error();
    }
    return Done{};
}

Status DemoData::insertKeys(int keyCount, QRandomGenerator &rng, qint64 nowUs, const QString &created)
{
    const SqlDialect &sql = m_db.dialect();
    const QString insertKey =
        QStringLiteral("INSERT INTO provider_api_keys (id, endpoint_id, name, note, max_concurrent, "
                       "learned_max_concurrent, concurrent_429_count, rpm_429_count, last_429_at, last_429_type, "
                       "last_concurrent_peak, adjustment_history, utilization_samples, is_active, created_at, "
                       "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, %1, ?, ?, %2, %2, ?, %1, %1)")
            .arg(sql.timestampParam(), sql.jsonParam());
    const int endpointCount = int(std::size(endpoints));
    const QVariant nullInt(QMetaType::fromType<int>());
    const QVariant nullText(QMetaType::fromType<QString>());
    for (int k = 0; k < keyCount; ++k) {
        const int e = k % endpointCount;
        const bool fixed = rng.bounded(100) < 30;
        const KeyHistory h = makeHistory(rng, nowUs);
        const QString name = QStringLiteral("%1-%2-%3")
                                 .arg(QString::fromLatin1(providerNames[endpoints[e].provider]),
                                      QString::fromLatin1(keyStems[(k / endpointCount) % std::size(keyStems)]))
                                 .arg(k + 1, 2, 10, QLatin1Char('0'));
        // The arguments are evaluated in order, so the random sequence (and the demo) stays the same.
        Result<SqlStatement> st =
            m_db.exec(insertKey, {demoId(QStringLiteral("key-%1").arg(k)), demoId(QStringLiteral("endpoint-%1").arg(e)),
                                  name, fixed ? QStringLiteral("fixed by the operator") : nullText,
                                  fixed ? QVariant(5 * (1 + rng.bounded(0, 12))) : nullInt, sqlNullableInt(h.learned),
                                  h.concurrent429, h.rpm429,
                                  h.last429Us ? Timestamp::fromMicroseconds(*h.last429Us).toIsoString() : nullText,
                                  h.last429Us ? h.last429Type : nullText, nullInt,
                                  QString::fromUtf8(QJsonDocument(h.records).toJson(QJsonDocument::Compact)),
                                  QStringLiteral("[]"), rng.bounded(100) < 92, created, created});
        if (!st)
            return st.error();
        if (const Status recorded = insertTimeline(m_db, demoId(QStringLiteral("key-%1").arg(k)), h.timeline);
            !recorded)
            return recorded;
    }
    return Done{};
}

} // namespace aether
