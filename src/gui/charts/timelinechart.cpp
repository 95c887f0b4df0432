#include "timelinechart.h"

#include "chartpalette.h"

#include <QAreaSeries>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QMouseEvent>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace aether::gui {

namespace {

const QColor concurrentColor(0xd6, 0x27, 0x28);
const QColor rpmColor(0xff, 0x7f, 0x0e);
const QColor unknownColor(0x8c, 0x8c, 0x8c);
const QColor limitColor(0x1f, 0x4e, 0x9a);

qint64 countAt(const TimelinePoint &p, int layer)
{
    return layer == 0 ? p.counts.concurrent429 : layer == 1 ? p.counts.rpm429 : p.counts.unknown429;
}

} // namespace

TimelineChartView::TimelineChartView(QWidget *parent)
    : QChartView(new QChart, parent)
    , m_limit(new QLineSeries(this))
    , m_time(new QDateTimeAxis(this))
    , m_counts(new QValueAxis(this))
    , m_limits(new QValueAxis(this))
{
    setObjectName(QStringLiteral("timelineChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(240);
    setRubberBand(QChartView::HorizontalRubberBand);
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    QChart *c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->legend()->hide(); // see legendText(): the chart's own legend cuts its entries short in a narrow pane
    const QList<QColor> colors{concurrentColor, rpmColor, unknownColor};
    for (int layer = 0; layer < 3; ++layer) {
        auto *upper = new QLineSeries(this);
        auto *lower = layer == 0 ? nullptr : m_uppers.last();
        auto *area = new QAreaSeries(upper, lower);
        QColor fill = colors.at(layer);
        fill.setAlpha(190);
        area->setBrush(fill);
        area->setPen(Qt::NoPen); // a layer without 429s would draw its outline over the one below
        area->setProperty("color", colors.at(layer));
        c->addSeries(area);
        m_uppers << upper;
        m_lowers << lower;
        m_areas << area;
    }
    QPen pen(limitColor);
    pen.setWidth(2);
    m_limit->setPen(pen);
    c->addSeries(m_limit);
    m_time->setFormat(QStringLiteral("MM-dd HH:mm"));
    // Qt Charts leaves a vertical axis' title the axis' width less the labels' padding and the width of "..." in the
    // labels' font: with one-digit labels ("0", "1", "2") that is less than a Chinese title's line height, and the
    // title is elided ("429 …"). A leading space (the labels are HTML) makes every label at least that wide.
    m_counts->setLabelFormat(QStringLiteral("&nbsp;%d"));
    m_limits->setLabelFormat(QStringLiteral("%d"));
    m_limits->setLinePenColor(limitColor);
    m_limits->setObjectName(QStringLiteral("limitAxis"));
    c->addAxis(m_time, Qt::AlignBottom);
    c->addAxis(m_counts, Qt::AlignLeft);
    c->addAxis(m_limits, Qt::AlignRight);
    for (QAreaSeries *area : std::as_const(m_areas)) {
        area->attachAxis(m_time);
        area->attachAxis(m_counts);
    }
    m_limit->attachAxis(m_time);
    m_limit->attachAxis(m_limits);
    connect(m_time, &QDateTimeAxis::rangeChanged, this, [this] {
        updateTicks();
        emit zoomChanged(isZoomed());
    });
    applyPalette(chart(), palette());
    m_limits->setLabelsColor(limitColor);
    retranslate();
    clear();
}

void TimelineChartView::retranslate()
{
    m_areas.at(0)->setName(tr("Concurrency 429s"));
    m_areas.at(1)->setName(tr("RPM 429s"));
    m_areas.at(2)->setName(tr("Unknown 429s"));
    m_limit->setName(tr("Effective limit"));
    m_time->setTitleText(tr("Time (local)"));
    m_counts->setTitleText(tr("429s per bucket"));
    m_limits->setTitleText(tr("Limit"));
    chart()->setTitle(m_title);
}

QString TimelineChartView::legendText() const
{
    QStringList items;
    for (const QAreaSeries *area : m_areas) {
        items << QStringLiteral("<span style=\"color:%1\">&#9632;</span>&nbsp;%2")
                     .arg(area->property("color").value<QColor>().name(),
                          area->name().toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;")));
    }
    if (m_series.hasLimit)
        items << QStringLiteral("<span style=\"color:%1\">&#9473;</span>&nbsp;%2")
                     .arg(limitColor.name(), m_limit->name().toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;")));
    return items.join(QStringLiteral(" &nbsp; ")); // lines break between entries only
}

void TimelineChartView::setTitle(const QString &title)
{
    m_title = title;
    chart()->setTitle(title);
}

void TimelineChartView::clear()
{
    TimelineSeries empty;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    empty.range = TimelineQuery::range(now - timeline::day, now, timeline::hour);
    setSeries(empty, QString());
}

void TimelineChartView::setSeries(const TimelineSeries &series, const QString &title)
{
    m_series = series;
    m_title = title;
    const qint64 step = series.range.step;
    QList<QList<QPointF>> layers(3);
    qint64 highest = 1;
    for (const TimelinePoint &p : series.points) {
        const qreal x0 = qreal(p.t) * 1000;
        const qreal x1 = qreal(p.t + step) * 1000;
        qint64 stacked = 0;
        for (int layer = 0; layer < 3; ++layer) {
            stacked += countAt(p, layer);
            layers[layer] << QPointF(x0, qreal(stacked)) << QPointF(x1, qreal(stacked));
        }
        highest = std::max(highest, stacked);
    }
    for (int layer = 0; layer < 3; ++layer)
        m_uppers.at(layer)->replace(layers.at(layer));
    // The limit as steps; a bucket without a limit (nothing learned yet) is left out.
    QList<QPointF> limit;
    int highestLimit = 1;
    if (series.hasLimit) {
        for (const TimelinePoint &p : series.points) {
            if (!p.limit)
                continue;
            limit << QPointF(qreal(p.t) * 1000, *p.limit) << QPointF(qreal(p.t + step) * 1000, *p.limit);
            highestLimit = std::max(highestLimit, *p.limit);
        }
    }
    m_limit->replace(limit);
    m_limit->setVisible(series.hasLimit);
    m_limits->setVisible(series.hasLimit);
    // Whole numbers only: a tick every 1, 2, 5, 10, 20, … 429s, five or fewer ticks.
    qint64 interval = 1;
    for (qint64 scale = 1; highest / interval > 5; scale *= 10) {
        for (const qint64 f : {1, 2, 5}) {
            interval = f * scale;
            if (highest / interval <= 5)
                break;
        }
    }
    m_counts->setTickType(QValueAxis::TicksDynamic);
    m_counts->setTickAnchor(0);
    m_counts->setTickInterval(qreal(interval));
    m_counts->setRange(0, qreal((highest / interval + 1) * interval));
    m_limits->setRange(0, highestLimit + std::max(2, highestLimit / 10));
    m_limits->applyNiceNumbers();
    m_fullFrom = qreal(series.range.from) * 1000;
    m_fullTo = qreal(series.range.from + series.range.pointCount() * step) * 1000;
    if (m_fullTo <= m_fullFrom)
        m_fullTo = m_fullFrom + qreal(step) * 1000;
    resetZoom();
    retranslate();
}

void TimelineChartView::setVisibleRange(qreal fromMs, qreal toMs)
{
    const qreal minimum = qreal(m_series.range.step) * 1000 * 2; // never closer than two buckets
    if (toMs - fromMs < minimum) {
        const qreal middle = (fromMs + toMs) / 2;
        fromMs = middle - minimum / 2;
        toMs = middle + minimum / 2;
    }
    fromMs = std::max(fromMs, m_fullFrom);
    toMs = std::min(toMs, m_fullTo);
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(qint64(fromMs)), QDateTime::fromMSecsSinceEpoch(qint64(toMs)));
}

void TimelineChartView::resetZoom()
{
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(qint64(m_fullFrom)),
                     QDateTime::fromMSecsSinceEpoch(qint64(m_fullTo)));
}

bool TimelineChartView::isZoomed() const
{
    return m_time->min().toMSecsSinceEpoch() > qint64(m_fullFrom) + 1 ||
           m_time->max().toMSecsSinceEpoch() < qint64(m_fullTo) - 1;
}

void TimelineChartView::updateTicks()
{
    // About one time label per 110 pixels; the format follows the visible span.
    m_time->setTickCount(std::clamp(int(chart()->plotArea().width() / 110) + 1, 2, 10));
    const qint64 span = m_time->max().toMSecsSinceEpoch() - m_time->min().toMSecsSinceEpoch();
    m_time->setFormat(span <= 2LL * 86400000 ? QStringLiteral("MM-dd HH:mm") : QStringLiteral("yyyy-MM-dd"));
}

QString TimelineChartView::bucketText(qint64 epochMs) const
{
    const qint64 step = m_series.range.step;
    if (m_series.points.isEmpty() || epochMs < m_series.range.from * 1000)
        return {};
    const qint64 index = (epochMs / 1000 - m_series.range.from) / step;
    if (index < 0 || index >= m_series.points.size())
        return {};
    const TimelinePoint &p = m_series.points.at(index);
    const QLocale locale;
    const QDateTime start = QDateTime::fromSecsSinceEpoch(p.t);
    const QDateTime end = QDateTime::fromSecsSinceEpoch(p.t + step);
    QStringList lines{
        tr("%1 – %2").arg(locale.toString(start, QLocale::ShortFormat),
                          locale.toString(end, step >= timeline::day ? QLocale::ShortFormat : QLocale::NarrowFormat)),
        tr("Concurrency 429s: %1").arg(locale.toString(p.counts.concurrent429)),
        tr("RPM 429s: %1").arg(locale.toString(p.counts.rpm429)),
        tr("Unknown 429s: %1").arg(locale.toString(p.counts.unknown429)),
        tr("Adjustments: %1").arg(locale.toString(p.counts.adjustments))};
    if (m_series.hasLimit)
        lines << tr("Effective limit at the end: %1")
                     .arg(p.limit ? locale.toString(*p.limit) : tr("none (nothing learned yet)"));
    return lines.join(u'\n');
}

void TimelineChartView::mouseMoveEvent(QMouseEvent *event)
{
    if (m_panFrom) {
        const int dx = event->position().toPoint().x() - m_panFrom->x();
        m_panFrom = event->position().toPoint();
        chart()->scroll(-dx, 0);
        const qreal from = qreal(m_time->min().toMSecsSinceEpoch());
        const qreal to = qreal(m_time->max().toMSecsSinceEpoch());
        if (from < m_fullFrom || to > m_fullTo) // not beyond the data
            setVisibleRange(std::max(from, m_fullFrom) - std::max<qreal>(0, to - m_fullTo),
                            std::min(to, m_fullTo) + std::max<qreal>(0, m_fullFrom - from));
        event->accept();
        return;
    }
    QChartView::mouseMoveEvent(event);
    const QPointF position = event->position();
    if (chart()->plotArea().contains(position)) {
        const QPointF value = chart()->mapToValue(position, m_areas.first());
        const QString text = bucketText(qint64(value.x()));
        if (!text.isEmpty()) {
            QToolTip::showText(event->globalPosition().toPoint(), text, this);
            return;
        }
    }
    QToolTip::hideText();
}

void TimelineChartView::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton) {
        m_panFrom = event->position().toPoint();
        event->accept();
        return;
    }
    if (event->button() == Qt::RightButton) { // QChartView would zoom out by a factor; back to the whole range
        resetZoom();
        event->accept();
        return;
    }
    QChartView::mousePressEvent(event);
}

void TimelineChartView::mouseReleaseEvent(QMouseEvent *event)
{
    if (event->button() == Qt::MiddleButton) {
        m_panFrom.reset();
        event->accept();
        return;
    }
    if (event->button() == Qt::RightButton) {
        event->accept();
        return;
    }
    QChartView::mouseReleaseEvent(event);
    // Never wider than the data, never closer than two buckets.
    setVisibleRange(qreal(m_time->min().toMSecsSinceEpoch()), qreal(m_time->max().toMSecsSinceEpoch()));
}

void TimelineChartView::mouseDoubleClickEvent(QMouseEvent *event)
{
    resetZoom();
    event->accept();
}

void TimelineChartView::wheelEvent(QWheelEvent *event)
{
    const QRectF plot = chart()->plotArea();
    if (!plot.contains(event->position()) || event->angleDelta().y() == 0) {
        QChartView::wheelEvent(event);
        return;
    }
    const qreal from = qreal(m_time->min().toMSecsSinceEpoch());
    const qreal to = qreal(m_time->max().toMSecsSinceEpoch());
    const qreal at = from + (to - from) * (event->position().x() - plot.left()) / plot.width();
    const qreal factor = std::pow(0.8, event->angleDelta().y() / 120.0); // one notch: 20 % closer
    setVisibleRange(at - (at - from) * factor, at + (to - at) * factor);
    event->accept();
}

void TimelineChartView::keyPressEvent(QKeyEvent *event)
{
    const qreal from = qreal(m_time->min().toMSecsSinceEpoch());
    const qreal to = qreal(m_time->max().toMSecsSinceEpoch());
    const qreal shift = (to - from) / 5;
    switch (event->key()) {
    case Qt::Key_Left:
        setVisibleRange(from - std::min(shift, from - m_fullFrom), to - std::min(shift, from - m_fullFrom));
        break;
    case Qt::Key_Right:
        setVisibleRange(from + std::min(shift, m_fullTo - to), to + std::min(shift, m_fullTo - to));
        break;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        setVisibleRange(from + (to - from) * 0.1, to - (to - from) * 0.1);
        break;
    case Qt::Key_Minus:
        setVisibleRange(from - (to - from) * 0.125, to + (to - from) * 0.125);
        break;
    case Qt::Key_Escape:
    case Qt::Key_0:
        resetZoom();
        break;
    default:
        QChartView::keyPressEvent(event);
        return;
    }
    event->accept();
}

void TimelineChartView::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    updateTicks();
}

void TimelineChartView::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        applyPalette(chart(), palette());
        m_limits->setLabelsColor(limitColor);
    }
}

} // namespace aether::gui
