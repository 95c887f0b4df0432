#include "summarypage.h"

#include "charts/rate429chart.h"
#include "guiformat.h"
#include "storage/database.h"
#include "ui_summarypage.h"

#include <QHeaderView>
#include <QJsonObject>
#include <QLocale>
#include <QProgressBar>
#include <QThread>

namespace aether::gui {

SummaryPage::SummaryPage(KeyService &keys, KeyTable &table, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::SummaryPage>())
    , m_keys(keys)
    , m_table(table)
    , m_chart(new Rate429ChartView(this))
    , m_busy(new QProgressBar(this))
{
    m_ui->setupUi(this);
    m_busy->setObjectName(QStringLiteral("summaryBusy"));
    m_busy->setRange(0, 0); // busy
    m_busy->setMaximumHeight(m_busy->fontMetrics().height() / 2 + 4);
    m_busy->setTextVisible(false);
    m_busy->hide();
    m_ui->mainLayout->insertWidget(1, m_busy);
    m_ui->chartLayout->addWidget(m_chart);
    m_ui->summarySplitter->setStretchFactor(0, 2);
    m_ui->summarySplitter->setStretchFactor(1, 3);
    m_ui->summarySplitter->setSizes({560, 840});
    m_chart->setMinimumWidth(420);
    for (QLabel *value : {m_ui->adaptiveKeysValue, m_ui->fixedKeysValue, m_ui->concurrent429Value, m_ui->rpm429Value,
                          m_ui->adjustmentsValue}) {
        QFont big = value->font();
        big.setPointSizeF(big.pointSizeF() * 2.4);
        big.setBold(true);
        value->setFont(big);
    }
    m_ui->recentTable->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    connect(m_chart, &Rate429ChartView::keyClicked, this, &SummaryPage::keyActivated);
    connect(m_ui->recentTable, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        if (QTableWidgetItem *item = m_ui->recentTable->item(row, 0))
            emit keyActivated(item->data(Qt::UserRole).toString());
    });
}

SummaryPage::~SummaryPage()
{
    if (m_worker)
        m_worker->wait();
}

void SummaryPage::retranslate()
{
    m_ui->retranslateUi(this);
    m_chart->retranslate();
    showScope();
    if (m_summary)
        showSummary(*m_summary); // the numbers and reasons in the new language (retranslateUi reset the tiles)
}

void SummaryPage::setScope(const KeyFilter &filter, const QString &scopeName)
{
    // The navigation's provider or endpoint only, not the table's other filters.
    m_scope = KeyFilter{};
    m_scope.providerId = filter.providerId;
    m_scope.endpointId = filter.endpointId;
    m_scopeName = scopeName;
}

void SummaryPage::showScope()
{
    const QString scope = m_scopeName.isEmpty() ? tr("All endpoints") : m_scopeName;
    m_ui->scopeLabel->setText(tr("%1: the totals and the most recent adjustments cover its adaptive keys (as the "
                                 "original service's summary does); the chart shows its adaptive and fixed keys.")
                                  .arg(scope));
}

void SummaryPage::showSummary(const Summary &s)
{
    const QLocale locale;
    m_ui->adaptiveKeysValue->setText(locale.toString(s.totalAdaptiveKeys));
    m_ui->fixedKeysValue->setText(locale.toString(s.totalFixedKeys));
    m_ui->concurrent429Value->setText(locale.toString(s.totalConcurrent429Errors));
    m_ui->rpm429Value->setText(locale.toString(s.totalRpm429Errors));
    m_ui->adjustmentsValue->setText(locale.toString(s.totalAdjustments));

    m_ui->recentTable->setRowCount(int(s.recentAdjustments.size()));
    for (int row = 0; row < s.recentAdjustments.size(); ++row) {
        const RecentAdjustment &a = s.recentAdjustments.at(row);
        auto *name = new QTableWidgetItem(a.keyName.value_or(a.keyId));
        name->setData(Qt::UserRole, a.keyId);
        name->setToolTip(a.keyId);
        m_ui->recentTable->setItem(row, 0, name);
        m_ui->recentTable->setItem(
            row, 1, new QTableWidgetItem(formatTimestamp(a.record.value(QStringLiteral("timestamp")).toString())));
        m_ui->recentTable->setItem(row, 2, new QTableWidgetItem(formatRecordChange(a.record)));
        const QString reason = a.record.value(QStringLiteral("reason")).toString();
        auto *reasonItem = new QTableWidgetItem(reasonLabel(reason));
        reasonItem->setForeground(reasonColor(reason));
        m_ui->recentTable->setItem(row, 3, reasonItem);
    }
    for (int column = 0; column < 3; ++column)
        m_ui->recentTable->resizeColumnToContents(column);
}

SummaryPage::Loaded SummaryPage::load(KeyService &keys, KeyTable &table, const KeyFilter &scope)
{
    Loaded loaded;
    loaded.summary = keys.summary(SummaryScope{scope.providerId, scope.endpointId});
    if (*loaded.summary)
        loaded.top = table.top429(scope, 20);
    return loaded;
}

void SummaryPage::reload()
{
    if (m_worker) {
        m_again = true;
        return;
    }
    // Nothing changed since the figures shown were read (the database's change stamp, the same scope): they stay.
    const std::optional<QByteArray> revision = m_keys.dataRevision();
    if (m_summary && revision && revision == m_loadedRevision && m_scope.providerId == m_loadedScope.providerId &&
        m_scope.endpointId == m_loadedScope.endpointId)
        return;
    m_loadedRevision = revision;
    m_loadedScope = m_scope;
    const DatabaseLocation location = m_keys.database().location();
    if (location.isSqlite() && location.path == u":memory:") {
        show(load(m_keys, m_table, m_scope)); // only the window's own connection sees it
        return;
    }
    m_busy->show();
    m_worker.reset(QThread::create([this, location, scope = m_scope] {
        Database db(location);
        KeyService keys(db);
        KeyTable table(db);
        auto loaded = std::make_shared<Loaded>(load(keys, table, scope));
        QMetaObject::invokeMethod(
            this,
            [this, loaded] {
                m_worker->wait();
                m_worker.reset();
                m_busy->hide();
                show(*loaded);
                if (std::exchange(m_again, false))
                    reload();
            },
            Qt::QueuedConnection);
    }));
    m_worker->start();
}

void SummaryPage::show(const Loaded &loaded)
{
    if (!*loaded.summary) {
        m_loadedRevision.reset(); // read again next time
        emit failed(loaded.summary->error());
        return;
    }
    m_summary = loaded.summary->value();
    showSummary(*m_summary);
    if (!*loaded.top) {
        m_loadedRevision.reset();
        emit failed(loaded.top->error());
        return;
    }
    m_chart->setKeys(loaded.top->value(), m_scopeName); // titles itself
    showScope();
}

} // namespace aether::gui
