#pragma once

#include "testdatabase.h"

#include <QString>

#include <optional>

namespace aether::test {

// One provider_api_keys row as the fixtures write it behind the core's back; unset optionals are NULL (created_at and
// updated_at: the database's default). JSON and timestamps are given as the text to store.
struct KeyRow {
    explicit KeyRow(QString keyId = {}, QString endpoint = QStringLiteral("ep-1"), QString keyName = {})
        : id(std::move(keyId))
        , endpointId(std::move(endpoint))
        , name(std::move(keyName))
    {
    }

    QString id;
    QString endpointId;
    QString name;
    std::optional<int> maxConcurrent;
    std::optional<int> learned;
    int concurrent429 = 0;
    int rpm429 = 0;
    std::optional<QString> last429At;
    std::optional<QString> last429Type;
    std::optional<int> peak;
    std::optional<QString> history;
    std::optional<QString> samples;
    std::optional<QString> probeAt;
    bool active = true;
    std::optional<QString> note;
    std::optional<QString> createdAt; // also written as updated_at
};

QString sqlText(const QString &text);                 // a quoted SQL string literal
QString sqlText(const std::optional<QString> &value); // the same, or NULL
QString sqlInt(std::optional<int> value);             // a number, or NULL

// The INSERT statement of one key row.
QString insertSql(const KeyRow &key);
// Runs insertSql(key) on the test database through a connection of its own.
bool insertKey(const TestDatabase &db, const KeyRow &key, QString *error);
// Many keys fast: 200 rows per INSERT statement.
bool insertKeys(const TestDatabase &db, const QList<KeyRow> &keys, QString *error);

// The owners a fixture key needs: provider "p" and its endpoint "e" (CLAUDE), with fixed times.
QStringList ownerRowsSql();
// A key of endpoint "e" with only the columns that have no default in a gateway's schema (no counters).
QString bareKeySql(const QString &id, const QString &name, bool withCounters = true);
// Runs the statements in order; stops at the first failure.
bool executeAll(const TestDatabase &db, const QStringList &statements, QString *error);

} // namespace aether::test
