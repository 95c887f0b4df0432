#pragma once

#include "base/error.h"
#include "keys/keytypes.h"
#include "learning/learningbatch.h"
#include "storage/database.h"
#include "timeline/timelinewriter.h"

#include <QHash>
#include <QList>

namespace aether {

// Applies changes of keys (mode, fixed limit, reset of the learning) inside a write transaction that the caller
// opened. All keys involved are read and locked with one statement, each change is checked and applied in order
// against that state (so several changes of one key see each other), and then each changed key is written once and
// the audit rows are inserted together. A change that fails (unknown key, invalid input) writes nothing.
class KeyChangeBatch {
public:
    explicit KeyChangeBatch(Database &db);

    // An error only for storage failures; then nothing may be committed. Learning events are handed to a
    // LearningBatch, runs of other changes are applied here, each run in order.
    Result<QList<Result<KeyChangeOutcome>>> apply(const QList<KeyChange> &changes);

private:
    Result<QList<Result<KeyChangeOutcome>>> applyAdminChanges(const QList<KeyChange> &changes);
    Result<QList<Result<KeyChangeOutcome>>> applyEvents(const QList<KeyChange> &changes);

    struct KeyState {
        QVariant rowKey; // what the UPDATEs find the row by (see rowKeyColumn())
        std::optional<int> maxConcurrent;
        std::optional<int> learned;
        std::optional<int> limitAtLock; // the effective limit as read
        std::optional<int> effectiveLimit() const { return maxConcurrent ? maxConcurrent : learned; }
        bool maxChanged = false;
        bool learningReset = false;
        bool nothingRecorded = false; // no 429 counted or recorded, no history: a reset would change nothing stored
    };
    struct AuditRow {
        QString actor;
        QString action;
        QString keyId;
        QString detail;
    };

    Status lockKeys(const QStringList &ids, QHash<QString, KeyState> *states);
    Result<KeyChangeOutcome> applyOne(const KeyChange &change, KeyState *state, QList<AuditRow> *audit);
    Status writeKeys(const QStringList &ids, const QHash<QString, KeyState> &states, const QString &now);
    Status writeAudit(const QList<AuditRow> &rows, const QString &now);
    // Changes of the effective limit and resets, into the time series.
    Status writeTimeline(const QStringList &ids, const QHash<QString, KeyState> &states, Timestamp now);

    // SQLite: the rowid read under the write lock, which spares each UPDATE the lookup through the primary-key index
    // (rowid tables only; the console's SQLite schema is one, its triggers use the rowid too). PostgreSQL: the id.
    QString rowKeyColumn() const;

    Database &m_db;
    LearningBatch m_learning;
    TimelineRecorder m_timeline;
    const QString m_setMaxSql;
    const QString m_resetSql;
};

} // namespace aether
