#include "tokendialog.h"

#include "dialogs.h"
#include "guiformat.h"
#include "ui_tokendialog.h"

#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QMessageBox>
#include <QPushButton>

namespace aether::gui {

namespace {

QString roleLabel(Role role)
{
    switch (role) {
    case Role::Admin:
        return QCoreApplication::translate("TokenDialog", "Admin");
    case Role::Viewer:
        return QCoreApplication::translate("TokenDialog", "Viewer (read only)");
    case Role::Gateway:
        return QCoreApplication::translate("TokenDialog", "Gateway (events and limits)");
    }
    return {};
}

} // namespace

TokenDialog::TokenDialog(TokenStore &tokens, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::TokenDialog>())
    , m_tokens(tokens)
{
    m_ui->setupUi(this);
    for (Role role : {Role::Admin, Role::Viewer, Role::Gateway})
        m_ui->roleCombo->addItem(roleLabel(role), roleToString(role));
    m_ui->secretGroup->setVisible(false);
    m_ui->tokenTable->horizontalHeader()->setMinimumSectionSize(110);
    connect(m_ui->createButton, &QPushButton::clicked, this, &TokenDialog::createToken);
    connect(m_ui->nameEdit, &QLineEdit::returnPressed, this, &TokenDialog::createToken);
    connect(m_ui->revokeButton, &QPushButton::clicked, this, &TokenDialog::revokeSelected);
    connect(m_ui->copyButton, &QPushButton::clicked, this, [this] {
        QGuiApplication::clipboard()->setText(m_ui->secretEdit->text());
        showMessage(tr("The token is on the clipboard."), false);
    });
    connect(m_ui->tokenTable, &QTableWidget::itemSelectionChanged, this,
            [this] { m_ui->revokeButton->setEnabled(!m_ui->tokenTable->selectedItems().isEmpty()); });
    m_ui->revokeButton->setEnabled(false);
    reload();
}

TokenDialog::~TokenDialog() = default;

bool TokenDialog::reload()
{
    Result<QList<TokenInfo>> list = m_tokens.list();
    if (!list) {
        showMessage(describeError(list.error()), true);
        return false;
    }
    m_ui->tokenTable->setRowCount(int(list.value().size()));
    for (int row = 0; row < list.value().size(); ++row) {
        const TokenInfo &t = list.value().at(row);
        m_ui->tokenTable->setItem(row, 0, new QTableWidgetItem(t.name));
        m_ui->tokenTable->setItem(row, 1, new QTableWidgetItem(roleLabel(t.role)));
        m_ui->tokenTable->setItem(row, 2, new QTableWidgetItem(formatTimestamp(t.createdAt)));
        m_ui->tokenTable->setItem(row, 3,
                                  new QTableWidgetItem(t.lastUsedAt ? formatTimestamp(*t.lastUsedAt) : tr("never")));
    }
    m_ui->tokenTable->resizeColumnsToContents();
    return true;
}

void TokenDialog::createToken()
{
    const QString name = m_ui->nameEdit->text().trimmed();
    if (name.isEmpty()) {
        showMessage(tr("Give the token a name, e.g. the script or gateway that will use it."), true);
        return;
    }
    const std::optional<Role> role = roleFromString(m_ui->roleCombo->currentData().toString());
    Result<NewToken> created = m_tokens.create(name, role.value_or(Role::Viewer));
    if (!created) {
        showMessage(created.error().code == ErrorCode::Conflict ? tr("A token named %1 exists already.").arg(name)
                                                                : describeError(created.error()),
                    true);
        return;
    }
    m_ui->secretEdit->setText(created.value().secret);
    m_ui->secretGroup->setVisible(true);
    m_ui->nameEdit->clear();
    showMessage(tr("Token %1 created. Copy it now: it cannot be shown again.").arg(name), false);
    reload();
}

void TokenDialog::revokeSelected()
{
    const QList<QTableWidgetItem *> selected = m_ui->tokenTable->selectedItems();
    if (selected.isEmpty())
        return;
    const QString name = m_ui->tokenTable->item(selected.first()->row(), 0)->text();
    if (!dialogs::askYesNo(this, tr("Revoke token"),
                           tr("Revoke the token %1? Whoever uses it can no longer call the HTTP API.").arg(name),
                           /*cancelInsteadOfNo=*/true))
        return;
    const Status revoked = m_tokens.revoke(name);
    if (!revoked) {
        showMessage(describeError(revoked.error()), true);
        return;
    }
    showMessage(tr("Token %1 revoked.").arg(name), false);
    reload();
}

void TokenDialog::showMessage(const QString &text, bool error)
{
    m_ui->messageLabel->setText(text);
    m_ui->messageLabel->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QStringLiteral("color: #1e6b34;"));
}

} // namespace aether::gui
