#include "keydetailwidget.h"

#include "dialogs.h"

#include "charts/historychart.h"
#include "guiformat.h"
#include "keychange.h"
#include "keytablemodel.h"
#include "trendpanel.h"
#include "ui_keydetail.h"

#include <QDateTime>
#include <QFileDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QStandardPaths>

namespace aether::gui {

namespace {
// The most recent operator changes a key's chart shows.
constexpr int operatorChangesShown = 200;
} // namespace

KeyDetailWidget::KeyDetailWidget(KeyService &keys, KeyTable &table, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::KeyDetailWidget>())
    , m_keys(keys)
    , m_table(table)
    , m_chart(new HistoryChartView(this))
    , m_legend(new QLabel(this))
    , m_trend(new TrendPanel(keys.database().location(), false, this))
{
    m_ui->setupUi(this);
    m_ui->chartLayout->addWidget(m_chart);
    m_legend->setObjectName(QStringLiteral("historyLegend"));
    m_legend->setWordWrap(true);
    m_legend->setTextFormat(Qt::RichText);
    m_ui->chartLayout->addWidget(m_legend);
    m_trend->setObjectName(QStringLiteral("keyTrend"));
    m_ui->chartLayout->addWidget(m_trend);
    connect(m_trend, &TrendPanel::failed, this, &KeyDetailWidget::failed);
    m_ui->fixedLimitSpin->setRange(minFixedLimit, maxFixedLimit);
    connect(m_ui->applyButton, &QPushButton::clicked, this, &KeyDetailWidget::apply);
    connect(m_ui->resetButton, &QPushButton::clicked, this, &KeyDetailWidget::resetLearning);
    connect(m_ui->adaptiveRadio, &QRadioButton::toggled, this, &KeyDetailWidget::updateControls);
    connect(m_ui->fixedLimitSpin, &QSpinBox::valueChanged, this, &KeyDetailWidget::updateControls);
    retranslate();
    showKey({});
}

KeyDetailWidget::~KeyDetailWidget() = default;

void KeyDetailWidget::retranslate()
{
    m_ui->retranslateUi(this);
    m_chart->retranslate();
    m_trend->retranslate();
    m_legend->setText(m_chart->legendText());
    if (m_stats)
        showStats(*m_stats);
    else
        m_ui->titleLabel->setText(tr("No key selected"));
    updateControls();
}

bool KeyDetailWidget::showKey(const QString &keyId, const QString &keyName)
{
    m_keyId = keyId;
    m_keyName = keyName;
    m_stats.reset();
    m_ui->messageLabel->clear();
    if (keyId.isEmpty()) {
        m_ui->titleLabel->setText(tr("No key selected"));
        for (QLabel *value : findChildren<QLabel *>(QRegularExpression(QStringLiteral("Value$"))))
            value->clear();
        m_ui->recentList->clear();
        m_chart->clear();
        m_trend->setVisible(false);
        m_ui->statsGroup->setEnabled(false);
        m_ui->controlGroup->setEnabled(false);
        return true;
    }
    Result<KeyStats> stats = m_keys.stats(keyId);
    if (!stats) {
        showMessage(describeError(stats.error()), true);
        m_ui->controlGroup->setEnabled(false);
        emit failed(stats.error());
        return false;
    }
    m_ui->statsGroup->setEnabled(true);
    m_ui->controlGroup->setEnabled(true);
    // The form starts from the stored state.
    m_ui->adaptiveRadio->setChecked(stats.value().adaptiveMode);
    m_ui->fixedRadio->setChecked(!stats.value().adaptiveMode);
    m_ui->fixedLimitSpin->setValue(stats.value().maxConcurrent.value_or(
        stats.value().effectiveLimit > maxFixedLimit ? maxFixedLimit : stats.value().effectiveLimit));
    showStats(stats.value());
    Result<QList<AdjustmentPoint>> history = m_table.history(keyId);
    // The operators' recent changes of the key, drawn beside the learning's.
    AuditQuery changes;
    changes.keyId = keyId;
    changes.limit = operatorChangesShown;
    const Result<AuditLog::Page> audit = AuditLog(m_keys.database()).page(changes);
    if (history)
        m_chart->setHistory(m_keyName.isEmpty() ? keyId : m_keyName, history.value(),
                            audit ? audit.value().entries : QList<AuditEntry>());
    else
        m_chart->clear();
    m_trend->setScope(TimelineScope{keyId, {}, {}}, m_keyName.isEmpty() ? keyId : m_keyName);
    m_trend->setVisible(true);
    updateControls();
    return true;
}

void KeyDetailWidget::reload()
{
    if (m_keyId.isEmpty())
        return;
    // Keep an edit in progress: only the figures are read again.
    const bool adaptive = m_ui->adaptiveRadio->isChecked();
    const int limit = m_ui->fixedLimitSpin->value();
    const bool edited =
        m_stats && (adaptive != m_stats->adaptiveMode || (!adaptive && m_stats->maxConcurrent.value_or(-1) != limit));
    const QString message = m_ui->messageLabel->text();
    const QString styleSheet = m_ui->messageLabel->styleSheet();
    if (!showKey(m_keyId, m_keyName))
        return;
    if (edited) {
        m_ui->adaptiveRadio->setChecked(adaptive);
        m_ui->fixedRadio->setChecked(!adaptive);
        m_ui->fixedLimitSpin->setValue(limit);
    }
    m_ui->messageLabel->setText(message);
    m_ui->messageLabel->setStyleSheet(styleSheet);
    updateControls();
}

void KeyDetailWidget::showStats(const KeyStats &s)
{
    m_stats = s;
    m_ui->titleLabel->setText(
        QStringLiteral("<b>%1</b><br><small>%2</small>")
            .arg((m_keyName.isEmpty() ? s.keyId : m_keyName).toHtmlEscaped(), s.keyId.toHtmlEscaped()));
    const QLocale locale;
    m_ui->modeValue->setText(KeyTableModel::modeLabel(s.adaptiveMode));
    m_ui->maxConcurrentValue->setText(formatLimit(s.maxConcurrent));
    // As the table shows it: an adaptive key has no limit of its own until one is learned (learning.md); the
    // initial limit is only where the learning starts.
    m_ui->effectiveValue->setText(s.adaptiveMode && !s.learnedLimit
                                      ? tr("— (no limit until one is learned; the learning starts from %1)")
                                            .arg(locale.toString(s.effectiveLimit))
                                      : locale.toString(s.effectiveLimit));
    m_ui->learnedValue->setText(formatLimit(s.learnedLimit));
    m_ui->concurrent429Value->setText(locale.toString(s.concurrent429Count));
    m_ui->rpm429Value->setText(locale.toString(s.rpm429Count));
    m_ui->last429Value->setText(s.last429At ? formatTimestamp(*s.last429At) : tr("never"));
    m_ui->last429TypeValue->setText(s.last429Type ? KeyTableModel::limitTypeLabel(*s.last429Type)
                                                  : QStringLiteral("—"));
    m_ui->adjustmentsValue->setText(locale.toString(s.adjustmentCount));
    m_ui->recentList->clear();
    // Newest first.
    for (qsizetype i = s.recentAdjustments.size() - 1; i >= 0; --i) {
        const QJsonObject r = s.recentAdjustments.at(i).toObject();
        auto *item = new QTreeWidgetItem(m_ui->recentList);
        item->setText(0, formatTimestamp(r.value(QStringLiteral("timestamp")).toString()));
        item->setText(1, formatRecordChange(r));
        const QString reason = r.value(QStringLiteral("reason")).toString();
        item->setText(2, reasonLabel(reason));
        item->setForeground(2, reasonColor(reason));
        if (const QString signal = r.value(QStringLiteral("signal")).toString(); !signal.isEmpty())
            item->setToolTip(2, signalLabel(signal));
    }
    m_ui->recentList->resizeColumnToContents(0);
}

void KeyDetailWidget::updateControls()
{
    m_ui->fixedLimitSpin->setEnabled(m_ui->fixedRadio->isChecked());
    if (!m_stats) {
        m_ui->applyButton->setEnabled(false);
        m_ui->controlHint->clear();
        return;
    }
    const bool adaptive = m_ui->adaptiveRadio->isChecked();
    const bool unchanged = adaptive == m_stats->adaptiveMode &&
                           (adaptive || m_stats->maxConcurrent.value_or(-1) == m_ui->fixedLimitSpin->value());
    m_ui->applyButton->setEnabled(!unchanged);
    if (adaptive)
        m_ui->controlHint->setText(
            tr("The gateway learns this key's limit from its 429 responses and how busy it is."));
    else
        m_ui->controlHint->setText(tr("The gateway never sends more than this many requests at once with this key "
                                      "(%1–%2). What was learned is kept.")
                                       .arg(minFixedLimit)
                                       .arg(maxFixedLimit));
}

void KeyDetailWidget::showMessage(const QString &text, bool error)
{
    m_ui->messageLabel->setText(text);
    m_ui->messageLabel->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QStringLiteral("color: #1e6b34;"));
}

void KeyDetailWidget::showReport(const ChangeReport &report)
{
    if (report.error) {
        showMessage(describeError(*report.error), true); // the form stays as the user left it
        emit failed(*report.error);
        return;
    }
    const QString keyId = m_keyId;
    showKey(m_keyId, m_keyName); // the new state, read back
    showMessage(report.message, false);
    emit keyChanged(keyId, report.message);
}

void KeyDetailWidget::apply()
{
    if (!m_stats)
        return;
    const ChangeReport report = m_ui->adaptiveRadio->isChecked()
                                    ? switchToAdaptive(m_keys, m_keyId)
                                    : fixLimit(m_keys, m_keyId, m_stats->adaptiveMode, m_ui->fixedLimitSpin->value());
    showReport(report);
}

void KeyDetailWidget::resetLearning()
{
    if (!m_stats)
        return;
    QMessageBox box(QMessageBox::Question, tr("Reset learning"),
                    sentence(tr("Reset what was learned for %1?"), {m_keyName.isEmpty() ? m_keyId : m_keyName}),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("resetDialog"));
    box.setInformativeText(tr("This clears the learned limit, both 429 counters, the time and type of the last 429, "
                              "the adjustment history and the utilisation samples.\n\nThe mode (%1) and the fixed "
                              "limit stay as they are.")
                               .arg(KeyTableModel::modeLabel(m_stats->adaptiveMode)));
    QPushButton *reset = box.addButton(tr("Reset learning"), QMessageBox::DestructiveRole);
    reset->setObjectName(QStringLiteral("confirmResetButton"));
    QPushButton *save = box.addButton(tr("Save learned state…"), QMessageBox::ActionRole);
    save->setObjectName(QStringLiteral("saveLearningButton"));
    save->setToolTip(tr("Write everything the reset clears (limit, counters, history, samples) to a JSON file first"));
    box.addButton(QMessageBox::Cancel)->setObjectName(QStringLiteral("cancelResetButton"));
    box.setDefaultButton(QMessageBox::Cancel);
    // Saving returns to the question, so that the reset can follow.
    bool confirmed = dialogs::confirm(box, reset);
    while (!confirmed && box.clickedButton() == save) {
        saveLearningState();
        confirmed = dialogs::confirm(box, reset);
    }
    if (!confirmed)
        return;
    const ChangeReport report = gui::resetLearning(m_keys, m_keyId);
    showReport(report);
}

bool KeyDetailWidget::saveLearningState(const QString &chosenFile)
{
    const Result<QJsonObject> state = m_keys.learningState(m_keyId);
    if (!state) {
        showMessage(describeError(state.error()), true);
        return false;
    }
    const QString title = tr("Save learned state");
    QString file = chosenFile;
    if (file.isEmpty()) {
        QString base = m_keyName.isEmpty() ? m_keyId : m_keyName;
        base.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
        file = QFileDialog::getSaveFileName(
            this, title,
            QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) +
                QStringLiteral("/%1-learning-%2.json")
                    .arg(base, QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
            tr("JSON files (*.json)"));
        if (file.isEmpty())
            return false;
    }
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) ||
        out.write(QJsonDocument(state.value()).toJson(QJsonDocument::Indented)) < 0 || !out.commit()) {
        dialogs::warning(this, title, describeFileError(out));
        return false;
    }
    showMessage(tr("Learned state of %1 saved to %2").arg(m_keyName.isEmpty() ? m_keyId : m_keyName, file), false);
    return true;
}

} // namespace aether::gui
