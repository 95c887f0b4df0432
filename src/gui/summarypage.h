#pragma once

#include "keys/keyservice.h"
#include "keys/keytable.h"

#include <QWidget>

#include <memory>

namespace Ui {
class SummaryPage;
}

namespace aether::gui {

class Rate429ChartView;

// The original service's summary as a page: the totals over adaptive keys as large numbers, the ten most recent
// adjustments, and the keys with the most 429s as a bar chart (for the endpoint or provider chosen in the navigation,
// or all).
class SummaryPage : public QWidget {
    Q_OBJECT
public:
    SummaryPage(KeyService &keys, KeyTable &table, QWidget *parent = nullptr);
    ~SummaryPage() override;

    // Reads the summary again; false (and failed()) when the database failed.
    bool reload();
    void setScope(const KeyFilter &filter, const QString &scopeName);
    Rate429ChartView *rateChart() const { return m_chart; }
    void retranslate();

signals:
    void keyActivated(const QString &keyId);
    void failed(const aether::Error &error);

private:
    void showSummary(const Summary &summary);
    void showScope();

    std::unique_ptr<Ui::SummaryPage> m_ui;
    KeyService &m_keys;
    KeyTable &m_table;
    Rate429ChartView *m_chart;
    KeyFilter m_scope;
    QString m_scopeName;
    std::optional<Summary> m_summary;
};

} // namespace aether::gui
