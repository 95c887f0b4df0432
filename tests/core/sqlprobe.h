#pragma once

#include "storage/databaselocation.h"
#include "testdatabase.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QString>
#include <QVariantList>

#include <optional>

namespace aether::test {

// A connection of its own to a test database, for reading what the core wrote (and what it left alone) without
// going through the core. PostgreSQL sessions run in UTC so that timestamps print the same way every time.
class SqlProbe {
public:
    explicit SqlProbe(const DatabaseLocation &location)
    {
        static int counter = 0;
        m_name = QStringLiteral("aether-test-probe-%1").arg(++counter);
        QSqlDatabase db = addConnection(location, m_name);
        if (!db.open()) {
            m_error = db.lastError().text();
            return;
        }
        if (!location.isSqlite()) {
            QSqlQuery query(db);
            if (!query.exec(QStringLiteral("SET TIME ZONE 'UTC'")))
                m_error = query.lastError().text();
        }
    }
    ~SqlProbe()
    {
        {
            QSqlDatabase db = QSqlDatabase::database(m_name, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_name);
    }
    SqlProbe(const SqlProbe &) = delete;
    SqlProbe &operator=(const SqlProbe &) = delete;

    bool isOpen() const { return m_error.isEmpty(); }
    QString lastError() const { return m_error; }

    // All rows of a query; std::nullopt (and lastError()) when it failed.
    std::optional<QList<QVariantList>> rows(const QString &sql)
    {
        QSqlQuery query(QSqlDatabase::database(m_name, false));
        query.setForwardOnly(true);
        if (!query.exec(sql)) {
            m_error = query.lastError().text() + QStringLiteral(" in: ") + sql;
            return std::nullopt;
        }
        QList<QVariantList> out;
        while (query.next()) {
            QVariantList row;
            for (int i = 0; i < query.record().count(); ++i)
                row << query.value(i);
            out << row;
        }
        m_error.clear();
        return out;
    }

    // The first column of the first row; an invalid QVariant when there is none or the query failed.
    QVariant value(const QString &sql)
    {
        const std::optional<QList<QVariantList>> result = rows(sql);
        if (!result || result->isEmpty() || result->first().isEmpty())
            return {};
        return result->first().first();
    }

    // The first column of every row, as text (NULL as "<null>"), for compact comparisons.
    QStringList column(const QString &sql)
    {
        QStringList out;
        const std::optional<QList<QVariantList>> result = rows(sql);
        if (!result)
            return {QStringLiteral("<error: %1>").arg(m_error)};
        for (const QVariantList &row : *result)
            out << (row.value(0).isNull() ? QStringLiteral("<null>") : row.value(0).toString());
        return out;
    }

    // Each row's columns as text joined by '|', NULL as "<null>".
    QStringList lines(const QString &sql)
    {
        QStringList out;
        const std::optional<QList<QVariantList>> result = rows(sql);
        if (!result)
            return {QStringLiteral("<error: %1>").arg(m_error)};
        for (const QVariantList &row : *result) {
            QStringList cells;
            for (const QVariant &cell : row)
                cells << (cell.isNull() ? QStringLiteral("<null>") : cell.toString());
            out << cells.join(u'|');
        }
        return out;
    }

private:
    QString m_name;
    QString m_error;
};

} // namespace aether::test
