#pragma once

#include "base/error.h"

#include <QString>

namespace aether {

// Where the console's data lives: an embedded SQLite file or a PostgreSQL server, parsed from the --database URL.
struct DatabaseLocation {
    enum class Kind { Sqlite, Postgres };

    Kind kind = Kind::Sqlite;
    QString path; // SQLite: file path, or ":memory:"
    QString host; // PostgreSQL: host name, address, or Unix socket directory
    int port = 5432;
    QString user;
    QString password;
    QString databaseName;
    QString options; // PostgreSQL: extra libpq options (sslmode, connect_timeout, application_name)

    // A file path, sqlite:///abs/path, sqlite://:memory:, postgresql://user:pw@host:port/db[?host=/socket/dir&...]
    static Result<DatabaseLocation> parse(const QString &url);
    // QStandardPaths::AppDataLocation/aether-console.sqlite
    static DatabaseLocation defaultLocation();
    // PostgreSQL's libpq options: `given` (name=value) and the console's defaults for those not given (a server
    // that does not answer is given up after 3 s; the console names itself to the server).
    static QString postgresOptions(const QStringList &given = {});

    bool isSqlite() const { return kind == Kind::Sqlite; }
    // A URL that parse() reads back as this location (with the password).
    QString toUrl() const;
    // For people: the SQLite file, or postgresql://user@host:port/db without the password.
    QString displayName() const;
};

} // namespace aether
