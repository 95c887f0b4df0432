#include "keyrow.h"

using namespace Qt::StringLiterals;

namespace aether::test {

QString sqlText(const QString &text)
{
    QString quoted = text;
    quoted.replace(u'\'', u"''"_s);
    return u'\'' + quoted + u'\'';
}

QString sqlText(const std::optional<QString> &value)
{
    return value ? sqlText(*value) : u"NULL"_s;
}

QString sqlInt(std::optional<int> value)
{
    return value ? QString::number(*value) : u"NULL"_s;
}

QString insertSql(const KeyRow &key)
{
    const QString stampColumns = key.createdAt ? u", created_at, updated_at"_s : QString();
    const QString stampValues = key.createdAt ? u", %1, %1"_s.arg(sqlText(*key.createdAt)) : QString();
    return u"INSERT INTO provider_api_keys (id, endpoint_id, name, note, max_concurrent, learned_max_concurrent, "
           u"concurrent_429_count, rpm_429_count, last_429_at, last_429_type, last_concurrent_peak, "
           u"adjustment_history, utilization_samples, last_probe_increase_at, is_active%1) "_s.arg(stampColumns) +
           u"VALUES (%1, %2, %3, %4, %5, %6, %7, %8, %9, "_s.arg(
               sqlText(key.id), sqlText(key.endpointId), sqlText(key.name), sqlText(key.note),
               sqlInt(key.maxConcurrent), sqlInt(key.learned), QString::number(key.concurrent429),
               QString::number(key.rpm429), sqlText(key.last429At)) +
           u"%1, %2, %3, %4, %5, %6%7)"_s.arg(sqlText(key.last429Type), sqlInt(key.peak), sqlText(key.history),
                                              sqlText(key.samples), sqlText(key.probeAt),
                                              key.active ? u"true"_s : u"false"_s, stampValues);
}

bool insertKey(const TestDatabase &db, const KeyRow &key, QString *error)
{
    return db.execute(insertSql(key), error);
}

bool insertKeys(const TestDatabase &db, const QList<KeyRow> &keys, QString *error)
{
    for (qsizetype at = 0; at < keys.size(); at += 200) {
        // The rows of insertSql() joined into one multi-row INSERT.
        QString sql = insertSql(keys.at(at));
        for (const KeyRow &more : keys.mid(at + 1, 199)) {
            const QString row = insertSql(more);
            sql += QStringLiteral(", ") + row.mid(row.indexOf(QStringLiteral("VALUES ")) + 7);
        }
        if (!db.execute(sql, error))
            return false;
    }
    return true;
}

namespace {
const QString fixedTime = QStringLiteral("2025-01-01T00:00:00+00:00");
}

QStringList ownerRowsSql()
{
    return {QStringLiteral("INSERT INTO providers (id, name, display_name, is_active, created_at, updated_at) "
                           "VALUES ('p', 'p', 'P', true, '%1', '%1')")
                .arg(fixedTime),
            QStringLiteral("INSERT INTO provider_endpoints (id, provider_id, api_format, base_url, is_active, "
                           "created_at, updated_at) VALUES ('e', 'p', 'CLAUDE', 'https://x', true, '%1', '%1')")
                .arg(fixedTime)};
}

QString bareKeySql(const QString &id, const QString &name, bool withCounters)
{
    return QStringLiteral("INSERT INTO provider_api_keys (id, endpoint_id, name, %1is_active, created_at, updated_at) "
                          "VALUES (%2, 'e', %3, %4true, '%5', '%5')")
        .arg(withCounters ? QStringLiteral("concurrent_429_count, rpm_429_count, ") : QString(), sqlText(id),
             sqlText(name), withCounters ? QStringLiteral("0, 0, ") : QString(), fixedTime);
}

bool executeAll(const TestDatabase &db, const QStringList &statements, QString *error)
{
    for (const QString &sql : statements) {
        if (!db.execute(sql, error)) {
            if (error)
                *error += QStringLiteral(" in: ") + sql;
            return false;
        }
    }
    return true;
}

} // namespace aether::test
