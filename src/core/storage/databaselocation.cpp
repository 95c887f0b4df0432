#include "storage/databaselocation.h"

#include <QDir>
#include <QStandardPaths>
#include <QUrl>
#include <QUrlQuery>

namespace aether {

namespace {

// `source`: marked with QT_TRANSLATE_NOOP("Error", …) (see Error::told).
Error invalidUrl(const char *source, const QStringList &args = {}, const QString &reason = reason::invalidValue)
{
    return Error::invalid(QStringLiteral("database"), reason).told(source, args);
}

bool hasControlCharacter(QStringView text)
{
    for (QChar c : text) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return true;
    }
    return false;
}

// libpq's connection string is "name=value" pairs separated by spaces: a value is quoted, with backslash and quote
// escaped, so that it cannot end early and add settings of its own (another dbname, host or password file).
QString conninfoValue(const QString &value)
{
    QString quoted = value;
    quoted.replace(u'\\', QStringLiteral("\\\\"));
    quoted.replace(u'\'', QStringLiteral("\\'"));
    return u'\'' + quoted + u'\'';
}

// The PostgreSQL URL parameters passed on to libpq, each with the values it accepts.
std::optional<QString> checkedOption(const QString &name, const QString &value)
{
    static const QStringList sslModes{QStringLiteral("disable"),   QStringLiteral("allow"),
                                      QStringLiteral("prefer"),    QStringLiteral("require"),
                                      QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    if (name == u"sslmode")
        return sslModes.contains(value) ? std::optional<QString>(value) : std::nullopt;
    if (name == u"connect_timeout") {
        bool ok = false;
        const int seconds = value.toInt(&ok);
        return ok && seconds >= 1 && seconds <= 3600 ? std::optional<QString>(QString::number(seconds)) : std::nullopt;
    }
    if (name == u"application_name") // libpq keeps 63 bytes; ';' would be read by Qt as an option separator
        return value.size() <= 63 && !value.contains(u';') ? std::optional<QString>(conninfoValue(value))
                                                           : std::nullopt;
    return std::nullopt;
}

Result<DatabaseLocation> parsePostgres(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid())
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "not a valid PostgreSQL URL: %1"),
                          {Error::quoted(parsed.errorString())});
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
        else if (name == u"sslmode" || name == u"connect_timeout" || name == u"application_name") {
            const std::optional<QString> checked = checkedOption(name, value);
            if (!checked || hasControlCharacter(value))
                return invalidUrl(QT_TRANSLATE_NOOP("Error", "invalid value of the PostgreSQL URL parameter %1"),
                                  {name});
            options << name + u'=' + *checked;
        } else
            return invalidUrl(QT_TRANSLATE_NOOP("Error", "unsupported PostgreSQL URL parameter: %1"), {name});
    }
    for (const QString *part : {&loc.host, &loc.user, &loc.password, &loc.databaseName}) {
        if (hasControlCharacter(*part))
            return invalidUrl(QT_TRANSLATE_NOOP("Error", "the PostgreSQL URL holds a control character (such as %00)"));
    }
    if (loc.port <= 0 || loc.port > 65535)
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "invalid PostgreSQL port"));
    if (loc.databaseName.isEmpty())
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "the PostgreSQL URL names no database"));
    loc.options = DatabaseLocation::postgresOptions(options);
    return loc;
}

} // namespace

Result<DatabaseLocation> DatabaseLocation::parse(const QString &url)
{
    const QString text = url.trimmed();
    if (text.isEmpty())
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "empty database URL"), {}, reason::missing);
    if (text.startsWith(u"postgresql://", Qt::CaseInsensitive) || text.startsWith(u"postgres://", Qt::CaseInsensitive))
        return parsePostgres(text);
    DatabaseLocation loc;
    if (text.compare(u"sqlite::memory:", Qt::CaseInsensitive) == 0 ||
        text.compare(u"sqlite://:memory:", Qt::CaseInsensitive) == 0) {
        loc.path = QStringLiteral(":memory:"); // an in-memory database, gone when the program ends
        return loc;
    }
    if (text.startsWith(u"sqlite://", Qt::CaseInsensitive)) {
        loc.path = QUrl::fromPercentEncoding(text.mid(9).toUtf8());
    } else if (text.contains(u"://")) {
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "unsupported database URL scheme: %1"),
                          {text.section(QStringLiteral("://"), 0, 0)});
    } else {
        loc.path = text;
    }
    if (loc.path.isEmpty())
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "the SQLite URL names no file"), {}, reason::missing);
    if (hasControlCharacter(loc.path))
        return invalidUrl(QT_TRANSLATE_NOOP("Error", "the SQLite path holds a control character (such as %00)"));
    if (loc.path != u":memory:")
        loc.path = QDir::cleanPath(QDir::current().absoluteFilePath(loc.path));
    return loc;
}

QString DatabaseLocation::postgresOptions(const QStringList &given)
{
    QStringList options = given;
    if (!options.join(u';').contains(u"connect_timeout"))
        options << QStringLiteral("connect_timeout=3");
    if (!options.join(u';').contains(u"application_name"))
        options << QStringLiteral("application_name=aether-console");
    return options.join(u';');
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
