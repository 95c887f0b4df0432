#pragma once

#include "keys/keyservice.h"
#include "simulation/simulator.h"

#include <QPointer>
#include <QWidget>

#include <atomic>
#include <functional>
#include <memory>

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;
class QThread;
class QValueAxis;

namespace aether::gui {

// The learning simulator as a page: a built-in or loaded scenario, one or more strategies, the policy's values (from
// the stored policy, editable); Run works on a thread of its own with a progress bar and Cancel. A chart shows the
// provider's hidden limit, each strategy's limit over time and its concurrency 429s (zoom with the mouse; the time axis
// in minutes), the metrics table beside it. "Apply this policy…" stores the tried values after a confirmation.
class SimulatorPage : public QWidget {
    Q_OBJECT
public:
    // `fieldLabel` names a policy field as the policy page does.
    SimulatorPage(KeyService &keys, std::function<QString(const QString &)> fieldLabel, QWidget *parent = nullptr);
    ~SimulatorPage() override; // cancels and waits for a run in progress

    void retranslate();
    // Reads the stored policy into the editor (discarding edits).
    void reloadPolicy();
    bool isRunning() const { return m_thread != nullptr; }
    // For tests and scripts: choose a built-in scenario and the strategies, then run().
    bool selectScenario(const QString &name);
    void selectStrategies(const QStringList &names);
    void run();
    void cancel();
    QChartView *chartView() const { return m_chartView; }
    QTableWidget *metricsTable() const { return m_metrics; }

signals:
    void finished(bool ok);
    void failed(const aether::Error &error);
    void policyChanged();

private:
    void buildUi();
    void loadFile();
    void showScenario();
    Result<LearningPolicy> editedPolicy(QJsonObject *edited) const;
    void showResults(const QList<SimulationMetrics> &results);
    void applyPolicy();
    void setRunning(bool running);
    void showMessage(const QString &text, bool error);
    QStringList checkedStrategies() const;

    KeyService &m_keys;
    std::function<QString(const QString &)> m_fieldLabel;
    LearningPolicy m_stored;
    std::optional<SimulationScenario> m_scenario;
    QString m_loadedPath;

    QLabel *m_scenarioLabel = nullptr;
    QComboBox *m_scenarios = nullptr;
    QPushButton *m_load = nullptr;
    QLabel *m_description = nullptr;
    QLabel *m_strategiesLabel = nullptr;
    QListWidget *m_strategies = nullptr;
    QLabel *m_seedLabel = nullptr;
    QSpinBox *m_seed = nullptr;
    QLabel *m_policyLabel = nullptr;
    QTableWidget *m_policy = nullptr;
    QPushButton *m_run = nullptr;
    QPushButton *m_cancel = nullptr;
    QPushButton *m_apply = nullptr;
    QPushButton *m_resetZoom = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_message = nullptr;
    QChart *m_chart = nullptr;
    QChartView *m_chartView = nullptr;
    QValueAxis *m_timeAxis = nullptr;
    QValueAxis *m_limitAxis = nullptr;
    QTableWidget *m_metrics = nullptr;
    QList<SimulationMetrics> m_results;

    std::unique_ptr<QThread> m_thread;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
};

} // namespace aether::gui
