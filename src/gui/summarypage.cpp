#include "summarypage.h"

#include "charts/rate429chart.h"
#include "guiformat.h"
#include "storage/database.h"
#include "trendpanel.h"
#include "ui_summarypage.h"

#include <QHeaderView>
#include <QJsonObject>
#include <QLocale>
#include <QProgressBar>
#include <QSplitter>
#include <QThread>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace aether::gui {

// Touched only on the reading thread: its connection (opened there on first use), and the change stamp and scope of
// the figures last handed to the page.
struct SummaryPage::Reader {
    DatabaseLocation location;
    std::unique_ptr<Database> db;
    std::unique_ptr<KeyService> keys;
    std::unique_ptr<KeyTable> table;
    std::optional<QByteArray> stamp;
    KeyFilter scope;
};

SummaryPage::SummaryPage(KeyService &keys, KeyTable &table, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::SummaryPage>())
    , m_keys(keys)
    , m_table(table)
    , m_chart(new Rate429ChartView(this))
    , m_trend(new TrendPanel(keys.database().location(), true, this))
    , m_busy(new QProgressBar(this))
{
    m_ui->setupUi(this);
    // Below the totals, recent adjustments and lifetime chart: the 429s over time, in a splitter of their own.
    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->setObjectName(QStringLiteral("summaryTrendSplitter"));
    delete m_ui->mainLayout->replaceWidget(m_ui->summarySplitter, vertical); // the layout item it held is ours
    vertical->addWidget(m_ui->summarySplitter);
    m_trend->setObjectName(QStringLiteral("summaryTrend"));
    vertical->addWidget(m_trend);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    vertical->setSizes({540, 360}); // the bar chart above keeps room for its twenty keys' names
    connect(m_trend, &TrendPanel::keyActivated, this, &SummaryPage::keyActivated);
    connect(m_trend, &TrendPanel::failed, this, &SummaryPage::failed);
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
    if (!m_thread)
        return;
    // The connection is closed on the thread that opened it, after a reload in progress.
    QMetaObject::invokeMethod(
        m_readerContext,
        [reader = m_reader] {
            reader->table.reset();
            reader->keys.reset();
            reader->db.reset();
        },
        Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

void SummaryPage::retranslate()
{
    m_ui->retranslateUi(this);
    m_chart->retranslate();
    m_trend->retranslate();
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
    m_trend->setScope(TimelineScope{{}, m_scope.endpointId, m_scope.providerId},
                      scopeName.isEmpty() ? tr("all endpoints") : scopeName);
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
    if (m_loading) {
        m_again = true;
        return;
    }
    const DatabaseLocation location = m_keys.database().location();
    if (location.isSqlite() && location.path == u":memory:") {
        show(load(m_keys, m_table, m_scope)); // only the window's own connection sees it
        return;
    }
    if (!m_thread) {
        m_thread = std::make_unique<QThread>();
        m_thread->setObjectName(QStringLiteral("summary"));
        m_readerContext = new QObject;
        m_readerContext->moveToThread(m_thread.get());
        connect(m_thread.get(), &QThread::finished, m_readerContext, &QObject::deleteLater);
        m_reader = std::make_shared<Reader>();
        m_thread->start();
    }
    m_loading = true;
    m_busy->show();
    const bool shown = m_summary.has_value();
    QMetaObject::invokeMethod(m_readerContext, [this, reader = m_reader, location, scope = m_scope, shown] {
        if (!reader->db || reader->location.toUrl() != location.toUrl()) {
            reader->table.reset();
            reader->keys.reset();
            reader->db = std::make_unique<Database>(location);
            reader->keys = std::make_unique<KeyService>(*reader->db);
            reader->table = std::make_unique<KeyTable>(*reader->db);
            reader->location = location;
            reader->stamp.reset();
        }
        const std::optional<QByteArray> stamp = reader->keys->dataRevision();
        std::shared_ptr<Loaded> loaded;
        if (!shown || !stamp || stamp != reader->stamp || scope.providerId != reader->scope.providerId ||
            scope.endpointId != reader->scope.endpointId) {
            loaded = std::make_shared<Loaded>(load(*reader->keys, *reader->table, scope));
            const bool ok = *loaded->summary && *loaded->top;
            reader->stamp = ok ? stamp : std::nullopt; // read again next time
            reader->scope = scope;
#ifdef __GLIBC__
            // A summary of a million keys leaves this thread's heap holding the pages its rows passed through (free,
            // but kept by the allocator): given back, so that the window's memory does not stay that much higher.
            malloc_trim(0);
#endif
        }
        // Nothing changed (no `loaded`): the figures shown stay.
        QMetaObject::invokeMethod(
            this,
            [this, loaded] {
                m_loading = false;
                m_busy->hide();
                if (loaded)
                    show(*loaded);
                if (std::exchange(m_again, false))
                    reload();
            },
            Qt::QueuedConnection);
    });
}

void SummaryPage::show(const Loaded &loaded)
{
    if (!*loaded.summary) {
        emit failed(loaded.summary->error());
        return;
    }
    m_summary = loaded.summary->value();
    showSummary(*m_summary);
    if (!*loaded.top) {
        emit failed(loaded.top->error());
        return;
    }
    m_chart->setKeys(loaded.top->value(), m_scopeName); // titles itself
    showScope();
}

} // namespace aether::gui
