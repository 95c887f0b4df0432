#pragma once

#include "base/error.h"
#include "storage/databaselocation.h"
#include "storage/sqldialect.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariantList>

#include <functional>
#include <memory>
#include <optional>

namespace aether {

// One executed statement. Holds a prepared query from the connection's statement cache and releases it (finish())
// when it goes out of scope, so SQLite read snapshots are never held longer than the caller needs them.
class SqlStatement {
public:
    // `readers` counts the statements that use the query, so that the cache never drops one that is being read.
    // `latestExec`: when given, the rows left unread are read on release, unless a later statement (whose number
    // differs from the one it had now) has already ended this one's result (see Database::listen()).
    SqlStatement(QSqlQuery *query, int *readers, const quint64 *latestExec = nullptr)
        : m_query(query)
        , m_readers(readers)
        , m_latestExec(latestExec)
        , m_exec(latestExec ? *latestExec : 0)
    {
        ++*m_readers;
    }
    SqlStatement(SqlStatement &&other) noexcept
        : m_query(std::exchange(other.m_query, nullptr))
        , m_readers(std::exchange(other.m_readers, nullptr))
        , m_latestExec(other.m_latestExec)
        , m_exec(other.m_exec)
    {
    }
    SqlStatement &operator=(SqlStatement &&) = delete;
    ~SqlStatement()
    {
        if (m_query) {
            if (m_latestExec && *m_latestExec == m_exec && m_query->isActive() && m_query->isSelect()) {
                while (m_query->next()) {
                }
            }
            m_query->finish();
            --*m_readers;
        }
    }
    bool next() { return m_query->next(); }
    QVariant value(int column) const { return m_query->value(column); }
    bool isNull(int column) const { return m_query->isNull(column); }
    std::optional<int> optionalInt(int column) const
    {
        return isNull(column) ? std::nullopt : std::optional<int>(value(column).toInt());
    }
    std::optional<QString> optionalString(int column) const
    {
        return isNull(column) ? std::nullopt : std::optional<QString>(value(column).toString());
    }
    int rowsAffected() const { return m_query->numRowsAffected(); }
    // Why next() returned false before the last row (a statement interrupted, an error in a later row), if it did.
    QSqlError error() const { return m_query->lastError(); }

private:
    QSqlQuery *m_query;
    int *m_readers;
    const quint64 *m_latestExec;
    quint64 m_exec;
};

// "?, ?, ?" (or `count` copies of another group, e.g. "(?, ?)") for IN lists and multi-row VALUES.
QString sqlPlaceholders(qsizetype count, const QString &one = QStringLiteral("?"));
// An integer parameter that may be NULL.
inline QVariant sqlNullableInt(std::optional<int> value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<int>());
}
// A text parameter that may be NULL.
inline QVariant sqlNullableText(const std::optional<QString> &value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<QString>());
}

class Database;

// Stops the statement a connection runs now, from any thread: the statement fails (and its caller with it), the
// connection stays usable; nothing happens while none runs. SQLite interrupts it in place; PostgreSQL asks the server
// (pg_cancel_backend) through another connection, `via`, which belongs to the calling thread.
class StatementCanceller {
public:
    void cancel(Database *via = nullptr);

private:
    friend class Database;
    QMutex m_mutex;
    void *m_sqlite = nullptr; // the connection's sqlite3 handle while it is open
    qint64 m_pgBackend = 0;   // the connection's server process (pg_backend_pid) while it is open
};

// A connection to the console's database, used from one thread. It prepares and caches statements, runs
// transactions, notices a lost connection and reconnects by itself (so an outage turns into
// ErrorCode::StorageUnavailable and recovers without a restart).
class Database {
public:
    explicit Database(DatabaseLocation location);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    const DatabaseLocation &location() const { return m_location; }
    const SqlDialect &dialect() const { return m_dialect; }

    // Connects (and for SQLite creates the file and switches it to WAL). Safe to call again after a failure.
    Status open();
    void close();
    bool isOpen() const { return m_open; }
    // What another thread uses to stop this connection's statement (it may be taken before the connection opens).
    std::shared_ptr<StatementCanceller> canceller() const { return m_canceller; }
    // Cheap check that the database answers; reconnects when the connection was lost.
    Status ping();
    // False for text this database cannot hold, so that no stored value can equal it: PostgreSQL refuses NUL in
    // text. A lookup by such an id finds nothing (and must not be sent, or it fails as an error).
    bool canHold(QStringView text) const { return !(m_dialect.isPostgres() && text.contains(QChar(u'\0'))); }
    // How long a statement on this connection waits for a lock held by another connection or process before it
    // fails as StorageUnavailable (SQLite's busy timeout, PostgreSQL's lock_timeout), from now on and after every
    // reconnection. The event loop's connection waits briefly, so that one locked row or table cannot stall every
    // request.
    void setLockWaitMs(int ms);
    static constexpr int defaultLockWaitMs = 5000;
    // PostgreSQL's statement_timeout for every statement of this connection.
    static constexpr int statementTimeoutMs = 30000;

    // Prepares (once per SQL text) and executes a statement with positional bound values.
    Result<SqlStatement> exec(const QString &sql, const QVariantList &binds = {});
    // The same for a statement whose result is read to the end at once (tens of thousands of rows): PostgreSQL
    // hands over the rows in one piece instead of one message per row (Qt's driver reads forward-only queries row by
    // row), about twice as fast. On SQLite the same as exec().
    Result<SqlStatement> execBulk(const QString &sql, const QVariantList &binds = {});
    // A query of its own (not from the statement cache), executed and scrollable, for a QSqlQueryModel to fetch
    // from. Reconnects and retries once like run().
    Result<QSqlQuery> query(const QString &sql, const QVariantList &binds = {});
    // Runs `sql`, which has "%1" where the placeholders of an IN list go, over `ids` in sorted chunks of at most
    // `chunk` (so that writers in several processes lock rows in the same order and cannot deadlock), and hands each
    // result row to `row`.
    Status selectByIds(const QString &sql, QStringList ids, const std::function<void(const SqlStatement &)> &row,
                       qsizetype chunk = 200);
    // Runs DDL or other unprepared SQL.
    Status execRaw(const QString &sql);
    // After next() returned false on a statement read row by row: whether all its rows came, or why not (an
    // interrupted statement, an error the database found only at a later row, a lost connection).
    Status rowsComplete(const SqlStatement &statement);

    enum class Mode { Read, Write };
    // Runs fn inside one transaction (Write: the row lock discipline of SqlDialect). Commits when fn succeeds, rolls
    // back otherwise. When the connection was lost, reconnects and runs fn once more.
    template <typename T> Result<T> transaction(Mode mode, const std::function<Result<T>()> &fn);
    // Runs fn outside an explicit transaction, with the same reconnect-and-retry-once behaviour.
    template <typename T> Result<T> run(const std::function<Result<T>()> &fn);

    // Changes whenever the data may have changed, in this process or in another one; std::nullopt when it cannot be
    // told cheaply. Lets read caches stay exact.
    std::optional<QByteArray> changeStamp();
    // The same, with one more aggregate over provider_api_keys computed in the same pass where that is how the stamp
    // is taken (PostgreSQL); *extra stays null where it is not (SQLite).
    std::optional<QByteArray> changeStamp(const QString &extraAggregate, const QVariantList &binds, QVariant *extra);
    // Called after this connection committed a write.
    void noteLocalWrite() { ++m_localWrites; }

    // PostgreSQL's notifications, for caches that another process may make stale. `onNotify` runs in this
    // connection's thread, from its event loop, whenever a transaction that called notify(channel) commits (in any
    // process, this one too), and after every reconnection (what was sent meanwhile is lost). While listening, the
    // rows a caller leaves unread are read when its SqlStatement is released: Qt's driver reads a result row by
    // row, and libpq does not take a notification off the socket while a result is still open, so it would wait for
    // the connection's next statement. SQLite has no notifications: false, and nothing is called.
    bool listen(const QString &channel, std::function<void()> onNotify);
    void stopListening(const QString &channel);
    // Whether notifications of `channel` reach this connection now (listened to, connected and subscribed).
    bool isListening(const QString &channel) const;
    // The channel on which every change of a key or of the learning policy is told (PostgreSQL), so that windows and
    // servers of other processes on the same database refresh at once; changes a gateway writes itself are not.
    static QString changesChannel() { return QStringLiteral("aether_console_changes"); }
    // Tells the listeners of `channel` once the caller's transaction commits (nothing if it rolls back); nothing on
    // SQLite.
    Status notify(const QString &channel);
    // SQLite: after how many WAL pages a commit copies the log back into the database (SQLite's default is 1000).
    // A process whose WalCheckpointer does that work raises it, so requests seldom pay for it.
    void setAutoCheckpointPages(int pages);
    // SQLite: the page cache of this connection in KiB (SQLite's default is 2,000). Larger lets sorts of many rows
    // stay in memory.
    void setCacheKibibytes(int kib);
    // Prepared statements kept per connection (statements with many variants, such as multi-row upserts of 1 to 50
    // rows, would otherwise pile up, on a PostgreSQL server too).
    static constexpr qsizetype maxCachedStatements = 256;
    qsizetype cachedStatementCount() const { return m_statements.size(); }

private:
    Result<SqlStatement> execStatement(const QString &sql, const QVariantList &binds, bool forwardOnly);
    // The connection's parameters; for SQLite, the file's folder is created.
    Status configure(QSqlDatabase &db) const;
    // Time zone, date style and timeouts (PostgreSQL) or journal, synchronous mode and cache (SQLite) of a new
    // connection; a failure closes it.
    Status runSessionSetup(QSqlDatabase &db);
    Status execControl(const QString &sql);
    // After a connection opened (or a channel was added): subscribes to the listened channels not subscribed yet and
    // tells their listeners that notifications may have been missed.
    void subscribeListeners(QSqlDatabase &db);
    // SQLite: replaces the driver's busy timeout with onSqliteBusy (false when the driver's handle is not SQLite's).
    bool installBusyHandler(QSqlDatabase &db);
    static int onSqliteBusy(void *database, int attempts);
    Status beginTransaction(Mode mode);
    Status commit();
    void rollback();
    Error classify(const QSqlError &error);
    bool shouldRetry(const Error &error);

    DatabaseLocation m_location;
    SqlDialect m_dialect;
    QString m_connectionName;
    bool m_open = false;
    bool m_lost = false;
    QElapsedTimer m_lastFailedConnect;
    QString m_lastConnectError; // the driver's reason of the last failed attempt
    // The prepared statements by SQL text, at most maxCachedStatements (each is also a prepared statement on a
    // PostgreSQL server); the least recently used one that no SqlStatement uses is dropped first.
    struct CachedStatement {
        explicit CachedStatement(const QSqlDatabase &db)
            : query(db)
        {
        }
        QSqlQuery query;
        quint64 lastUse = 0;
        int readers = 0; // SqlStatements that use it now
    };
    QHash<QString, CachedStatement *> m_statements;
    quint64 m_statementUses = 0;
    void dropLeastRecentStatement(const CachedStatement *keep);
    quint64 m_localWrites = 0;
    QHash<QString, std::function<void()>> m_listeners;
    QSet<QString> m_subscribed;
    const QObject *m_notifyingDriver = nullptr; // whose notification signal is connected
    quint64 m_execs = 0;                        // statements run on this connection so far
    // PostgreSQL: the snapshot (txid_current_snapshot) under which m_pgStamp was taken.
    QByteArray m_pgSnapshot;
    QByteArray m_pgStamp;
    int m_lockWaitMs = defaultLockWaitMs;
    bool m_busyHandler = false;
    bool m_inWriteTransaction = false;
    QElapsedTimer m_busySince;
    int m_autoCheckpointPages = 1000;
    int m_cacheKibibytes = 2000;
    std::shared_ptr<StatementCanceller> m_canceller = std::make_shared<StatementCanceller>();
};

template <typename T> Result<T> Database::run(const std::function<Result<T>()> &fn)
{
    for (int attempt = 0;; ++attempt) {
        if (!m_open || m_lost) {
            const Status opened = open();
            if (!opened)
                return opened.error();
        }
        Result<T> result = fn();
        if (result)
            return result;
        const bool retry = shouldRetry(result.error());
        if (retry && attempt == 0)
            continue;
        if (m_lost) { // the statement failed because the connection went away
            Error lost = result.error();
            lost.code = ErrorCode::StorageUnavailable;
            lost.reason.clear();
            return lost;
        }
        return result;
    }
}

template <typename T> Result<T> Database::transaction(Mode mode, const std::function<Result<T>()> &fn)
{
    return run<T>([&]() -> Result<T> {
        const Status begun = beginTransaction(mode);
        if (!begun)
            return begun.error();
        Result<T> result = fn();
        if (!result) {
            rollback();
            return result;
        }
        const Status committed = commit();
        if (!committed)
            return committed.error();
        if (mode == Mode::Write)
            noteLocalWrite();
        return result;
    });
}

} // namespace aether
