#pragma once

// What the KeyService suites share: an owner (provider p1 with endpoints e1 and e2), fixture keys with known
// histories, and the expected summary records.

#include "keyfixture.h"
#include "keys/keyservice.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <algorithm>
#include <functional>
#include <limits>

namespace aether::test {

using namespace Qt::StringLiterals;

inline const aether::Actor actor{u"token:ops"_s};

// Seven records, the last one carrying fields the console does not know.
inline QJsonArray alphaHistory()
{
    QJsonArray history;
    for (int i = 0; i < 7; ++i) {
        QJsonObject r = record(u"2025-12-%1T10:00:00.%2+00:00"_s.arg(20 + i).arg(100000 + i), 30 - i, 29 - i,
                               i % 2 ? u"concurrent_429"_s : u"high_utilization"_s);
        r.insert(u"current_concurrent"_s, 25 - i);
        history.append(r);
    }
    QJsonObject last = history.last().toObject();
    last.insert(u"gateway_note"_s, u"kept 中文"_s);
    last.insert(u"extra"_s, QJsonObject{{u"a"_s, QJsonArray{1, 2}}});
    last.insert(u"avg_utilization"_s, 0.85);
    history.replace(6, last);
    return history;
}

inline QJsonArray numberedHistory(int count, const QString &day)
{
    QJsonArray history;
    for (int i = 0; i < count; ++i)
        history.append(
            record(u"%1T%2:00:00+00:00"_s.arg(day).arg(i, 2, 10, QChar(u'0')), 50 + i, 51 + i, u"probe_increase"_s));
    return history;
}

// Two providers' endpoints and four keys:
//   k-a1 adaptive, learned 17, seven records, everything filled;  k-a2 adaptive, nothing learned, inactive, on e2;
//   k-a3 adaptive, empty history;  k-f1 fixed at 8, learned 25, two records.
inline QList<KeyFixture> standardKeys()
{
    KeyFixture a1 = key(u"k-a1"_s, u"alpha"_s);
    a1.learned = 17;
    a1.concurrent429 = 4;
    a1.rpm429 = 2;
    a1.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
    a1.last429Type = u"concurrent"_s;
    a1.peak = 20;
    a1.history = compact(alphaHistory());
    a1.samples = u"[{\"ts\": 1766674028.5, \"util\": 0.75}]"_s;
    a1.probeAt = u"2025-12-24T10:00:00.000001+00:00"_s;
    a1.note = u"first key"_s;

    KeyFixture a2 = key(u"k-a2"_s, u"beta"_s, u"e2"_s);
    a2.active = false;

    KeyFixture a3 = key(u"k-a3"_s, u"delta 中文"_s);
    a3.learned = 5;
    a3.concurrent429 = 1;
    a3.rpm429 = 7;
    a3.history = u"[]"_s;
    a3.samples = u"[]"_s;

    KeyFixture f1 = key(u"k-f1"_s, u"gamma"_s);
    f1.maxConcurrent = 8;
    f1.learned = 25;
    f1.concurrent429 = 10;
    f1.rpm429 = 1;
    f1.last429At = u"2025-12-20T08:00:00+00:00"_s;
    f1.last429Type = u"rpm"_s;
    f1.history = compact(numberedHistory(2, u"2025-12-19"_s));
    return {a1, a2, a3, f1};
}

// The summary's recent adjustments as the seed computes them: the last three records of each adaptive key,
// sorted by timestamp string (missing = "") descending with a stable sort, the first ten.
inline QList<aether::RecentAdjustment> expectedRecent(const QList<KeyFixture> &keys)
{
    QList<KeyFixture> sorted = keys;
    std::sort(sorted.begin(), sorted.end(), [](const KeyFixture &a, const KeyFixture &b) { return a.id < b.id; });
    QList<aether::RecentAdjustment> all;
    for (const KeyFixture &k : sorted) {
        if (k.maxConcurrent || !k.history)
            continue;
        const QJsonDocument doc = QJsonDocument::fromJson(k.history->toUtf8());
        if (!doc.isArray())
            continue;
        const QJsonArray history = doc.array();
        for (qsizetype i = qMax<qsizetype>(0, history.size() - 3); i < history.size(); ++i)
            all << aether::RecentAdjustment{k.id, k.name, history.at(i).toObject()};
    }
    std::stable_sort(all.begin(), all.end(), [](const aether::RecentAdjustment &a, const aether::RecentAdjustment &b) {
        return a.record.value(u"timestamp").toString() > b.record.value(u"timestamp").toString();
    });
    return all.mid(0, 10);
}

inline QString describe(const QList<aether::RecentAdjustment> &list)
{
    QStringList lines;
    for (const aether::RecentAdjustment &r : list) {
        lines << u"%1 (%2) %3"_s.arg(r.keyId, r.keyName.value_or(u"<none>"_s),
                                     QString::fromUtf8(QJsonDocument(r.record).toJson(QJsonDocument::Compact)));
    }
    return lines.join(u'\n');
}

inline QStringList ownerRows()
{
    return {
        u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES "
        u"('p1', 'anthropic', 'Anthropic', true, '%1', '%1')"_s.arg(fixtureTime),
        u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
        u"updated_at) VALUES ('e1', 'p1', 'CLAUDE', 'https://api.anthropic.com', true, '%1', '%1')"_s.arg(fixtureTime),
        u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
        u"updated_at) VALUES ('e2', 'p1', 'OPENAI', 'https://api.openai.com', true, '%1', '%1')"_s.arg(fixtureTime),
    };
}

// Only for data functions with more columns than the backend.
inline void addCaseRows(const char *name, const std::function<void(QTestData &)> &fill)
{
    for (const QByteArray &backend : TestDatabase::backends()) {
        QTestData &row = QTest::addRow("%s: %s", backend.constData(), name) << backend;
        fill(row);
    }
}

} // namespace aether::test

// Fresh database, migrated, with the standard providers and endpoints (and optionally keys).
#define AETHER_KEY_DATABASE(tdb, db, keys) AETHER_FIXTURE_DATABASE(tdb, db, ownerRows(), keys)
