#include "historychart.h"

#include "chartpalette.h"

#include "auditpage.h"
#include "guiformat.h"

#include <QDateTime>
#include <QDateTimeAxis>
#include <QJsonDocument>
#include <QLineSeries>
#include <QLocale>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>

namespace aether::gui {

namespace {

const QStringList knownReasons{QStringLiteral("concurrent_429"), QStringLiteral("unknown_429"),
                               QStringLiteral("high_utilization"), QStringLiteral("probe_increase")};

qreal msecs(const Timestamp &at)
{
    return qreal(at.microseconds() / 1000);
}

} // namespace

HistoryChartView::HistoryChartView(QWidget *parent)
    : QChartView(new QChart, parent)
    , m_line(new QLineSeries(this))
    , m_manual(new QScatterSeries(this))
    , m_time(new QDateTimeAxis(this))
    , m_limits(new QValueAxis(this))
{
    setObjectName(QStringLiteral("historyChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(300);
    QChart *c = chart();
    c->setMargins(QMargins(4, 4, 4, 4));
    c->legend()->hide(); // see legendText()
    c->addSeries(m_line);
    QPen pen(QColor(0x33, 0x33, 0x33));
    pen.setWidth(2);
    m_line->setPen(pen);
    for (const QString &reason : knownReasons) {
        auto *markers = new QScatterSeries(this);
        markers->setProperty("reason", reason);
        markers->setMarkerSize(10);
        markers->setColor(reasonColor(reason));
        markers->setBorderColor(reasonColor(reason).darker(130));
        c->addSeries(markers);
        connect(markers, &QScatterSeries::hovered, this, &HistoryChartView::showRecordTip);
        m_markers.append(markers);
    }
    m_manual->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
    m_manual->setMarkerSize(11);
    m_manual->setColor(QColor(0x6a, 0x3d, 0x9a));
    m_manual->setBorderColor(QColor(0x6a, 0x3d, 0x9a).darker(140));
    c->addSeries(m_manual);
    connect(m_manual, &QScatterSeries::hovered, this, &HistoryChartView::showChangeTip);
    m_time->setFormat(QStringLiteral("MM-dd HH:mm"));
    m_time->setTickCount(5);
    m_limits->setLabelFormat(QStringLiteral("%d"));
    c->addAxis(m_time, Qt::AlignBottom);
    c->addAxis(m_limits, Qt::AlignLeft);
    for (QAbstractSeries *series : c->series()) {
        series->attachAxis(m_time);
        series->attachAxis(m_limits);
    }
    applyPalette(chart(), palette());
    retranslate();
    clear();
}

void HistoryChartView::retranslate()
{
    m_line->setName(tr("Limit"));
    m_manual->setName(tr("Operator change"));
    for (QScatterSeries *markers : std::as_const(m_markers))
        markers->setName(reasonLabel(markers->property("reason").toString()));
    m_time->setTitleText(tr("Time (local)"));
    m_limits->setTitleText(tr("Limit"));
    if (m_steps == 0 && m_changes.isEmpty())
        chart()->setTitle(m_keyName.isEmpty() ? tr("Adjustment history") : tr("Adjustment history: none yet"));
    else
        chart()->setTitle(tr("Adjustment history of %1").arg(m_keyName));
}

QString HistoryChartView::legendText() const
{
    QStringList items;
    QList<QScatterSeries *> series = m_markers;
    series << m_manual;
    for (const QScatterSeries *markers : series) {
        items << QStringLiteral("<span style=\"color:%1\">%2</span>&nbsp;%3")
                     .arg(markers->color().name(),
                          markers == m_manual ? QStringLiteral("&#9632;") : QStringLiteral("&#9679;"),
                          markers->name().toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;")));
    }
    return items.join(QStringLiteral(" &nbsp; ")); // lines break between entries only
}

void HistoryChartView::clear()
{
    setHistory({}, {});
}

void HistoryChartView::setHistory(const QString &keyName, const QList<AdjustmentPoint> &points,
                                  const QList<AuditEntry> &operatorChanges)
{
    m_keyName = keyName;
    m_changes.clear();
    for (const AuditEntry &change : operatorChanges) {
        if (change.action != u"update_policy" && change.action != u"reset_policy" && Timestamp::parse(change.timestamp))
            m_changes.append(change);
    }
    m_points.clear();
    for (const AdjustmentPoint &p : points) {
        if (p.at && p.newLimit)
            m_points.append(p);
    }
    std::sort(m_points.begin(), m_points.end(), [](const AdjustmentPoint &a, const AdjustmentPoint &b) {
        return a.at->microseconds() < b.at->microseconds();
    });
    m_steps = int(m_points.size());

    QList<QPointF> line;
    QHash<QString, QList<QPointF>> marks;
    int highest = 10;
    for (const AdjustmentPoint &p : std::as_const(m_points)) {
        const qreal x = msecs(*p.at);
        const int before = p.oldLimit.value_or(line.isEmpty() ? *p.newLimit : int(line.last().y()));
        line << QPointF(x, before) << QPointF(x, *p.newLimit);
        const QString reason = knownReasons.contains(p.reason) ? p.reason : knownReasons.first();
        marks[reason] << QPointF(x, *p.newLimit);
        highest = std::max({highest, before, *p.newLimit});
    }
    if (!line.isEmpty()) {
        // Hold the last limit up to now, so the current value is visible as a level.
        const qreal now = qreal(QDateTime::currentMSecsSinceEpoch());
        if (now > line.last().x())
            line << QPointF(now, line.last().y());
    }
    m_line->replace(line);
    for (QScatterSeries *markers : std::as_const(m_markers))
        markers->replace(marks.value(markers->property("reason").toString()));
    const QList<QPointF> changes = changeMarks(line);
    m_manual->replace(changes);

    qreal first = line.isEmpty() ? qreal(QDateTime::currentMSecsSinceEpoch() - 86400000) : line.first().x();
    qreal last = line.isEmpty() ? qreal(QDateTime::currentMSecsSinceEpoch()) : line.last().x();
    for (const QPointF &mark : changes) {
        first = std::min(first, mark.x());
        last = std::max(last, mark.x());
        highest = std::max(highest, int(mark.y()));
    }
    const qreal pad = std::max<qreal>((last - first) * 0.03, 60000);
    m_time->setRange(QDateTime::fromMSecsSinceEpoch(qint64(first - pad)),
                     QDateTime::fromMSecsSinceEpoch(qint64(last + pad)));
    m_limits->setRange(0, highest + std::max(2, highest / 10));
    m_limits->applyNiceNumbers();
    retranslate();
}

// Where each operator change is drawn: at the fixed limit it set, else at the step line's level at that time (0 before
// the first record).
QList<QPointF> HistoryChartView::changeMarks(const QList<QPointF> &line) const
{
    QList<QPointF> marks;
    for (const AuditEntry &change : m_changes) {
        const qreal x = msecs(*Timestamp::parse(change.timestamp));
        const QJsonValue fixed = change.after.value(QStringLiteral("max_concurrent"));
        qreal y = 0;
        if (fixed.isDouble()) {
            y = fixed.toDouble();
        } else {
            for (const QPointF &p : line) {
                if (p.x() > x)
                    break;
                y = p.y();
            }
        }
        marks << QPointF(x, y);
    }
    return marks;
}

void HistoryChartView::showChangeTip(const QPointF &point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    const QList<QPointF> marks = m_manual->points();
    for (qsizetype i = 0; i < marks.size() && i < m_changes.size(); ++i) {
        if (qAbs(marks.at(i).x() - point.x()) < 1 && qAbs(marks.at(i).y() - point.y()) < 0.5) {
            const AuditEntry &change = m_changes.at(i);
            QToolTip::showText(QCursor::pos(),
                               QStringList{formatTimestamp(change.timestamp), actionLabel(change.action),
                                           formatAuditChange(change.before, change.after), change.actor}
                                   .join(u'\n'),
                               this);
            return;
        }
    }
}

void HistoryChartView::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    // About one time label per 110 pixels, so that labels never overlap or get cut.
    m_time->setTickCount(std::clamp(int(chart()->plotArea().width() / 110) + 1, 2, 8));
}

void HistoryChartView::showRecordTip(const QPointF &point, bool state)
{
    if (!state) {
        QToolTip::hideText();
        return;
    }
    for (const AdjustmentPoint &p : std::as_const(m_points)) {
        if (qAbs(msecs(*p.at) - point.x()) < 1 && *p.newLimit == int(point.y())) {
            QStringList lines{formatTimestamp(*p.at), formatChange(p.oldLimit, p.newLimit), reasonLabel(p.reason)};
            // The record's other fields as stored (current_concurrent, avg_utilization, …).
            for (auto it = p.record.constBegin(); it != p.record.constEnd(); ++it) {
                if (it.key() == u"timestamp" || it.key() == u"old_limit" || it.key() == u"new_limit" ||
                    it.key() == u"reason")
                    continue;
                if (it.key() == u"signal") {
                    lines.insert(3, signalLabel(it.value().toString()));
                    continue;
                }
                const QJsonValue v = it.value();
                const QString text =
                    v.isString()   ? v.toString()
                    : v.isDouble() ? QLocale().toString(v.toDouble(), 'g', 12)
                                   : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact))
                                         .chopped(1)
                                         .mid(1);
                lines << it.key() + QStringLiteral(": ") + text;
            }
            QToolTip::showText(QCursor::pos(), lines.join(u'\n'), this);
            return;
        }
    }
}

void HistoryChartView::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        applyPalette(chart(), palette());
}

} // namespace aether::gui
