#pragma once

#include "keys/keyservice.h"
#include "keys/keytable.h"

#include <QWidget>

class QProgressBar;
class QThread;

#include <memory>

namespace Ui {
class SummaryPage;
}

namespace aether::gui {

class Rate429ChartView;
class TrendPanel;

// The original service's summary as a page: the totals over adaptive keys as large numbers, the ten most recent
// adjustments, and the keys with the most 429s as a bar chart (for the endpoint or provider chosen in the navigation,
// or all).
class SummaryPage : public QWidget {
    Q_OBJECT
public:
    SummaryPage(KeyService &keys, KeyTable &table, QWidget *parent = nullptr);
    ~SummaryPage() override; // waits for a reload in progress

    // Reads the summary again off the GUI thread, on a connection of its own that lives as long as the page (a busy
    // indicator shows meanwhile and the figures shown so far stay). That connection's change stamp tells whether
    // anything changed since the figures shown were read: then they stay, and no query ran on the GUI thread. A
    // reload asked for while one runs follows it. failed() when the database failed.
    void reload();
    bool isLoading() const { return m_loading; }
    void setScope(const KeyFilter &filter, const QString &scopeName);
    Rate429ChartView *rateChart() const { return m_chart; }
    // 429s over time in the scope, with the keys that had the most in the chosen range.
    TrendPanel *trendPanel() const { return m_trend; }
    void retranslate();

signals:
    void keyActivated(const QString &keyId);
    void failed(const aether::Error &error);

private:
    struct Loaded {
        std::optional<Result<Summary>> summary;
        std::optional<Result<QList<Key429Count>>> top;
    };
    static Loaded load(KeyService &keys, KeyTable &table, const KeyFilter &scope);
    void show(const Loaded &loaded);
    void showSummary(const Summary &summary);
    void showScope();

    std::unique_ptr<Ui::SummaryPage> m_ui;
    KeyService &m_keys;
    KeyTable &m_table;
    Rate429ChartView *m_chart;
    TrendPanel *m_trend;
    KeyFilter m_scope;
    QString m_scopeName;
    std::optional<Summary> m_summary;
    QProgressBar *m_busy;
    // The reading thread, an object living there to run work on, and what only that thread touches.
    struct Reader;
    std::unique_ptr<QThread> m_thread;
    QObject *m_readerContext = nullptr;
    std::shared_ptr<Reader> m_reader;
    bool m_loading = false;
    bool m_again = false;
};

} // namespace aether::gui
