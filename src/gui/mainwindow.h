#pragma once

#include "consolesettings.h"
#include "database.h"
#include "keyservice.h"
#include "keytable.h"
#include "tokenstore.h"

#include <QMainWindow>
#include <QTimer>

#include <memory>

class QLabel;
class QTreeWidgetItem;

namespace Ui {
class MainWindow;
}

namespace aether {
class ChangeWriter;
namespace http {
class ApiServer;
}
} // namespace aether

namespace aether::gui {

class KeyDetailWidget;
class KeyTableModel;
class PolicyPage;
class SummaryPage;

// What the window works on; owned by whoever opens the window.
struct ConsoleServices {
    Database &db;
    KeyService &keys;
    KeyTable &table;
    TokenStore &tokens;
};

// The services a window works with, built over one open database and owned together (the window's composition).
struct ConsoleCore {
    explicit ConsoleCore(Database &database, const QString &environmentToken = {})
        : db(database)
        , keys(database)
        , table(database)
        , tokens(database, environmentToken)
    {
    }
    ConsoleServices services() { return {db, keys, table, tokens}; }

    Database &db;
    KeyService keys;
    KeyTable table;
    TokenStore tokens;
};

// The console's main window: the provider/endpoint tree, the key table (sorted and filtered in SQL), the detail pane
// of the selected key, the Summary page, the HTTP endpoint's Start/Stop, refresh and auto-refresh, settings and
// tokens. The status bar shows the database and the endpoint's state; a banner reports a database that cannot be
// reached, with Retry.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    MainWindow(ConsoleServices services, ConsoleSettings &settings, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Reads everything shown again, keeping selection, scroll position and sort order. False when the database
    // failed (the banner then says why).
    bool refresh();
    // Starts or stops the HTTP endpoint on the configured address; false (and a message) when it cannot listen.
    bool startHttp();
    void stopHttp();
    bool isHttpRunning() const { return m_http != nullptr; }
    quint16 httpPort() const { return m_httpPort; }

    bool selectKey(const QString &keyId);
    QString selectedKeyId() const;
    KeyTableModel *keyModel() const { return m_model; }
    KeyDetailWidget *detail() const { return m_detail; }
    SummaryPage *summaryPage() const { return m_summary; }
    PolicyPage *policyPage() const { return m_policy; }
    bool isBannerVisible() const;

signals:
    // The user chose another database in Settings; the window is to be reopened on it.
    void reopenRequested();
    // The user chose a language ("system", "zh_CN", "en"); it is stored already.
    void languageChosen(const QString &language);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void setupActions();
    void setupTable();
    void reloadNavigation();
    void applyFilter();
    // Runs the table's query again, keeping the scroll position and selecting keyId: whether keyId is still in the
    // table, or std::nullopt when the database failed.
    std::optional<bool> reloadTable(const QString &keyId);
    void updateCount();
    void updateStatus();
    void updateKeyActions();
    void showFailure(const Error &error);
    // showFailure() and a message box titled with the action that failed.
    void reportFailure(const QString &action, const Error &error);
    void hideBanner();
    void retry();
    void onSelectionChanged();
    void onKeyChanged(const QString &keyId, const QString &message);
    void switchMode();
    void setLimit();
    void copyKeyId();
    void exportCsv();
    void saveChart();
    void openSettings();
    void openTokens();
    void about();
    void retranslate();
    void restoreWindowState();
    void saveWindowState();
    QString scopeName() const;

    std::unique_ptr<Ui::MainWindow> m_ui;
    ConsoleServices m_services;
    ConsoleSettings &m_settings;
    KeyTableModel *m_model = nullptr;
    KeyDetailWidget *m_detail = nullptr;
    SummaryPage *m_summary = nullptr;
    PolicyPage *m_policy = nullptr;
    QLabel *m_databaseStatus = nullptr;
    QLabel *m_httpStatus = nullptr;
    QTimer m_autoRefresh;
    QTimer m_searchDelay;
    std::optional<QByteArray> m_lastRevision;
    KeyFilter m_filter;
    std::unique_ptr<ChangeWriter> m_writer;
    std::unique_ptr<http::ApiServer> m_http;
    quint16 m_httpPort = 0;
    QString m_httpError;
    bool m_loadingNavigation = false;
};

} // namespace aether::gui
