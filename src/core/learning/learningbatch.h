#pragma once

#include "learning/learner.h"
#include "learning/learningevent.h"
#include "learning/policystore.h"
#include "storage/database.h"
#include "timeline/timelinewriter.h"

#include <QCache>
#include <QHash>

namespace aether {

// Applies learning events inside a write transaction that the caller opened: reads and
// locks every key involved with one statement, runs the learner on each event in order against that state (events of
// one key see each other), then writes each changed key once. The policy is read in the same transaction, so every
// process applies the values stored at that moment.
class LearningBatch {
public:
    explicit LearningBatch(Database &db);

    // One outcome per event, in order (ErrorCode::NotFound for an unknown key). An error only for storage failures;
    // then nothing may be committed. The learning knows events only; KeyChangeBatch hands them over.
    Result<QList<Result<EventOutcome>>> apply(const QList<const LearningEvent *> &events);

private:
    struct LockedRow {
        QVariant rowKey;
        QString providerName;
        std::optional<QString> version; // PostgreSQL: the row version locked (xmin)
        LearningState state;
        LearningState stored; // as read, without samples and history: which columns changed
        // The history is parsed only when a record is added (most events add none); until then state.history holds
        // only the records this batch added.
        bool historyLoaded = false;
        bool historyMalformed = false; // stored, but not a JSON array (nor NULL)
        bool changed = false;
        bool historyChanged = false;
        bool strategyStateChanged = false;       // the ceiling strategy's state is to be written
        std::optional<QString> malformedSamples; // the same, or when entries were not samples
    };

    // The rows of the keys, locked, and the stored policy's text.
    Status lockKeys(const QStringList &ids, QHash<QString, LockedRow> *rows, std::optional<QString> *policyText);
    LockedRow readRow(const SqlStatement &st, const QString &keyId);
    EventOutcome applyOne(const LearningEvent &event, const Learner &learner, LockedRow *row);
    // The stored histories of the keys that got a record, before the batch's records.
    Status loadHistories(QHash<QString, LockedRow> *rows, int maxRecords);
    // The stored history's text (read in the batch's transaction); std::nullopt for NULL.
    Result<std::optional<QString>> storedHistory(const QVariant &rowKey);
    Status writeRow(const QString &keyId, LockedRow &row, const QString &now);
    Status writeRowsPostgres(const QStringList &ids, QHash<QString, LockedRow> &rows, const QString &now);
    // The strategy states that changed (console_learning_state).
    Status writeStrategyStates(const QStringList &ids, const QHash<QString, LockedRow> &rows);
    Status logReplacedColumns(const QString &keyId, const LockedRow &row);
    static std::optional<QString> historyToWrite(const LockedRow &row);
    void markWritten(const QString &keyId, LockedRow &row, const QString &samplesText);

    Database &m_db;
    PolicyStore m_policies;
    TimelineRecorder m_timeline;
    QString m_lockSql;
    // The samples this connection last wrote per key, parsed: the next event of the key reads the same text back
    // and skips parsing it again (a key written by another process meanwhile has other text, and is parsed).
    struct ParsedSamples {
        QString text;
        std::vector<UtilizationSample> samples;
    };
    QCache<QString, ParsedSamples> m_samples{4096};
};

// The JSON text of utilisation samples as the learner keeps them ({"ts", "util"}, plus what others stored).
// Each sample's text is kept in it, so that it is formatted once, not once per event of its window.
QByteArray samplesToJson(std::vector<UtilizationSample> &samples);
// Reads them back; entries that are not samples are dropped (*dropped is set). std::nullopt when the text is not an
// array at all.
std::optional<std::vector<UtilizationSample>> samplesFromJson(const QString &text, bool *dropped);

} // namespace aether
