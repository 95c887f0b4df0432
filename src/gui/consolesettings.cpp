#include "consolesettings.h"

#include "timeline/timelinewriter.h"

namespace aether::gui {

ConsoleSettings::ConsoleSettings() = default;

QString ConsoleSettings::databaseUrl() const
{
    return m_settings.value(QStringLiteral("database/url")).toString();
}

void ConsoleSettings::setDatabaseUrl(const QString &url)
{
    m_settings.setValue(QStringLiteral("database/url"), url);
}

QString ConsoleSettings::httpAddress() const
{
    return m_settings.value(QStringLiteral("http/address"), QStringLiteral("127.0.0.1")).toString();
}

void ConsoleSettings::setHttpAddress(const QString &address)
{
    m_settings.setValue(QStringLiteral("http/address"), address);
}

int ConsoleSettings::httpPort() const
{
    return m_settings.value(QStringLiteral("http/port"), defaultPort).toInt();
}

void ConsoleSettings::setHttpPort(int port)
{
    m_settings.setValue(QStringLiteral("http/port"), port);
}

QString ConsoleSettings::tlsCertificateFile() const
{
    return m_settings.value(QStringLiteral("http/tlsCertificate")).toString();
}

QString ConsoleSettings::tlsKeyFile() const
{
    return m_settings.value(QStringLiteral("http/tlsKey")).toString();
}

void ConsoleSettings::setTlsFiles(const QString &certificate, const QString &key)
{
    m_settings.setValue(QStringLiteral("http/tlsCertificate"), certificate);
    m_settings.setValue(QStringLiteral("http/tlsKey"), key);
}

bool ConsoleSettings::httpAutostart() const
{
    return m_settings.value(QStringLiteral("http/autostart"), false).toBool();
}

void ConsoleSettings::setHttpAutostart(bool on)
{
    m_settings.setValue(QStringLiteral("http/autostart"), on);
}

bool ConsoleSettings::autoRefresh() const
{
    return m_settings.value(QStringLiteral("view/autoRefresh"), true).toBool();
}

void ConsoleSettings::setAutoRefresh(bool on)
{
    m_settings.setValue(QStringLiteral("view/autoRefresh"), on);
}

int ConsoleSettings::refreshSeconds() const
{
    return qBound(1, m_settings.value(QStringLiteral("view/refreshSeconds"), defaultRefreshSeconds).toInt(), 3600);
}

void ConsoleSettings::setRefreshSeconds(int seconds)
{
    m_settings.setValue(QStringLiteral("view/refreshSeconds"), seconds);
}

QString ConsoleSettings::language() const
{
    return m_settings.value(QStringLiteral("view/language"), QStringLiteral("system")).toString();
}

void ConsoleSettings::setLanguage(const QString &language)
{
    m_settings.setValue(QStringLiteral("view/language"), language);
}

int ConsoleSettings::retentionDays() const
{
    const int days =
        m_settings.value(QStringLiteral("timeline/retention_days"), timeline::defaultRetentionDays).toInt();
    return qBound(timeline::minRetentionDays, days, timeline::maxRetentionDays);
}

void ConsoleSettings::setRetentionDays(int days)
{
    m_settings.setValue(QStringLiteral("timeline/retention_days"), days);
}

} // namespace aether::gui
