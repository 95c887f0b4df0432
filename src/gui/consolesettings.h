#pragma once

#include <QHostAddress>
#include <QSettings>
#include <QString>

namespace aether::gui {

// The console's settings (QSettings, organisation "Aether", application "aether-console").
class ConsoleSettings {
public:
    ConsoleSettings();

    QString databaseUrl() const; // empty: the embedded SQLite database at its default place
    void setDatabaseUrl(const QString &url);
    QString httpAddress() const;
    void setHttpAddress(const QString &address);
    int httpPort() const;
    void setHttpPort(int port);
    // HTTPS for the endpoint: PEM certificate and key files (both empty: plain HTTP).
    QString tlsCertificateFile() const;
    QString tlsKeyFile() const;
    void setTlsFiles(const QString &certificate, const QString &key);
    bool httpAutostart() const;
    void setHttpAutostart(bool on);
    bool autoRefresh() const;
    void setAutoRefresh(bool on);
    int refreshSeconds() const;
    void setRefreshSeconds(int seconds);
    // How many days the time series is kept ("timeline/retention_days"; --retention-days overrides it).
    int retentionDays() const;
    void setRetentionDays(int days);
    QString language() const; // "system", "zh_CN" or "en"
    void setLanguage(const QString &language);

    QSettings &raw() { return m_settings; }

    static constexpr int defaultPort = 8087;
    static constexpr int defaultRefreshSeconds = 5;

private:
    QSettings m_settings;
};

} // namespace aether::gui
