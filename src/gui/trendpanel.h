#pragma once

#include "storage/databaselocation.h"
#include "timelineloader.h"

#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace aether::gui {

class TimelineChartView;

// The time series of a key, an endpoint, a provider or all keys: a range picker (the last hour, 24 hours, 7 days,
// 30 days, or from–to), the chart (429s per bucket stacked by type; for a key its effective limit), the range's
// totals, and for a scope of many keys the ten keys with the most 429s in the range. Reads off the GUI thread
// (TimelineLoader); while it reads, a busy bar shows and the chart shown so far stays.
class TrendPanel : public QWidget {
    Q_OBJECT
public:
    enum class Range { LastHour, LastDay, LastWeek, LastMonth, Custom };

    TrendPanel(const DatabaseLocation &location, bool withTopKeys, QWidget *parent = nullptr);

    // What to show; `name` titles the chart. Reloads when the panel is visible.
    void setScope(const TimelineScope &scope, const QString &name);
    void setRange(Range range);
    // The finest step that shows [from, to) in at most this many buckets (about three pixels a bucket), so that
    // a bucket stays visible without zooming.
    static constexpr qint64 pointsAtMost = 800;
    static qint64 stepFor(qint64 from, qint64 to);
    // Reads again (the range "the last …" moves with the clock).
    void reload();
    bool isLoading() const;
    TimelineChartView *chart() const { return m_chart; }
    QTableWidget *topKeysTable() const { return m_top; }
    QLabel *totalsLabel() const { return m_totals; }
    void retranslate();

signals:
    void keyActivated(const QString &keyId);
    void failed(const aether::Error &error);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showLoaded(const TimelineRequest &request, const TimelineSeries &series, const QList<TopKey> &top);
    void showTotals();
    QString title() const;
    void updateControls();
    QString rangeText(const TimelineRange &range) const;

    TimelineLoader *m_loader;
    QComboBox *m_range;
    QLabel *m_rangeLabel;
    QDateTimeEdit *m_from;
    QDateTimeEdit *m_to;
    QPushButton *m_resetZoom;
    QProgressBar *m_busy;
    TimelineChartView *m_chart;
    QLabel *m_legend;
    QLabel *m_totals;
    QLabel *m_topTitle = nullptr;
    QTableWidget *m_top = nullptr;
    TimelineScope m_scope;
    QString m_name;
    bool m_scopeSet = false;
    std::optional<TimelineRequest> m_shown;
};

} // namespace aether::gui
