#include "learning/learningbatch.h"

#include "base/jsoncolumn.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QSet>

#include <cmath>

Q_LOGGING_CATEGORY(lcLearning, "aether.learning")

namespace aether {

namespace {

// A copy of the state without its samples (not copied to be dropped: a key's window holds up to a hundred).
LearningState withoutSamples(LearningState &state)
{
    std::vector<UtilizationSample> samples = std::move(state.samples);
    LearningState copy = state;
    state.samples = std::move(samples);
    return copy;
}

constexpr qsizetype rowsPerUpdate = 100; // PostgreSQL: keys per multi-row UPDATE (10 parameters each)

QVariant nullableTime(const std::optional<Timestamp> &value)
{
    return value ? QVariant(value->toIsoString()) : QVariant(QMetaType::fromType<QString>());
}

std::optional<Timestamp> timeColumn(const SqlStatement &st, int column)
{
    if (st.isNull(column))
        return std::nullopt;
    return Timestamp::parse(st.value(column).toString());
}

QString shortened(const QString &text)
{
    return text.size() > 200 ? text.left(200) + QStringLiteral("…") : text;
}

} // namespace

QByteArray samplesToJson(std::vector<UtilizationSample> &samples)
{
    QByteArray out;
    out.reserve(qsizetype(samples.size()) * 36 + 2);
    out += '[';
    for (UtilizationSample &s : samples) {
        if (s.json.isEmpty()) {
            if (!s.stored.isEmpty()) {
                s.json = QJsonDocument(s.stored).toJson(QJsonDocument::Compact);
            } else {
                s.json = "{\"ts\":" + QByteArray::number(s.ts, 'g', QLocale::FloatingPointShortest) +
                         ",\"util\":" + QByteArray::number(s.util, 'g', QLocale::FloatingPointShortest) + '}';
            }
        }
        if (out.size() > 1)
            out += ',';
        out += s.json;
    }
    out += ']';
    return out;
}

std::optional<std::vector<UtilizationSample>> samplesFromJson(const QString &text, bool *dropped)
{
    *dropped = false;
    JsonArrayState state;
    const QJsonArray array = readJsonArray(text, &state);
    if (state == JsonArrayState::Malformed)
        return std::nullopt;
    std::vector<UtilizationSample> samples;
    samples.reserve(size_t(array.size()) + 1);
    for (const QJsonValue &value : array) {
        const QJsonObject object = value.toObject();
        const QJsonValue ts = object.value(QLatin1StringView("ts"));
        const QJsonValue util = object.value(QLatin1StringView("util"));
        if (!ts.isDouble() || !util.isDouble() || !std::isfinite(ts.toDouble())) {
            *dropped = true;
            continue;
        }
        UtilizationSample sample;
        sample.ts = ts.toDouble();
        sample.us = std::llround(sample.ts * 1e6);
        sample.util = util.toDouble();
        if (object.size() > 2)
            sample.stored = object;
        samples.push_back(std::move(sample));
    }
    return samples;
}

LearningBatch::LearningBatch(Database &db)
    : m_db(db)
    , m_policies(db)
    , m_timeline(db)
{
    const SqlDialect &d = db.dialect();
    // Whether the history is an array (or NULL / JSON null) is decided by the database, which checks it far faster
    // than parsing it here; the text itself is parsed only when a record is added.
    const QString historyIsArray =
        d.isPostgres() ? QStringLiteral("COALESCE(json_typeof(k.adjustment_history) IN ('array', 'null'), true)")
                       // CASE, not AND: SQLite may evaluate json_type() on text that is not JSON, which fails.
                       : QStringLiteral("(k.adjustment_history IS NULL OR CASE WHEN json_valid(k.adjustment_history) "
                                        "THEN json_type(k.adjustment_history) IN ('array', 'null') ELSE 0 END)");
    // The history itself (~2 KB a key) is read only for the keys that get a record.
    m_lockSql = QStringLiteral("SELECT k.id, k.max_concurrent, k.learned_max_concurrent, k.concurrent_429_count, "
                               "k.rpm_429_count, %1, k.last_429_type, k.last_concurrent_peak, %2, %3, %4, %5, p.name, "
                               "%6, %8, %9, ls.state FROM provider_api_keys k "
                               "LEFT JOIN provider_endpoints e ON e.id = k.endpoint_id "
                               "LEFT JOIN providers p ON p.id = e.provider_id "
                               "LEFT JOIN console_learning_state ls ON ls.key_id = k.id WHERE k.id IN (%7)")
                    .arg(d.asText(QStringLiteral("k.last_429_at")), QStringLiteral("k.adjustment_history IS NULL"),
                         d.asText(QStringLiteral("k.utilization_samples")),
                         d.asText(QStringLiteral("k.last_probe_increase_at")),
                         d.isPostgres() ? QStringLiteral("k.id") : QStringLiteral("k.rowid"), historyIsArray)
                    .arg(QStringLiteral("%1"), PolicyStore::storedValueSql(),
                         d.isPostgres() ? QStringLiteral("CAST(k.xmin AS text)") : QStringLiteral("NULL"));
    // In id order, so that writers in several processes lock rows in the same order (no deadlock on PostgreSQL);
    // SQLite holds the database write lock already.
    if (d.isPostgres())
        m_lockSql += QStringLiteral(" ORDER BY k.id FOR UPDATE OF k");
}

Result<QList<Result<EventOutcome>>> LearningBatch::apply(const QList<const LearningEvent *> &events)
{
    m_timeline.clear(); // what an earlier, failed attempt collected
    QStringList ids;
    QSet<QString> seen;
    for (const LearningEvent *event : events) {
        if (!seen.contains(event->keyId)) {
            seen.insert(event->keyId);
            ids << event->keyId;
        }
    }
    // The policy comes with the locked rows (one statement fewer a transaction); no row locked, no policy needed.
    QHash<QString, LockedRow> rows;
    rows.reserve(ids.size());
    std::optional<QString> policyText;
    if (const Status locked = lockKeys(ids, &rows, &policyText); !locked)
        return locked.error();
    const Learner learner(m_policies.fromStored(policyText));

    QList<Result<EventOutcome>> outcomes;
    outcomes.reserve(events.size());
    for (const LearningEvent *event : events) {
        const auto row = rows.find(event->keyId);
        if (row == rows.end())
            outcomes.append(Error::notFound(event->keyId));
        else
            outcomes.append(applyOne(*event, learner, &row.value()));
    }
    if (const Status loaded = loadHistories(&rows, learner.policy().maxHistoryRecords); !loaded)
        return loaded.error();
    const QString now = Timestamp::now().toIsoString();
    QStringList changed;
    for (const QString &id : std::as_const(ids)) {
        const auto row = rows.find(id);
        if (row != rows.end() && row->changed)
            changed << id;
    }
    if (m_db.dialect().isPostgres() && changed.size() > 1) {
        if (const Status written = writeRowsPostgres(changed, rows, now); !written)
            return written.error();
    } else {
        for (const QString &id : std::as_const(changed)) {
            if (const Status written = writeRow(id, rows[id], now); !written)
                return written.error();
        }
    }
    if (const Status written = writeStrategyStates(ids, rows); !written)
        return written.error();
    // The time series in the same transaction: a rolled-back batch leaves no trace there either.
    if (const Status recorded = m_timeline.write(); !recorded)
        return recorded.error();
    return outcomes;
}

Status LearningBatch::writeStrategyStates(const QStringList &ids, const QHash<QString, LockedRow> &rows)
{
    // One statement for up to 200 keys (a batch of 500 events on 500 keys wrote 500 statements: 17 % of its time on
    // PostgreSQL).
    constexpr qsizetype chunk = 200;
    QVariantList binds;
    qsizetype count = 0;
    const auto flush = [&]() -> Status {
        if (count == 0)
            return Done{};
        QStringList values(count, QStringLiteral("(?, ?)"));
        Result<SqlStatement> st =
            m_db.exec(QStringLiteral("INSERT INTO console_learning_state (key_id, state) VALUES %1 "
                                     "ON CONFLICT (key_id) DO UPDATE SET state = excluded.state")
                          .arg(values.join(QStringLiteral(", "))),
                      binds);
        binds.clear();
        count = 0;
        return st ? Status(Done{}) : Status(st.error());
    };
    for (const QString &id : ids) {
        const auto row = rows.constFind(id);
        if (row == rows.cend() || !row->strategyStateChanged || !row->state.ceilingState)
            continue;
        binds << id << QString::fromUtf8(row->state.ceilingState->toJson());
        if (++count == chunk) {
            if (const Status written = flush(); !written)
                return written;
        }
    }
    return flush();
}

Status LearningBatch::lockKeys(const QStringList &ids, QHash<QString, LockedRow> *rows,
                               std::optional<QString> *policyText)
{
    return m_db.selectByIds(m_lockSql, ids, [this, rows, policyText](const SqlStatement &st) {
        const QString id = st.value(0).toString();
        rows->insert(id, readRow(st, id));
        *policyText = st.optionalString(14);
    });
}

LearningBatch::LockedRow LearningBatch::readRow(const SqlStatement &st, const QString &keyId)
{
    LockedRow row;
    LearningState &s = row.state;
    s.maxConcurrent = st.optionalInt(1);
    s.learned = st.optionalInt(2);
    s.concurrent429Count = st.value(3).toLongLong();
    s.rpm429Count = st.value(4).toLongLong();
    s.last429At = timeColumn(st, 5);
    s.last429Type = st.optionalString(6);
    s.lastConcurrentPeak = st.optionalInt(7);
    const bool historyNull = st.value(8).toBool();
    row.historyMalformed = !historyNull && !st.value(13).toBool();
    row.historyLoaded = historyNull || row.historyMalformed; // nothing to keep: the history starts empty
    if (!st.isNull(9)) {
        const QString text = st.value(9).toString();
        if (const ParsedSamples *cached = m_samples.object(keyId); cached && cached->text == text) {
            s.samples = cached->samples; // what this connection wrote last
        } else {
            bool dropped = false;
            std::optional<std::vector<UtilizationSample>> samples = samplesFromJson(text, &dropped);
            if (!samples || dropped)
                row.malformedSamples = text;
            if (samples)
                s.samples = std::move(*samples);
        }
    }
    s.lastProbeAt = timeColumn(st, 10);
    row.rowKey = st.value(11);
    row.providerName = st.value(12).toString();
    row.version = st.optionalString(15);
    if (!st.isNull(16))
        s.ceilingState = CeilingState::fromJson(st.value(16).toString().toUtf8());
    row.stored = withoutSamples(s);
    return row;
}

Result<std::optional<QString>> LearningBatch::storedHistory(const QVariant &rowKey)
{
    Result<SqlStatement> st =
        m_db.exec(QStringLiteral("SELECT %1 FROM provider_api_keys WHERE %2 = ?")
                      .arg(m_db.dialect().asText(QStringLiteral("adjustment_history")),
                           m_db.dialect().isPostgres() ? QStringLiteral("id") : QStringLiteral("rowid")),
                  {rowKey});
    if (!st)
        return st.error();
    if (!st.value().next() || st.value().isNull(0))
        return std::optional<QString>();
    return std::optional<QString>(st.value().value(0).toString());
}

Status LearningBatch::loadHistories(QHash<QString, LockedRow> *rows, int maxRecords)
{
    // The learner only appends records, so the stored ones can come after the batch: read in one statement for all
    // keys that got a record, the stored records then the batch's (the learner kept the last N of those), the last N.
    QStringList ids;
    for (auto row = rows->cbegin(); row != rows->cend(); ++row) {
        if (row->historyChanged && !row->historyLoaded)
            ids << row.key();
    }
    if (ids.isEmpty())
        return Done{};
    QHash<QString, std::optional<QString>> stored;
    stored.reserve(ids.size());
    const Status read = m_db.selectByIds(
        QStringLiteral("SELECT id, %1 FROM provider_api_keys WHERE id IN (%2)")
            .arg(m_db.dialect().asText(QStringLiteral("adjustment_history")), QStringLiteral("%1")),
        ids, [&stored](const SqlStatement &st) { stored.insert(st.value(0).toString(), st.optionalString(1)); });
    if (!read)
        return read;
    for (const QString &id : std::as_const(ids)) {
        LockedRow &row = (*rows)[id];
        const auto found = stored.constFind(id);
        if (found == stored.cend())
            return Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "key %1 disappeared while it was locked"), {id});
        JsonArrayState state = JsonArrayState::Null;
        QJsonArray history;
        if (*found) {
            history = readJsonArray(**found, &state);
            if (state == JsonArrayState::Malformed)
                row.historyMalformed = true; // the database's check and ours disagree: ours decides
        }
        for (const QJsonValue &record : std::as_const(row.state.history))
            history.append(record);
        while (history.size() > maxRecords)
            history.removeFirst();
        row.state.history = history;
        row.historyLoaded = true;
    }
    return Done{};
}

EventOutcome LearningBatch::applyOne(const LearningEvent &event, const Learner &learner, LockedRow *row)
{
    EventOutcome outcome;
    outcome.keyId = event.keyId;
    LearningDecision decision;
    const std::optional<int> limitBefore = row->state.enforcedLimit();
    const qint64 concurrentBefore = row->state.concurrent429Count;
    const qint64 rpmBefore = row->state.rpm429Count;
    TimelineCounts counts;
    if (event.success) {
        decision = learner.handleSuccess(row->state, event.currentConcurrent.value_or(0), event.at, event.tpotMs);
    } else {
        RateLimitKind kind;
        if (event.kind) {
            kind = *event.kind;
        } else {
            const QString provider = event.provider.value_or(row->providerName);
            kind = classifyRateLimit(event.headers.value_or(HeaderList()), provider, event.currentConcurrent, event.at)
                       .kind;
        }
        outcome.classification = kind;
        decision = learner.handle429(row->state, kind, event.currentConcurrent, event.at);
        (kind == RateLimitKind::Concurrent ? counts.concurrent429
         : kind == RateLimitKind::Rpm      ? counts.rpm429
                                           : counts.unknown429) = 1;
    }
    counts.successes = event.success ? 1 : 0;
    counts.adjustments = decision.adjusted ? 1 : 0;
    const std::optional<int> limitAfter = row->state.enforcedLimit();
    m_timeline.add(event.keyId, event.at, counts, limitBefore, limitAfter);
    if (!counts.onlySuccesses() || limitBefore != limitAfter) {
        m_timeline.noteCounted(
            event.keyId, row->state.concurrent429Count - concurrentBefore, row->state.rpm429Count - rpmBefore,
            decision.adjusted ? std::optional<qint64>(event.at.microseconds()) : std::nullopt, limitAfter);
    }
    row->changed = row->changed || decision.changed;
    row->historyChanged = row->historyChanged || decision.historyChanged;
    row->strategyStateChanged = row->strategyStateChanged || decision.strategyStateChanged;
    outcome.learned = row->state.learned;
    outcome.effectiveLimit = row->state.enforcedLimit();
    outcome.adjusted = decision.adjusted;
    outcome.adjustment = decision.record;
    return outcome;
}

Status LearningBatch::logReplacedColumns(const QString &keyId, const LockedRow &row)
{
    // A column that held something other than an array is replaced by a valid one; say what was replaced.
    if (row.historyMalformed) {
        Result<std::optional<QString>> old = storedHistory(row.rowKey);
        if (!old)
            return old.error();
        qCWarning(lcLearning, "key %s: adjustment_history was not a JSON array; replaced (old value: %s)",
                  qUtf8Printable(keyId), qUtf8Printable(shortened(old.value().value_or(QString()))));
    }
    if (row.malformedSamples)
        qCWarning(lcLearning, "key %s: utilization_samples held invalid entries; replaced (old value: %s)",
                  qUtf8Printable(keyId), qUtf8Printable(shortened(*row.malformedSamples)));
    return Done{};
}

std::optional<QString> LearningBatch::historyToWrite(const LockedRow &row)
{
    if (!row.historyChanged && !row.historyMalformed)
        return std::nullopt;
    return QString::fromUtf8(QJsonDocument(row.state.history).toJson(QJsonDocument::Compact));
}

void LearningBatch::markWritten(const QString &keyId, LockedRow &row, const QString &samplesText)
{
    // What the series counted of the key goes with the row version this transaction found (PostgreSQL); the version
    // it leaves is the transaction's own (timeline/timelinewriter.h).
    if (row.version)
        m_timeline.noteRowVersion(keyId, *row.version);
    row.version.reset();
    m_samples.insert(keyId, new ParsedSamples{samplesText, row.state.samples}, 1);
    row.historyMalformed = false;
    row.malformedSamples.reset();
    row.changed = false;
    row.historyChanged = false;
    row.stored = withoutSamples(row.state);
}

Status LearningBatch::writeRow(const QString &keyId, LockedRow &row, const QString &now)
{
    if (const Status logged = logReplacedColumns(keyId, row); !logged)
        return logged;
    LearningState &s = row.state; // the samples keep their text
    const LearningState &old = row.stored;
    // Only the columns that changed: a success changes the samples alone, and leaving the counters and times out of
    // the statement spares SQLite the upkeep of the indexes that cover them.
    const SqlDialect &d = m_db.dialect();
    QStringList sets;
    QVariantList binds;
    const auto set = [&](const char *column, const QString &param, const QVariant &value) {
        sets << QLatin1StringView(column) + QStringLiteral(" = ") + param;
        binds << value;
    };
    if (s.learned != old.learned)
        set("learned_max_concurrent", QStringLiteral("?"), sqlNullableInt(s.learned));
    if (s.concurrent429Count != old.concurrent429Count)
        set("concurrent_429_count", QStringLiteral("?"), s.concurrent429Count);
    if (s.rpm429Count != old.rpm429Count)
        set("rpm_429_count", QStringLiteral("?"), s.rpm429Count);
    if (s.last429At != old.last429At)
        set("last_429_at", d.timestampParam(), nullableTime(s.last429At));
    if (s.last429Type != old.last429Type)
        set("last_429_type", QStringLiteral("?"), sqlNullableText(s.last429Type));
    if (s.lastConcurrentPeak != old.lastConcurrentPeak)
        set("last_concurrent_peak", QStringLiteral("?"), sqlNullableInt(s.lastConcurrentPeak));
    if (s.lastProbeAt != old.lastProbeAt)
        set("last_probe_increase_at", d.timestampParam(), nullableTime(s.lastProbeAt));
    const QString samplesText = QString::fromUtf8(samplesToJson(s.samples));
    set("utilization_samples", d.jsonParam(), samplesText);
    if (const std::optional<QString> history = historyToWrite(row))
        set("adjustment_history", d.jsonParam(), *history);
    set("updated_at", d.timestampParam(), now);
    binds << row.rowKey;
    Result<SqlStatement> st = m_db.exec(
        QStringLiteral("UPDATE provider_api_keys SET %1 WHERE %2 = ?")
            .arg(sets.join(QStringLiteral(", ")), d.isPostgres() ? QStringLiteral("id") : QStringLiteral("rowid")),
        binds);
    if (!st)
        return st.error();
    markWritten(keyId, row, samplesText);
    return Done{};
}

Status LearningBatch::writeRowsPostgres(const QStringList &ids, QHash<QString, LockedRow> &rows, const QString &now)
{
    // One statement for many keys: on PostgreSQL every statement is a round trip, which costs more than the update.
    // A column that did not change is passed as NULL and keeps its stored value (which may be one this process could
    // not read, say a timestamp 'infinity'); last_concurrent_peak may become NULL, so it has a flag of its own.
    static const QString one = QStringLiteral(
        "(CAST(? AS varchar), CAST(? AS integer), CAST(? AS integer), CAST(? AS integer), CAST(? AS timestamptz), "
        "CAST(? AS varchar), CAST(? AS boolean), CAST(? AS integer), CAST(? AS timestamptz), CAST(? AS json), "
        "CAST(? AS json))");
    const auto ifChanged = [](bool changed, const QVariant &value) {
        return changed ? value : QVariant(value.metaType());
    };
    for (qsizetype start = 0; start < ids.size(); start += rowsPerUpdate) {
        const QStringList chunk = ids.mid(start, rowsPerUpdate);
        QVariantList binds{now}; // updated_at's placeholder comes first in the statement
        QStringList samplesTexts;
        for (const QString &id : chunk) {
            LockedRow &row = rows[id];
            if (const Status logged = logReplacedColumns(id, row); !logged)
                return logged;
            LearningState &s = row.state;
            const LearningState &old = row.stored;
            samplesTexts << QString::fromUtf8(samplesToJson(s.samples));
            const bool peakChanged = s.lastConcurrentPeak != old.lastConcurrentPeak;
            binds << id << ifChanged(s.learned != old.learned, sqlNullableInt(s.learned))
                  << ifChanged(s.concurrent429Count != old.concurrent429Count, s.concurrent429Count)
                  << ifChanged(s.rpm429Count != old.rpm429Count, s.rpm429Count)
                  << ifChanged(s.last429At != old.last429At, nullableTime(s.last429At))
                  << ifChanged(s.last429Type != old.last429Type, sqlNullableText(s.last429Type)) << peakChanged
                  << sqlNullableInt(s.lastConcurrentPeak)
                  << ifChanged(s.lastProbeAt != old.lastProbeAt, nullableTime(s.lastProbeAt)) << samplesTexts.last()
                  << sqlNullableText(historyToWrite(row));
        }
        Result<SqlStatement> st = m_db.exec(
            QStringLiteral("UPDATE provider_api_keys AS k SET "
                           "learned_max_concurrent = COALESCE(v.learned, k.learned_max_concurrent), "
                           "concurrent_429_count = COALESCE(v.c429, k.concurrent_429_count), "
                           "rpm_429_count = COALESCE(v.rpm429, k.rpm_429_count), "
                           "last_429_at = COALESCE(v.last429, k.last_429_at), "
                           "last_429_type = COALESCE(v.type, k.last_429_type), "
                           "last_concurrent_peak = CASE WHEN v.peak_set THEN v.peak ELSE k.last_concurrent_peak END, "
                           "last_probe_increase_at = COALESCE(v.probe, k.last_probe_increase_at), "
                           "utilization_samples = v.samples, "
                           "adjustment_history = COALESCE(v.history, k.adjustment_history), "
                           "updated_at = CAST(? AS timestamptz) "
                           "FROM (VALUES %1) AS v(id, learned, c429, rpm429, last429, type, peak_set, peak, probe, "
                           "samples, history) WHERE k.id = v.id")
                .arg(sqlPlaceholders(chunk.size(), one)),
            binds);
        if (!st)
            return st.error();
        for (qsizetype i = 0; i < chunk.size(); ++i)
            markWritten(chunk.at(i), rows[chunk.at(i)], samplesTexts.at(i));
    }
    return Done{};
}

} // namespace aether
