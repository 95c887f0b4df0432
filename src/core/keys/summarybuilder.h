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
// cost far more than the answer is worth, so it keeps a digest (length and last records) of each key's history, tagged
// with the row's version, and re-reads only the histories whose version changed. Versions: PostgreSQL's xmin (every row
// update gets a new one, also for a gateway's own tables); on the console's SQLite tables a revision column that
// triggers renew on every change. Without a version (SQLite tables made by other software) every history is read.
class SummaryBuilder {
public:
    static constexpr int recentPerKey = 3;
    static constexpr int recentRecords = 10;

    using MalformedReporter = std::function<void(const QString &keyId)>;

    SummaryBuilder(Database &db, RowVersion &versions, MalformedReporter reportMalformed);

    // Call inside Database::run(). The original's summary covers every adaptive key; a scope narrows it to a
    // provider's or an endpoint's keys (the window's Summary page).
    Result<Summary> build(const SummaryScope &scope = {});

private:
    // What the summary needs of one history, kept small (10,000 keys): its length and the timestamps and positions
    // of its last records that are JSON objects. The few records shown are read again at the end.
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
        qint64 order = 0; // SQLite: the rowid
    };
    struct Candidate {
        const QString *timestamp = nullptr;
        int order = 0; // the original's stable sort keeps key order, then stored order, among equal timestamps
        int index = 0; // position in the key's history
        const Row *row = nullptr;
    };

    // The condition that selects the scope's adaptive keys, and their number.
    struct KeyScan {
        QString scope; // " AND …" narrowing to the scope's keys
        QString where;
        QVariantList binds;
        qsizetype keys = 0;
    };

    // The adaptive keys with their 429 totals added to *summary, and those whose digest is stale.
    // The condition (" AND …") that narrows to a scope's keys.
    static QString scopeCondition(const SummaryScope &scope, QVariantList *binds);
    // fixedKeys: their number when it came with the change stamp.
    Status readKeys(const QString &versionExpr, const QVariant &fixedKeys, QList<Row> *rows, QStringList *stale,
                    Summary *summary, KeyScan *scan);
    // The console's SQLite tables keep each history's last records in console_history_tail (see Migrations).
    bool hasKeptTail();
    // On PostgreSQL the digests are kept between processes in console_history_digests (Migrations version 5).
    bool hasDigestTable();
    // readKeys() from kept digests: `query` yields per adaptive key its id, 429 counts, version and storage
    // order, then what `decode` makes a digest of (false: none kept for this version, or the console must read it).
    using KeptDecoder = std::function<bool(const SqlStatement &row, const QByteArray &version, Digest *d)>;
    Status readKeptKeys(const QString &query, const KeptDecoder &decode, bool versioned, QList<Row> *rows,
                        QStringList *stale, Summary *summary, KeyScan *scan);
    // A tail kept on SQLite ([type, timestamp] of the last three records, see sqliteHistoryTail) as a digest.
    static bool keptTail(const QByteArray &version, int length, const QVariant &tail, Digest *d);
    // A digest kept on PostgreSQL: the length (NULL: not an array) at `column`, the third-last, second-last and last
    // record's timestamps after it.
    static bool keptColumns(const SqlStatement &row, int column, const QByteArray &version, Digest *d);
    // Has PostgreSQL digest the histories of the keys matching `where` whose kept digest is missing or stale, keep
    // them in console_history_digests and hand them back. Histories that are not arrays go to *slow; keys it did not
    // hand back (changed meanwhile, deleted) are missing from *done.
    Status keepDigests(const QString &version, const QString &where, const QVariantList &binds, QStringList *slow,
                       QSet<QString> *done);
    // Renews the digests of these keys with the database's JSON functions (no kept digests).
    Status computeDigests(const QString &version, const QStringList &ids, const KeyScan &scan);
    // Clears kept digests of keys that were deleted or left adaptive mode (now and then, after a summary of all keys).
    void clearGoneDigests(qsizetype adaptiveKeys);
    // Drops the digests of keys that were deleted or left adaptive mode (after a summary of every key).
    void forgetGoneKeys(const QList<Row> &rows);
    // The newest `recentRecords` records over all digests, newest first; adds the history lengths to *summary.
    std::vector<Candidate> newestRecords(const QList<Row> &rows, Summary *summary) const;
    // Reads the winning records again and appends them to summary->recentAdjustments.
    Status addRecords(const QString &versionExpr, const std::vector<Candidate> &winners, Summary *summary);
    // Stores the digest of one row of a digest query; false when the history is not an array (to be read by refresh()).
    bool storeDigest(const SqlStatement &row);
    // Renews the digests of these keys from digests the database computes (histories that are not arrays are read and
    // parsed by refresh()).
    Status refreshDigests(const QString &versionExpr, const QStringList &ids, const KeyScan &scan);
    // Reads the histories of these keys and renews their digests; with `records` and `names`, also hands back the
    // parsed arrays and the keys' names.
    Status refresh(const QString &version, const QStringList &ids, QHash<QString, QJsonArray> *records = nullptr,
                   QHash<QString, std::optional<QString>> *names = nullptr);
    Digest digest(const QByteArray &version, const QString &keyId, const QVariant &history, QJsonArray *array);

    Database &m_db;
    RowVersion &m_versions;
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
