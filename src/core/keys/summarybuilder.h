#pragma once

#include "base/error.h"
#include "keys/keytypes.h"
#include "storage/database.h"
#include "storage/rowversion.h"

#include <QElapsedTimer>
#include <QHash>
#include <QSet>

#include <functional>
#include <optional>
#include <vector>

namespace aether {

// Computes the original service's summary over adaptive keys. Reading and parsing 10,000 histories on every call would
// cost far more than the answer is worth, so up to digestLimit adaptive keys in a scope it keeps a digest (length and
// last records) of each key's history, tagged with the row's version, and re-reads only the histories whose version
// changed. Versions: PostgreSQL's xmin (every row update gets a new one, also for a gateway's own tables); on the
// console's SQLite tables a revision column that triggers renew on every change. Without a version (SQLite tables made
// by other software) every history is read.
// Above digestLimit keys (a gateway of a million keys) nothing is kept per key: each summary is one pass over the
// scope's adaptive keys read row by row, which sums the totals and keeps only the ten newest records seen so far, so
// that its memory does not grow with the number of keys. The digests come from what the database keeps (SQLite:
// console_history_tail; PostgreSQL: console_history_digests, brought up to date first) or from its JSON functions.
class SummaryBuilder {
public:
    static constexpr int recentPerKey = 3;
    static constexpr int recentRecords = 10;
    // The most adaptive keys in a scope whose digests are kept between summaries (~600 bytes each).
    static constexpr qsizetype defaultDigestLimit = 50000;
    // Tests and benchmarks: the limit of builders made from now on (0: every summary is one pass, nothing kept).
    static void setDigestLimitOfNewBuilders(qsizetype keys);

    using MalformedReporter = std::function<void(const QString &keyId)>;

    SummaryBuilder(Database &db, RowVersion &versions, MalformedReporter reportMalformed);

    // Call inside Database::run(). The original's summary covers every adaptive key; a scope narrows it to a
    // provider's or an endpoint's keys (the window's Summary page).
    Result<Summary> build(const SummaryScope &scope = {});

private:
    // What the summary needs of one history, kept small (up to digestLimit keys): its length and the timestamps and
    // positions of its last records that are JSON objects. The few records shown are read again at the end.
    struct TailEntry {
        QString timestamp;
        int index = 0;
    };
    struct Digest {
        QByteArray version;
        int length = 0;
        QList<TailEntry> tail; // stored order
    };

    struct Row {
        QString id;
        qint64 order = 0; // SQLite: the rowid; PostgreSQL: 0 (the ids order the keys)
    };
    // Makes a digest of a row that holds one (false: none kept for this version, or the console must read the history).
    using KeptDecoder = std::function<bool(const SqlStatement &row, const QByteArray &version, Digest *d)>;

    // One of the records that may be shown, with what orders it: the original sorts all keys' last records by
    // timestamp, newest first, and its stable sort keeps the keys' order (here: SQLite's rowid, PostgreSQL's id), then
    // each history's order, among equal timestamps.
    struct Newest {
        QString timestamp;
        qint64 keyOrder = 0;
        int index = 0; // position in the key's history
        QString keyId;
    };
    // The `recentRecords` newest of the records offered, newest first; a record costs a copy only when it is among
    // them.
    class NewestRecords {
    public:
        void offer(const QString &timestamp, qint64 keyOrder, int index, const QString &keyId);
        const std::vector<Newest> &records() const { return m_records; }

    private:
        std::vector<Newest> m_records;
    };

    // What one pass over the scope's adaptive keys yields; `kept` holds their digests until there are more than the
    // limit.
    struct Pass {
        Summary summary;
        NewestRecords newest;
        qint64 keys = 0;
        bool keeping = false;
        QHash<QString, Digest> kept;
    };
    // Where a pass's query has what it needs: column 0 is the key's id; `order` is SQLite's rowid (-1: none, the ids
    // order the keys); `odd` has the history itself where `decode` makes no digest (not an array, no digest kept).
    struct PassColumns {
        int concurrent429 = 1;
        int rpm429 = 2;
        int version = 3;
        int order = -1;
        int odd = -1;
    };

    // The condition that selects the scope's adaptive keys, and their number.
    struct KeyScan {
        QString scope; // " AND …" narrowing to the scope's keys
        QString where;
        QVariantList binds;
        qsizetype keys = 0;
    };

    // The condition (" AND …") that narrows to a scope's keys.
    static QString scopeCondition(const SummaryScope &scope, QVariantList *binds);
    // The scope's fixed keys; fixedKeys: their number when it came with the change stamp.
    Status countFixedKeys(const QVariant &fixedKeys, const KeyScan &scan, Summary *summary);
    // The adaptive keys with their 429 totals added to *summary, and those whose digest is stale; *tooMany (and
    // nothing more read) when there are more than the limit.
    Status readKeys(const QString &versionExpr, QList<Row> *rows, QStringList *stale, Summary *summary, KeyScan *scan,
                    bool *tooMany);
    // One pass over the scope's adaptive keys, nothing kept per key beyond the limit (see the class comment).
    Result<Pass> pass(const QString &versionExpr, const KeyScan &scan);
    // Runs a pass's statement; on PostgreSQL in a transaction of its own with a statement timeout long enough for
    // millions of keys.
    Status withPassTimeout(const std::function<Status()> &statement);
    // Reads the rows of one pass's query into *pass.
    Status passRows(const QString &sql, const QVariantList &binds, const PassColumns &columns,
                    const KeptDecoder &decode, Pass *pass);
    // The console's SQLite tables keep each history's last records in console_history_tail (see Migrations).
    bool hasKeptTail();
    // On PostgreSQL the digests are kept between processes in console_history_digests (Migrations version 5).
    bool hasDigestTable();
    // readKeys() from kept digests: `query` yields per adaptive key its id, 429 counts, version and storage
    // order, then what `decode` makes a digest of (false: none kept for this version, or the console must read it).
    Status readKeptKeys(const QString &query, const KeptDecoder &decode, bool versioned, QList<Row> *rows,
                        QStringList *stale, Summary *summary, KeyScan *scan, bool *tooMany);
    // A tail kept on SQLite ([type, timestamp] of the last three records, see sqliteHistoryTail) as a digest.
    static bool keptTail(const QByteArray &version, int length, const QVariant &tail, Digest *d);
    // A digest kept on PostgreSQL: the length (NULL: not an array) at `column`, the third-last, second-last and last
    // record's timestamps after it.
    static bool keptColumns(const SqlStatement &row, int column, const QByteArray &version, Digest *d);
    // Has PostgreSQL digest the histories of the keys matching `where` whose kept digest is missing or stale, keep
    // them in console_history_digests and, given `slow` and `done`, hand them back. Histories that are not arrays go to
    // *slow; keys it did not hand back (changed meanwhile, deleted) are missing from *done.
    Status keepDigests(const QString &version, const QString &where, const QVariantList &binds, QStringList *slow,
                       QSet<QString> *done);
    // Renews the digests of these keys with the database's JSON functions (no kept digests).
    Status computeDigests(const QString &version, const QStringList &ids, const KeyScan &scan);
    // Clears kept digests of keys that were deleted or left adaptive mode (now and then, after a summary of all keys).
    void clearGoneDigests(qsizetype adaptiveKeys);
    // Drops the digests of keys that were deleted or left adaptive mode (after a summary of every key).
    void forgetGoneKeys(const QList<Row> &rows);
    // The newest `recentRecords` records over all digests, newest first; adds the history lengths to *summary.
    std::vector<Newest> newestRecords(const QList<Row> &rows, Summary *summary) const;
    // Reads the winning records again and appends them to summary->recentAdjustments.
    Status addRecords(const std::vector<Newest> &winners, Summary *summary);
    // The digest in one row of a digest query; false when the history is not an array (the console reads it).
    static bool digestOfRow(const SqlStatement &row, Digest *d);
    // Stores the digest of one row of a digest query; false when the history is not an array (to be read by refresh()).
    bool storeDigest(const SqlStatement &row);
    // Renews the digests of these keys from digests the database computes (histories that are not arrays are read and
    // parsed by refresh()).
    Status refreshDigests(const QString &versionExpr, const QStringList &ids, const KeyScan &scan);
    // Reads the histories of these keys and renews their digests.
    Status refresh(const QString &version, const QStringList &ids);
    Digest digest(const QByteArray &version, const QString &keyId, const QVariant &history, QJsonArray *array);

    Database &m_db;
    RowVersion &m_versions;
    qsizetype m_digestLimit;
    MalformedReporter m_reportMalformed;
    QHash<QString, Digest> m_digests;
    std::optional<QByteArray> m_stamp;
    std::optional<bool> m_keptTail;
    std::optional<bool> m_digestTable;
    QElapsedTimer m_sinceDigestCleanup;
    SummaryScope m_lastScope;
    Summary m_last;
};

} // namespace aether
