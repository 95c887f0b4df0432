// DatabaseLocation: the --database URL (SQLite path or file URL, PostgreSQL URL) and its errors.

#include "storage/databaselocation.h"
#include "testenvironment.h"

#include <QDir>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::DatabaseLocation;
using aether::ErrorCode;

namespace {
const QString defaultPgOptions = u"connect_timeout=3;application_name=aether-console"_s;
}

class TestDatabaseLocation : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void sqlite_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("path");

        const auto absolute = [](const QString &relative) {
            return QDir::cleanPath(QDir::current().absoluteFilePath(relative));
        };
        QTest::newRow("absolute path") << u"/var/lib/aether/console.sqlite"_s << u"/var/lib/aether/console.sqlite"_s;
        QTest::newRow("relative path") << u"data/console.sqlite"_s << absolute(u"data/console.sqlite"_s);
        QTest::newRow("relative path is cleaned") << u"./a/../b.sqlite"_s << absolute(u"b.sqlite"_s);
        QTest::newRow("white space trimmed") << u"  /tmp/trimmed.sqlite \t"_s << u"/tmp/trimmed.sqlite"_s;
        QTest::newRow("sqlite:///abs") << u"sqlite:///var/lib/aether/console.sqlite"_s
                                       << u"/var/lib/aether/console.sqlite"_s;
        QTest::newRow("scheme case-insensitive") << u"SQLite:///x/y.sqlite"_s << u"/x/y.sqlite"_s;
        QTest::newRow("sqlite://relative") << u"sqlite://rel/console.sqlite"_s << absolute(u"rel/console.sqlite"_s);
        QTest::newRow("percent-encoded path") << u"sqlite:///tmp/with%20space.sqlite"_s << u"/tmp/with space.sqlite"_s;
        QTest::newRow("in memory") << u"sqlite://:memory:"_s << u":memory:"_s;
        QTest::newRow("sqlite::memory:") << u"sqlite::memory:"_s << u":memory:"_s;
    }

    void sqlite()
    {
        QFETCH(QString, url);
        QFETCH(QString, path);

        const aether::Result<DatabaseLocation> parsed = DatabaseLocation::parse(url);
        QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().detail));
        QCOMPARE(parsed.value().kind, DatabaseLocation::Kind::Sqlite);
        QVERIFY(parsed.value().isSqlite());
        QCOMPARE(parsed.value().path, path);
        QCOMPARE(parsed.value().displayName(), path);
    }

    void postgres_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("databaseName");
        QTest::addColumn<QString>("options");
        QTest::addColumn<QString>("displayName");

        QTest::newRow("user, password, host, port, database")
            << u"postgresql://aether:secret@db.example.com:6543/gateway"_s << u"db.example.com"_s << 6543 << u"aether"_s
            << u"secret"_s << u"gateway"_s << defaultPgOptions << u"postgresql://aether@db.example.com:6543/gateway"_s;
        QTest::newRow("postgres:// and default port")
            << u"postgres://aether@localhost/gateway"_s << u"localhost"_s << 5432 << u"aether"_s << QString()
            << u"gateway"_s << defaultPgOptions << u"postgresql://aether@localhost:5432/gateway"_s;
        QTest::newRow("scheme case-insensitive") << u"PostgreSQL://u@h/db"_s << u"h"_s << 5432 << u"u"_s << QString()
                                                 << u"db"_s << defaultPgOptions << u"postgresql://u@h:5432/db"_s;
        // Values are quoted for libpq, so that they cannot add settings of their own (here: another database).
        QTest::newRow("application_name with a space and a setting")
            << u"postgresql://u@h/db?application_name=x%20dbname%3Dother"_s << u"h"_s << 5432 << u"u"_s << QString()
            << u"db"_s << u"application_name='x dbname=other';connect_timeout=3"_s << u"postgresql://u@h:5432/db"_s;
        QTest::newRow("application_name with quotes and backslashes")
            << u"postgresql://u@h/db?application_name=x%27%20dbname%3D%27other%5C"_s << u"h"_s << 5432 << u"u"_s
            << QString() << u"db"_s << u"application_name='x\\' dbname=\\'other\\\\';connect_timeout=3"_s
            << u"postgresql://u@h:5432/db"_s;
        QTest::newRow("percent-encoded password")
            << u"postgresql://aether:p%40ss%3Aw%2Fo%25rd%20x@db:5432/gw"_s << u"db"_s << 5432 << u"aether"_s
            << u"p@ss:w/o%rd x"_s << u"gw"_s << defaultPgOptions << u"postgresql://aether@db:5432/gw"_s;
        QTest::newRow("socket directory in ?host=")
            << u"postgresql://postgres@/aether?host=/run/postgresql"_s << u"/run/postgresql"_s << 5432 << u"postgres"_s
            << QString() << u"aether"_s << defaultPgOptions << u"postgresql://postgres@/aether?host=/run/postgresql"_s;
        QTest::newRow("query parameters override the authority")
            << u"postgresql://u:pw@h:1111/db?port=6000&user=v&password=w&dbname=other"_s << u"h"_s << 6000 << u"v"_s
            << u"w"_s << u"other"_s << defaultPgOptions << u"postgresql://v@h:6000/other"_s;
        QTest::newRow("libpq options kept")
            << u"postgresql://u@h/db?sslmode=require&connect_timeout=10&application_name=ops"_s << u"h"_s << 5432
            << u"u"_s << QString() << u"db"_s << u"sslmode=require;connect_timeout=10;application_name='ops'"_s
            << u"postgresql://u@h:5432/db"_s;
        QTest::newRow("sslmode added to the defaults")
            << u"postgresql://u@h/db?sslmode=disable"_s << u"h"_s << 5432 << u"u"_s << QString() << u"db"_s
            << u"sslmode=disable;connect_timeout=3;application_name=aether-console"_s << u"postgresql://u@h:5432/db"_s;
        QTest::newRow("IPv6 host") << u"postgresql://u@[::1]:5433/db"_s << u"::1"_s << 5433 << u"u"_s << QString()
                                   << u"db"_s << defaultPgOptions << QString();
        QTest::newRow("no user") << u"postgresql://db.example.com/gateway"_s << u"db.example.com"_s << 5432 << QString()
                                 << QString() << u"gateway"_s << defaultPgOptions
                                 << u"postgresql://db.example.com:5432/gateway"_s;
    }

    void postgres()
    {
        QFETCH(QString, url);
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(QString, user);
        QFETCH(QString, password);
        QFETCH(QString, databaseName);
        QFETCH(QString, options);
        QFETCH(QString, displayName);

        const aether::Result<DatabaseLocation> parsed = DatabaseLocation::parse(url);
        QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.error().detail));
        const DatabaseLocation &loc = parsed.value();
        QCOMPARE(loc.kind, DatabaseLocation::Kind::Postgres);
        QVERIFY(!loc.isSqlite());
        QCOMPARE(loc.host, host);
        QCOMPARE(loc.port, port);
        QCOMPARE(loc.user, user);
        QCOMPARE(loc.password, password);
        QCOMPARE(loc.databaseName, databaseName);
        QCOMPARE(loc.options, options);
        if (!displayName.isEmpty()) // an IPv6 display form is not pinned down
            QCOMPARE(loc.displayName(), displayName);
        if (!password.isEmpty())
            QVERIFY(!loc.displayName().contains(password));
    }

    void errors_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("reason");

        QTest::newRow("empty") << QString() << aether::reason::missing;
        QTest::newRow("blank") << u"   "_s << aether::reason::missing;
        QTest::newRow("sqlite:// without a file") << u"sqlite://"_s << aether::reason::missing;
        QTest::newRow("unknown scheme") << u"mysql://u@h/db"_s << aether::reason::invalidValue;
        QTest::newRow("http scheme") << u"http://example.com/db"_s << aether::reason::invalidValue;
        QTest::newRow("postgres without database") << u"postgresql://u@h"_s << aether::reason::invalidValue;
        QTest::newRow("postgres with empty database") << u"postgresql://u@h:5432/"_s << aether::reason::invalidValue;
        QTest::newRow("socket but no database")
            << u"postgresql://u@/?host=/run/postgresql"_s << aether::reason::invalidValue;
        QTest::newRow("unsupported parameter") << u"postgresql://u@h/db?foo=bar"_s << aether::reason::invalidValue;
        QTest::newRow("port out of range") << u"postgresql://u@h:70000/db"_s << aether::reason::invalidValue;
        QTest::newRow("port 0 in the query") << u"postgresql://u@h/db?port=0"_s << aether::reason::invalidValue;
        QTest::newRow("non-numeric port in the query")
            << u"postgresql://u@h/db?port=abc"_s << aether::reason::invalidValue;
        // A value must not add libpq settings of its own (another host for the password, say).
        QTest::newRow("sslmode not a mode")
            << u"postgresql://u@h/db?sslmode=require%20host%3Devil"_s << aether::reason::invalidValue;
        QTest::newRow("connect_timeout not a number")
            << u"postgresql://u@h/db?connect_timeout=3%20host%3Devil"_s << aether::reason::invalidValue;
        QTest::newRow("NUL in the database name") << u"postgresql://u@h/db%00x"_s << aether::reason::invalidValue;
        QTest::newRow("NUL in an SQLite path") << u"sqlite:///tmp/a%00b.db"_s << aether::reason::invalidValue;
        QTest::newRow("newline in an SQLite path") << u"/tmp/a\nb.db"_s << aether::reason::invalidValue;
    }

    void errors()
    {
        QFETCH(QString, url);
        QFETCH(QString, reason);

        const aether::Result<DatabaseLocation> parsed = DatabaseLocation::parse(url);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code, ErrorCode::InvalidInput);
        QCOMPARE(parsed.error().field, u"database"_s);
        QCOMPARE(parsed.error().reason, reason);
        QVERIFY(!parsed.error().detail.isEmpty());
    }

    // toUrl() gives back what parse() reads as the same location, whatever the user name and password hold.
    void roundTrip_data()
    {
        QTest::addColumn<QString>("url");
        QTest::newRow("sqlite") << u"sqlite:///var/lib/aether/console.sqlite"_s;
        QTest::newRow("postgres tcp") << u"postgresql://ops:secret@db.example.com:6543/aether"_s;
        QTest::newRow("postgres socket") << u"postgresql://postgres@/aether?host=/run/postgresql"_s;
        QTest::newRow("special characters") << u"postgresql://us%40er:p%3Aw%2Fd%20%E4%B8%AD@localhost:5432/my%20db"_s;
    }
    void roundTrip()
    {
        QFETCH(QString, url);
        const aether::Result<aether::DatabaseLocation> first = aether::DatabaseLocation::parse(url);
        QVERIFY(first.ok());
        const QString again = first.value().toUrl();
        const aether::Result<aether::DatabaseLocation> second = aether::DatabaseLocation::parse(again);
        QVERIFY2(second.ok(), qPrintable(again));
        QCOMPARE(second.value().kind, first.value().kind);
        QCOMPARE(second.value().path, first.value().path);
        QCOMPARE(second.value().host, first.value().host);
        QCOMPARE(second.value().port, first.value().port);
        QCOMPARE(second.value().user, first.value().user);
        QCOMPARE(second.value().password, first.value().password);
        QCOMPARE(second.value().databaseName, first.value().databaseName);
    }

    void defaultLocation()
    {
        const DatabaseLocation loc = DatabaseLocation::defaultLocation();
        QVERIFY(loc.isSqlite());
        const QString folder = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
        QVERIFY(!folder.isEmpty());
        QCOMPARE(loc.path, QDir(folder).absoluteFilePath(u"aether-console.sqlite"_s));
    }
};

QTEST_GUILESS_MAIN(TestDatabaseLocation)
#include "tst_databaselocation.moc"
