#pragma once

#include "keys/keyservice.h"
#include "keys/keytable.h"

#include <QWidget>

#include <memory>

class QLabel;

namespace Ui {
class KeyDetailWidget;
}

namespace aether::gui {

class TrendPanel;

class HistoryChartView;
struct ChangeReport;

// The detail pane of one key: the original service's stats, the concurrency-control form (Adaptive / Fixed with a limit
// of 1–100, applied through the core's toggle-mode or set-limit operation), Reset learning… with a confirmation, and
// the key's adjustment history as a chart and a list. Every change reports the core's result in a short message; a
// failure shows the error and leaves the form as it was.
class KeyDetailWidget : public QWidget {
    Q_OBJECT
public:
    KeyDetailWidget(KeyService &keys, KeyTable &table, QWidget *parent = nullptr);
    ~KeyDetailWidget() override;

    // Shows a key (an empty id clears the pane). Returns false when it could not be read.
    bool showKey(const QString &keyId, const QString &keyName = {});
    // Reads the shown key again (after a refresh), keeping what the user is editing in the form.
    void reload();
    // The key's 429s and limit over time.
    TrendPanel *trendPanel() const { return m_trend; }
    QString keyId() const { return m_keyId; }
    HistoryChartView *historyChart() const { return m_chart; }
    void retranslate();

public slots:
    void apply();
    void resetLearning();
    // Writes what a reset would clear to a JSON file (`file`, or one the user picks); false when nothing was written.
    bool saveLearningState(const QString &file = {});

signals:
    // A change was committed; the table and summary should show it.
    void keyChanged(const QString &keyId, const QString &message);
    void failed(const aether::Error &error);

private:
    void showStats(const KeyStats &stats);
    void updateControls();
    void showMessage(const QString &text, bool error);
    // The outcome of a change: its error next to the form, or the key read back and the message.
    void showReport(const ChangeReport &report);

    std::unique_ptr<Ui::KeyDetailWidget> m_ui;
    KeyService &m_keys;
    KeyTable &m_table;
    HistoryChartView *m_chart;
    QLabel *m_legend;
    TrendPanel *m_trend;
    QString m_keyId;
    QString m_keyName;
    std::optional<KeyStats> m_stats;
};

} // namespace aether::gui
