#include "summarypage.h"

#include "charts/rate429chart.h"
#include "guiformat.h"
#include "ui_summarypage.h"

#include <QHeaderView>
#include <QJsonObject>
#include <QLocale>

namespace aether::gui {

SummaryPage::SummaryPage(KeyService &keys, KeyTable &table, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::SummaryPage>())
    , m_keys(keys)
    , m_table(table)
    , m_chart(new Rate429ChartView(this))
{
    m_ui->setupUi(this);
    m_ui->chartLayout->addWidget(m_chart);
    m_ui->summarySplitter->setStretchFactor(0, 2);
    m_ui->summarySplitter->setStretchFactor(1, 3);
    m_ui->summarySplitter->setSizes({560, 840});
    m_chart->setMinimumWidth(420);
    for (QLabel *value :
         {m_ui->adaptiveKeysValue, m_ui->concurrent429Value, m_ui->rpm429Value, m_ui->adjustmentsValue}) {
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

SummaryPage::~SummaryPage() = default;

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
    m_scope = filter;
    m_scope.text.clear();
    m_scope.mode = KeyFilter::Mode::All;
    m_scopeName = scopeName;
}

void SummaryPage::showScope()
{
    m_ui->scopeLabel->setText(m_scopeName.isEmpty() ? tr("Totals over the adaptive keys of all endpoints")
                                                    : tr("Totals over the adaptive keys of all endpoints; the chart "
                                                         "shows %1")
                                                          .arg(m_scopeName));
}

void SummaryPage::showSummary(const Summary &s)
{
    const QLocale locale;
    m_ui->adaptiveKeysValue->setText(locale.toString(s.totalAdaptiveKeys));
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

bool SummaryPage::reload()
{
    Result<Summary> summary = m_keys.summary();
    if (!summary) {
        emit failed(summary.error());
        return false;
    }
    m_summary = summary.value();
    showSummary(*m_summary);

    Result<QList<Key429Count>> top = m_table.top429(m_scope, 20);
    if (!top) {
        emit failed(top.error());
        return false;
    }
    m_chart->setKeys(top.value(), m_scopeName); // titles itself
    showScope();
    return true;
}

} // namespace aether::gui
