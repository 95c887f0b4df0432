#include "rate429chart.h"

#include "chartpalette.h"

#include "guiformat.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QFontMetrics>
#include <QHorizontalBarSeries>
#include <QLegend>
#include <QValueAxis>

namespace aether::gui {

Rate429ChartView::Rate429ChartView(QWidget *parent)
    : QChartView(new QChart, parent)
    , m_series(new QHorizontalBarSeries(this))
    , m_concurrent(new QBarSet(QString(), this))
    , m_rpm(new QBarSet(QString(), this))
    , m_names(new QBarCategoryAxis(this))
    , m_counts(new QValueAxis(this))
{
    setObjectName(QStringLiteral("rate429Chart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(260);
    m_concurrent->setColor(reasonColor(QStringLiteral("concurrent_429")));
    m_rpm->setColor(QColor(0x7d, 0x5b, 0xa6));
    m_series->append(m_concurrent);
    m_series->append(m_rpm);
    m_series->setBarWidth(0.8);
    QChart *c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->addSeries(m_series);
    c->addAxis(m_names, Qt::AlignLeft);
    c->addAxis(m_counts, Qt::AlignBottom);
    m_series->attachAxis(m_names);
    m_series->attachAxis(m_counts);
    m_counts->setLabelFormat(QStringLiteral("%d"));
    c->legend()->setAlignment(Qt::AlignBottom);
    connect(m_series, &QHorizontalBarSeries::clicked, this, [this](int index, QBarSet *) {
        // Bars are drawn bottom-up; m_keys is most-first and the categories were appended in reverse.
        const qsizetype key = visibleCount() - 1 - index;
        if (key >= 0 && key < visibleCount())
            emit keyClicked(m_keys.at(key).keyId);
    });
    applyPalette(chart(), palette());
    retranslate();
}

void Rate429ChartView::retranslate()
{
    fillBars();
    m_concurrent->setLabel(tr("Concurrency 429s"));
    m_rpm->setLabel(tr("RPM 429s"));
    m_counts->setTitleText(tr("429 responses"));
    if (m_keys.isEmpty())
        chart()->setTitle(tr("429s per key: none recorded"));
    else if (m_scope.isEmpty())
        chart()->setTitle(tr("429s per key (top %n)", nullptr, int(visibleCount())));
    else
        chart()->setTitle(tr("429s per key in %1 (top %n)", nullptr, int(visibleCount())).arg(m_scope));
}

void Rate429ChartView::setKeys(const QList<Key429Count> &keys, const QString &scope)
{
    m_keys = keys;
    m_scope = scope;
    retranslate(); // fills the bars: their names say which keys are fixed
}

void Rate429ChartView::fillBars()
{
    m_concurrent->remove(0, m_concurrent->count());
    m_rpm->remove(0, m_rpm->count());
    QStringList names;
    qint64 highest = 1;
    const QFontMetrics metrics(font());
    // Most 429s at the top: the axis draws its first category at the bottom.
    for (qsizetype i = visibleCount() - 1; i >= 0; --i) {
        const Key429Count &k = m_keys.at(i);
        QString name = metrics.elidedText(k.name, Qt::ElideMiddle, 160);
        if (!k.adaptive)
            name = tr("%1 (fixed)", "a key with a fixed limit in the 429 chart").arg(name);
        while (names.contains(name)) // categories must be unique
            name += u' ';
        names << name;
        m_concurrent->append(qreal(k.concurrent429));
        m_rpm->append(qreal(k.rpm429));
        highest = std::max({highest, k.concurrent429, k.rpm429});
    }
    m_names->clear();
    m_names->append(names);
    m_filled = visibleCount();
    m_counts->setRange(0, qreal(highest) * 1.1);
    m_counts->applyNiceNumbers();
}

qsizetype Rate429ChartView::visibleCount() const
{
    // As many keys as have room for their names (a bar pair needs about 1.7 lines); the axis elides the rest.
    const int line = QFontMetrics(font()).height();
    const qsizetype fit = std::max<qsizetype>(3, (height() - 7 * line) * 10 / (17 * line));
    return std::min(m_keys.size(), fit);
}

void Rate429ChartView::resizeEvent(QResizeEvent *event)
{
    const qsizetype before = visibleCount();
    QChartView::resizeEvent(event);
    m_fitted = visibleCount();
    if (m_fitted != before || m_filled != m_fitted)
        retranslate();
}

void Rate429ChartView::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette(chart(), palette());
}

} // namespace aether::gui
