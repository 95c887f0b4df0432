#include "testdatabase.h"

#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

namespace aether::test {

QSqlDatabase addConnection(const DatabaseLocation &loc, const QString &name)
{
    QSqlDatabase db =
        QSqlDatabase::addDatabase(loc.isSqlite() ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL"), name);
    if (loc.isSqlite()) {
        db.setDatabaseName(loc.path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    } else {
        db.setHostName(loc.host);
        db.setPort(loc.port);
        db.setUserName(loc.user);
        db.setPassword(loc.password);
        db.setDatabaseName(loc.databaseName);
    }
    return db;
}

namespace {

// Runs one statement on a short-lived connection.
bool runOn(const DatabaseLocation &loc, const QString &sql, QString *error)
{
    static int counter = 0;
    const QString name = QStringLiteral("aether-test-admin-%1").arg(++counter);
    bool ok = false;
    {
        QSqlDatabase db = addConnection(loc, name);
        if (!db.open()) {
            if (error)
                *error = db.lastError().text();
        } else {
            QSqlQuery query(db);
            ok = query.exec(sql);
            if (!ok && error)
                *error = query.lastError().text();
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

} // namespace

QList<QByteArray> TestDatabase::backends()
{
    return {QByteArrayLiteral("sqlite"), QByteArrayLiteral("postgres")};
}

void TestDatabase::addBackendRows()
{
    QTest::addColumn<QByteArray>("backend");
    for (const QByteArray &backend : backends())
        QTest::newRow(backend.constData()) << backend;
}

bool TestDatabase::mustNotSkip() const
{
    return qEnvironmentVariableIsSet("CI") || qEnvironmentVariableIsSet("AETHER_TEST_REQUIRE_PG");
}

TestDatabase::TestDatabase(const QByteArray &backend)
    : m_backend(backend)
{
    if (backend == "sqlite") {
        m_dir = std::make_unique<QTemporaryDir>();
        m_url = QStringLiteral("sqlite://") + m_dir->filePath(QStringLiteral("test.sqlite"));
        m_ready = m_dir->isValid();
        return;
    }
    m_adminUrl = qEnvironmentVariable("AETHER_TEST_PG");
    if (m_adminUrl.isEmpty()) {
        m_skipReason = QStringLiteral("AETHER_TEST_PG is not set: no PostgreSQL server for this test (run it through "
                                      "ctest, which starts one)");
        return;
    }
    const Result<DatabaseLocation> admin = DatabaseLocation::parse(m_adminUrl);
    if (!admin) {
        m_skipReason = QStringLiteral("AETHER_TEST_PG is not a PostgreSQL URL");
        return;
    }
    m_pgName = QStringLiteral("aether_test_%1").arg(QRandomGenerator::global()->generate64(), 0, 16);
    QString error;
    if (!runOn(admin.value(), QStringLiteral("CREATE DATABASE %1").arg(m_pgName), &error)) {
        m_skipReason = QStringLiteral("cannot create a PostgreSQL test database: ") + error;
        return;
    }
    DatabaseLocation loc = admin.value();
    m_url = QStringLiteral("postgresql://%1@/%2?host=%3").arg(loc.user, m_pgName, loc.host);
    if (!loc.host.startsWith(u'/'))
        m_url = QStringLiteral("postgresql://%1@%2:%3/%4").arg(loc.user, loc.host).arg(loc.port).arg(m_pgName);
    m_ready = true;
}

TestDatabase::~TestDatabase()
{
    if (!m_pgName.isEmpty())
        drop();
}

bool TestDatabase::drop(QString *error)
{
    const Result<DatabaseLocation> admin = DatabaseLocation::parse(m_adminUrl);
    if (m_pgName.isEmpty() || !admin) {
        if (error)
            *error = QStringLiteral("only a PostgreSQL test database can be dropped");
        return false;
    }
    return runOn(admin.value(), QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_pgName), error);
}

DatabaseLocation TestDatabase::location() const
{
    return DatabaseLocation::parse(m_url).value();
}

bool TestDatabase::execute(const QString &sql, QString *error) const
{
    return runOn(location(), sql, error);
}

bool TestDatabase::useReferenceLearning(QString *error) const
{
    return execute(QStringLiteral("UPDATE console_meta SET value = '{\"strategy\":\"aether_aimd\"}' "
                                  "WHERE name = 'learning_policy'"),
                   error);
}

} // namespace aether::test
