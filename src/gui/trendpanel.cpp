#include "trendpanel.h"

#include "charts/timelinechart.h"

#include <QComboBox>
#include <QDateTime>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace aether::gui {

namespace {

qint64 spanOf(TrendPanel::Range range)
{
    switch (range) {
    case TrendPanel::Range::LastHour:
        return timeline::hour;
    case TrendPanel::Range::LastDay:
        return timeline::day;
    case TrendPanel::Range::LastWeek:
        return 7 * timeline::day;
    case TrendPanel::Range::LastMonth:
    case TrendPanel::Range::Custom:
        break;
    }
    return 30 * timeline::day;
}

} // namespace

TrendPanel::TrendPanel(const DatabaseLocation &location, bool withTopKeys, QWidget *parent)
    : QWidget(parent)
    , m_loader(new TimelineLoader(location, this))
    , m_range(new QComboBox(this))
    , m_rangeLabel(new QLabel(this))
    , m_from(new QDateTimeEdit(this))
    , m_to(new QDateTimeEdit(this))
    , m_resetZoom(new QPushButton(this))
    , m_busy(new QProgressBar(this))
    , m_chart(new TimelineChartView(this))
    , m_legend(new QLabel(this))
    , m_totals(new QLabel(this))
{
    setObjectName(QStringLiteral("trendPanel"));
    m_range->setObjectName(QStringLiteral("trendRange"));
    for (int i = 0; i < 5; ++i)
        m_range->addItem(QString(), i);
    m_range->setCurrentIndex(int(Range::LastDay));
    m_rangeLabel->setBuddy(m_range);
    const QDateTime now = QDateTime::currentDateTime();
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setCalendarPopup(true);
        edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        edit->setMaximumDateTime(now.addYears(1));
    }
    m_from->setDateTime(now.addDays(-1));
    m_to->setDateTime(now);
    m_resetZoom->setObjectName(QStringLiteral("trendResetZoom"));
    m_resetZoom->setEnabled(false);
    m_busy->setRange(0, 0);
    m_busy->setTextVisible(false);
    m_busy->setMaximumHeight(m_busy->fontMetrics().height() / 2 + 4);
    m_busy->setVisible(false);
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);
    m_legend->setObjectName(QStringLiteral("trendLegend"));
    m_totals->setWordWrap(true);
    m_totals->setObjectName(QStringLiteral("trendTotals"));

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_rangeLabel);
    controls->addWidget(m_range);
    controls->addWidget(m_from);
    controls->addWidget(m_to);
    controls->addStretch(1);
    controls->addWidget(m_resetZoom);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(m_busy);
    if (withTopKeys) {
        auto *row = new QHBoxLayout;
        auto *chartColumn = new QVBoxLayout;
        chartColumn->addWidget(m_chart, 1);
        chartColumn->addWidget(m_legend);
        row->addLayout(chartColumn, 3);
        auto *side = new QVBoxLayout;
        m_topTitle = new QLabel(this);
        m_topTitle->setWordWrap(true);
        m_top = new QTableWidget(0, 5, this);
        m_top->setObjectName(QStringLiteral("trendTopKeys"));
        m_top->setEditTriggers(QAbstractItemView::NoEditTriggers);
        m_top->setSelectionBehavior(QAbstractItemView::SelectRows);
        m_top->verticalHeader()->hide();
        m_top->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
        for (int column = 1; column < 5; ++column)
            m_top->horizontalHeader()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
        side->addWidget(m_topTitle);
        side->addWidget(m_top, 1);
        row->addLayout(side, 2);
        layout->addLayout(row, 1);
        connect(m_top, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
            if (QTableWidgetItem *item = m_top->item(row, 0))
                emit keyActivated(item->data(Qt::UserRole).toString());
        });
    } else {
        layout->addWidget(m_chart, 1);
        layout->addWidget(m_legend);
    }
    layout->addWidget(m_totals);

    connect(m_range, &QComboBox::currentIndexChanged, this, [this] {
        updateControls();
        reload();
    });
    connect(m_from, &QDateTimeEdit::editingFinished, this, &TrendPanel::reload);
    connect(m_to, &QDateTimeEdit::editingFinished, this, &TrendPanel::reload);
    connect(m_resetZoom, &QPushButton::clicked, m_chart, &TimelineChartView::resetZoom);
    connect(m_chart, &TimelineChartView::zoomChanged, m_resetZoom, &QPushButton::setEnabled);
    connect(m_loader, &TimelineLoader::loaded, this, &TrendPanel::showLoaded);
    connect(m_loader, &TimelineLoader::failed, this, [this](const Error &error) {
        m_busy->setVisible(m_loader->isLoading());
        emit failed(error);
    });
    retranslate();
    updateControls();
}

void TrendPanel::retranslate()
{
    m_rangeLabel->setText(tr("Ran&ge:"));
    m_range->setItemText(int(Range::LastHour), tr("Last hour"));
    m_range->setItemText(int(Range::LastDay), tr("Last 24 hours"));
    m_range->setItemText(int(Range::LastWeek), tr("Last 7 days"));
    m_range->setItemText(int(Range::LastMonth), tr("Last 30 days"));
    m_range->setItemText(int(Range::Custom), tr("From – to"));
    m_from->setToolTip(tr("From (local time)"));
    m_to->setToolTip(tr("To (local time)"));
    m_resetZoom->setText(tr("Show whole range"));
    m_resetZoom->setToolTip(tr("Zoom with the mouse wheel or by dragging across the chart; pan with the arrow keys "
                               "or the middle mouse button; Esc or a double-click shows the whole range."));
    m_chart->retranslate();
    if (m_top) {
        m_top->setHorizontalHeaderLabels({tr("Key"), tr("Concurrency"), tr("RPM"), tr("Unknown"), tr("Total")});
        m_topTitle->setText(tr("Keys with the most 429s in the range (double-click to show a key)"));
    }
    m_legend->setText(m_chart->legendText());
    if (m_shown) {
        m_chart->setTitle(title());
        showTotals();
    }
}

void TrendPanel::updateControls()
{
    const bool custom = Range(m_range->currentData().toInt()) == Range::Custom;
    m_from->setVisible(custom);
    m_to->setVisible(custom);
}

void TrendPanel::setRange(Range range)
{
    m_range->setCurrentIndex(int(range));
}

void TrendPanel::setScope(const TimelineScope &scope, const QString &name)
{
    m_scope = scope;
    m_name = name;
    m_scopeSet = true;
    if (isVisible())
        reload();
}

bool TrendPanel::isLoading() const
{
    return m_loader->isLoading();
}

void TrendPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_scopeSet)
        reload();
}

void TrendPanel::reload()
{
    if (!m_scopeSet)
        return;
    const Range range = Range(m_range->currentData().toInt());
    qint64 to = QDateTime::currentSecsSinceEpoch() + 1;
    qint64 from = to - spanOf(range);
    if (range == Range::Custom) {
        to = m_to->dateTime().toSecsSinceEpoch();
        // At most as many days as the HTTP routes return buckets (a wider range would be empty years anyway).
        from = std::clamp(m_from->dateTime().toSecsSinceEpoch(), to - TimelineQuery::maxPoints * timeline::day,
                          to - timeline::minute);
    }
    const qint64 step = stepFor(from, to);
    TimelineRequest request;
    request.scope = m_scope;
    request.range = TimelineQuery::range(from, to, step);
    request.withTopKeys = m_top != nullptr && m_scope.keyId.isEmpty();
    m_busy->setVisible(true);
    m_loader->load(request);
}

qint64 TrendPanel::stepFor(qint64 from, qint64 to)
{
    for (const qint64 step : TimelineQuery::steps()) {
        if (TimelineQuery::range(from, to, step).pointCount() <= pointsAtMost)
            return step;
    }
    return TimelineQuery::steps().constLast();
}

QString TrendPanel::rangeText(const TimelineRange &range) const
{
    const QLocale locale;
    const QString from = locale.toString(QDateTime::fromSecsSinceEpoch(range.from), QLocale::ShortFormat);
    const QString to = locale.toString(QDateTime::fromSecsSinceEpoch(range.to), QLocale::ShortFormat);
    const QString step = range.step == timeline::minute       ? tr("by the minute")
                         : range.step == 5 * timeline::minute ? tr("per 5 minutes")
                         : range.step == timeline::hour       ? tr("by the hour")
                                                              : tr("by the day");
    return tr("%1 – %2, %3").arg(from, to, step);
}

QString TrendPanel::title() const
{
    return m_name.isEmpty() ? tr("429s over time") : tr("429s over time: %1").arg(m_name);
}

void TrendPanel::showTotals()
{
    if (!m_shown)
        return;
    const QLocale locale;
    const TimelineCounts &t = m_chart->series().total;
    m_totals->setText(tr("In %1: %2 concurrency 429s, %3 RPM 429s, %4 unknown 429s, %5 adjustments. Older than 48 "
                         "hours the series is kept by the hour; times are local.")
                          .arg(rangeText(m_shown->range), locale.toString(t.concurrent429), locale.toString(t.rpm429),
                               locale.toString(t.unknown429), locale.toString(t.adjustments)));
}

void TrendPanel::showLoaded(const TimelineRequest &request, const TimelineSeries &series, const QList<TopKey> &top)
{
    m_busy->setVisible(m_loader->isLoading());
    m_shown = request;
    m_chart->setSeries(series, title());
    m_legend->setText(m_chart->legendText());
    showTotals();
    const QLocale locale;
    if (!m_top || !request.withTopKeys)
        return;
    m_top->setRowCount(int(top.size()));
    for (int row = 0; row < top.size(); ++row) {
        const TopKey &key = top.at(row);
        auto *name = new QTableWidgetItem(key.name.isEmpty() ? key.keyId : key.name);
        name->setData(Qt::UserRole, key.keyId);
        name->setToolTip(key.keyId);
        m_top->setItem(row, 0, name);
        const QList<qint64> values{key.counts.concurrent429, key.counts.rpm429, key.counts.unknown429,
                                   key.counts.total429()};
        for (int column = 0; column < values.size(); ++column) {
            auto *item = new QTableWidgetItem(locale.toString(values.at(column)));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_top->setItem(row, column + 1, item);
        }
    }
}

} // namespace aether::gui
