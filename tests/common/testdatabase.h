#pragma once

#include "storage/databaselocation.h"

#include <QByteArray>
#include <QSqlDatabase>
#include <QString>
#include <QTemporaryDir>

#include <memory>

namespace aether::test {

// Adds (without opening) a connection named `name` to the database at `loc`; SQLite waits up to 5 s for locks.
// Remove it with QSqlDatabase::removeDatabase(name) when done.
QSqlDatabase addConnection(const DatabaseLocation &loc, const QString &name);

// A fresh, empty database for one test on one backend: a new SQLite file in a temporary folder, or a new database on
// the PostgreSQL server the suite started (env AETHER_TEST_PG, a URL of its maintenance database). Dropped afterwards.
class TestDatabase {
public:
    explicit TestDatabase(const QByteArray &backend);
    ~TestDatabase();

    // "sqlite" and "postgres": the rows every storage test runs with.
    static QList<QByteArray> backends();
    // Adds a "backend" column and one row per backend to a Qt Test _data() function.
    static void addBackendRows();

    // False when the backend cannot be used here; skipReason() says why. Under CI a missing PostgreSQL is a failure,
    // not a skip.
    bool isReady() const { return m_ready; }
    QString skipReason() const { return m_skipReason; }
    bool mustNotSkip() const;

    QString url() const { return m_url; }
    DatabaseLocation location() const;
    bool isPostgres() const { return m_backend == "postgres"; }
    // Runs SQL on the test database through a separate connection (for set-up and checks behind the core's back).
    bool execute(const QString &sql, QString *error = nullptr) const;
    // A database the console creates learns with the recommended strategy; tests of the original service's learning
    // (bit for bit) store the reference's policy instead. Call after the migrations ran.
    bool useReferenceLearning(QString *error = nullptr) const;
    // PostgreSQL: drops the database now, closing every connection to it (a database that goes away).
    bool drop(QString *error = nullptr);

private:
    QByteArray m_backend;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_url;
    QString m_adminUrl;
    QString m_pgName;
    bool m_ready = false;
    QString m_skipReason;
};

} // namespace aether::test

// Use at the start of a data-driven test: QFETCH the backend and create the database, or skip (fail under CI).
#define AETHER_TEST_DATABASE(var)                                                                                      \
    QFETCH(QByteArray, backend);                                                                                       \
    aether::test::TestDatabase var(backend);                                                                           \
    if (!var.isReady()) {                                                                                              \
        if (var.mustNotSkip())                                                                                         \
            QFAIL(qPrintable(var.skipReason()));                                                                       \
        QSKIP(qPrintable(var.skipReason()));                                                                           \
    }
