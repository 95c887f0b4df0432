#include "mainwindow.h"

#include "auditpage.h"
#include "charts/historychart.h"
#include "charts/rate429chart.h"
#include "columnchooser.h"
#include "csvexporter.h"
#include "dialogs.h"
#include "endpointcontrol.h"
#include "frozencolumn.h"
#include "guiformat.h"
#include "icons.h"
#include "keychange.h"
#include "keydetailwidget.h"
#include "keyfilterbar.h"
#include "keytablemodel.h"
#include "navigationtree.h"
#include "policypage.h"
#include "savedviews.h"
#include "settingsdialog.h"
#include "simulatorpage.h"
#include "summarypage.h"
#include "tokendialog.h"
#include "ui_mainwindow.h"
#include "windowstate.h"

#include <QActionGroup>
#include <QBoxLayout>
#include <QClipboard>
#include <QCloseEvent>
#include <QFileDialog>
#include <QGuiApplication>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QStandardPaths>

namespace aether::gui {

MainWindow::MainWindow(ConsoleServices services, ConsoleSettings &settings, QWidget *parent)
    : QMainWindow(parent)
    , m_ui(std::make_unique<Ui::MainWindow>())
    , m_services(services)
    , m_settings(settings)
{
    m_ui->setupUi(this);
    setWindowIcon(icon(Icon::Application));
    m_ui->banner->setVisible(false);
    m_databaseStatus = new QLabel(this);
    m_databaseStatus->setObjectName(QStringLiteral("databaseStatus"));
    m_httpStatus = new QLabel(this);
    m_httpStatus->setObjectName(QStringLiteral("httpStatus"));
    // A long database path may be cut (its whole text is the tooltip): it must not widen the window.
    m_databaseStatus->setMinimumWidth(120);
    statusBar()->addPermanentWidget(m_databaseStatus);
    statusBar()->addPermanentWidget(m_httpStatus);
    m_navigation = new NavigationTree(m_ui->navigationTree, services.table);
    m_endpoint = new EndpointControl(services.endpoint, settings, m_ui->httpAction, m_httpStatus, this);

    setupPages();
    setupTable();
    setupActions();
    connectActions();
    connectPages();
    retranslate();
    showInitialState();
}

void MainWindow::setupPages()
{
    m_detail = new KeyDetailWidget(m_services.keys, m_services.table, this);
    m_detail->setObjectName(QStringLiteral("keyDetail"));
    m_ui->detailLayout->addWidget(m_detail);
    m_summary = new SummaryPage(m_services.keys, m_services.table, this);
    m_summary->setObjectName(QStringLiteral("summaryPage"));
    // In a scroll area: the totals, the lifetime chart and the trend need more height than a small window has.
    auto *summaryScroll = new QScrollArea(this);
    summaryScroll->setObjectName(QStringLiteral("summaryScroll"));
    summaryScroll->setWidgetResizable(true);
    summaryScroll->setFrameShape(QFrame::NoFrame);
    summaryScroll->setWidget(m_summary);
    m_ui->summaryTabLayout->addWidget(summaryScroll);
    m_policy = new PolicyPage(m_services.keys, this);
    m_policy->setObjectName(QStringLiteral("policyPage"));
    m_ui->policyTabLayout->addWidget(m_policy);
    m_simulator = new SimulatorPage(
        m_services.keys, [this](const QString &field) { return m_policy->fieldLabel(field); }, this);
    m_simulator->setObjectName(QStringLiteral("simulatorPage"));
    m_ui->simulatorTabLayout->addWidget(m_simulator);
    m_bulk = std::make_unique<BulkActions>(m_services.db.location(), this);
    m_audit = new AuditPage(m_services.db, this);
    m_audit->setObjectName(QStringLiteral("auditPage"));
    m_ui->auditTabLayout->addWidget(m_audit);

    m_ui->modeFilterCombo->addItem(QString(), int(KeyFilter::Mode::All));
    m_ui->modeFilterCombo->addItem(QString(), int(KeyFilter::Mode::Adaptive));
    m_ui->modeFilterCombo->addItem(QString(), int(KeyFilter::Mode::Fixed));
}

void MainWindow::connectPages()
{
    connect(m_ui->retryButton, &QPushButton::clicked, this, &MainWindow::retry);
    // Typing filters as the user goes, a moment after the last key.
    m_searchDelay.setSingleShot(true);
    m_searchDelay.setInterval(250);
    connect(&m_searchDelay, &QTimer::timeout, this, &MainWindow::applyFilter);
    connect(m_ui->searchEdit, &QLineEdit::textChanged, &m_searchDelay, qOverload<>(&QTimer::start));
    connect(m_ui->searchEdit, &QLineEdit::returnPressed, this, &MainWindow::applyFilter);
    connect(m_ui->modeFilterCombo, &QComboBox::currentIndexChanged, this, &MainWindow::applyFilter);
    connect(m_navigation, &NavigationTree::scopeChanged, this, &MainWindow::applyFilter);
    connect(m_filterBar, &KeyFilterBar::changed, this, &MainWindow::applyFilter);
    connect(m_detail, &KeyDetailWidget::keyChanged, this, &MainWindow::onKeyChanged);
    connect(m_detail, &KeyDetailWidget::failed, this, &MainWindow::showFailure);
    connect(m_summary, &SummaryPage::failed, this, &MainWindow::showFailure);
    connect(m_policy, &PolicyPage::failed, this, &MainWindow::showFailure);
    connect(m_summary, &SummaryPage::keyActivated, this, &MainWindow::showKeyFromSummary);
    connect(m_audit, &AuditPage::keyActivated, this, &MainWindow::showKeyFromSummary);
    connect(m_audit, &AuditPage::failed, this, &MainWindow::showFailure);
    connect(m_simulator, &SimulatorPage::failed, this, &MainWindow::showFailure);
    connect(m_simulator, &SimulatorPage::policyChanged, this, [this] {
        if (m_policy->editedFields().isEmpty())
            m_policy->reload();
    });
    connect(m_policy, &PolicyPage::policyChanged, m_simulator, &SimulatorPage::reloadPolicy);
    connect(m_ui->pages, &QTabWidget::currentChanged, this, [this] {
        // The simulator starts from the stored policy the first time it is shown.
        if (m_ui->pages->currentWidget() == m_ui->simulatorTab && !m_simulatorShown) {
            m_simulatorShown = true;
            m_simulator->reloadPolicy();
        }
        if (m_ui->pages->currentWidget() == m_ui->summaryTab)
            m_summary->reload();
        // The stored policy, unless the form holds edits not applied yet.
        if (m_ui->pages->currentWidget() == m_ui->policyTab && m_policy->editedFields().isEmpty())
            m_policy->reload();
        if (m_ui->pages->currentWidget() == m_ui->auditTab)
            m_audit->reload();
        updateKeyActions();
    });
    const auto refreshIfChanged = [this] {
        // Only when something changed: the database's change stamp is cheap, a reload is not.
        const std::optional<QByteArray> revision = m_services.keys.dataRevision();
        if (revision && revision == m_lastRevision && !m_ui->banner->isVisible())
            return;
        m_sinceRefresh.start();
        refresh();
    };
    connect(&m_autoRefresh, &QTimer::timeout, this, refreshIfChanged);
    // Live updates on PostgreSQL; SQLite (and a gateway's own writes) keep the polling above.
    m_notified.setSingleShot(true);
    connect(&m_notified, &QTimer::timeout, this, [this, refreshIfChanged] {
        const qint64 wait = m_sinceRefresh.isValid() ? 1000 - m_sinceRefresh.elapsed() : 0;
        if (wait > 0)
            m_notified.start(int(wait));
        else if (m_ui->autoRefreshAction->isChecked())
            refreshIfChanged();
    });
    m_services.db.listen(Database::changesChannel(), [this] {
        if (!m_notified.isActive())
            m_notified.start(100);
    });
}

void MainWindow::showInitialState()
{
    restoreWindowState();
    m_ui->autoRefreshAction->setChecked(m_settings.autoRefresh());
    m_autoRefresh.setInterval(m_settings.refreshSeconds() * 1000);
    if (m_settings.autoRefresh())
        m_autoRefresh.start();

    reloadNavigation();
    applyFilter();
    if (m_ui->pages->currentWidget() == m_ui->summaryTab)
        m_summary->reload();
    if (m_ui->pages->currentWidget() == m_ui->policyTab)
        m_policy->reload();
    m_lastRevision = m_services.keys.dataRevision();
    if (m_settings.httpAutostart())
        startHttp();
    updateStatus();
}

void MainWindow::showKeyFromSummary(const QString &keyId)
{
    m_ui->pages->setCurrentWidget(m_ui->keysPage);
    // When the current filter hides the key, all keys are shown and it is looked for again.
    selectKey(keyId, true);
}

MainWindow::~MainWindow()
{
    m_services.db.stopListening(Database::changesChannel());
    stopHttp();
}

void MainWindow::setupTable()
{
    m_model = new KeyTableModel(m_services.db.location(), &m_services.db, this);
    // A wider window widens the key table; the navigation and the detail pane keep their width.
    m_ui->mainSplitter->setStretchFactor(0, 0);
    m_ui->mainSplitter->setStretchFactor(1, 1);
    m_ui->mainSplitter->setStretchFactor(2, 0);
    QTableView *view = m_ui->keyTable;
    m_filterBar = new KeyFilterBar(view->parentWidget());
    m_filterBar->setObjectName(QStringLiteral("keyFilterBar"));
    if (auto *layout = qobject_cast<QBoxLayout *>(view->parentWidget()->layout()))
        layout->insertWidget(layout->indexOf(view), m_filterBar);
    m_emptyGuide = new QLabel(view->parentWidget());
    m_emptyGuide->setObjectName(QStringLiteral("emptyGuide"));
    m_emptyGuide->setWordWrap(true);
    m_emptyGuide->setTextFormat(Qt::RichText);
    m_emptyGuide->setAlignment(Qt::AlignCenter);
    m_emptyGuide->setMargin(24);
    m_emptyGuide->hide();
    if (auto *layout = qobject_cast<QBoxLayout *>(view->parentWidget()->layout()))
        layout->insertWidget(layout->indexOf(view), m_emptyGuide, 1);
    view->setModel(m_model);
    view->setColumnHidden(int(KeyColumn::Id), true);
    view->setColumnHidden(int(KeyColumn::EndpointId), true);
    view->horizontalHeader()->setSectionsMovable(true);
    view->horizontalHeader()->setSortIndicator(int(KeyColumn::Name), Qt::AscendingOrder);
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 8);
    view->horizontalHeader()->setDefaultSectionSize(80);
    view->setColumnWidth(int(KeyColumn::Name), 150);
    view->setColumnWidth(int(KeyColumn::Mode), 95);
    view->setColumnWidth(int(KeyColumn::Endpoint),
                         view->fontMetrics().horizontalAdvance(QStringLiteral("OPENAI_CLI")) + 14);
    // A whole time in the locale's format.
    view->setColumnWidth(int(KeyColumn::Last429At),
                         view->fontMetrics().horizontalAdvance(formatTimestamp(Timestamp::now())) + 14);
    // By default the columns that fit the default window; the header's context menu shows the others.
    QList<int> choosable;
    for (int column = 0; column < visibleKeyColumnCount; ++column)
        choosable << column;
    m_columns = std::make_unique<ColumnChooser>(view, choosable,
                                                QList<int>{int(KeyColumn::Provider), int(KeyColumn::MaxConcurrent),
                                                           int(KeyColumn::Learned), int(KeyColumn::Rpm429),
                                                           int(KeyColumn::Last429Type), int(KeyColumn::Adjustments),
                                                           int(KeyColumn::Active)});
    m_columns->applyDefaults();
    // The key's name stays in view while the other columns scroll.
    m_frozen = new FrozenColumn(view, int(KeyColumn::Name));
    m_viewsMenu = new QMenu(this);
    m_viewsMenu->setObjectName(QStringLiteral("savedViewsMenu"));
    m_ui->viewMenu->insertMenu(m_ui->languageMenu->menuAction(), m_viewsMenu);
    m_ui->viewMenu->insertSeparator(m_ui->languageMenu->menuAction());
    m_viewsMenu->setTitle(tr("Saved &Views"));
    connect(m_viewsMenu, &QMenu::aboutToShow, this, &MainWindow::fillViewsMenu);
    connect(m_model, &KeyTableModel::reloadFailed, this, &MainWindow::showFailure);
    connect(m_model, &KeyTableModel::loaded, this, &MainWindow::onTableLoaded);
    connect(m_model, &KeyTableModel::keyLocated, this, &MainWindow::onKeyLocated);
    connect(m_model, &KeyTableModel::navigationLoaded, m_navigation, &NavigationTree::show);
    // A row whose page comes after it became the current one: the detail pane shows its key now.
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex &top, const QModelIndex &bottom) {
        const QModelIndex current = m_ui->keyTable->selectionModel()->currentIndex();
        if (current.isValid() && current.row() >= top.row() && current.row() <= bottom.row() &&
            m_detail->keyId() != m_model->keyIdAt(current.row()) && !m_model->keyIdAt(current.row()).isEmpty())
            onSelectionChanged();
    });
    connect(view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::onSelectionChanged);
    connect(view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        // A selection the user changes is no longer "all shown".
        if (!m_selectingAll && m_allShownSelected) {
            m_allShownSelected = false;
            statusBar()->clearMessage();
        }
        updateKeyActions();
    });
    connect(view, &QTableView::customContextMenuRequested, this, [this, view](const QPoint &pos) {
        if (!view->indexAt(pos).isValid())
            return;
        QMenu menu(this);
        menu.addAction(m_ui->switchModeAction);
        menu.addAction(m_ui->setLimitAction);
        menu.addAction(m_ui->resetLearningAction);
        menu.addSeparator();
        menu.addAction(m_ui->selectAllShownAction);
        menu.addAction(m_ui->copyKeyIdAction);
        menu.exec(view->viewport()->mapToGlobal(pos));
    });
}

void MainWindow::fillViewsMenu()
{
    m_viewsMenu->clear();
    const QList<SavedView> views = SavedViews(m_settings.raw()).all();
    for (const SavedView &view : views) {
        QAction *action = m_viewsMenu->addAction(view.name);
        connect(action, &QAction::triggered, this, [this, name = view.name] { applyView(name); });
    }
    if (views.isEmpty())
        m_viewsMenu->addAction(tr("No saved views"))->setEnabled(false);
    m_viewsMenu->addSeparator();
    connect(m_viewsMenu->addAction(tr("Save Current View…")), &QAction::triggered, this, &MainWindow::saveCurrentView);
    QMenu *remove = m_viewsMenu->addMenu(tr("Delete View"));
    remove->setEnabled(!views.isEmpty());
    for (const SavedView &view : views) {
        connect(remove->addAction(view.name), &QAction::triggered, this,
                [this, name = view.name] { deleteView(name); });
    }
}

bool MainWindow::saveCurrentView()
{
    const std::optional<QString> answer = dialogs::askText(
        this, tr("Save View"), tr("A name for the current filters, sort order and columns of the key table:"));
    if (!answer)
        return false;
    const QString name = answer->simplified();
    if (name.isEmpty() || name.size() > SavedViews::maxNameLength) {
        dialogs::warning(this, tr("Save View"),
                         tr("A view's name has 1 to %1 characters.").arg(SavedViews::maxNameLength));
        return false;
    }
    SavedViews views(m_settings.raw());
    if (views.find(name) &&
        !dialogs::askYesNo(this, tr("Save View"), tr("A view named “%1” exists. Replace it?").arg(name), true))
        return false;
    KeyFilter scope;
    m_navigation->narrow(&scope);
    views.save({name, m_ui->searchEdit->text(), m_ui->modeFilterCombo->currentData().toInt(), scope.providerId,
                scope.endpointId, m_filterBar->state(), m_ui->keyTable->horizontalHeader()->saveState()});
    statusBar()->showMessage(tr("View “%1” saved").arg(name), 5000);
    return true;
}

bool MainWindow::applyView(const QString &name)
{
    const std::optional<SavedView> view = SavedViews(m_settings.raw()).find(name);
    if (!view)
        return false;
    {
        const QSignalBlocker search(m_ui->searchEdit), mode(m_ui->modeFilterCombo);
        m_ui->searchEdit->setText(view->text);
        m_ui->modeFilterCombo->setCurrentIndex(std::max(0, m_ui->modeFilterCombo->findData(view->mode)));
    }
    const bool scopeFound = m_navigation->choose(view->providerId, view->endpointId);
    QHeaderView *header = m_ui->keyTable->horizontalHeader();
    {
        // One query for the whole view: the sort order is set here and used by the filter's reload below.
        const QSignalBlocker block(header);
        if (header->restoreState(view->header))
            m_model->setSorting(KeyColumn(header->sortIndicatorSection()), header->sortIndicatorOrder());
        m_ui->keyTable->setColumnHidden(int(KeyColumn::Id), true);
        m_ui->keyTable->setColumnHidden(int(KeyColumn::EndpointId), true);
        m_frozen->keepFirst();
    }
    header->viewport()->update();
    m_filterBar->setState(view->conditions); // applies the filter
    statusBar()->showMessage(scopeFound
                                 ? tr("View “%1”").arg(name)
                                 : tr("View “%1”: its provider or endpoint is gone; showing all endpoints").arg(name),
                             5000);
    return true;
}

bool MainWindow::deleteView(const QString &name)
{
    SavedViews views(m_settings.raw());
    if (!views.find(name) ||
        !dialogs::askYesNo(this, tr("Delete View"), tr("Delete the saved view “%1”?").arg(name), true))
        return false;
    views.remove(name);
    return true;
}

void MainWindow::setupActions()
{
    m_ui->refreshAction->setShortcut(QKeySequence::Refresh);
    m_ui->refreshAction->setIcon(icon(Icon::Refresh));
    m_ui->autoRefreshAction->setIcon(icon(Icon::AutoRefresh));
    m_ui->switchModeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_M));
    m_ui->switchModeAction->setIcon(icon(Icon::Adaptive));
    m_ui->setLimitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_ui->setLimitAction->setIcon(icon(Icon::Fixed));
    m_ui->resetLearningAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_ui->resetLearningAction->setIcon(icon(Icon::Reset));
    m_ui->copyKeyIdAction->setShortcut(QKeySequence::Copy);
    m_ui->copyKeyIdAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_ui->keyTable->addAction(m_ui->copyKeyIdAction);
    m_ui->httpAction->setIcon(icon(Icon::Endpoint));
    // QKeySequence::Preferences is empty on most Linux desktops: Ctrl+, everywhere, as the menu says.
    m_ui->settingsAction->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Comma), QKeySequence::Preferences});
    m_ui->settingsAction->setIcon(icon(Icon::Settings));
    m_ui->quitAction->setShortcut(QKeySequence::Quit);
    m_ui->exportCsvAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_ui->showKeysAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    m_ui->showSummaryAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    m_ui->showPolicyAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    m_ui->showAuditAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_4));
    m_ui->showSimulatorAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_5));
    m_ui->selectAllShownAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_A));
    auto *find = new QAction(this);
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        m_ui->pages->setCurrentWidget(m_ui->keysPage);
        m_ui->searchEdit->setFocus();
        m_ui->searchEdit->selectAll();
    });
    addAction(find);

    auto *languages = new QActionGroup(this);
    for (QAction *a : {m_ui->languageSystemAction, m_ui->languageChineseAction, m_ui->languageEnglishAction})
        languages->addAction(a);
    m_ui->languageSystemAction->setData(QStringLiteral("system"));
    m_ui->languageChineseAction->setData(QStringLiteral("zh_CN"));
    m_ui->languageEnglishAction->setData(QStringLiteral("en"));
    for (QAction *a : languages->actions())
        a->setChecked(a->data().toString() == m_settings.language());
    connect(languages, &QActionGroup::triggered, this, [this](QAction *a) {
        m_settings.setLanguage(a->data().toString());
        emit languageChosen(a->data().toString());
    });
}

void MainWindow::connectActions()
{
    connect(m_ui->refreshAction, &QAction::triggered, this, &MainWindow::refresh);
    connect(m_ui->autoRefreshAction, &QAction::toggled, this, [this](bool on) {
        m_settings.setAutoRefresh(on);
        if (on)
            m_autoRefresh.start(m_settings.refreshSeconds() * 1000);
        else
            m_autoRefresh.stop();
        updateStatus();
    });
    connect(m_ui->showKeysAction, &QAction::triggered, this, [this] { m_ui->pages->setCurrentWidget(m_ui->keysPage); });
    connect(m_ui->showSummaryAction, &QAction::triggered, this,
            [this] { m_ui->pages->setCurrentWidget(m_ui->summaryTab); });
    connect(m_ui->showPolicyAction, &QAction::triggered, this,
            [this] { m_ui->pages->setCurrentWidget(m_ui->policyTab); });
    connect(m_ui->showAuditAction, &QAction::triggered, this,
            [this] { m_ui->pages->setCurrentWidget(m_ui->auditTab); });
    connect(m_ui->showSimulatorAction, &QAction::triggered, this,
            [this] { m_ui->pages->setCurrentWidget(m_ui->simulatorTab); });
    connect(m_ui->switchModeAction, &QAction::triggered, this, &MainWindow::switchMode);
    connect(m_ui->setLimitAction, &QAction::triggered, this, &MainWindow::setLimit);
    connect(m_ui->resetLearningAction, &QAction::triggered, this, &MainWindow::resetLearning);
    connect(m_ui->selectAllShownAction, &QAction::triggered, this, &MainWindow::selectAllShown);
    connect(m_ui->copyKeyIdAction, &QAction::triggered, this, &MainWindow::copyKeyId);
    connect(m_ui->exportCsvAction, &QAction::triggered, this, &MainWindow::exportCsv);
    connect(m_ui->saveChartAction, &QAction::triggered, this, &MainWindow::saveChart);
    connect(m_ui->settingsAction, &QAction::triggered, this, &MainWindow::openSettings);
    connect(m_ui->tokensAction, &QAction::triggered, this, &MainWindow::openTokens);
    connect(m_ui->quitAction, &QAction::triggered, this, &QWidget::close);
    connect(m_ui->aboutAction, &QAction::triggered, this, &MainWindow::about);
}

void MainWindow::retranslate()
{
    m_ui->retranslateUi(this);
    m_viewsMenu->setTitle(tr("Saved &Views"));
    retranslateEmptyGuide();
    for (QAction *a : m_ui->mainToolBar->actions())
        a->setIconText(toolbarText(a->text()));
    m_ui->modeFilterCombo->setItemText(0, tr("All"));
    m_ui->modeFilterCombo->setItemText(1, tr("Adaptive"));
    m_ui->modeFilterCombo->setItemText(2, tr("Fixed"));
    m_navigation->retranslate();
    m_filterBar->retranslate();
    m_columns->fitTitles();
    m_model->retranslate();
    m_detail->retranslate();
    m_summary->retranslate();
    m_policy->retranslate();
    m_simulator->retranslate();
    m_audit->retranslate();
    updateCount();
    updateStatus();
}

void MainWindow::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::LanguageChange)
        retranslate();
    QMainWindow::changeEvent(event);
}

void MainWindow::reloadNavigation()
{
    if (const Status loaded = m_navigation->reload(); !loaded)
        showFailure(loaded.error());
}

void MainWindow::applyFilter()
{
    m_searchDelay.stop();
    KeyFilter filter;
    filter.text = m_ui->searchEdit->text().trimmed();
    filter.mode = KeyFilter::Mode(m_ui->modeFilterCombo->currentData().toInt());
    m_navigation->narrow(&filter);
    int minimumLimit = LearningPolicy{}.minLimit;
    if (m_filterBar->stuckChosen()) {
        if (const Result<LearningPolicy> policy = m_services.keys.learningPolicy())
            minimumLimit = policy.value().minLimit;
    }
    m_filterBar->narrow(&filter, minimumLimit);
    m_filter = filter;
    // The selected key stays selected where the new filter shows it (found once the new rows are there).
    const QString selected = selectedKeyId();
    if (m_wantedKey.isEmpty())
        m_wantedKey = selected;
    m_model->setFilter(filter);
    m_summary->setScope(filter, m_navigation->scopeName());
    if (m_ui->pages->currentWidget() == m_ui->summaryTab)
        m_summary->reload();
    updateKeyActions();
}

void MainWindow::onTableLoaded()
{
    updateCount();
    updateKeyActions();
    findWantedKey();
}

void MainWindow::findWantedKey()
{
    if (m_wantedKey.isEmpty())
        return;
    // Among the rows read already, else where it stands in the whole order (asked of the model's thread).
    const int row = m_model->loadedRowOfKey(m_wantedKey);
    if (row >= 0)
        onKeyLocated(m_wantedKey, row);
    else
        m_model->locate(m_wantedKey);
}

void MainWindow::onKeyLocated(const QString &keyId, int row)
{
    if (keyId != m_wantedKey)
        return;
    const bool scroll = m_scrollToWanted;
    m_scrollToWanted = false;
    if (row < 0) {
        if (m_widenForWanted) {
            // The key is hidden by the current filter: show all keys and look again.
            m_widenForWanted = false;
            m_scrollToWanted = true;
            m_ui->searchEdit->clear();
            m_ui->modeFilterCombo->setCurrentIndex(0);
            m_navigation->chooseAll();
            applyFilter();
            return;
        }
        m_wantedKey.clear();
        if (m_detail->keyId() == keyId) {
            m_ui->keyTable->selectionModel()->clear();
            m_detail->showKey({});
        }
        emit keySelected(QString());
        return;
    }
    m_widenForWanted = false;
    const QModelIndex index = m_model->index(row, int(KeyColumn::Name));
    m_ui->keyTable->selectionModel()->setCurrentIndex(index,
                                                      QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    if (scroll)
        m_ui->keyTable->scrollTo(index);
    if (m_detail->keyId() != keyId)
        onSelectionChanged();
    m_wantedKey.clear();
    emit keySelected(keyId);
}

void MainWindow::updateCount()
{
    const qint64 count = m_model->keyCount();
    m_ui->countLabel->setText(count >= 0 ? tr("%Ln key(s)", nullptr, int(count)) : QString());
    // A database without any key: a short guide where the table would be.
    const bool empty = m_model->databaseEmpty();
    m_emptyGuide->setVisible(empty);
    m_ui->keyTable->setVisible(!empty);
}

void MainWindow::retranslateEmptyGuide()
{
    m_emptyGuide->setText(
        tr("<h3>No keys in this database yet</h3>"
           "<p>The console shows the provider API keys of a gateway. To work with real keys, open the gateway's "
           "own database: <b>File → Settings… → Database</b> (PostgreSQL; its tables are used as they are).</p>"
           "<p>To look around first, fill an empty database with demo keys: <code>aether-console --database "
           "URL --prepare --demo</code>, or start the console on a new SQLite file and accept the demo data.</p>"));
}

void MainWindow::updateStatus()
{
    m_databaseStatus->setText(tr("Database: %1").arg(m_services.db.location().displayName()));
    m_databaseStatus->setToolTip(m_databaseStatus->text());
    m_endpoint->updateStatus();
}

void MainWindow::updateKeyActions()
{
    const bool keysPage = m_ui->pages->currentWidget() == m_ui->keysPage;
    const bool key = keysPage && (!selectedKeyId().isEmpty() || m_allShownSelected ||
                                  m_ui->keyTable->selectionModel()->hasSelection());
    for (QAction *a : {m_ui->switchModeAction, m_ui->setLimitAction, m_ui->resetLearningAction})
        a->setEnabled(key);
    m_ui->copyKeyIdAction->setEnabled(keysPage && !selectedKeyId().isEmpty());
    m_ui->selectAllShownAction->setEnabled(keysPage && m_model->rowCount() > 0);
}

QString MainWindow::selectedKeyId() const
{
    const QModelIndex current = m_ui->keyTable->selectionModel()->currentIndex();
    if (!current.isValid())
        return {};
    const QString id = m_model->keyIdAt(current.row());
    // A row whose page is being read again (after a refresh) is still the key the detail pane shows.
    return id.isEmpty() ? m_detail->keyId() : id;
}

void MainWindow::selectKey(const QString &keyId, bool widenFilter)
{
    m_wantedKey = keyId;
    m_scrollToWanted = true;
    m_widenForWanted = widenFilter;
    findWantedKey();
}

void MainWindow::onSelectionChanged()
{
    const QModelIndex current = m_ui->keyTable->selectionModel()->currentIndex();
    if (!current.isValid()) {
        m_detail->showKey({});
    } else if (const KeyRow *key = m_model->rowAt(current.row())) {
        m_detail->showKey(key->id, key->name);
    } else if (!m_wantedKey.isEmpty()) {
        m_detail->showKey(m_wantedKey); // its row's page comes after it
    }
    updateKeyActions();
}

void MainWindow::reloadTable(const QString &keyId)
{
    // The rows in view stay in place while they are read again; the key is looked for once the count is there.
    m_wantedKey = keyId;
    m_scrollToWanted = false;
    m_widenForWanted = false;
    m_model->reload();
}

bool MainWindow::refresh()
{
    // What the user sees stays in place: the selected key, the scroll position, the sort order.
    const QString selected = selectedKeyId();
    const Status alive = m_services.db.ping();
    if (!alive) {
        showFailure(alive.error());
        return false;
    }
    m_model->loadNavigation(); // counts over every key: off the GUI thread
    reloadTable(selected);     // a key no longer shown leaves the detail pane (onKeyLocated)
    if (!selected.isEmpty())
        m_detail->reload();
    if (m_ui->pages->currentWidget() == m_ui->summaryTab)
        m_summary->reload();
    if (m_ui->pages->currentWidget() == m_ui->auditTab)
        m_audit->reload();
    updateCount();
    updateKeyActions();
    hideBanner();
    m_lastRevision = m_services.keys.dataRevision();
    statusBar()->showMessage(tr("Refreshed at %1").arg(QLocale().toString(QTime::currentTime(), QLocale::ShortFormat)),
                             3000);
    return true;
}

void MainWindow::showFailure(const Error &error)
{
    if (error.code == ErrorCode::StorageUnavailable || error.code == ErrorCode::StorageFailure) {
        m_ui->bannerLabel->setText(tr("<b>The database cannot be used.</b> %1 Nothing was changed. Retry when it is "
                                      "back; the console also retries with each refresh.")
                                       .arg(describeError(error).toHtmlEscaped()));
        m_ui->banner->setVisible(true);
    }
}

void MainWindow::reportFailure(const QString &action, const Error &error)
{
    showFailure(error);
    dialogs::warning(this, action, describeError(error));
}

void MainWindow::hideBanner()
{
    m_ui->banner->setVisible(false);
}

bool MainWindow::isBannerVisible() const
{
    return m_ui->banner->isVisible();
}

void MainWindow::retry()
{
    refresh();
}

void MainWindow::onKeyChanged(const QString &keyId, const QString &message)
{
    statusBar()->showMessage(message, 5000);
    // Show the new state in the table at once, with the key still selected.
    reloadTable(keyId);
    m_model->loadNavigation();
    m_lastRevision = m_services.keys.dataRevision();
}

void MainWindow::switchMode()
{
    if (const std::optional<BulkScope> scope = bulkScope()) {
        afterBulk(m_bulk->switchMode(*scope));
        return;
    }
    const QString keyId = selectedKeyId();
    if (keyId.isEmpty())
        return;
    Result<KeyStats> stats = m_services.keys.stats(keyId);
    if (!stats) {
        reportFailure(tr("Switch mode"), stats.error());
        return;
    }
    if (stats.value().adaptiveMode) {
        setLimit();
        return;
    }
    const ChangeReport report = switchToAdaptive(m_services.keys, keyId);
    if (report.error) {
        reportFailure(tr("Switch mode"), *report.error);
        return;
    }
    onKeyChanged(keyId, report.message);
    onSelectionChanged();
}

void MainWindow::setLimit()
{
    if (const std::optional<BulkScope> scope = bulkScope()) {
        afterBulk(m_bulk->setLimit(*scope));
        return;
    }
    const QString keyId = selectedKeyId();
    if (keyId.isEmpty())
        return;
    Result<KeyStats> stats = m_services.keys.stats(keyId);
    if (!stats) {
        reportFailure(tr("Set fixed limit"), stats.error());
        return;
    }
    const int suggested =
        stats.value().maxConcurrent.value_or(std::clamp(stats.value().effectiveLimit, minFixedLimit, maxFixedLimit));
    const std::optional<int> limit = dialogs::askInt(
        this, tr("Set fixed limit"), tr("Fixed concurrency limit (%1–%2):").arg(minFixedLimit).arg(maxFixedLimit),
        suggested, minFixedLimit, maxFixedLimit);
    if (!limit)
        return;
    const ChangeReport report = fixLimit(m_services.keys, keyId, stats.value().adaptiveMode, *limit);
    if (report.error) {
        reportFailure(tr("Set fixed limit"), *report.error);
        return;
    }
    onKeyChanged(keyId, report.message);
    onSelectionChanged();
}

void MainWindow::resetLearning()
{
    if (const std::optional<BulkScope> scope = bulkScope()) {
        afterBulk(m_bulk->resetLearning(*scope));
        return;
    }
    m_detail->resetLearning();
}

void MainWindow::afterBulk(const std::optional<QString> &message)
{
    if (!message)
        return;
    m_allShownSelected = false;
    refresh();
    statusBar()->showMessage(*message, 10000);
}

void MainWindow::selectAllShown()
{
    m_selectingAll = true;
    m_ui->keyTable->selectAll();
    m_selectingAll = false;
    m_allShownSelected = true;
    const qint64 count = std::max<qint64>(m_model->keyCount(), 0);
    statusBar()->showMessage(
        tr("All %1 key(s) shown are selected: a key action applies to every one of them.", nullptr, int(count))
            .arg(QLocale().toString(count)));
    updateKeyActions();
}

std::optional<BulkScope> MainWindow::bulkScope() const
{
    BulkScope scope;
    if (m_allShownSelected) {
        scope.filter = m_filter;
        scope.count = std::max<qint64>(m_model->keyCount(), 0);
        scope.scopeName = m_navigation->scopeName();
        return scope;
    }
    const QModelIndexList rows = m_ui->keyTable->selectionModel()->selectedRows(int(KeyColumn::Name));
    if (rows.size() < 2)
        return std::nullopt;
    QStringList ids;
    for (const QModelIndex &row : rows) {
        std::optional<KeyRow> read;
        const KeyRow *key = m_model->rowAt(row.row());
        if (!key) {
            // A row selected (by Shift and a click) whose page is not there: read where it stands.
            KeyPageQuery query;
            query.filter = m_filter;
            query.column = m_model->sortColumn();
            query.order = m_model->sortOrder();
            query.offset = row.row();
            query.limit = 1;
            Result<QList<KeyRow>> page = m_services.table.page(query);
            if (!page || page.value().isEmpty())
                continue;
            read = page.value().first();
            key = &*read;
        }
        ids << key->id;
        const QString endpoint = key->provider + u' ' + key->apiFormat;
        if (!scope.endpoints.contains(endpoint))
            scope.endpoints << endpoint;
    }
    scope.count = ids.size();
    scope.keyIds = ids;
    return scope;
}

void MainWindow::copyKeyId()
{
    const QString keyId = selectedKeyId();
    if (keyId.isEmpty())
        return;
    QGuiApplication::clipboard()->setText(keyId);
    statusBar()->showMessage(tr("Copied key ID %1").arg(keyId), 3000);
}

void MainWindow::exportCsv()
{
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Export table as CSV"),
        QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) + QStringLiteral("/aether-keys.csv"),
        tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly)) {
        dialogs::warning(this, tr("Export table as CSV"), describeFileError(out));
        return;
    }
    QProgressDialog progress(tr("Exporting keys…"), tr("Cancel"), 0, int(std::max<qint64>(m_model->keyCount(), 0)),
                             this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    const Result<CsvExporter::Written> written =
        CsvExporter(m_services.table)
            .write(out, m_filter, m_model->sortColumn(), m_model->sortOrder(), [&progress](int rows) {
                progress.setValue(rows);
                return !progress.wasCanceled();
            });
    progress.setValue(progress.maximum());
    if (written && written.value().canceled) {
        out.cancelWriting();
        return;
    }
    if (!written || !out.commit()) {
        dialogs::warning(this, tr("Export table as CSV"),
                         written ? describeFileError(out) : describeError(written.error()));
        return;
    }
    statusBar()->showMessage(tr("Exported %n key(s) to %1", nullptr, written.value().rows).arg(file), 5000);
}

void MainWindow::saveChart()
{
    QWidget *chart = m_ui->pages->currentWidget() == m_ui->summaryTab
                         ? static_cast<QWidget *>(m_summary->rateChart())
                         : static_cast<QWidget *>(m_detail->historyChart());
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Save chart as PNG"),
        QStandardPaths::writableLocation(QStandardPaths::PicturesLocation) + QStringLiteral("/aether-chart.png"),
        tr("PNG images (*.png)"));
    if (file.isEmpty())
        return;
    if (!chart->grab().save(file, "PNG"))
        dialogs::warning(this, tr("Save chart as PNG"), tr("The image could not be written to %1.").arg(file));
    else
        statusBar()->showMessage(tr("Chart saved to %1").arg(file), 5000);
}

bool MainWindow::startHttp()
{
    return m_endpoint->start();
}

void MainWindow::stopHttp()
{
    m_endpoint->stop();
}

bool MainWindow::isHttpRunning() const
{
    return m_endpoint->isRunning();
}

quint16 MainWindow::httpPort() const
{
    return m_endpoint->port();
}

void MainWindow::openSettings()
{
    const QString before = m_settings.databaseUrl();
    SettingsDialog dialog(m_settings, m_services.db.location(), m_services.endpoint, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_autoRefresh.setInterval(m_settings.refreshSeconds() * 1000);
    m_ui->autoRefreshAction->setChecked(m_settings.autoRefresh());
    if (m_services.timeline)
        m_services.timeline->setRetentionDays(m_settings.retentionDays());
    emit languageChosen(m_settings.language());
    if (m_settings.databaseUrl() != before) {
        emit reopenRequested();
        return;
    }
    m_endpoint->restartIfRunning(); // the address or port may have changed
}

void MainWindow::openTokens()
{
    TokenDialog dialog(m_services.tokens, this);
    dialog.exec();
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About Aether Console"),
                       tr("<h3>Aether Console %1</h3><p>Administration of per-key adaptive concurrency for an LLM API "
                          "gateway: see every key's state, switch modes, set limits, reset what was learned, and see "
                          "why a limit moved.</p>")
                           .arg(QCoreApplication::applicationVersion()));
}

WindowState MainWindow::windowState()
{
    return {this, m_ui->mainSplitter, m_ui->keyTable->horizontalHeader(), m_ui->pages};
}

void MainWindow::restoreWindowState()
{
    windowState().restore(m_settings.raw());
    // The sort order is part of the header's state: apply it to the model.
    const QHeaderView *header = m_ui->keyTable->horizontalHeader();
    m_model->sort(header->sortIndicatorSection(), header->sortIndicatorOrder());
    m_frozen->keepFirst();
    m_ui->keyTable->setColumnHidden(int(KeyColumn::Id), true);
    m_ui->keyTable->setColumnHidden(int(KeyColumn::EndpointId), true);
}

void MainWindow::saveWindowState()
{
    windowState().save(m_settings.raw());
}

bool MainWindow::confirmQuit()
{
    QStringList losses;
    const int edits = int(m_policy->editedFields().size());
    if (edits > 0)
        losses << tr("The learning policy has %n edit(s) that are not applied; they are lost.", nullptr, edits);
    if (isHttpRunning())
        losses << tr("The HTTP API on port %1 stops; scripts and gateways using it lose their connection.")
                      .arg(httpPort());
    if (losses.isEmpty())
        return true;
    QMessageBox box(QMessageBox::Question, tr("Quit Aether Console"), tr("Quit Aether Console?"), QMessageBox::NoButton,
                    this);
    box.setObjectName(QStringLiteral("quitBox"));
    box.setInformativeText(losses.join(u'\n'));
    QPushButton *quit = box.addButton(tr("Quit"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    return dialogs::confirm(box, quit);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!confirmQuit()) {
        event->ignore();
        return;
    }
    saveWindowState();
    stopHttp();
    QMainWindow::closeEvent(event);
}

} // namespace aether::gui
