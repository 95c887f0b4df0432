#pragma once

#include "timeline/timelinequery.h"

#include <QChartView>

class QAreaSeries;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

namespace aether::gui {

// 429s over time: per bucket the concurrency, RPM and unknown 429s as stacked areas, and for one key its effective
// limit as a step line on a second axis, on one time axis in local time. Zoom with the mouse wheel or by dragging a
// range, pan with the arrow keys or by dragging with the middle button, back to the whole range with Escape, a
// double-click or resetZoom(). Hovering shows the bucket's numbers.
class TimelineChartView : public QChartView {
    Q_OBJECT
public:
    explicit TimelineChartView(QWidget *parent = nullptr);

    void setSeries(const TimelineSeries &series, const QString &title);
    void setTitle(const QString &title);
    void clear();
    void resetZoom();
    bool isZoomed() const;
    void retranslate();
    // The legend as rich text (a coloured mark and a label per series), for a label under the chart that wraps.
    QString legendText() const;
    const TimelineSeries &series() const { return m_series; }
    // The numbers of the bucket at a time, as the tooltip shows them (empty outside the range).
    QString bucketText(qint64 epochMs) const;
    QLineSeries *limitSeries() const { return m_limit; }
    QList<QAreaSeries *> areas() const { return m_areas; }

signals:
    void zoomChanged(bool zoomed);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void setVisibleRange(qreal fromMs, qreal toMs);
    void updateTicks();

    QList<QLineSeries *> m_uppers;
    QList<QLineSeries *> m_lowers;
    QList<QAreaSeries *> m_areas;
    QLineSeries *m_limit;
    QDateTimeAxis *m_time;
    QValueAxis *m_counts;
    QValueAxis *m_limits;
    TimelineSeries m_series;
    QString m_title;
    qreal m_fullFrom = 0;
    qreal m_fullTo = 0;
    std::optional<QPoint> m_panFrom;
};

} // namespace aether::gui
