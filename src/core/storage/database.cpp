#include "storage/database.h"

#include <algorithm>

#include <QAtomicInteger>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcDatabase, "aether.database")

namespace aether {

namespace {

QString nextConnectionName()
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("aether-console-%1").arg(counter.fetchAndAddRelaxed(1));
}

// How long a failed reconnect keeps later requests from trying again, so an outage costs each request little.
constexpr int reconnectBackoffMs = 500;

// How often a connection waiting for SQLite's lock tries again (see Database::onSqliteBusy).
constexpr unsigned long busyRetryMicroseconds = 1000;

} // namespace

QString sqlPlaceholders(qsizetype count, const QString &one)
{
    QStringList marks;
    for (qsizetype i = 0; i < count; ++i)
        marks << one;
    return marks.join(u',');
}

Database::Database(DatabaseLocation location)
    : m_location(std::move(location))
    , m_dialect(m_location.kind)
    , m_connectionName(nextConnectionName())
{
}

Database::~Database()
{
    close();
    QSqlDatabase::removeDatabase(m_connectionName);
}

void StatementCanceller::cancel(Database *via)
{
    QMutexLocker lock(&m_mutex);
    if (m_sqlite)
        sqlite3_interrupt(static_cast<sqlite3 *>(m_sqlite)); // safe from any thread while the connection is open
    if (m_pgBackend != 0 && via) {
        const qint64 backend = m_pgBackend;
        lock.unlock();
        via->run<Done>([&]() -> Status {
            Result<SqlStatement> st = via->exec(QStringLiteral("SELECT pg_cancel_backend(?)"), {backend});
            return st ? Status(Done{}) : Status(st.error());
        });
    }
}

void Database::close()
{
    {
        QMutexLocker lock(&m_canceller->m_mutex);
        m_canceller->m_sqlite = nullptr;
        m_canceller->m_pgBackend = 0;
    }
    qDeleteAll(m_statements);
    m_statements.clear();
    if (QSqlDatabase::contains(m_connectionName)) {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        db.close();
    }
    m_subscribed.clear(); // a new connection subscribes again
    m_open = false;
}

namespace {

QString sqliteSynchronous()
{
    return qEnvironmentVariable("AETHER_CONSOLE_SQLITE_SYNCHRONOUS").compare(u"NORMAL", Qt::CaseInsensitive) == 0
               ? QStringLiteral("NORMAL")
               : QStringLiteral("FULL");
}

} // namespace

Status Database::open()
{
    if (m_lastFailedConnect.isValid() && m_lastFailedConnect.elapsed() < reconnectBackoffMs)
        return m_lastConnectError.isEmpty()
                   ? Error::unavailable({}).told(
                         QT_TRANSLATE_NOOP("Error", "the database is unavailable; waiting before connecting again"))
                   : Error::unavailable({}).told(QT_TRANSLATE_NOOP("Error", "%1 (waiting before connecting again)"),
                                                 {Error::quoted(m_lastConnectError)});
    close();
    // Any return before the end is a failed attempt, which holds further attempts back for a moment.
    m_lastFailedConnect.start();
    m_lastConnectError.clear();

    const bool postgres = m_dialect.isPostgres();
    const QString driver = postgres ? QStringLiteral("QPSQL") : QStringLiteral("QSQLITE");
    if (!QSqlDatabase::isDriverAvailable(driver))
        return Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "the Qt SQL driver %1 is not installed"), {driver});
    QSqlDatabase db = QSqlDatabase::contains(m_connectionName) ? QSqlDatabase::database(m_connectionName, false)
                                                               : QSqlDatabase::addDatabase(driver, m_connectionName);
    if (const Status configured = configure(db); !configured)
        return configured;
    if (!db.open()) {
        m_lost = true;
        m_lastConnectError = db.lastError().text().trimmed();
        return Error::unavailable(m_lastConnectError);
    }
    m_open = true;
    m_lost = false;
    m_busyHandler = !postgres && installBusyHandler(db);
    if (const Status ready = runSessionSetup(db); !ready)
        return ready;
    m_lastFailedConnect.invalidate();
    {
        QMutexLocker lock(&m_canceller->m_mutex);
        if (postgres) {
            QSqlQuery pid(db);
            m_canceller->m_pgBackend =
                pid.exec(QStringLiteral("SELECT pg_backend_pid()")) && pid.next() ? pid.value(0).toLongLong() : 0;
        } else {
            const QVariant handle = db.driver()->handle();
            if (qstrcmp(handle.typeName(), "sqlite3*") == 0)
                m_canceller->m_sqlite = *static_cast<sqlite3 *const *>(handle.constData());
        }
    }
    subscribeListeners(db);
    return Done{};
}

bool Database::listen(const QString &channel, std::function<void()> onNotify)
{
    if (!m_dialect.isPostgres())
        return false;
    m_listeners.insert(channel, std::move(onNotify));
    if (m_open && !m_lost) {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        subscribeListeners(db);
    }
    return true;
}

void Database::stopListening(const QString &channel)
{
    m_listeners.remove(channel);
    if (m_subscribed.remove(channel) && m_open && !m_lost)
        QSqlDatabase::database(m_connectionName, false).driver()->unsubscribeFromNotification(channel);
}

bool Database::isListening(const QString &channel) const
{
    return m_open && !m_lost && m_subscribed.contains(channel);
}

Status Database::notify(const QString &channel)
{
    if (!m_dialect.isPostgres())
        return Done{};
    Result<SqlStatement> st = exec(QStringLiteral("SELECT pg_notify(?, '')"), {channel});
    return st ? Status(Done{}) : Status(st.error());
}

void Database::subscribeListeners(QSqlDatabase &db)
{
    if (m_listeners.isEmpty())
        return;
    QSqlDriver *driver = db.driver();
    if (driver != m_notifyingDriver) { // the driver lives as long as the connection's name: connected once
        QObject::connect(driver, &QSqlDriver::notification, driver,
                         [this](const QString &name, QSqlDriver::NotificationSource, const QVariant &) {
                             // A copy: the listener may stop listening.
                             if (const std::function<void()> listener = m_listeners.value(name))
                                 listener();
                         });
        m_notifyingDriver = driver;
    }
    // Qt's driver keeps the subscriptions of a connection the server dropped (it cleans up only a connection that
    // is still up): they are renewed, not refused as already there.
    const QStringList stale = driver->subscribedToNotifications();
    const QStringList channels = m_listeners.keys();
    for (const QString &channel : channels) {
        if (m_subscribed.contains(channel))
            continue;
        if (stale.contains(channel))
            driver->unsubscribeFromNotification(channel);
        if (driver->subscribeToNotification(channel)) {
            m_subscribed.insert(channel);
        } else {
            qCWarning(lcDatabase, "cannot listen to notifications on %s: %s", qPrintable(channel),
                      qPrintable(driver->lastError().text()));
        }
        // Whatever was sent before (while disconnected, or before this connection existed) did not arrive here.
        if (const std::function<void()> listener = m_listeners.value(channel))
            listener();
    }
}

Status Database::configure(QSqlDatabase &db) const
{
    if (m_dialect.isPostgres()) {
        db.setHostName(m_location.host);
        db.setPort(m_location.port);
        db.setUserName(m_location.user);
        db.setPassword(m_location.password);
        db.setDatabaseName(m_location.databaseName);
        db.setConnectOptions(m_location.options);
        return Done{};
    }
    if (m_location.path != u":memory:") {
        const QFileInfo file(m_location.path);
        if (!QDir().mkpath(file.absolutePath()))
            return Error::unavailable({}).told(QT_TRANSLATE_NOOP("Error", "cannot create the folder %1"),
                                               {file.absolutePath()});
    }
    db.setDatabaseName(m_location.path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(m_lockWaitMs));
    return Done{};
}

Status Database::runSessionSetup(QSqlDatabase &db)
{
    const bool postgres = m_dialect.isPostgres();
    const QStringList setup =
        // Timestamps are read as text: UTC and ISO 8601 whatever the server's defaults are.
        // Lock waits and statements are bounded, so that a lock held elsewhere answers 503 instead of stalling.
        postgres ? QStringList{QStringLiteral("SET TIME ZONE 'UTC'"), QStringLiteral("SET DateStyle TO ISO, YMD"),
                               QStringLiteral("SET lock_timeout = %1").arg(m_lockWaitMs),
                               QStringLiteral("SET statement_timeout = %1").arg(statementTimeoutMs)}
                 // synchronous=FULL: a commit that was acknowledged survives a power loss, not only a crash.
                 // AETHER_CONSOLE_SQLITE_SYNCHRONOUS=NORMAL trades that for speed (a crash still loses nothing).
                 : QStringList{QStringLiteral("PRAGMA journal_mode=WAL"),
                               QStringLiteral("PRAGMA synchronous=%1").arg(sqliteSynchronous()),
                               QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(m_autoCheckpointPages),
                               QStringLiteral("PRAGMA foreign_keys=ON"),
                               QStringLiteral("PRAGMA cache_size=-%1").arg(m_cacheKibibytes),
                               QStringLiteral("SELECT count(*) FROM sqlite_master")};
    for (const QString &sql : setup) {
        QSqlQuery query(db);
        if (query.exec(sql))
            continue;
        const QSqlError error = query.lastError();
        close();
        m_lost = true;
        if (!postgres && error.nativeErrorCode() == u"26")
            return Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "%1 is not an SQLite database"),
                                           {m_location.path});
        // SQLite: a damaged file is broken, not unavailable (retrying would not help); PostgreSQL: any failure here
        // is the connection's.
        return postgres ? Error::unavailable(error.text()) : classify(error);
    }
    return Done{};
}

bool Database::installBusyHandler(QSqlDatabase &db)
{
    const QVariant handle = db.driver()->handle();
    if (qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return false;
    sqlite3 *connection = *static_cast<sqlite3 *const *>(handle.constData());
    return connection && sqlite3_busy_handler(connection, &Database::onSqliteBusy, this) == SQLITE_OK;
}

// SQLite's own busy timeout sleeps up to 100 ms between attempts. Against another process that writes transaction
// after transaction, such a waiter seldom meets the short gaps between them and can wait out its whole timeout
// (observed with two servers writing one key). Trying every millisecond lets it in at the next gap.
// Only writers wait for another program's lock; a reader (WAL mode) waits only while a writer updates the WAL index,
// so reads keep the default wait even on a connection whose writes wait briefly.
int Database::onSqliteBusy(void *database, int attempts)
{
    auto *self = static_cast<Database *>(database);
    if (attempts == 0)
        self->m_busySince.start();
    const int limitMs =
        self->m_inWriteTransaction ? self->m_lockWaitMs : std::max(self->m_lockWaitMs, defaultLockWaitMs);
    if (self->m_busySince.elapsed() >= limitMs)
        return 0;
    QThread::usleep(busyRetryMicroseconds);
    return 1;
}

void Database::setLockWaitMs(int ms)
{
    m_lockWaitMs = ms;
    if (m_open && !m_busyHandler)
        execRaw(m_dialect.isPostgres() ? QStringLiteral("SET lock_timeout = %1").arg(ms)
                                       : QStringLiteral("PRAGMA busy_timeout = %1").arg(ms));
}

Status Database::ping()
{
    return run<Done>([this]() -> Status {
        Result<SqlStatement> st = exec(QStringLiteral("SELECT 1"));
        if (!st)
            return st.error();
        return Done{};
    });
}

Status Database::rowsComplete(const SqlStatement &statement)
{
    const QSqlError error = statement.error();
    if (error.type() == QSqlError::NoError)
        return Done{};
    return classify(error);
}

Error Database::classify(const QSqlError &error)
{
    const QString text = error.text();
    if (m_dialect.isPostgres()) {
        if (error.type() == QSqlError::ConnectionError)
            return Error::unavailable(text);
        // A lock that was not granted in time (55P03) or a statement cancelled by its timeout (57014): try again.
        const QString code = error.nativeErrorCode();
        if (code == u"55P03" || code == u"57014")
            return Error::unavailable(text);
        // A statement error may be a lost connection; run() checks with a fresh query once the transaction is over.
        return Error::failure(text);
    }
    // SQLite: the result code decides (Qt reports a failed step as a "connection error" whatever its cause).
    const QString code = error.nativeErrorCode();
    const auto is = [&code](const char *candidate) {
        return code == QLatin1StringView(candidate) || code.startsWith(QLatin1StringView(candidate) + u' ');
    };
    // What is broken, for /healthz and the log: SQLITE_FULL, SQLITE_CORRUPT / SQLITE_NOTADB, SQLITE_READONLY.
    Error failure = Error::failure(text);
    if (is("13"))
        failure.reason = reason::diskFull;
    else if (is("11") || is("26"))
        failure.reason = reason::corrupt;
    else if (is("8"))
        failure.reason = reason::readOnly;
    if (!failure.reason.isEmpty())
        return failure;
    // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN: the file cannot be used right now.
    if (is("5") || is("6") || is("10") || is("14") || error.type() == QSqlError::ConnectionError)
        return Error::unavailable(text);
    return failure;
}

bool Database::shouldRetry(const Error &error)
{
    if (!m_open)
        return false;
    if (error.code == ErrorCode::StorageUnavailable && m_lost)
        return true;
    if (error.code != ErrorCode::StorageFailure || !m_dialect.isPostgres())
        return false;
    // Was it the connection? Ask the server with a statement of its own, outside any transaction.
    QSqlQuery probe(QSqlDatabase::database(m_connectionName, false));
    ++m_execs;
    if (probe.exec(QStringLiteral("SELECT 1")))
        return false;
    qCWarning(lcDatabase) << "database connection lost:" << error.detail;
    m_lost = true;
    return true;
}

Result<SqlStatement> Database::exec(const QString &sql, const QVariantList &binds)
{
    return execStatement(sql, binds, true);
}

Result<SqlStatement> Database::execBulk(const QString &sql, const QVariantList &binds)
{
    return execStatement(sql, binds, !m_dialect.isPostgres());
}

Result<SqlStatement> Database::execStatement(const QString &sql, const QVariantList &binds, bool forwardOnly)
{
    if (!m_open)
        return Error::unavailable({}).told(QT_TRANSLATE_NOOP("Error", "the database is not open"));
    // A statement is cached per SQL text and way of reading (the bulk one is the same text with a mark).
    const QString cacheKey = forwardOnly ? sql : QStringLiteral("bulk:") + sql;
    CachedStatement *cached = m_statements.value(cacheKey);
    if (!cached) {
        auto fresh = std::make_unique<CachedStatement>(QSqlDatabase::database(m_connectionName, false));
        fresh->query.setForwardOnly(forwardOnly);
        if (!fresh->query.prepare(sql))
            return classify(fresh->query.lastError());
        cached = fresh.release();
        m_statements.insert(cacheKey, cached);
        if (m_statements.size() > maxCachedStatements)
            dropLeastRecentStatement(cached);
    }
    cached->lastUse = ++m_statementUses;
    QSqlQuery *query = &cached->query;
    for (int i = 0; i < binds.size(); ++i)
        query->bindValue(i, binds.at(i));
    ++m_execs;
    if (!query->exec()) {
        const Error error = classify(query->lastError());
        query->finish();
        return error;
    }
    return SqlStatement(query, &cached->readers, forwardOnly && !m_subscribed.isEmpty() ? &m_execs : nullptr);
}

void Database::dropLeastRecentStatement(const CachedStatement *keep)
{
    // A statement that a caller still reads stays; the cache may then hold a few more for a while.
    auto oldest = m_statements.end();
    for (auto it = m_statements.begin(); it != m_statements.end(); ++it) {
        const CachedStatement *cached = it.value();
        if (cached != keep && cached->readers == 0 &&
            (oldest == m_statements.end() || cached->lastUse < oldest.value()->lastUse))
            oldest = it;
    }
    if (oldest == m_statements.end())
        return;
    delete oldest.value();
    m_statements.erase(oldest);
}

Result<QSqlQuery> Database::query(const QString &sql, const QVariantList &binds)
{
    return run<QSqlQuery>([&]() -> Result<QSqlQuery> {
        QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
        if (!query.prepare(sql))
            return classify(query.lastError());
        for (int i = 0; i < binds.size(); ++i)
            query.bindValue(i, binds.at(i));
        ++m_execs;
        if (!query.exec())
            return classify(query.lastError());
        return query;
    });
}

Status Database::selectByIds(const QString &sql, QStringList ids, const std::function<void(const SqlStatement &)> &row,
                             qsizetype chunk)
{
    // An id the database cannot hold matches no row (and PostgreSQL would fail the whole statement on it).
    ids.removeIf([this](const QString &id) { return !canHold(id); });
    std::sort(ids.begin(), ids.end());
    for (qsizetype start = 0; start < ids.size(); start += chunk) {
        const qsizetype count = qMin(chunk, ids.size() - start);
        QVariantList binds;
        binds.reserve(count);
        for (qsizetype i = start; i < start + count; ++i)
            binds << ids.at(i);
        Result<SqlStatement> st = exec(sql.arg(sqlPlaceholders(count)), binds);
        if (!st)
            return st.error();
        while (st.value().next())
            row(st.value());
    }
    return Done{};
}

Status Database::execRaw(const QString &sql)
{
    if (!m_open)
        return Error::unavailable({}).told(QT_TRANSLATE_NOOP("Error", "the database is not open"));
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    ++m_execs;
    if (!query.exec(sql))
        return classify(query.lastError());
    return Done{};
}

Status Database::execControl(const QString &sql)
{
    // SQLite prepares transaction control like any statement, so the cached statement saves a parse each time;
    // PostgreSQL cannot prepare it.
    if (m_dialect.isPostgres())
        return execRaw(sql);
    Result<SqlStatement> st = exec(sql);
    if (!st)
        return st.error();
    return Done{};
}

Status Database::beginTransaction(Mode mode)
{
    m_inWriteTransaction = mode == Mode::Write;
    return execControl(mode == Mode::Write ? m_dialect.beginWrite() : QStringLiteral("BEGIN"));
}

Status Database::commit()
{
    const Status status = execControl(QStringLiteral("COMMIT"));
    if (!status)
        rollback();
    m_inWriteTransaction = false;
    return status;
}

void Database::rollback()
{
    m_inWriteTransaction = false;
    if (!m_open)
        return;
    execControl(QStringLiteral("ROLLBACK"));
}

void Database::setAutoCheckpointPages(int pages)
{
    m_autoCheckpointPages = pages;
    if (m_open && !m_dialect.isPostgres())
        execRaw(QStringLiteral("PRAGMA wal_autocheckpoint=%1").arg(pages));
}

void Database::setCacheKibibytes(int kib)
{
    m_cacheKibibytes = kib;
    if (m_open && !m_dialect.isPostgres())
        execRaw(QStringLiteral("PRAGMA cache_size=-%1").arg(kib));
}

std::optional<QByteArray> Database::changeStamp()
{
    return changeStamp(QString(), {}, nullptr);
}

std::optional<QByteArray> Database::changeStamp(const QString &extraAggregate, const QVariantList &binds,
                                                QVariant *extra)
{
    if (extra)
        *extra = QVariant();
    if (!m_open || m_lost)
        return std::nullopt;
    const QByteArray local = '/' + QByteArray::number(m_localWrites);
    // SQLite: data_version moves when another connection (or process) commits; our own commits are counted here.
    if (!m_dialect.isPostgres()) {
        Result<SqlStatement> st = exec(QStringLiteral("PRAGMA data_version"));
        if (!st || !st.value().next())
            return std::nullopt;
        return st.value().value(0).toByteArray() + local;
    }
    // PostgreSQL: every new row version carries a newer xmin, so the count and sum of xmin change with any insert,
    // update or delete of provider_api_keys; reading them costs a scan of the table (~100 ms at 100,000 keys). When
    // no transaction has begun or ended anywhere since they were read (the same snapshot: the same next transaction
    // id and the same ones in progress), nothing can have changed, and an idle window's checks cost next to nothing.
    Result<SqlStatement> snapshot = exec(QStringLiteral("SELECT CAST(txid_current_snapshot() AS text)"));
    if (!snapshot || !snapshot.value().next())
        return std::nullopt;
    const QByteArray now = snapshot.value().value(0).toByteArray();
    if (now == m_pgSnapshot && !m_pgStamp.isEmpty())
        return m_pgStamp + local;
    const bool withExtra = extra && !extraAggregate.isEmpty();
    Result<SqlStatement> st =
        exec(QStringLiteral("SELECT count(*), coalesce(sum(CAST(CAST(xmin AS text) AS bigint)), 0)%1 "
                            "FROM provider_api_keys")
                 .arg(withExtra ? QStringLiteral(", ") + extraAggregate : QString()),
             withExtra ? binds : QVariantList());
    if (!st || !st.value().next())
        return std::nullopt;
    m_pgSnapshot = now;
    m_pgStamp = st.value().value(0).toByteArray() + ':' + st.value().value(1).toByteArray();
    if (withExtra)
        *extra = st.value().value(2);
    return m_pgStamp + local;
}

} // namespace aether
