#pragma once

#include "auth/tokenstore.h"

#include <QDialog>

#include <memory>

namespace Ui {
class TokenDialog;
}

namespace aether::gui {

// The token manager: the tokens (name, role, created, last used), creating one (its secret shown once, with Copy)
// and revoking one after a confirmation.
class TokenDialog : public QDialog {
    Q_OBJECT
public:
    explicit TokenDialog(TokenStore &tokens, QWidget *parent = nullptr);
    ~TokenDialog() override;

    bool reload();

public slots:
    void createToken();
    void revokeSelected();

private:
    void showMessage(const QString &text, bool error);

    std::unique_ptr<Ui::TokenDialog> m_ui;
    TokenStore &m_tokens;
};

} // namespace aether::gui
