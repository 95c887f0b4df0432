#include "auditpage.h"

#include "csvexporter.h"
#include "dialogs.h"
#include "guiformat.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QSaveFile>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QVBoxLayout>

namespace aether::gui {

namespace {

enum Column { TimeColumn, ActorColumn, ActionColumn, KeyColumnIndex, ChangeColumn, ColumnCount };

QString valueText(const QString &field, const QJsonValue &value)
{
    if (value.isNull() || value.isUndefined())
        return field == u"max_concurrent" ? AuditPage::tr("adaptive") : QStringLiteral("—");
    if (value.isDouble())
        return QLocale().toString(value.toDouble(), 'g', 12);
    if (value.isString())
        return value.toString();
    if (value.isBool())
        return value.toBool() ? AuditPage::tr("yes") : AuditPage::tr("no");
    return QString::fromUtf8(QJsonDocument::fromVariant(value.toVariant()).toJson(QJsonDocument::Compact));
}

// The key fields by the names the key table uses; the policy's parameters by their stored names.
QString fieldLabel(const QString &field)
{
    if (field == u"max_concurrent")
        return AuditPage::tr("Max concurrent");
    if (field == u"learned_max_concurrent")
        return AuditPage::tr("Learned limit");
    return field;
}

QString csvJson(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

QString actionLabel(const QString &action)
{
    if (action == u"set_mode")
        return AuditPage::tr("Mode switched");
    if (action == u"set_limit")
        return AuditPage::tr("Fixed limit set");
    if (action == u"reset_learning")
        return AuditPage::tr("Learning reset");
    if (action == u"update_policy")
        return AuditPage::tr("Policy changed");
    if (action == u"reset_policy")
        return AuditPage::tr("Policy reset to defaults");
    return action;
}

QString formatAuditChange(const QJsonObject &before, const QJsonObject &after)
{
    QStringList fields = before.keys();
    for (const QString &field : after.keys()) {
        if (!fields.contains(field))
            fields << field;
    }
    QStringList parts;
    for (const QString &field : fields) {
        const QJsonValue old = before.value(field);
        const QJsonValue now = after.value(field);
        if (old == now && before.contains(field) && after.contains(field))
            continue; // a policy change lists every parameter; only those that changed are worth reading
        //: a field of an audit entry: its name, the value before and the value after the change
        parts << AuditPage::tr("%1: %2 → %3").arg(fieldLabel(field), valueText(field, old), valueText(field, now));
    }
    //: separates the fields of one audit entry
    return parts.isEmpty() ? AuditPage::tr("no change") : parts.join(AuditPage::tr("; "));
}

AuditPage::AuditPage(Database &db, QWidget *parent)
    : QWidget(parent)
    , m_log(db)
    , m_keyEdit(new QLineEdit(this))
    , m_actorEdit(new QLineEdit(this))
    , m_actionCombo(new QComboBox(this))
    , m_periodCombo(new QComboBox(this))
    , m_exportButton(new QPushButton(this))
    , m_view(new QTableView(this))
    , m_model(new QStandardItemModel(0, ColumnCount, this))
    , m_newerButton(new QPushButton(this))
    , m_olderButton(new QPushButton(this))
    , m_pageLabel(new QLabel(this))
    , m_keyLabel(new QLabel(this))
    , m_actorLabel(new QLabel(this))
    , m_actionLabel(new QLabel(this))
    , m_periodLabel(new QLabel(this))
{
    buildFilters();
    m_view->setObjectName(QStringLiteral("auditTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const QString key = m_model->index(index.row(), KeyColumnIndex).data(Qt::UserRole).toString();
        if (!key.isEmpty())
            emit keyActivated(key);
    });

    m_newerButton->setObjectName(QStringLiteral("auditNewerButton"));
    m_olderButton->setObjectName(QStringLiteral("auditOlderButton"));
    connect(m_newerButton, &QPushButton::clicked, this, [this] {
        if (m_cursors.size() > 1)
            m_cursors.removeLast();
        reload();
    });
    connect(m_olderButton, &QPushButton::clicked, this, [this] {
        if (!m_nextCursor)
            return;
        m_cursors.append(m_nextCursor);
        reload();
    });
    auto *pager = new QHBoxLayout;
    pager->addWidget(m_newerButton);
    pager->addWidget(m_olderButton);
    pager->addWidget(m_pageLabel, 1);

    auto *layout = new QVBoxLayout(this);
    auto *filters = new QHBoxLayout;
    filters->addWidget(m_keyLabel);
    filters->addWidget(m_keyEdit, 2);
    filters->addWidget(m_actorLabel);
    filters->addWidget(m_actorEdit, 2);
    filters->addWidget(m_actionLabel);
    filters->addWidget(m_actionCombo, 1);
    filters->addWidget(m_periodLabel);
    filters->addWidget(m_periodCombo, 1);
    filters->addWidget(m_exportButton);
    layout->addLayout(filters);
    layout->addWidget(m_view, 1);
    layout->addLayout(pager);
    retranslate();
}

void AuditPage::buildFilters()
{
    m_keyEdit->setObjectName(QStringLiteral("auditKeyEdit"));
    m_actorEdit->setObjectName(QStringLiteral("auditActorEdit"));
    m_actionCombo->setObjectName(QStringLiteral("auditActionCombo"));
    m_periodCombo->setObjectName(QStringLiteral("auditPeriodCombo"));
    m_exportButton->setObjectName(QStringLiteral("auditExportButton"));
    m_keyEdit->setClearButtonEnabled(true);
    m_actorEdit->setClearButtonEnabled(true);
    m_keyLabel->setBuddy(m_keyEdit);
    m_actorLabel->setBuddy(m_actorEdit);
    m_actionLabel->setBuddy(m_actionCombo);
    m_periodLabel->setBuddy(m_periodCombo);
    m_actionCombo->addItem(QString(), QString());
    for (const QString &action : AuditLog::actions())
        m_actionCombo->addItem(QString(), action);
    for (const qint64 seconds : {qint64(0), qint64(3600), qint64(86400), qint64(7 * 86400), qint64(30 * 86400)})
        m_periodCombo->addItem(QString(), seconds);
    m_filterDelay.setSingleShot(true);
    m_filterDelay.setInterval(250);
    connect(&m_filterDelay, &QTimer::timeout, this, &AuditPage::restart);
    for (QLineEdit *edit : {m_keyEdit, m_actorEdit}) {
        connect(edit, &QLineEdit::textChanged, &m_filterDelay, qOverload<>(&QTimer::start));
        connect(edit, &QLineEdit::returnPressed, this, &AuditPage::restart);
    }
    connect(m_actionCombo, &QComboBox::currentIndexChanged, this, &AuditPage::restart);
    connect(m_periodCombo, &QComboBox::currentIndexChanged, this, &AuditPage::restart);
    connect(m_exportButton, &QPushButton::clicked, this, &AuditPage::exportCsv);
}

void AuditPage::retranslate()
{
    m_keyLabel->setText(tr("K&ey:"));
    m_actorLabel->setText(tr("A&ctor:"));
    m_actionLabel->setText(tr("Ac&tion:"));
    m_periodLabel->setText(tr("&Period:"));
    m_keyEdit->setPlaceholderText(tr("Key id"));
    m_keyEdit->setToolTip(tr("Only the changes of the key with this id"));
    m_actorEdit->setPlaceholderText(tr("e.g. token:ops or gui:*"));
    m_actorEdit->setToolTip(tr("Who made the change: exactly this actor, or all actors that start with the text "
                               "before a final *"));
    m_actionCombo->setItemText(0, tr("All actions"));
    for (int i = 1; i < m_actionCombo->count(); ++i)
        m_actionCombo->setItemText(i, actionLabel(m_actionCombo->itemData(i).toString()));
    const QStringList periods{tr("Any time"), tr("Last hour"), tr("Last 24 hours"), tr("Last 7 days"),
                              tr("Last 30 days")};
    for (int i = 0; i < m_periodCombo->count(); ++i)
        m_periodCombo->setItemText(i, periods.value(i));
    m_exportButton->setText(tr("E&xport CSV…"));
    m_exportButton->setToolTip(tr("Write every entry the filter selects (all pages) to a CSV file"));
    m_newerButton->setText(tr("← Newer"));
    m_olderButton->setText(tr("Older →"));
    m_model->setHorizontalHeaderLabels({tr("Time"), tr("Actor"), tr("Action"), tr("Key"), tr("Change")});
    m_model->horizontalHeaderItem(ActorColumn)
        ->setToolTip(tr("token:<name> for the HTTP API, gui:<user>@<host> for the window, cli for the command line"));
    m_model->horizontalHeaderItem(ChangeColumn)->setToolTip(tr("The stored values before → after the change"));
    updatePager();
}

AuditQuery AuditPage::query() const
{
    AuditQuery query;
    query.keyId = m_keyEdit->text().trimmed();
    query.actor = m_actorEdit->text().trimmed();
    query.action = m_actionCombo->currentData().toString();
    const qint64 seconds = m_periodCombo->currentData().toLongLong();
    if (seconds > 0)
        query.since = Timestamp::fromMicroseconds(Timestamp::now().microseconds() - seconds * 1000000);
    query.limit = pageSize;
    return query;
}

void AuditPage::showKey(const QString &keyId)
{
    const QSignalBlocker block(m_keyEdit);
    m_keyEdit->setText(keyId);
    restart();
}

void AuditPage::restart()
{
    m_filterDelay.stop();
    m_cursors = {std::nullopt};
    reload();
}

bool AuditPage::reload()
{
    AuditQuery q = query();
    q.before = m_cursors.constLast();
    const Result<AuditLog::Page> page = m_log.page(q);
    if (!page) {
        emit failed(page.error());
        return false;
    }
    showPage(page.value());
    return true;
}

void AuditPage::showPage(const AuditLog::Page &page)
{
    m_model->removeRows(0, m_model->rowCount());
    for (const AuditEntry &entry : page.entries) {
        QList<QStandardItem *> row;
        auto *time = new QStandardItem(formatTimestamp(entry.timestamp));
        time->setToolTip(entry.timestamp);
        auto *key = new QStandardItem(entry.keyId ? entry.keyName.value_or(*entry.keyId) : tr("(policy)"));
        key->setData(entry.keyId.value_or(QString()), Qt::UserRole);
        if (entry.keyId)
            key->setToolTip(entry.keyName ? tr("%1\nid %2").arg(*entry.keyName, *entry.keyId)
                                          : tr("id %1 (no longer in the database)").arg(*entry.keyId));
        const QString change = formatAuditChange(entry.before, entry.after);
        auto *changeItem = new QStandardItem(change);
        changeItem->setToolTip(change);
        row << time << new QStandardItem(entry.actor) << new QStandardItem(actionLabel(entry.action)) << key
            << changeItem;
        m_model->appendRow(row);
    }
    m_nextCursor = page.nextCursor;
    m_shown = int(page.entries.size());
    if (!m_columnsSized && m_model->rowCount() > 0) {
        // Once, on the first entries: wide enough for them; the user's widths are kept after that.
        for (int column = TimeColumn; column < ChangeColumn; ++column)
            m_view->resizeColumnToContents(column);
        m_columnsSized = true;
    }
    updatePager();
}

void AuditPage::updatePager()
{
    const int pageIndex = int(m_cursors.size()) - 1;
    m_newerButton->setEnabled(pageIndex > 0);
    m_olderButton->setEnabled(m_nextCursor.has_value());
    if (m_shown == 0) {
        m_pageLabel->setText(pageIndex == 0 ? tr("No changes recorded for this filter.") : QString());
        return;
    }
    const int first = pageIndex * pageSize + 1;
    m_pageLabel->setText(
        tr("Entries %1–%2, newest first").arg(QLocale().toString(first), QLocale().toString(first + m_shown - 1)));
}

Result<AuditPage::Written> AuditPage::writeCsv(AuditLog &log, AuditQuery query, QIODevice &out,
                                               const std::function<bool(int rows)> &progress)
{
    Written written;
    const auto line = [&out](const QStringList &fields) {
        QStringList quoted;
        for (const QString &f : fields)
            quoted << CsvExporter::field(f);
        out.write((quoted.join(u',') + u'\n').toUtf8());
    };
    line({QStringLiteral("id"), QStringLiteral("timestamp"), QStringLiteral("actor"), QStringLiteral("action"),
          QStringLiteral("key_id"), QStringLiteral("key_name"), QStringLiteral("before"), QStringLiteral("after")});
    query.limit = AuditQuery::maxLimit;
    query.before.reset();
    for (;;) {
        const Result<AuditLog::Page> page = log.page(query);
        if (!page)
            return page.error();
        for (const AuditEntry &e : page.value().entries) {
            line({QString::number(e.id), e.timestamp, e.actor, e.action, e.keyId.value_or(QString()),
                  e.keyName.value_or(QString()), csvJson(e.before), csvJson(e.after)});
            ++written.rows;
        }
        if (progress && !progress(written.rows)) {
            written.canceled = true;
            return written;
        }
        if (!page.value().nextCursor)
            return written;
        query.before = page.value().nextCursor;
    }
}

void AuditPage::exportCsv()
{
    const QString title = tr("Export audit log as CSV");
    const QString file = QFileDialog::getSaveFileName(
        this, title,
        QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation) + QStringLiteral("/aether-audit.csv"),
        tr("CSV files (*.csv)"));
    if (file.isEmpty())
        return;
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly)) {
        dialogs::warning(this, title, describeFileError(out));
        return;
    }
    QProgressDialog progress(tr("Exporting the audit log…"), tr("Cancel"), 0, 0, this);
    progress.setWindowModality(Qt::WindowModal);
    progress.setMinimumDuration(300);
    const Result<Written> written = writeCsv(m_log, query(), out, [&progress](int rows) {
        progress.setLabelText(tr("Exporting the audit log… %1 entries").arg(QLocale().toString(rows)));
        progress.setValue(0);
        return !progress.wasCanceled();
    });
    progress.close();
    if (written && written.value().canceled) {
        out.cancelWriting();
        return;
    }
    if (!written || !out.commit())
        dialogs::warning(this, title, written ? describeFileError(out) : describeError(written.error()));
}

} // namespace aether::gui
