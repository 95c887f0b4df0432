// KeyTable: the read side of the window's key views (sorted, filtered rows; the provider tree; top 429 keys; a key's
// history), on both backends, against fixture rows written behind the core's back.

#include "keyfixture.h"
#include "keys/keytable.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"

#include <QSet>
#include <QSqlRecord>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::KeyColumn;
using aether::KeyFilter;
using aether::KeyTable;
using namespace aether::test;

namespace {

// Two providers (p1 "Anthropic" with endpoints e1 CLAUDE and e2 OPENAI… and p2 "Zeta" with e3 GEMINI) and five keys.
QStringList fixtureSql(bool postgres)
{
    const QString t = fixtureTime;
    QStringList sql{
        u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES "
        u"('p1', 'anthropic', 'Anthropic', true, '%1', '%1')"_s.arg(t),
        u"INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) VALUES "
        u"('p2', 'zeta', 'Zeta', true, '%1', '%1')"_s.arg(t),
        u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, updated_at) "
        u"VALUES ('e1', 'p1', 'CLAUDE', 'https://a', true, '%1', '%1')"_s.arg(t),
        u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, updated_at) "
        u"VALUES ('e2', 'p1', 'OPENAI', 'https://b', true, '%1', '%1')"_s.arg(t),
        u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, updated_at) "
        u"VALUES ('e3', 'p2', 'GEMINI', 'https://c', true, '%1', '%1')"_s.arg(t),
    };
    KeyFixture a = key(u"k-a"_s, u"Alpha prod"_s, u"e1"_s);
    a.learned = 17;
    a.concurrent429 = 9;
    a.rpm429 = 1;
    a.last429At = u"2025-12-25T14:47:08.123456+00:00"_s;
    a.last429Type = u"concurrent"_s;
    a.history = compact({record(u"2025-12-20T10:00:00+00:00"_s, 50, 42, u"concurrent_429"_s),
                         record(u"2025-12-21T10:00:00+00:00"_s, 42, 44, u"high_utilization"_s),
                         record(u"2025-12-22T10:00:00.5+00:00"_s, 44, 17, u"unknown_429"_s)});
    KeyFixture b = key(u"k-b"_s, u"beta"_s, u"e2"_s);
    b.maxConcurrent = 8;
    b.learned = 30;
    b.rpm429 = 4;
    b.history = compact({record(u"2025-12-23T10:00:00+00:00"_s, 28, 30, u"probe_increase"_s)});
    KeyFixture c = key(u"k-c"_s, u"gamma prod"_s, u"e3"_s);
    c.concurrent429 = 2;
    c.history = postgres ? u"{\"not\": \"an array\"}"_s : u"not json ["_s; // PostgreSQL checks JSON syntax
    KeyFixture d = key(u"k-d"_s, u"delta 100%_x"_s, u"e3"_s);
    d.maxConcurrent = 3;
    KeyFixture e = key(u"k-e"_s, u"Epsilon"_s, u"e1"_s);
    e.learned = 5;
    for (const KeyFixture &k : {a, b, c, d, e})
        sql << insertSql(k);
    return sql;
}

// All rows of a query as "id" lists, and a column's raw values.
QStringList ids(QSqlQuery query)
{
    QStringList out;
    while (query.next())
        out << query.value(int(KeyColumn::Id)).toString();
    return out;
}

} // namespace

class TestKeyTable : public QObject {
    Q_OBJECT

private:
    struct Fixture {
        explicit Fixture(const TestDatabase &tdb)
            : db(tdb.location())
            , table(db)
        {
            ok = db.open().ok() && aether::Migrations(db).run().ok() &&
                 executeAll(tdb, fixtureSql(tdb.isPostgres()), &error);
        }
        QString error;
        aether::Database db;
        KeyTable table;
        bool ok = false;
    };

private slots:
    void columnsOfARow_data() { TestDatabase::addBackendRows(); }
    void columnsOfARow()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        KeyFilter filter;
        filter.text = u"alpha"_s;
        aether::Result<QSqlQuery> rows = f.table.rows(filter, KeyColumn::Name, Qt::AscendingOrder);
        QVERIFY(rows.ok());
        QSqlQuery q = rows.takeValue();
        QVERIFY(q.next());
        QCOMPARE(q.record().count(), aether::keyColumnCount);
        QCOMPARE(q.value(int(KeyColumn::Name)).toString(), u"Alpha prod"_s);
        QCOMPARE(q.value(int(KeyColumn::Provider)).toString(), u"Anthropic"_s);
        QCOMPARE(q.value(int(KeyColumn::Endpoint)).toString(), u"CLAUDE"_s);
        QCOMPARE(q.value(int(KeyColumn::Mode)).toInt(), 0);
        QVERIFY(q.value(int(KeyColumn::MaxConcurrent)).isNull());
        QCOMPARE(q.value(int(KeyColumn::Learned)).toInt(), 17);
        QCOMPARE(q.value(int(KeyColumn::Effective)).toInt(), 17);
        QCOMPARE(q.value(int(KeyColumn::Concurrent429)).toInt(), 9);
        QCOMPARE(q.value(int(KeyColumn::Rpm429)).toInt(), 1);
        QVERIFY(aether::Timestamp::parse(q.value(int(KeyColumn::Last429At)).toString()) ==
                aether::Timestamp::parse(u"2025-12-25T14:47:08.123456+00:00"_s));
        QCOMPARE(q.value(int(KeyColumn::Last429Type)).toString(), u"concurrent"_s);
        QCOMPARE(q.value(int(KeyColumn::Adjustments)).toInt(), 3);
        QCOMPARE(q.value(int(KeyColumn::Active)).toInt(), 1);
        QCOMPARE(q.value(int(KeyColumn::Id)).toString(), u"k-a"_s);
        QCOMPARE(q.value(int(KeyColumn::EndpointId)).toString(), u"e1"_s);
        QVERIFY(!q.next());

        // A fixed key's effective limit is its max_concurrent; a malformed history counts as empty.
        filter.text = u"beta"_s;
        q = f.table.rows(filter, KeyColumn::Name, Qt::AscendingOrder).takeValue();
        QVERIFY(q.next());
        QCOMPARE(q.value(int(KeyColumn::Mode)).toInt(), 1);
        QCOMPARE(q.value(int(KeyColumn::Effective)).toInt(), 8);
        filter.text = u"gamma"_s;
        q = f.table.rows(filter, KeyColumn::Name, Qt::AscendingOrder).takeValue();
        QVERIFY(q.next());
        QCOMPARE(q.value(int(KeyColumn::Adjustments)).toInt(), 0);
    }

    void sorting_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("order");
        QTest::addColumn<QStringList>("expected");
        for (const QByteArray &backend : TestDatabase::backends()) {
            const auto add = [&](const char *name, KeyColumn column, Qt::SortOrder order, const QStringList &expected) {
                QTest::addRow("%s: %s", backend.constData(), name) << backend << int(column) << int(order) << expected;
            };
            add("name", KeyColumn::Name, Qt::AscendingOrder, {u"k-a"_s, u"k-e"_s, u"k-b"_s, u"k-d"_s, u"k-c"_s});
            add("name desc", KeyColumn::Name, Qt::DescendingOrder, {u"k-c"_s, u"k-d"_s, u"k-b"_s, u"k-e"_s, u"k-a"_s});
            // NULLs first ascending, last descending; ties by insertion / id.
            add("learned", KeyColumn::Learned, Qt::AscendingOrder, {u"k-c"_s, u"k-d"_s, u"k-e"_s, u"k-a"_s, u"k-b"_s});
            add("learned desc", KeyColumn::Learned, Qt::DescendingOrder,
                {u"k-b"_s, u"k-a"_s, u"k-e"_s, u"k-d"_s, u"k-c"_s});
            add("effective", KeyColumn::Effective, Qt::AscendingOrder,
                {u"k-c"_s, u"k-d"_s, u"k-e"_s, u"k-b"_s, u"k-a"_s});
            add("concurrency 429s desc", KeyColumn::Concurrent429, Qt::DescendingOrder,
                {u"k-a"_s, u"k-c"_s, u"k-e"_s, u"k-d"_s, u"k-b"_s});
            add("adjustments desc", KeyColumn::Adjustments, Qt::DescendingOrder,
                {u"k-a"_s, u"k-b"_s, u"k-e"_s, u"k-d"_s, u"k-c"_s});
            add("provider, then id", KeyColumn::Provider, Qt::AscendingOrder,
                {u"k-a"_s, u"k-b"_s, u"k-e"_s, u"k-c"_s, u"k-d"_s});
            add("endpoint", KeyColumn::Endpoint, Qt::AscendingOrder,
                {u"k-a"_s, u"k-e"_s, u"k-c"_s, u"k-d"_s, u"k-b"_s});
            add("mode", KeyColumn::Mode, Qt::AscendingOrder, {u"k-a"_s, u"k-c"_s, u"k-e"_s, u"k-b"_s, u"k-d"_s});
        }
    }
    void sorting()
    {
        QFETCH(int, column);
        QFETCH(int, order);
        QFETCH(QStringList, expected);
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        aether::Result<QSqlQuery> rows = f.table.rows({}, KeyColumn(column), Qt::SortOrder(order));
        QVERIFY2(rows.ok(), qPrintable(rows.ok() ? QString() : rows.error().detail));
        QCOMPARE(ids(rows.takeValue()), expected);
    }

    void filtering_data() { TestDatabase::addBackendRows(); }
    void filtering()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        const auto check = [&](const KeyFilter &filter, const QStringList &expected) {
            aether::Result<QSqlQuery> rows = f.table.rows(filter, KeyColumn::Id, Qt::AscendingOrder);
            QVERIFY(rows.ok());
            QCOMPARE(ids(rows.takeValue()), expected);
            QCOMPARE(f.table.count(filter).value(), qint64(expected.size()));
        };
        check({}, {u"k-a"_s, u"k-b"_s, u"k-c"_s, u"k-d"_s, u"k-e"_s});
        KeyFilter text;
        text.text = u"PROD"_s; // any case, part of the name
        check(text, {u"k-a"_s, u"k-c"_s});
        text.text = u"k-d"_s; // part of the id
        check(text, {u"k-d"_s});
        text.text = u"100%_"_s; // LIKE wildcards are taken literally
        check(text, {u"k-d"_s});
        text.text = u"0%"_s;
        check(text, {u"k-d"_s});
        text.text = u"_"_s;
        check(text, {u"k-d"_s});
        KeyFilter mode;
        mode.mode = KeyFilter::Mode::Adaptive;
        check(mode, {u"k-a"_s, u"k-c"_s, u"k-e"_s});
        mode.mode = KeyFilter::Mode::Fixed;
        check(mode, {u"k-b"_s, u"k-d"_s});
        KeyFilter provider;
        provider.providerId = u"p1"_s;
        check(provider, {u"k-a"_s, u"k-b"_s, u"k-e"_s});
        provider.mode = KeyFilter::Mode::Adaptive;
        check(provider, {u"k-a"_s, u"k-e"_s});
        KeyFilter endpoint;
        endpoint.providerId = u"p1"_s; // the endpoint wins
        endpoint.endpointId = u"e3"_s;
        check(endpoint, {u"k-c"_s, u"k-d"_s});
    }

    // The window's further filters: active or not, 429 count, last 429 since, its type, stuck at the minimum.
    void moreFilters_data() { TestDatabase::addBackendRows(); }
    void moreFilters()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        // k-e is switched off in the gateway; k-b's last 429 is stored with a space instead of the T.
        QVERIFY2(executeAll(tdb,
                            {u"UPDATE provider_api_keys SET is_active = false WHERE id = 'k-e'"_s,
                             u"UPDATE provider_api_keys SET last_429_at = '2025-12-26 01:00:00+00:00', "
                             u"last_429_type = 'rpm' WHERE id = 'k-b'"_s},
                            &f.error),
                 qPrintable(f.error));
        const auto check = [&](const KeyFilter &filter, const QStringList &expected) {
            aether::Result<QSqlQuery> rows = f.table.rows(filter, KeyColumn::Id, Qt::AscendingOrder);
            QVERIFY(rows.ok());
            QCOMPARE(ids(rows.takeValue()), expected);
            QCOMPARE(f.table.count(filter).value(), qint64(expected.size()));
        };
        KeyFilter active;
        active.activity = KeyFilter::Activity::Inactive;
        check(active, {u"k-e"_s});
        active.activity = KeyFilter::Activity::Active;
        check(active, {u"k-a"_s, u"k-b"_s, u"k-c"_s, u"k-d"_s});
        KeyFilter many;
        many.min429 = 4; // both counters together: k-a 9 + 1, k-b 0 + 4
        check(many, {u"k-a"_s, u"k-b"_s});
        many.min429 = 5;
        check(many, {u"k-a"_s});
        KeyFilter recent;
        recent.last429Since = aether::Timestamp::parse(u"2025-12-25T00:00:00Z"_s);
        check(recent, {u"k-a"_s, u"k-b"_s});
        recent.last429Since = aether::Timestamp::parse(u"2025-12-25T20:00:00Z"_s);
        check(recent, {u"k-b"_s});
        recent.last429Type = u"concurrent"_s;
        check(recent, {});
        KeyFilter type;
        type.last429Type = u"concurrent"_s;
        check(type, {u"k-a"_s});
        KeyFilter stuck;
        stuck.learnedAtMost = 5; // adaptive keys learned down to 5 or less; fixed k-d and unlearned k-c are not
        check(stuck, {u"k-e"_s});
    }

    void navigation_data() { TestDatabase::addBackendRows(); }
    void navigation()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        const auto tree = f.table.navigation();
        QVERIFY(tree.ok());
        QCOMPARE(tree.value().size(), 2);
        const aether::ProviderNode &p1 = tree.value().at(0);
        QCOMPARE(p1.name, u"Anthropic"_s);
        QCOMPARE(p1.keys, 3);
        QCOMPARE(p1.endpoints.size(), 2);
        QCOMPARE(p1.endpoints.at(0).apiFormat, u"CLAUDE"_s);
        QCOMPARE(p1.endpoints.at(0).keys, 2);
        QCOMPARE(p1.endpoints.at(1).apiFormat, u"OPENAI"_s);
        QCOMPARE(p1.endpoints.at(1).keys, 1);
        QCOMPARE(tree.value().at(1).name, u"Zeta"_s);
        QCOMPARE(tree.value().at(1).keys, 2);
    }

    void top429_data() { TestDatabase::addBackendRows(); }
    void top429()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        auto top = f.table.top429({}, 20);
        QVERIFY(top.ok());
        // Keys without any 429 are left out; most first.
        QCOMPARE(top.value().size(), 3);
        QCOMPARE(top.value().at(0).keyId, u"k-a"_s);
        QCOMPARE(top.value().at(0).concurrent429, 9);
        QCOMPARE(top.value().at(0).rpm429, 1);
        QCOMPARE(top.value().at(1).keyId, u"k-b"_s);
        QCOMPARE(top.value().at(2).keyId, u"k-c"_s);
        // The chart marks keys with a fixed limit: k-b is one.
        QVERIFY(top.value().at(0).adaptive);
        QVERIFY(!top.value().at(1).adaptive);
        QCOMPARE(f.table.top429({}, 1).value().size(), 1);
        KeyFilter zeta;
        zeta.providerId = u"p2"_s;
        top = f.table.top429(zeta, 20);
        QCOMPARE(top.value().size(), 1);
        QCOMPARE(top.value().at(0).name, u"gamma prod"_s);
    }

    // The window's pages (KeyTable::page): for every column and both orders, pages chained after their last row,
    // chained before their first row, and skipped to from either end are exactly the stream's rows (one sort order,
    // ties broken by id, many ties and NULLs); a key's position is its place there; rows added and removed between
    // two pages neither repeat nor skip a row that stayed.
    void paging_data() { TestDatabase::addBackendRows(); }
    void paging()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        QStringList more;
        for (int i = 0; i < 60; ++i) {
            KeyFixture k = key(u"m-%1"_s.arg(i * 37 % 61, 3, 10, QLatin1Char('0')), u"same %1"_s.arg(i % 4),
                               i % 3 == 0   ? u"e1"_s
                               : i % 3 == 1 ? u"e2"_s
                                            : u"e3"_s);
            if (i % 5 == 0)
                k.maxConcurrent = 4 + i % 2;
            if (i % 2 == 0)
                k.learned = 5 + i % 3;
            k.concurrent429 = i % 4;
            if (i % 7 == 0) {
                k.last429At = u"2025-12-2%1T10:00:00+00:00"_s.arg(i % 3);
                k.last429Type = i % 2 ? u"rpm"_s : u"concurrent"_s;
            }
            k.active = i % 6 != 0;
            more << insertSql(k);
        }
        int keys = 65;
        if (!tdb.isPostgres()) {
            // Keys of no endpoint (whose ids lie before, between and after the endpoints' ids) and an endpoint of no
            // provider: they sort as the name '' (SQLite: the gateway's foreign keys are not enforced).
            more << u"INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, created_at, "
                    u"updated_at) VALUES ('e4', 'gone', 'CLAUDE', 'https://d', true, '%1', '%1')"_s.arg(fixtureTime);
            for (const QString &endpoint : {u"a-gone"_s, u"e25"_s, u"zz-gone"_s, u"e4"_s, u"e4"_s})
                more << insertSql(key(u"o-%1-%2"_s.arg(endpoint).arg(keys++), u"same 1"_s, endpoint));
        }
        QString error;
        QVERIFY2(executeAll(tdb, more, &error), qPrintable(error));
        const int pageSize = 7;
        // Every order without a filter; the joined names' orders (pages made by endpoint on SQLite, through the join
        // with a text filter) with filters too.
        KeyFilter fixedOnes;
        fixedOnes.mode = KeyFilter::Mode::Fixed;
        KeyFilter named;
        named.text = u"same 1"_s;
        named.activity = KeyFilter::Activity::Active;
        for (const KeyFilter &filter : {KeyFilter{}, fixedOnes, named})
            for (int c = 0; c < aether::visibleKeyColumnCount; ++c) {
                if (filter.mode != KeyFilter::Mode::All || !filter.text.isEmpty()) {
                    if (KeyColumn(c) != KeyColumn::Provider && KeyColumn(c) != KeyColumn::Endpoint)
                        continue;
                }
                for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
                    const KeyColumn column = KeyColumn(c);
                    const QByteArray whatText =
                        QByteArray::number(c) + (order == Qt::AscendingOrder ? " asc" : " desc");
                    const char *what = whatText.constData();
                    QStringList all;
                    QVERIFY(f.table.stream(filter, column, order, [&](aether::KeyRow &&row) {
                        all << row.id;
                        return true;
                    }));
                    const bool unfiltered = filter.mode == KeyFilter::Mode::All && filter.text.isEmpty();
                    QVERIFY(unfiltered ? all.size() == keys : all.size() > pageSize && all.size() < keys);
                    QCOMPARE(QSet<QString>(all.begin(), all.end()).size(), all.size());
                    aether::KeyPageQuery query;
                    query.filter = filter;
                    query.column = column;
                    query.order = order;
                    query.limit = pageSize;
                    // Forward, each page after the last row of the one before.
                    QStringList forward;
                    for (;;) {
                        const auto page = f.table.page(query);
                        QVERIFY2(page.ok(), what);
                        for (const aether::KeyRow &row : page.value())
                            forward << row.id;
                        if (page.value().size() < pageSize)
                            break;
                        query.anchor = aether::KeyPageQuery::Anchor::After;
                        query.value = page.value().last().sortValue;
                        query.id = page.value().last().id;
                    }
                    QVERIFY2(forward == all, what);
                    // Backward from the end, each page before the first row of the one after.
                    query.anchor = aether::KeyPageQuery::Anchor::End;
                    query.offset = 0;
                    QStringList backward;
                    for (;;) {
                        const auto page = f.table.page(query);
                        QVERIFY2(page.ok(), what);
                        QStringList ids;
                        for (const aether::KeyRow &row : page.value())
                            ids << row.id;
                        backward = ids + backward;
                        if (page.value().size() < pageSize)
                            break;
                        query.anchor = aether::KeyPageQuery::Anchor::Before;
                        query.value = page.value().first().sortValue;
                        query.id = page.value().first().id;
                    }
                    QVERIFY2(backward == all, what);
                    // Skipped to from either end.
                    for (const int offset : {0, 1, 30, 60, keys - 1}) {
                        if (offset >= all.size())
                            continue;
                        query.anchor = aether::KeyPageQuery::Anchor::Start;
                        query.offset = offset;
                        const auto idsOf = [&f](const aether::KeyPageQuery &q) {
                            QStringList ids;
                            const aether::Result<QList<aether::KeyRow>> page = f.table.page(q);
                            for (const aether::KeyRow &row : page.value())
                                ids << row.id;
                            return ids;
                        };
                        QStringList ids = idsOf(query);
                        QVERIFY2(ids == all.mid(offset, pageSize), what);
                        query.anchor = aether::KeyPageQuery::Anchor::End;
                        ids = idsOf(query);
                        const int end = int(all.size()) - offset;
                        QVERIFY2(ids == all.mid(std::max(0, end - pageSize), std::min(pageSize, end)), what);
                    }
                    for (const int at : {0, 13, int(all.size()) - 1})
                        QCOMPARE(f.table.position(filter, column, order, all.at(at)).value(), qint64(at));
                }
            }
        KeyFilter fixed;
        fixed.mode = KeyFilter::Mode::Fixed;
        QCOMPARE(f.table.position(fixed, KeyColumn::Name, Qt::AscendingOrder, u"k-a"_s).value(), qint64(-1));
        QCOMPARE(f.table.position({}, KeyColumn::Name, Qt::AscendingOrder, u"no such key"_s).value(), qint64(-1));

        // Scrolling while another process adds and deletes keys.
        aether::KeyPageQuery query;
        query.column = KeyColumn::Learned;
        query.limit = pageSize;
        QStringList seen;
        QStringList removed;
        for (int step = 0;; ++step) {
            const auto page = f.table.page(query);
            QVERIFY(page.ok());
            for (const aether::KeyRow &row : page.value())
                seen << row.id;
            if (page.value().size() < pageSize)
                break;
            query.anchor = aether::KeyPageQuery::Anchor::After;
            query.value = page.value().last().sortValue;
            query.id = page.value().last().id;
            KeyFixture added = key(u"new-%1"_s.arg(step), u"added"_s);
            added.learned = step % 9;
            const QString victim = u"m-%1"_s.arg(step * 11 % 61, 3, 10, QLatin1Char('0'));
            removed << victim;
            QVERIFY2(executeAll(tdb, {insertSql(added), u"DELETE FROM provider_api_keys WHERE id = '%1'"_s.arg(victim)},
                                &error),
                     qPrintable(error));
        }
        QCOMPARE(QSet<QString>(seen.begin(), seen.end()).size(), seen.size()); // no row twice
        QStringList kept;
        QVERIFY(f.table.stream({}, KeyColumn::Learned, Qt::AscendingOrder, [&](aether::KeyRow &&row) {
            kept << row.id;
            return true;
        }));
        for (const QString &id : kept) {
            if (!id.startsWith(u"new-"_s))
                QVERIFY2(seen.contains(id), qPrintable(id)); // none skipped of those that were there throughout
        }
    }

    // The text filter finds parts of names and ids with and without the trigram index (three characters or more,
    // case-insensitively; shorter texts scan), and LIKE's wildcards are plain characters.
    void textFilter_data() { TestDatabase::addBackendRows(); }
    void textFilter()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        const auto idsOf = [&](const QString &text) {
            KeyFilter filter;
            filter.text = text;
            QStringList ids;
            f.table.stream(filter, KeyColumn::Id, Qt::AscendingOrder, [&](aether::KeyRow &&row) {
                ids << row.id;
                return true;
            });
            return ids;
        };
        QCOMPARE(idsOf(u"PROD"_s), (QStringList{u"k-a"_s, u"k-c"_s}));
        QCOMPARE(idsOf(u"pr"_s), (QStringList{u"k-a"_s, u"k-c"_s}));
        QCOMPARE(idsOf(u"k-d"_s), (QStringList{u"k-d"_s}));
        QCOMPARE(idsOf(u"100%_"_s), (QStringList{u"k-d"_s}));
        QCOMPARE(idsOf(u"0%"_s), (QStringList{u"k-d"_s}));
        QCOMPARE(idsOf(u"\"a b\""_s), QStringList());
        QCOMPARE(idsOf(u"silon"_s), (QStringList{u"k-e"_s}));
    }

    void history_data() { TestDatabase::addBackendRows(); }
    void history()
    {
        AETHER_TEST_DATABASE(tdb);
        Fixture f(tdb);
        QVERIFY2(f.ok, qPrintable(f.error));
        const auto points = f.table.history(u"k-a"_s);
        QVERIFY(points.ok());
        QCOMPARE(points.value().size(), 3);
        QCOMPARE(points.value().at(0).oldLimit, 50);
        QCOMPARE(points.value().at(0).newLimit, 42);
        QCOMPARE(points.value().at(0).reason, u"concurrent_429"_s);
        QCOMPARE(points.value().at(2).at->microseconds(),
                 aether::Timestamp::parse(u"2025-12-22T10:00:00.5+00:00"_s)->microseconds());
        QCOMPARE(f.table.history(u"k-c"_s).value().size(), 0); // malformed: empty
        QCOMPARE(f.table.history(u"k-d"_s).value().size(), 0); // NULL
        QCOMPARE(f.table.history(u"nope"_s).error().code, ErrorCode::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestKeyTable)
#include "tst_keytable.moc"
