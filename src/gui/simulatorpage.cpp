#include "simulatorpage.h"

#include "charts/chartpalette.h"
#include "dialogs.h"
#include "guiformat.h"
#include "keychange.h"
#include "policypage.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QThread>
#include <QValueAxis>
#include <QVBoxLayout>

namespace aether::gui {

namespace {

// Markers of 429s drawn per strategy at most (the table counts them all).
constexpr int maxMarkers = 3000;

const QList<QColor> strategyColors{QColor(0x2e, 0x86, 0xc1), QColor(0xe6, 0x7e, 0x22), QColor(0x8e, 0x44, 0xad),
                                   QColor(0x16, 0xa0, 0x85)};

double minutes(qint64 us)
{
    return double(us) / 60e6;
}

QString settleText(const std::vector<std::optional<int>> &settle)
{
    QStringList parts;
    for (const std::optional<int> &s : settle)
        parts << (s ? QLocale().toString(*s) : QStringLiteral("—"));
    return parts.join(u" / ");
}

// The description of a built-in scenario in the user's language; a loaded scenario's own text otherwise.
QString scenarioDescription(const SimulationScenario &scenario, bool builtIn)
{
    if (builtIn) {
        if (scenario.name == u"bursty")
            return SimulatorPage::tr("Hidden limit 30; demand 10 for 4 minutes, then bursts of 90 for 1 minute.");
        if (scenario.name == u"diurnal")
            return SimulatorPage::tr("Hidden limit 50; demand swings between 10 and 90 over an hour.");
        if (scenario.name == u"flat_latency_drop")
            return SimulatorPage::tr("Latency does not grow with load; hidden limit 80 falls to 35 at 30 minutes; "
                                     "demand 120, with a quiet quarter hour.");
        if (scenario.name == u"high_limit")
            return SimulatorPage::tr(
                "Hidden limit 150, three times the initial limit; demand 220: how fast the limit climbs.");
        if (scenario.name == u"limit_200")
            return SimulatorPage::tr("Hidden limit 200, the policy's maximum; demand 300.");
        if (scenario.name == u"limit_change")
            return SimulatorPage::tr(
                "Hidden limit 40, falls to 12 at 40 minutes, rises to 60 at 80 minutes; demand 90.");
        if (scenario.name == u"long_outputs")
            return SimulatorPage::tr("Long outputs (median 2,000 tokens); hidden limit 25, demand 50.");
        if (scenario.name == u"rise_after_steady")
            return SimulatorPage::tr("Hidden limit 20 rises to 50 at 30 minutes without a fall before; demand 80.");
        if (scenario.name == u"rise_twice")
            return SimulatorPage::tr("Hidden limit 100 rises to 150 at 30 minutes and 190 at 60 minutes, falls to 120 "
                                     "at 90 minutes; demand 220.");
        if (scenario.name == u"rpm_cap_no_headers")
            return SimulatorPage::tr("An RPM cap of 30 a minute without rate-limit headers (its 429s look like "
                                     "concurrency 429s); hidden limit 30, demand 40.");
        if (scenario.name == u"rpm_no_headers")
            return SimulatorPage::tr(
                "As rpm_periods, but without rate-limit headers: RPM 429s look like concurrency 429s.");
        if (scenario.name == u"rpm_periods")
            return SimulatorPage::tr("Hidden limit 40, demand 60; an RPM cap of 45 a minute from 15 to 30 and from 45 "
                                     "to 60 minutes, announced by headers.");
        if (scenario.name == u"shared_key")
            return SimulatorPage::tr(
                "Hidden limit 40; other users of the key hold 0 to 8 requests (redrawn every minute); demand 80.");
        if (scenario.name == u"sine_small")
            return SimulatorPage::tr("Hidden limit 8; demand swings between 2 and 16 over an hour.");
        if (scenario.name == u"staircase")
            return SimulatorPage::tr("Hidden limit 30, 20, 45, 15, 30, changing every 30 minutes; demand 70.");
        if (scenario.name == u"steady_overload")
            return SimulatorPage::tr("Hidden limit 40; demand twice the limit for an hour.");
        if (scenario.name == u"tiny_limit")
            return SimulatorPage::tr("Hidden limit 2, below the policy's minimum of 3; demand 6.");
        if (scenario.name == u"volatile_share")
            return SimulatorPage::tr(
                "Hidden limit 60; other users of the key hold 0 to 25 requests (redrawn every 2 minutes); demand 100.");
    }
    return scenario.description;
}

} // namespace

SimulatorPage::SimulatorPage(KeyService &keys, std::function<QString(const QString &)> fieldLabel, QWidget *parent)
    : QWidget(parent)
    , m_keys(keys)
    , m_fieldLabel(std::move(fieldLabel))
{
    buildUi();
    retranslate();
    selectScenario(QStringLiteral("limit_change"));
    selectStrategies({LearningPolicy::recommendedStrategy(), LearningPolicy::defaultStrategy()});
}

SimulatorPage::~SimulatorPage()
{
    cancel();
    if (m_thread)
        m_thread->wait();
}

void SimulatorPage::buildUi()
{
    auto *controls = new QWidget(this);
    auto *form = new QFormLayout(controls);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_scenarios = new QComboBox(controls);
    m_scenarios->setObjectName(QStringLiteral("simulatorScenario"));
    for (const QString &name : SimulationScenario::builtInNames())
        m_scenarios->addItem(name, name);
    m_load = new QPushButton(controls);
    m_load->setObjectName(QStringLiteral("simulatorLoad"));
    auto *scenarioRow = new QHBoxLayout;
    scenarioRow->addWidget(m_scenarios, 1);
    scenarioRow->addWidget(m_load);
    m_scenarioLabel = new QLabel(controls);
    form->addRow(m_scenarioLabel, scenarioRow);
    m_description = new QLabel(controls);
    m_description->setWordWrap(true);
    form->addRow(QString(), m_description);
    m_strategies = new QListWidget(controls);
    m_strategies->setObjectName(QStringLiteral("simulatorStrategies"));
    for (const QString &name : LearningPolicy::strategies()) {
        auto *item = new QListWidgetItem(name, m_strategies);
        item->setData(Qt::UserRole, name);
        item->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled);
        item->setCheckState(Qt::Unchecked);
    }
    m_strategies->setMaximumHeight(m_strategies->sizeHintForRow(0) * (m_strategies->count() + 1));
    m_strategiesLabel = new QLabel(controls);
    form->addRow(m_strategiesLabel, m_strategies);
    m_seed = new QSpinBox(controls);
    m_seed->setObjectName(QStringLiteral("simulatorSeed"));
    m_seed->setRange(0, 1000000000);
    m_seedLabel = new QLabel(controls);
    form->addRow(m_seedLabel, m_seed);
    m_policy = new QTableWidget(0, 2, controls);
    m_policy->setObjectName(QStringLiteral("simulatorPolicy"));
    m_policy->verticalHeader()->hide();
    m_policy->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_policy->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    for (const QString &field : LearningPolicy::fieldNames()) {
        if (field == u"strategy")
            continue;
        const int row = m_policy->rowCount();
        m_policy->insertRow(row);
        auto *name = new QTableWidgetItem;
        name->setData(Qt::UserRole, field);
        name->setFlags(Qt::ItemIsEnabled);
        m_policy->setItem(row, 0, name);
        m_policy->setItem(row, 1, new QTableWidgetItem);
    }
    m_policyLabel = new QLabel(controls);
    form->addRow(m_policyLabel, m_policy);

    m_run = new QPushButton(controls);
    m_run->setObjectName(QStringLiteral("simulatorRun"));
    m_run->setDefault(true);
    m_cancel = new QPushButton(controls);
    m_cancel->setObjectName(QStringLiteral("simulatorCancel"));
    m_apply = new QPushButton(controls);
    m_apply->setObjectName(QStringLiteral("simulatorApply"));
    m_progress = new QProgressBar(controls);
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_run);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_apply);
    form->addRow(buttons);
    m_message = new QLabel(controls);
    m_message->setWordWrap(true);
    form->addRow(m_message);

    m_chart = new QChart;
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_timeAxis = new QValueAxis(this);
    m_limitAxis = new QValueAxis(this);
    m_timeAxis->setLabelFormat(QStringLiteral("%d"));
    m_limitAxis->setLabelFormat(QStringLiteral("%d"));
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_limitAxis, Qt::AlignLeft);
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chartView = new QChartView(m_chart, this);
    m_chartView->setObjectName(QStringLiteral("simulatorChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setRubberBand(QChartView::RectangleRubberBand);
    m_chartView->setMinimumSize(420, 300);
    applyPalette(m_chart, palette());
    m_resetZoom = new QPushButton(this);
    m_resetZoom->setObjectName(QStringLiteral("simulatorResetZoom"));
    m_metrics = new QTableWidget(0, 7, this);
    m_metrics->setObjectName(QStringLiteral("simulatorMetrics"));
    m_metrics->verticalHeader()->hide();
    m_metrics->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metrics->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    auto *chartSide = new QWidget(this);
    auto *chartLayout = new QVBoxLayout(chartSide);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->addWidget(m_chartView, 1);
    auto *zoomRow = new QHBoxLayout;
    zoomRow->addStretch();
    zoomRow->addWidget(m_resetZoom);
    chartLayout->addLayout(zoomRow);
    chartLayout->addWidget(m_metrics);
    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(controls);
    splitter->addWidget(chartSide);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(m_scenarios, &QComboBox::currentIndexChanged, this, [this] {
        if (m_scenarios->currentData().toString().isEmpty())
            return;
        Result<SimulationScenario> scenario = SimulationScenario::load(m_scenarios->currentData().toString());
        if (scenario)
            m_scenario = scenario.takeValue();
        showScenario();
    });
    connect(m_load, &QPushButton::clicked, this, &SimulatorPage::loadFile);
    connect(m_run, &QPushButton::clicked, this, &SimulatorPage::run);
    connect(m_cancel, &QPushButton::clicked, this, &SimulatorPage::cancel);
    connect(m_apply, &QPushButton::clicked, this, &SimulatorPage::applyPolicy);
    connect(m_resetZoom, &QPushButton::clicked, this, [this] { m_chart->zoomReset(); });
    // Minutes, a tick every 1, 2, 5, 10, 15, 30 or 60 of them: at most about ten across, also when zoomed in.
    m_timeAxis->setTickType(QValueAxis::TicksDynamic);
    m_timeAxis->setTickAnchor(0);
    connect(m_timeAxis, &QValueAxis::rangeChanged, this, [this](qreal min, qreal max) {
        double tick = 60;
        for (const double candidate : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0}) {
            if ((max - min) / candidate <= 10) {
                tick = candidate;
                break;
            }
        }
        if (m_timeAxis->tickInterval() != tick)
            m_timeAxis->setTickInterval(tick);
    });
    setRunning(false);
}

void SimulatorPage::retranslate()
{
    m_scenarioLabel->setText(tr("&Scenario:"));
    m_scenarioLabel->setBuddy(m_scenarios);
    m_load->setText(tr("&Load file…"));
    m_load->setToolTip(tr("A scenario in the simulator's JSON format (sim/README.md)"));
    m_strategiesLabel->setText(tr("S&trategies:"));
    m_strategiesLabel->setBuddy(m_strategies);
    for (int i = 0; i < m_strategies->count(); ++i) {
        QListWidgetItem *item = m_strategies->item(i);
        item->setToolTip(LearningPolicy::strategyDescription(item->data(Qt::UserRole).toString()));
    }
    m_seedLabel->setText(tr("Ran&dom seed:"));
    m_seedLabel->setBuddy(m_seed);
    m_policyLabel->setText(tr("&Policy values:"));
    m_policyLabel->setBuddy(m_policy);
    m_policy->setHorizontalHeaderLabels({tr("Parameter"), tr("Value")});
    for (int row = 0; row < m_policy->rowCount(); ++row) {
        const QString field = m_policy->item(row, 0)->data(Qt::UserRole).toString();
        m_policy->item(row, 0)->setText(m_fieldLabel ? m_fieldLabel(field) : field);
        m_policy->item(row, 0)->setToolTip(field);
    }
    m_run->setText(tr("&Run"));
    m_cancel->setText(tr("Cancel"));
    m_apply->setText(tr("&Apply this policy…"));
    m_apply->setToolTip(tr("Store these policy values (and the first strategy ticked) as the learning policy"));
    m_resetZoom->setText(tr("Reset &zoom"));
    m_resetZoom->setToolTip(tr("Drag a rectangle on the chart to zoom in; right-click to zoom out"));
    m_metrics->setHorizontalHeaderLabels({tr("Strategy"), tr("Goodput / oracle"), tr("Concurrency 429s"),
                                          tr("RPM 429s"), tr("Unknown 429s"), tr("Shed %"),
                                          tr("Settled after (s), per limit")});
    m_timeAxis->setTitleText(tr("Time (minutes)"));
    m_limitAxis->setTitleText(tr("Concurrency"));
    showScenario();
    if (!m_results.isEmpty())
        showResults(m_results);
}

void SimulatorPage::reloadPolicy()
{
    Result<LearningPolicy> policy = m_keys.learningPolicy();
    if (!policy) {
        emit failed(policy.error());
        return;
    }
    m_stored = policy.value();
    const QJsonObject values = m_stored.toJson();
    for (int row = 0; row < m_policy->rowCount(); ++row) {
        const QString field = m_policy->item(row, 0)->data(Qt::UserRole).toString();
        const QJsonValue v = values.value(field);
        m_policy->item(row, 1)->setText(v.isDouble() ? QString::number(v.toDouble(), 'g', 10) : v.toString());
    }
}

bool SimulatorPage::selectScenario(const QString &name)
{
    const int index = m_scenarios->findData(name);
    if (index < 0)
        return false;
    m_scenarios->setCurrentIndex(index);
    Result<SimulationScenario> scenario = SimulationScenario::load(name);
    if (!scenario)
        return false;
    m_scenario = scenario.takeValue();
    showScenario();
    return true;
}

void SimulatorPage::selectStrategies(const QStringList &names)
{
    for (int i = 0; i < m_strategies->count(); ++i) {
        QListWidgetItem *item = m_strategies->item(i);
        item->setCheckState(names.contains(item->data(Qt::UserRole).toString()) ? Qt::Checked : Qt::Unchecked);
    }
}

QStringList SimulatorPage::checkedStrategies() const
{
    QStringList names;
    for (int i = 0; i < m_strategies->count(); ++i) {
        if (m_strategies->item(i)->checkState() == Qt::Checked)
            names << m_strategies->item(i)->data(Qt::UserRole).toString();
    }
    return names;
}

void SimulatorPage::loadFile()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Load a scenario"), QString(), tr("Scenarios (*.json);;All files (*)"));
    if (path.isEmpty())
        return;
    Result<SimulationScenario> scenario = SimulationScenario::fromFile(path);
    if (!scenario) {
        showMessage(tr("The scenario cannot be used: %1.").arg(describeInvalidInput(scenario.error())), true);
        return;
    }
    m_scenario = scenario.takeValue();
    const QString label = tr("%1 (file)").arg(m_scenario->name);
    m_scenarios->addItem(label, QString());
    m_scenarios->setCurrentIndex(m_scenarios->count() - 1);
    showScenario();
}

void SimulatorPage::showScenario()
{
    if (!m_scenario) {
        m_description->clear();
        return;
    }
    const bool builtIn = !m_scenarios->currentData().toString().isEmpty();
    m_description->setText(tr("%1 Lasts %n minute(s).", nullptr, m_scenario->durationS / 60)
                               .arg(scenarioDescription(*m_scenario, builtIn)));
    m_seed->setValue(int(m_scenario->seed));
}

Result<LearningPolicy> SimulatorPage::editedPolicy(QJsonObject *edited) const
{
    QJsonObject patch;
    const QJsonObject stored = m_stored.toJson();
    for (int row = 0; row < m_policy->rowCount(); ++row) {
        const QString field = m_policy->item(row, 0)->data(Qt::UserRole).toString();
        const QString text = m_policy->item(row, 1)->text().trimmed();
        bool ok = false;
        const double number = QLocale().toDouble(text, &ok);
        const double value = ok ? number : text.toDouble(&ok);
        if (!ok)
            return Error::invalid(field, reason::floatType);
        const QJsonValue json = stored.value(field).isDouble() && std::floor(value) == value && !text.contains(u'.') &&
                                        !text.contains(QLocale().decimalPoint())
                                    ? QJsonValue(qint64(value))
                                    : QJsonValue(value);
        if (json != stored.value(field))
            patch.insert(field, json);
    }
    if (edited)
        *edited = patch;
    return LearningPolicy::patched(m_stored, patch);
}

void SimulatorPage::run()
{
    if (m_thread || !m_scenario)
        return;
    const QStringList strategies = checkedStrategies();
    if (strategies.isEmpty()) {
        showMessage(tr("Tick at least one strategy."), true);
        return;
    }
    Result<LearningPolicy> policy = editedPolicy(nullptr);
    if (!policy) {
        showMessage(sentence(tr("%1 is not valid."),
                             {m_fieldLabel ? m_fieldLabel(policy.error().field) : policy.error().field}),
                    true);
        return;
    }
    SimulationScenario scenario = *m_scenario;
    scenario.seed = m_seed->value();
    m_cancelled = std::make_shared<std::atomic<bool>>(false);
    const std::shared_ptr<std::atomic<bool>> cancelled = m_cancelled;
    const QPointer<SimulatorPage> self(this);
    const LearningPolicy values = policy.value();
    m_thread.reset(QThread::create([self, cancelled, scenario, strategies, values] {
        const auto progress = [self, cancelled](double share) {
            if (self)
                QMetaObject::invokeMethod(
                    self, [self, share] { self->m_progress->setValue(int(share * 1000)); }, Qt::QueuedConnection);
            return !cancelled->load();
        };
        Result<QList<SimulationMetrics>> results = Simulator::compare(scenario, strategies, values, progress);
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self,
            [self, results] {
                if (!self)
                    return;
                self->m_thread->wait();
                self->m_thread.reset();
                self->setRunning(false);
                if (results) {
                    self->showResults(results.value());
                    self->showMessage(QString(), false);
                } else {
                    self->showMessage(self->m_cancelled && self->m_cancelled->load()
                                          ? tr("Cancelled.")
                                          : tr("The simulation failed: %1").arg(results.error().text()),
                                      !(self->m_cancelled && self->m_cancelled->load()));
                }
                emit self->finished(results.ok());
            },
            Qt::QueuedConnection);
    }));
    setRunning(true);
    showMessage(tr("Simulating %n strategy(s) over %1…", nullptr, int(strategies.size())).arg(scenario.name), false);
    m_thread->start();
}

void SimulatorPage::cancel()
{
    if (m_cancelled)
        m_cancelled->store(true);
}

void SimulatorPage::setRunning(bool running)
{
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    m_apply->setEnabled(!running);
    m_scenarios->setEnabled(!running);
    m_load->setEnabled(!running);
    m_progress->setVisible(running);
    m_progress->setValue(0);
}

void SimulatorPage::showMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
}

void SimulatorPage::showResults(const QList<SimulationMetrics> &results)
{
    m_results = results;
    m_chart->removeAllSeries();
    if (!m_scenario)
        return;
    const SimulationScenario &sc = *m_scenario;
    double top = 1;
    const auto attach = [this](QAbstractSeries *series) {
        m_chart->addSeries(series);
        series->attachAxis(m_timeAxis);
        series->attachAxis(m_limitAxis);
    };
    // The provider's hidden limit (and what other users of the key leave of it), as steps.
    auto *hidden = new QLineSeries;
    hidden->setName(tr("Provider's hidden limit"));
    QPen hiddenPen(palette().color(QPalette::WindowText));
    hiddenPen.setWidthF(2.0);
    hiddenPen.setStyle(Qt::DashLine);
    hidden->setPen(hiddenPen);
    for (size_t i = 0; i < sc.limit.size(); ++i) {
        const double from = sc.limit[i].first / 60.0;
        const double to = (i + 1 < sc.limit.size() ? sc.limit[i + 1].first : sc.durationS) / 60.0;
        hidden->append(from, sc.limit[i].second);
        hidden->append(to, sc.limit[i].second);
        top = std::max(top, double(sc.limit[i].second));
    }
    attach(hidden);
    if (sc.background) {
        auto *capacity = new QLineSeries;
        capacity->setName(tr("Left by the key's other users"));
        QPen pen(palette().color(QPalette::PlaceholderText));
        pen.setStyle(Qt::DotLine);
        capacity->setPen(pen);
        const auto schedule = sc.backgroundSchedule();
        for (size_t i = 0; i < schedule.size(); ++i) {
            const int from = schedule[i].first;
            const int to = i + 1 < schedule.size() ? schedule[i + 1].first : sc.durationS;
            capacity->append(from / 60.0, sc.limitAt(from) - schedule[i].second);
            capacity->append(to / 60.0, sc.limitAt(from) - schedule[i].second);
        }
        attach(capacity);
    }
    int colorIndex = 0;
    for (const SimulationMetrics &m : results) {
        if (m.strategy == Simulator::oracle())
            continue;
        const QColor color = strategyColors.at(colorIndex++ % strategyColors.size());
        auto *limit = new QLineSeries;
        limit->setName(tr("%1: limit").arg(m.strategy));
        QPen pen(color);
        pen.setWidthF(1.6);
        limit->setPen(pen);
        std::optional<int> last;
        for (const auto &[t, gate] : m.gate) {
            if (last)
                limit->append(minutes(t), *last);
            if (gate) {
                limit->append(minutes(t), *gate);
                top = std::max(top, double(*gate));
            }
            last = gate;
        }
        if (last)
            limit->append(sc.durationS / 60.0, *last);
        attach(limit);
        auto *markers = new QScatterSeries;
        markers->setName(tr("%1: concurrency 429s").arg(m.strategy));
        markers->setColor(color);
        markers->setBorderColor(color.darker(130));
        markers->setMarkerSize(6.0);
        markers->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
        const size_t step = std::max<size_t>(1, m.rejections.size() / maxMarkers + 1);
        for (size_t i = 0; i < m.rejections.size(); i += step)
            markers->append(minutes(m.rejections[i].first), m.rejections[i].second);
        attach(markers);
    }
    m_timeAxis->setRange(0, sc.durationS / 60.0);
    m_limitAxis->setRange(0, std::ceil(top * 1.1));
    m_limitAxis->applyNiceNumbers();
    applyPalette(m_chart, palette());

    m_metrics->setRowCount(0);
    const QLocale locale;
    for (const SimulationMetrics &m : results) {
        const int row = m_metrics->rowCount();
        m_metrics->insertRow(row);
        const QStringList cells{
            m.strategy == Simulator::oracle() ? tr("oracle (knows the hidden limit)") : m.strategy,
            locale.toString(m.goodputVsOracle, 'f', 3),
            locale.toString(m.concurrency429),
            locale.toString(m.rpm429),
            locale.toString(m.classifiedUnknown),
            locale.toString(m.offered > 0 ? 100.0 * double(m.shed) / double(m.offered) : 0.0, 'f', 1),
            settleText(m.settleS),
        };
        for (int c = 0; c < cells.size(); ++c) {
            auto *item = new QTableWidgetItem(cells.at(c));
            if (c > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_metrics->setItem(row, c, item);
        }
    }
    m_metrics->setMaximumHeight(m_metrics->horizontalHeader()->height() +
                                m_metrics->rowHeight(0) * (m_metrics->rowCount() + 1));
}

void SimulatorPage::applyPolicy()
{
    QJsonObject edited;
    Result<LearningPolicy> policy = editedPolicy(&edited);
    if (!policy) {
        showMessage(sentence(tr("%1 is not valid."),
                             {m_fieldLabel ? m_fieldLabel(policy.error().field) : policy.error().field}),
                    true);
        return;
    }
    const QStringList strategies = checkedStrategies();
    if (!strategies.isEmpty() && strategies.first() != m_stored.strategy)
        edited.insert(QStringLiteral("strategy"), strategies.first());
    if (edited.isEmpty()) {
        showMessage(tr("These are the stored values already."), false);
        return;
    }
    const auto label = [this](const QString &field) { return m_fieldLabel ? m_fieldLabel(field) : field; };
    if (!PolicyPage::confirmChanges(this, edited, m_stored.toJson(), label))
        return;
    Result<LearningPolicy> stored2 = m_keys.updateLearningPolicy(edited, windowActor());
    if (!stored2) {
        emit failed(stored2.error());
        return;
    }
    m_stored = stored2.value();
    showMessage(tr("The learning policy was stored."), false);
    emit policyChanged();
}

} // namespace aether::gui
