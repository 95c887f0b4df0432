#pragma once

#include "base/error.h"
#include "keys/keytypes.h"
#include "storage/database.h"
#include "storage/rowversion.h"

#include <QHash>

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
        std::optional<QString> name;
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
        QString where;
        QVariantList binds;
        qsizetype keys = 0;
    };

    // The adaptive keys with their 429 totals added to *summary, and those whose digest is stale.
    Status readKeys(const QString &versionExpr, const SummaryScope &scope, QList<Row> *rows, QStringList *stale,
                    Summary *summary, KeyScan *scan);
    // The console's SQLite tables keep each history's last records in console_history_tail (see Migrations).
    bool hasKeptTail();
    // readKeys() on such tables: digests from the kept tails, read from the adaptive keys' index.
    Status readKeptKeys(const QString &version, bool versioned, QList<Row> *rows, QStringList *stale, Summary *summary,
                        KeyScan *scan);
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
    // Reads the histories of these keys and renews their digests; with `records`, also hands back the parsed arrays.
    Status refresh(const QString &version, const QStringList &ids, QHash<QString, QJsonArray> *records = nullptr);
    Digest digest(const QByteArray &version, const QString &keyId, const QVariant &history, QJsonArray *array);

    Database &m_db;
    RowVersion &m_versions;
    MalformedReporter m_reportMalformed;
    QHash<QString, Digest> m_digests;
    std::optional<QByteArray> m_stamp;
    std::optional<bool> m_keptTail;
    SummaryScope m_lastScope;
    Summary m_last;
};

} // namespace aether
