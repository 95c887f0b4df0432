#pragma once

#include "keys/keytable.h"

#include <QChartView>

class QBarCategoryAxis;
class QBarSet;
class QHorizontalBarSeries;
class QValueAxis;

namespace aether::gui {

// Concurrency 429s against RPM 429s per key, as horizontal bars for the keys with the most 429s (the caller chooses
// which, e.g. the top 20 of an endpoint). Clicking a key's bar emits keyClicked.
class Rate429ChartView : public QChartView {
    Q_OBJECT
public:
    explicit Rate429ChartView(QWidget *parent = nullptr);

    void setKeys(const QList<Key429Count> &keys, const QString &scope);
    int keyCount() const { return int(m_keys.size()); }
    // The keys drawn: the first keyCount() that have room at the chart's height.
    qsizetype visibleCount() const;
    QBarSet *concurrentSet() const { return m_concurrent; }
    QBarSet *rpmSet() const { return m_rpm; }
    void retranslate();

signals:
    void keyClicked(const QString &keyId);

protected:
    // Follows the palette (light or dark).
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void fillBars();
    QHorizontalBarSeries *m_series;
    QBarSet *m_concurrent;
    QBarSet *m_rpm;
    QBarCategoryAxis *m_names;
    QValueAxis *m_counts;
    QList<Key429Count> m_keys;
    qsizetype m_fitted = 0;
    qsizetype m_filled = 0;
    QString m_scope;
};

} // namespace aether::gui
