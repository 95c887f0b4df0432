#pragma once

#include "consolesettings.h"
#include "storage/databaselocation.h"

#include <QDialog>

#include <memory>

namespace Ui {
class SettingsDialog;
}

namespace aether::gui {

class HttpEndpointService;

// Database (an SQLite file, or a PostgreSQL server with a Test connection button), the HTTP endpoint (address, port,
// autostart), the refresh interval and the language. Values are read from and, on OK, written to ConsoleSettings.
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    // `endpoint` checks the TLS files (none: they are not checked).
    SettingsDialog(ConsoleSettings &settings, const DatabaseLocation &current,
                   const HttpEndpointService *endpoint = nullptr, QWidget *parent = nullptr);
    ~SettingsDialog() override;

    // The database the form describes; an error text when it is incomplete.
    Result<DatabaseLocation> location() const;
    void accept() override;

    // Whether a connection test started by testConnection() is still waiting for the database.
    bool isTestingConnection() const;

public slots:
    void testConnection();

private:
    void updateEnabled();

    std::unique_ptr<Ui::SettingsDialog> m_ui;
    ConsoleSettings &m_settings;
    const HttpEndpointService *m_endpoint;
    int m_testsRunning = 0;
};

} // namespace aether::gui
