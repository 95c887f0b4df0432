#include "databaselocation.h"

#include <QDir>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

namespace aether {

namespace {

Result<DatabaseLocation> parsePostgres(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid())
        return Error::invalid(QStringLiteral("database"), reason::invalidValue, {},
                              QStringLiteral("not a valid PostgreSQL URL: %1").arg(parsed.errorString()));
    DatabaseLocation loc;
    loc.kind = DatabaseLocation::Kind::Postgres;
    loc.host = parsed.host(QUrl::FullyDecoded);
    loc.port = parsed.port(5432);
    loc.user = parsed.userName(QUrl::FullyDecoded);
    loc.password = parsed.password(QUrl::FullyDecoded);
    loc.databaseName = parsed.path(QUrl::FullyDecoded);
    if (loc.databaseName.startsWith(u'/'))
        loc.databaseName.remove(0, 1);
    QStringList options;
    const QUrlQuery query(parsed);
    for (const auto &[name, value] : query.queryItems(QUrl::FullyDecoded)) {
        if (name == u"host")
            loc.host = value;
        else if (name == u"port")
            loc.port = value.toInt();
        else if (name == u"user")
            loc.user = value;
        else if (name == u"password")
            loc.password = value;
        else if (name == u"dbname")
            loc.databaseName = value;
        else if (name == u"sslmode" || name == u"connect_timeout" || name == u"application_name")
            options << name + u'=' + value;
        else
            return Error::invalid(QStringLiteral("database"), reason::invalidValue, {},
                                  QStringLiteral("unsupported PostgreSQL URL parameter: %1").arg(name));
    }
    if (loc.port <= 0 || loc.port > 65535)
        return Error::invalid(QStringLiteral("database"), reason::invalidValue, {},
                              QStringLiteral("invalid PostgreSQL port"));
    if (loc.databaseName.isEmpty())
        return Error::invalid(QStringLiteral("database"), reason::invalidValue, {},
                              QStringLiteral("the PostgreSQL URL names no database"));
    if (!options.join(u';').contains(u"connect_timeout"))
        options << QStringLiteral("connect_timeout=3");
    if (!options.join(u';').contains(u"application_name"))
        options << QStringLiteral("application_name=aether-console");
    loc.options = options.join(u';');
    return loc;
}

} // namespace

Result<DatabaseLocation> DatabaseLocation::parse(const QString &url)
{
    const QString text = url.trimmed();
    if (text.isEmpty())
        return Error::invalid(QStringLiteral("database"), reason::missing, {}, QStringLiteral("empty database URL"));
    if (text.startsWith(u"postgresql://", Qt::CaseInsensitive) || text.startsWith(u"postgres://", Qt::CaseInsensitive))
        return parsePostgres(text);
    DatabaseLocation loc;
    if (text.startsWith(u"sqlite://", Qt::CaseInsensitive)) {
        loc.path = QUrl::fromPercentEncoding(text.mid(9).toUtf8());
    } else if (text.contains(u"://")) {
        return Error::invalid(
            QStringLiteral("database"), reason::invalidValue, {},
            QStringLiteral("unsupported database URL scheme: %1").arg(text.section(QStringLiteral("://"), 0, 0)));
    } else {
        loc.path = text;
    }
    if (loc.path.isEmpty())
        return Error::invalid(QStringLiteral("database"), reason::missing, {},
                              QStringLiteral("the SQLite URL names no file"));
    if (loc.path != u":memory:")
        loc.path = QDir::cleanPath(QDir::current().absoluteFilePath(loc.path));
    return loc;
}

DatabaseLocation DatabaseLocation::defaultLocation()
{
    DatabaseLocation loc;
    loc.path = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                   .absoluteFilePath(QStringLiteral("aether-console.sqlite"));
    return loc;
}

QString DatabaseLocation::displayName() const
{
    if (isSqlite())
        return path;
    QString who = user.isEmpty() ? QString() : user + u'@';
    if (host.startsWith(u'/'))
        return QStringLiteral("postgresql://%1/%2?host=%3").arg(who, databaseName, host);
    return QStringLiteral("postgresql://%1%2:%3/%4")
        .arg(who, host.isEmpty() ? QStringLiteral("localhost") : host)
        .arg(port)
        .arg(databaseName);
}

QString DatabaseLocation::toUrl() const
{
    if (isSqlite())
        return QStringLiteral("sqlite://") + path;
    QUrl url;
    url.setScheme(QStringLiteral("postgresql"));
    url.setUserName(user, QUrl::DecodedMode);
    if (!password.isEmpty())
        url.setPassword(password, QUrl::DecodedMode);
    QUrlQuery query;
    if (host.startsWith(u'/')) {
        url.setHost(QString());
        query.addQueryItem(QStringLiteral("host"), host);
    } else {
        url.setHost(host);
        url.setPort(port);
    }
    url.setPath(u'/' + databaseName, QUrl::DecodedMode);
    if (!query.isEmpty())
        url.setQuery(query);
    QString text = url.toString(QUrl::FullyEncoded);
    // QUrl drops an empty authority: keep "postgresql://user@/db" for a socket directory.
    if (host.startsWith(u'/') && !text.contains(QStringLiteral("://")))
        text.replace(QStringLiteral("postgresql:"), QStringLiteral("postgresql://"));
    return text;
}

} // namespace aether
