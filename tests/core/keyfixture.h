#pragma once

// Helpers for tests that write provider_api_keys rows behind the core's back and read them back: a row
// description that becomes an INSERT, adjustment records, a key row as text, the audit log.

#include "keyrow.h"
#include "keys/keytypes.h"
#include "sqlprobe.h"
#include "storage/database.h"
#include "storage/migrations.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <chrono>
#include <optional>

namespace aether::test {

using namespace Qt::StringLiterals;

// The created_at / updated_at of every fixture row.
inline const QString fixtureTime = u"2025-01-01T00:00:00+00:00"_s;

// One provider_api_keys row as the fixtures write it (see keyrow.h); insertSql(k) gives its INSERT.
using KeyFixture = KeyRow;

inline KeyFixture key(const QString &id, const QString &name, const QString &endpoint = u"e1"_s)
{
    KeyFixture k(id, endpoint, name);
    k.createdAt = fixtureTime;
    return k;
}

inline QJsonObject record(const QString &timestamp, int oldLimit, int newLimit, const QString &reason)
{
    QJsonObject r{{u"old_limit"_s, oldLimit}, {u"new_limit"_s, newLimit}, {u"reason"_s, reason}};
    if (!timestamp.isNull())
        r.insert(u"timestamp"_s, timestamp);
    return r;
}

inline QString compact(const QJsonArray &array)
{
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

// The owner rows (providers, endpoints) and the keys, written behind the core's back; false (and *error) on failure.
inline bool insertFixtureRows(const TestDatabase &tdb, QStringList statements, const QList<KeyFixture> &keys,
                              QString *error)
{
    for (const KeyFixture &k : keys)
        statements << insertSql(k);
    return executeAll(tdb, statements, error);
}

// A fresh database for the row's backend, migrated, opened as `db`, with the owner rows and keys inserted; it learns
// with the original service's algorithm (tests of the ceiling strategy store it themselves).
#define AETHER_FIXTURE_DATABASE(tdb, db, owners, keys)                                                                 \
    AETHER_TEST_DATABASE(tdb);                                                                                         \
    aether::Database db(tdb.location());                                                                               \
    QVERIFY(db.open().ok());                                                                                           \
    QVERIFY(aether::Migrations(db).run().ok());                                                                        \
    QVERIFY(tdb.useReferenceLearning());                                                                               \
    {                                                                                                                  \
        QString fixtureError_;                                                                                         \
        QVERIFY2(aether::test::insertFixtureRows(tdb, owners, keys, &fixtureError_), qPrintable(fixtureError_));       \
    }

// The columns of a key row as text, for before/after comparisons.
inline const QStringList keyColumns{u"id"_s,
                                    u"endpoint_id"_s,
                                    u"name"_s,
                                    u"note"_s,
                                    u"max_concurrent"_s,
                                    u"learned_max_concurrent"_s,
                                    u"concurrent_429_count"_s,
                                    u"rpm_429_count"_s,
                                    u"last_429_at"_s,
                                    u"last_429_type"_s,
                                    u"last_concurrent_peak"_s,
                                    u"adjustment_history"_s,
                                    u"utilization_samples"_s,
                                    u"last_probe_increase_at"_s,
                                    u"is_active"_s,
                                    u"created_at"_s,
                                    u"updated_at"_s};

inline QMap<QString, QString> keyRow(SqlProbe &probe, const QString &id)
{
    QStringList casts;
    for (const QString &column : keyColumns)
        casts << u"CAST(%1 AS text)"_s.arg(column);
    const std::optional<QList<QVariantList>> rows =
        probe.rows(u"SELECT %1 FROM provider_api_keys WHERE id = '%2'"_s.arg(casts.join(u", "), id));
    QMap<QString, QString> row;
    if (!rows || rows->size() != 1)
        return {{u"error"_s, probe.lastError()}};
    for (int i = 0; i < keyColumns.size(); ++i)
        row.insert(keyColumns.at(i), rows->first().at(i).isNull() ? u"<null>"_s : rows->first().at(i).toString());
    return row;
}

inline QMap<QString, QString> without(QMap<QString, QString> row, const QStringList &columns)
{
    for (const QString &column : columns)
        row.remove(column);
    return row;
}

inline QString errorText(const aether::Error &e)
{
    return u"code %1, field '%2', reason '%3', detail '%4'"_s.arg(int(e.code)).arg(e.field, e.reason, e.detail);
}

// The system clock to the microsecond, as Timestamp::now() reads it.
inline qint64 nowMicros()
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One console_audit_log row.
struct AuditRow {
    QString actor;
    QString action;
    QString keyId;
    QJsonObject detail;
    bool atValid = false;
};

inline QList<AuditRow> auditRows(SqlProbe &probe)
{
    QList<AuditRow> out;
    const std::optional<QList<QVariantList>> rows =
        probe.rows(u"SELECT actor, action, key_id, detail, at FROM console_audit_log ORDER BY id"_s);
    if (!rows)
        return out;
    for (const QVariantList &row : *rows) {
        out << AuditRow{row.at(0).toString(), row.at(1).toString(), row.at(2).toString(),
                        QJsonDocument::fromJson(row.at(3).toString().toUtf8()).object(),
                        aether::Timestamp::parse(row.at(4).toString()).has_value()};
    }
    return out;
}

} // namespace aether::test
