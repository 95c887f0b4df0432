#pragma once

#include "keys/keyservice.h"

#include <QWidget>

#include <functional>
#include <memory>

class QAbstractSpinBox;

class QLabel;

namespace Ui {
class PolicyPage;
}

namespace aether::gui {

// The learning policy as a page: every parameter of the learning with the original service's default beside it, Apply
// (a partial update of what was changed), Revert, and Reset to defaults after a confirmation. The policy lives in the
// database, so every console and gateway on it uses the values shown here.
class PolicyPage : public QWidget {
    Q_OBJECT
public:
    explicit PolicyPage(KeyService &keys, QWidget *parent = nullptr);
    ~PolicyPage() override;

    // Reads the stored policy into the form (discarding edits); false (and failed()) when the database failed.
    bool reload();
    void retranslate();
    // The field names whose editors differ from the stored policy.
    QStringList editedFields() const;

    // A field's label as the page shows it.
    QString fieldLabel(const QString &field) const;
    // Lists the changes (old → new, fields named by `label`) and asks before they are stored for every console and
    // gateway; true when accepted.
    static bool confirmChanges(QWidget *parent, const QJsonObject &edited, const QJsonObject &before,
                               const std::function<QString(const QString &)> &label);

    // The field whose refused value is explained next to it; empty when none.
    QString fieldWithError() const { return m_errorField; }

signals:
    void failed(const aether::Error &error);
    void policyChanged();

protected:
    void showEvent(QShowEvent *event) override;

private:
    // What a parameter does (its tooltip).
    static QString fieldHelp(const QString &field);
    void markChangedDefaults();
    // Lists the edited fields (old → new) and asks before they are applied.
    bool confirmApply(const QJsonObject &edited);
    void alignColumns();
    void apply();
    void resetToDefaults();
    void show(const LearningPolicy &policy);
    void showDefaults();
    void describeStrategies();
    void showMessage(const QString &text, bool error);
    // Shows a refused value's reason on the row of its field (and focuses the field); hidden again on the next edit.
    void showFieldError(const QString &field, const QString &text);
    void clearFieldError();
    QJsonObject editedValues() const;
    QString describe(const Error &error) const;
    void updateButtons();

    std::unique_ptr<Ui::PolicyPage> m_ui;
    KeyService &m_keys;
    LearningPolicy m_stored;
    QJsonObject m_shown;        // what the editors showed after the last show()
    QList<QWidget *> m_editors; // each carries its JSON field name in the "policyField" property
    QLabel *m_fieldError = nullptr;
    QString m_errorField;
};

} // namespace aether::gui
