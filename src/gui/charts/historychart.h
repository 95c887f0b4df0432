#pragma once

#include "keys/auditlog.h"
#include "keys/keytable.h"

#include <QChartView>

class QLineSeries;
class QScatterSeries;
class QDateTimeAxis;
class QValueAxis;

namespace aether::gui {

// A key's limit over time: a step line through each history record (old → new at its time), markers coloured by
// the record's reason with a legend, a tooltip with the record's details on hover, the time axis in local time.
// Operators' changes of the key (mode, fixed limit, reset, from the audit log) are square markers of their own: at
// the fixed limit they set, else on the line.
class HistoryChartView : public QChartView {
    Q_OBJECT
public:
    explicit HistoryChartView(QWidget *parent = nullptr);

    void setHistory(const QString &keyName, const QList<AdjustmentPoint> &points,
                    const QList<AuditEntry> &operatorChanges = {});
    void clear();
    // Records drawn as steps (those with a time and a new limit).
    int stepCount() const { return m_steps; }
    // Operators' changes drawn.
    int operatorChangeCount() const { return int(m_changes.size()); }
    QLineSeries *limitSeries() const { return m_line; }
    void retranslate();
    // The legend as rich text (a coloured square and a label per kind of marker), for a label under the chart that
    // wraps: the chart's own legend cuts its entries short in a narrow pane.
    QString legendText() const;

protected:
    // Follows the palette (light or dark).
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void showRecordTip(const QPointF &point, bool state);
    void showChangeTip(const QPointF &point, bool state);
    QList<QPointF> changeMarks(const QList<QPointF> &line) const;

    QLineSeries *m_line;
    QList<QScatterSeries *> m_markers;
    QScatterSeries *m_manual;
    QList<AuditEntry> m_changes;
    QDateTimeAxis *m_time;
    QValueAxis *m_limits;
    QList<AdjustmentPoint> m_points;
    QString m_keyName;
    int m_steps = 0;
};

} // namespace aether::gui
