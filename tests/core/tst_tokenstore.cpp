// TokenStore: console API tokens stored as SHA-256 hashes only, names unique, revocation, the environment token.

#include "auth/tokenstore.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"
#include "testdatabase.h"
#include "testenvironment.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QElapsedTimer>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using aether::ErrorCode;
using aether::Role;
using aether::TokenStore;
using aether::test::SqlProbe;
using aether::test::TestDatabase;

namespace {

QString sha256Hex(const QString &secret)
{
    return QString::fromLatin1(QCryptographicHash::hash(secret.toUtf8(), QCryptographicHash::Sha256).toHex());
}

QString errorText(const aether::Error &e)
{
    return u"code %1, field '%2', detail '%3'"_s.arg(int(e.code)).arg(e.field, e.detail);
}

} // namespace

#define AETHER_TOKEN_DATABASE(tdb, db)                                                                                 \
    AETHER_TEST_DATABASE(tdb);                                                                                         \
    aether::Database db(tdb.location());                                                                               \
    QVERIFY(db.open().ok());                                                                                           \
    QVERIFY(aether::Migrations(db).run().ok());

class TestTokenStore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void roles_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("role"); // -1 = not a role
        QTest::newRow("admin") << u"admin"_s << int(Role::Admin);
        QTest::newRow("viewer") << u"viewer"_s << int(Role::Viewer);
        QTest::newRow("gateway") << u"gateway"_s << int(Role::Gateway);
        QTest::newRow("upper case") << u"Admin"_s << -1;
        QTest::newRow("empty") << QString() << -1;
        QTest::newRow("other") << u"root"_s << -1;
    }
    void roles()
    {
        QFETCH(QString, text);
        QFETCH(int, role);
        const std::optional<Role> parsed = aether::roleFromString(text);
        QCOMPARE(parsed.has_value(), role >= 0);
        if (role >= 0) {
            QCOMPARE(int(*parsed), role);
            QCOMPARE(aether::roleToString(*parsed), text);
        }
    }

    void hashIsSha256Hex()
    {
        QCOMPARE(TokenStore::hash(u"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"_ba);
        QCOMPARE(QString::fromLatin1(TokenStore::hash(u"秘密")), sha256Hex(u"秘密"_s));
    }

    // The secret is shown once; the table holds only its SHA-256 hex digest.
    void createStoresOnlyTheHash_data() { TestDatabase::addBackendRows(); }
    void createStoresOnlyTheHash()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db);
        const qint64 t0 = QDateTime::currentMSecsSinceEpoch() * 1000;
        const aether::Result<aether::NewToken> created = store.create(u"ops"_s, Role::Viewer);
        const qint64 t1 = (QDateTime::currentMSecsSinceEpoch() + 1) * 1000;
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : errorText(created.error())));
        const QString secret = created.value().secret;
        QVERIFY(secret.size() >= 32);
        QCOMPARE(created.value().info.name, u"ops"_s);
        QCOMPARE(created.value().info.role, Role::Viewer);
        QVERIFY(created.value().info.createdAt.microseconds() >= t0 - 1000);
        QVERIFY(created.value().info.createdAt.microseconds() <= t1);
        QVERIFY(!created.value().info.lastUsedAt.has_value());

        SqlProbe probe(tdb.location());
        const std::optional<QList<QVariantList>> rows = probe.rows(u"SELECT * FROM console_tokens"_s);
        QVERIFY2(rows.has_value(), qPrintable(probe.lastError()));
        QCOMPARE(rows->size(), 1);
        for (const QVariant &cell : rows->first()) {
            QVERIFY2(!cell.toString().contains(secret), "the plaintext secret is stored");
            // Not even a large part of it.
            QVERIFY(!cell.toString().contains(secret.mid(4, 16)));
        }
        QCOMPARE(probe.lines(u"SELECT name, role, token_hash FROM console_tokens"_s),
                 QStringList{u"ops|viewer|"_s + sha256Hex(secret)});

        // Two tokens never share a secret.
        const aether::Result<aether::NewToken> second = store.create(u"ops2"_s, Role::Viewer);
        QVERIFY(second.ok());
        QVERIFY(second.value().secret != secret);
    }

    void duplicateNameIsAConflict_data() { TestDatabase::addBackendRows(); }
    void duplicateNameIsAConflict()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db);
        QVERIFY(store.create(u"ops"_s, Role::Admin).ok());
        for (const QString &name : {u"ops"_s, u" ops "_s}) {
            const aether::Result<aether::NewToken> again = store.create(name, Role::Viewer);
            QVERIFY(!again.ok());
            QCOMPARE(again.error().code, ErrorCode::Conflict);
        }
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.lines(u"SELECT name, role FROM console_tokens"_s), QStringList{u"ops|admin"_s});
    }

    void invalidNames_data()
    {
        QTest::addColumn<QByteArray>("backend");
        QTest::addColumn<QString>("name");
        for (const QByteArray &backend : TestDatabase::backends()) {
            QTest::addRow("%s: empty", backend.constData()) << backend << QString();
            QTest::addRow("%s: blank", backend.constData()) << backend << u"  "_s;
            QTest::addRow("%s: 101 characters", backend.constData()) << backend << QString(101, u'x');
        }
    }
    void invalidNames()
    {
        QFETCH(QString, name);
        AETHER_TOKEN_DATABASE(tdb, db);
        const aether::Result<aether::NewToken> created = TokenStore(db).create(name, Role::Admin);
        QVERIFY(!created.ok());
        QCOMPARE(created.error().code, ErrorCode::InvalidInput);
        QCOMPARE(created.error().field, u"name"_s);
        QCOMPARE(TokenStore(db).hasAnyToken().value(), false);
    }

    void list_data() { TestDatabase::addBackendRows(); }
    void list()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db);
        QVERIFY(store.list().value().isEmpty());
        const aether::NewToken viewer = store.create(u"viewer-bot"_s, Role::Viewer).value();
        const aether::NewToken admin = store.create(u"admin-ops"_s, Role::Admin).value();
        const aether::NewToken gateway = store.create(u"gw-1"_s, Role::Gateway).value();

        const aether::Result<QList<aether::TokenInfo>> listed = store.list();
        QVERIFY(listed.ok());
        QList<aether::TokenInfo> tokens = listed.value();
        std::sort(tokens.begin(), tokens.end(), [](const auto &a, const auto &b) { return a.name < b.name; });
        QCOMPARE(tokens.size(), 3);
        QCOMPARE(tokens.at(0).name, u"admin-ops"_s);
        QCOMPARE(tokens.at(0).role, Role::Admin);
        QCOMPARE(tokens.at(0).createdAt, admin.info.createdAt);
        QCOMPARE(tokens.at(1).name, u"gw-1"_s);
        QCOMPARE(tokens.at(1).role, Role::Gateway);
        QCOMPARE(tokens.at(1).createdAt, gateway.info.createdAt);
        QCOMPARE(tokens.at(2).name, u"viewer-bot"_s);
        QCOMPARE(tokens.at(2).role, Role::Viewer);
        QCOMPARE(tokens.at(2).createdAt, viewer.info.createdAt);
        for (const aether::TokenInfo &info : tokens)
            QVERIFY(!info.lastUsedAt.has_value());

        // A successful authentication records when the token was last used.
        const qint64 t0 = QDateTime::currentMSecsSinceEpoch() * 1000;
        QVERIFY(store.authenticate(viewer.secret).value().has_value());
        const qint64 t1 = (QDateTime::currentMSecsSinceEpoch() + 1) * 1000;
        const QList<aether::TokenInfo> afterUse = store.list().value();
        QCOMPARE(afterUse.size(), 3);
        for (const aether::TokenInfo &info : afterUse) {
            if (info.name == u"viewer-bot") {
                QVERIFY(info.lastUsedAt.has_value());
                QVERIFY(info.lastUsedAt->microseconds() >= t0 - 1000 && info.lastUsedAt->microseconds() <= t1);
            } else {
                QVERIFY(!info.lastUsedAt.has_value());
            }
        }
    }

    void authenticate_data() { TestDatabase::addBackendRows(); }
    void authenticate()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db);
        const aether::NewToken ops = store.create(u"ops"_s, Role::Admin).value();
        const aether::NewToken viewer = store.create(u"viewer"_s, Role::Viewer).value();
        const aether::NewToken gateway = store.create(u"gw"_s, Role::Gateway).value();

        const auto check = [&](const QString &secret, const QString &name, Role role) {
            const aether::Result<std::optional<aether::Caller>> caller = store.authenticate(secret);
            QVERIFY(caller.ok());
            QVERIFY(caller.value().has_value());
            QCOMPARE(caller.value()->name, name);
            QCOMPARE(caller.value()->role, role);
        };
        check(ops.secret, u"ops"_s, Role::Admin);
        check(viewer.secret, u"viewer"_s, Role::Viewer);
        check(gateway.secret, u"gw"_s, Role::Gateway);

        const QStringList wrong{QString(),
                                u"act_"_s,
                                ops.secret.chopped(1),
                                ops.secret + u'x',
                                ops.secret.toUpper(),
                                sha256Hex(ops.secret),
                                u" "_s + ops.secret};
        for (const QString &secret : wrong) {
            const aether::Result<std::optional<aether::Caller>> caller = store.authenticate(secret);
            QVERIFY(caller.ok());
            QVERIFY2(!caller.value().has_value(), qPrintable(secret));
        }

        // A revoked token no longer authenticates; the others still do.
        QVERIFY(store.revoke(u"ops"_s).ok());
        QVERIFY(!store.authenticate(ops.secret).value().has_value());
        check(viewer.secret, u"viewer"_s, Role::Viewer);
        const aether::Status again = store.revoke(u"ops"_s);
        QVERIFY(!again.ok());
        QCOMPARE(again.error().code, ErrorCode::NotFound);
        SqlProbe probe(tdb.location());
        QCOMPARE(probe.value(u"SELECT count(*) FROM console_tokens WHERE name = 'ops'"_s).toInt(), 0);
        // The name is free again, with a new secret.
        const aether::NewToken reissued = store.create(u"ops"_s, Role::Viewer).value();
        QVERIFY(reissued.secret != ops.secret);
        QVERIFY(!store.authenticate(ops.secret).value().has_value());
        check(reissued.secret, u"ops"_s, Role::Viewer);
    }

    // A second store on another connection sees the tokens the first created and revoked.
    void tokensAreSharedBetweenConnections_data() { TestDatabase::addBackendRows(); }
    void tokensAreSharedBetweenConnections()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        TokenStore first(db);
        TokenStore second(other);
        const aether::NewToken token = first.create(u"shared"_s, Role::Viewer).value();
        QCOMPARE(second.authenticate(token.secret).value()->name, u"shared"_s);
        QVERIFY(first.revoke(u"shared"_s).ok());
        QVERIFY(!second.authenticate(token.secret).value().has_value());
    }

    // A server remembers the tokens it verified only where revocations are announced (PostgreSQL): a revocation by
    // another connection (another console process) reaches it when it commits, a token deleted by hand within
    // cacheMs. On SQLite every request is checked against the table.
    void cacheFollowsRevocations_data() { TestDatabase::addBackendRows(); }
    void cacheFollowsRevocations()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        aether::Database other(tdb.location());
        QVERIFY(other.open().ok());
        TokenStore server(db);
        TokenStore console(other);
        // As in a server: last uses are written elsewhere, so no statement on the server's connection follows a check.
        server.setTouchWriter([](const QByteArray &, const aether::Timestamp &) {});
        server.setCacheEnabled(true);
        const bool postgres = !tdb.location().isSqlite();
        QCOMPARE(server.isCacheInUse(), postgres);
        const aether::NewToken revoked = console.create(u"revoked"_s, Role::Gateway).value();
        const aether::NewToken deleted = console.create(u"deleted"_s, Role::Viewer).value();
        const aether::NewToken kept = console.create(u"kept"_s, Role::Admin).value();
        const auto accepted = [&](const QString &secret) {
            const aether::Result<std::optional<aether::Caller>> caller = server.authenticate(secret);
            return caller.ok() && caller.value().has_value();
        };
        QVERIFY(accepted(revoked.secret));
        QVERIFY(accepted(deleted.secret));
        QVERIFY(accepted(kept.secret));

        // Deleted without an announcement: still accepted from the cache (PostgreSQL), refused at once (SQLite).
        SqlProbe probe(tdb.location());
        QVERIFY2(probe.rows(u"DELETE FROM console_tokens WHERE name = 'deleted'"_s), qPrintable(probe.lastError()));
        QCOMPARE(accepted(deleted.secret), postgres);

        // Revoked in another process: refused once the announcement is in (the event loop delivers it), long before
        // the cache would expire; the others are looked up again, and still accepted.
        QElapsedTimer sinceRevoked;
        sinceRevoked.start();
        QVERIFY(console.revoke(u"revoked"_s).ok());
        QTRY_VERIFY_WITH_TIMEOUT(!accepted(revoked.secret), 1000);
        QVERIFY(sinceRevoked.elapsed() < 1000);
        QVERIFY(!accepted(deleted.secret)); // the announcement emptied the whole cache
        QVERIFY(accepted(kept.secret));

        // Its own revocation takes effect at once.
        const aether::NewToken own = console.create(u"own"_s, Role::Viewer).value();
        QVERIFY(accepted(own.secret));
        QVERIFY(server.revoke(u"own"_s).ok());
        QVERIFY(!accepted(own.secret));

        // Deleted without announcement: refused after cacheMs at the latest, and not before.
        if (postgres) {
            QTest::qWait(200); // the announcement of the revocation above reaches this connection too
            QVERIFY(accepted(kept.secret));
            QElapsedTimer sinceDeleted;
            sinceDeleted.start();
            QVERIFY2(probe.rows(u"DELETE FROM console_tokens WHERE name = 'kept'"_s), qPrintable(probe.lastError()));
            QVERIFY(accepted(kept.secret));
            QTRY_VERIFY_WITH_TIMEOUT(!accepted(kept.secret), int(TokenStore::cacheMs) + 1000);
            QVERIFY(sinceDeleted.elapsed() >= TokenStore::cacheMs - 500);
        }

        server.setCacheEnabled(false);
        QVERIFY(!server.isCacheInUse());
    }

    void environmentToken_data() { TestDatabase::addBackendRows(); }
    void environmentToken()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db, u"  env-secret-123  "_s);
        const aether::Result<std::optional<aether::Caller>> caller = store.authenticate(u"env-secret-123");
        QVERIFY(caller.ok());
        QVERIFY(caller.value().has_value());
        QCOMPARE(caller.value()->name, u"environment"_s);
        QCOMPARE(caller.value()->role, Role::Admin);
        QVERIFY(!store.authenticate(u"env-secret-12").value().has_value());
        QVERIFY(!store.authenticate(u"ENV-SECRET-123").value().has_value());
        QCOMPARE(store.hasAnyToken().value(), true);
        QVERIFY(store.list().value().isEmpty()); // the environment token is not stored

        // Stored tokens still work beside it.
        const aether::NewToken stored = store.create(u"ops"_s, Role::Viewer).value();
        QCOMPARE(store.authenticate(stored.secret).value()->name, u"ops"_s);

        // A blank environment token is no token.
        TokenStore blank(db, u"   "_s);
        QVERIFY(!blank.authenticate(QString()).value().has_value());
        QVERIFY(!blank.authenticate(u"   ").value().has_value());
    }

    void hasAnyToken_data() { TestDatabase::addBackendRows(); }
    void hasAnyToken()
    {
        AETHER_TOKEN_DATABASE(tdb, db);
        TokenStore store(db);
        QCOMPARE(store.hasAnyToken().value(), false);
        QVERIFY(store.create(u"ops"_s, Role::Viewer).ok());
        QCOMPARE(store.hasAnyToken().value(), true);
        QVERIFY(store.revoke(u"ops"_s).ok());
        QCOMPARE(store.hasAnyToken().value(), false);
        QCOMPARE(TokenStore(db, u"env"_s).hasAnyToken().value(), true);
    }
};

QTEST_GUILESS_MAIN(TestTokenStore)
#include "tst_tokenstore.moc"
