#pragma once

#include "auth/tokenstore.h"
#include "bulkactions.h"
#include "consolesettings.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "storage/database.h"
#include "timeline/timelinekeeper.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>

#include <memory>

class QLabel;
class QMenu;

namespace Ui {
class MainWindow;
}

namespace aether::gui {

class EndpointControl;
class HttpEndpointService;
class KeyDetailWidget;
class KeyTableModel;
class NavigationTree;
class AuditPage;
class ColumnChooser;
class FrozenColumn;
class KeyFilterBar;
class PolicyPage;
class SimulatorPage;
class SummaryPage;
struct WindowState;

// What the window works on; owned by whoever opens the window (the program, src/app). `endpoint` is the console's
// HTTP endpoint to start and stop from the window; without it the window has no endpoint.
struct ConsoleServices {
    Database &db;
    KeyService &keys;
    KeyTable &table;
    TokenStore &tokens;
    HttpEndpointService *endpoint = nullptr;
    TimelineKeeper *timeline = nullptr; // samples and maintains the time series (the program's; none in tests)
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
    bool isHttpRunning() const;
    quint16 httpPort() const;

    // Selects the key and scrolls to it once the table has found where it stands (keySelected() tells); with
    // `widenFilter`, all keys are shown when the current filter hides it.
    void selectKey(const QString &keyId, bool widenFilter = false);
    QString selectedKeyId() const;
    // Selects every key the filter shows (the rows not fetched yet too) for a bulk action.
    void selectAllShown();
    // The keys a key action is for when it is more than one: the selected rows, or all shown.
    std::optional<BulkScope> bulkScope() const;
    KeyTableModel *keyModel() const { return m_model; }
    ColumnChooser *columnChooser() const { return m_columns.get(); }
    KeyDetailWidget *detail() const { return m_detail; }
    SummaryPage *summaryPage() const { return m_summary; }
    PolicyPage *policyPage() const { return m_policy; }
    AuditPage *auditPage() const { return m_audit; }
    SimulatorPage *simulatorPage() const { return m_simulator; }
    bool isBannerVisible() const;

    // Saved views of the key table (View ▸ Saved views): asks for a name and saves the current filters, sort order
    // and columns under it (asking before it replaces a view of that name); applies one; deletes one (asking first).
    bool saveCurrentView();
    bool applyView(const QString &name);
    bool deleteView(const QString &name);

signals:
    // The user chose another database in Settings; the window is to be reopened on it.
    void reopenRequested();
    // The user chose a language ("system", "zh_CN", "en"); it is stored already.
    void languageChosen(const QString &language);
    // selectKey() is done: the key is selected, or (empty) the table does not show it.
    void keySelected(const QString &keyId);

protected:
    // Asks before quitting when policy edits are not applied or the HTTP endpoint is serving.
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    bool confirmQuit();
    void setupPages();
    void setupActions();
    void connectActions();
    void connectPages();
    void setupTable();
    void fillViewsMenu();
    void showInitialState();
    void reloadNavigation();
    void applyFilter();
    // Runs the table's query again, keeping the scroll position and selecting keyId: whether keyId is still in the
    // table, or std::nullopt when the database failed.
    void reloadTable(const QString &keyId);
    void onTableLoaded();
    // Selects m_wantedKey once the table knows its row.
    void findWantedKey();
    void onKeyLocated(const QString &keyId, int row);
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
    void resetLearning();
    void afterBulk(const std::optional<QString> &message);
    void copyKeyId();
    void exportCsv();
    void saveChart();
    void openSettings();
    void openTokens();
    void about();
    void retranslate();
    void retranslateEmptyGuide();
    WindowState windowState();
    void restoreWindowState();
    void saveWindowState();
    void showKeyFromSummary(const QString &keyId);

    std::unique_ptr<Ui::MainWindow> m_ui;
    ConsoleServices m_services;
    ConsoleSettings &m_settings;
    KeyTableModel *m_model = nullptr;
    KeyDetailWidget *m_detail = nullptr;
    SummaryPage *m_summary = nullptr;
    PolicyPage *m_policy = nullptr;
    AuditPage *m_audit = nullptr;
    SimulatorPage *m_simulator = nullptr;
    bool m_simulatorShown = false;
    QLabel *m_databaseStatus = nullptr;
    QLabel *m_httpStatus = nullptr;
    QTimer m_autoRefresh;
    // PostgreSQL: another process changed a key or the policy (Database::changesChannel); bursts are coalesced and
    // the window refreshes at most once a second.
    QTimer m_notified;
    QElapsedTimer m_sinceRefresh;
    QTimer m_searchDelay;
    std::optional<QByteArray> m_lastRevision;
    KeyFilter m_filter;
    NavigationTree *m_navigation = nullptr;
    EndpointControl *m_endpoint = nullptr;
    std::unique_ptr<BulkActions> m_bulk;
    QLabel *m_emptyGuide = nullptr;
    KeyFilterBar *m_filterBar = nullptr;
    QMenu *m_viewsMenu = nullptr;
    FrozenColumn *m_frozen = nullptr;
    std::unique_ptr<ColumnChooser> m_columns;
    bool m_allShownSelected = false;
    QString m_wantedKey;           // to select once the table found its row
    bool m_scrollToWanted = false; // and scroll to it
    bool m_widenForWanted = false; // show all keys when the filter hides it
    bool m_selectingAll = false;
};

} // namespace aether::gui
