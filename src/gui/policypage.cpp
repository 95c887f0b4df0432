#include "policypage.h"

#include "dialogs.h"
#include "guiformat.h"
#include "keychange.h"
#include "ui_policypage.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QHash>
#include <QJsonValue>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>

namespace aether::gui {

namespace {

const char *const fieldProperty = "policyField";

QString fieldOf(const QWidget *editor)
{
    return editor->property(fieldProperty).toString();
}

QJsonValue valueOf(const QWidget *editor)
{
    if (const auto *spin = qobject_cast<const QSpinBox *>(editor))
        return spin->value();
    if (const auto *spin = qobject_cast<const QDoubleSpinBox *>(editor))
        return spin->value();
    if (const auto *combo = qobject_cast<const QComboBox *>(editor))
        return combo->currentData().toString();
    return {};
}

void setValue(QWidget *editor, const QJsonValue &value)
{
    if (auto *spin = qobject_cast<QSpinBox *>(editor))
        spin->setValue(value.toInt());
    else if (auto *spin = qobject_cast<QDoubleSpinBox *>(editor))
        spin->setValue(value.toDouble());
    else if (auto *combo = qobject_cast<QComboBox *>(editor))
        combo->setCurrentIndex(qMax(0, combo->findData(value.toString())));
}

} // namespace

PolicyPage::PolicyPage(KeyService &keys, QWidget *parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::PolicyPage>())
    , m_keys(keys)
{
    m_ui->setupUi(this);
    for (QWidget *editor : findChildren<QWidget *>()) {
        if (!fieldOf(editor).isEmpty())
            m_editors << editor;
    }
    for (const QString &strategy : LearningPolicy::strategies())
        m_ui->strategyEdit->addItem(strategy, strategy);
    describeStrategies();
    for (QWidget *editor : std::as_const(m_editors)) {
        if (auto *spin = qobject_cast<QSpinBox *>(editor))
            connect(spin, &QSpinBox::valueChanged, this, &PolicyPage::updateButtons);
        else if (auto *spin = qobject_cast<QDoubleSpinBox *>(editor))
            connect(spin, &QDoubleSpinBox::valueChanged, this, &PolicyPage::updateButtons);
        else if (auto *combo = qobject_cast<QComboBox *>(editor))
            connect(combo, &QComboBox::currentIndexChanged, this, &PolicyPage::updateButtons);
    }
    connect(m_ui->policyApplyButton, &QPushButton::clicked, this, &PolicyPage::apply);
    connect(m_ui->policyRevertButton, &QPushButton::clicked, this, [this] {
        show(m_stored);
        showMessage({}, false);
    });
    connect(m_ui->policyResetButton, &QPushButton::clicked, this, &PolicyPage::resetToDefaults);
    showDefaults();
    show(m_stored); // the defaults until reload() reads the stored policy
}

PolicyPage::~PolicyPage() = default;

bool PolicyPage::reload()
{
    Result<LearningPolicy> policy = m_keys.learningPolicy();
    if (!policy) {
        emit failed(policy.error());
        return false;
    }
    m_stored = policy.value();
    show(m_stored);
    return true;
}

void PolicyPage::describeStrategies()
{
    for (int i = 0; i < m_ui->strategyEdit->count(); ++i) {
        m_ui->strategyEdit->setItemData(
            i, LearningPolicy::strategyDescription(m_ui->strategyEdit->itemData(i).toString()), Qt::ToolTipRole);
    }
}

void PolicyPage::retranslate()
{
    m_ui->retranslateUi(this);
    describeStrategies();
    showDefaults();
    alignColumns();
    showMessage({}, false);
}

void PolicyPage::show(const LearningPolicy &policy)
{
    const QJsonObject values = policy.toJson();
    m_shown = QJsonObject();
    for (QWidget *editor : std::as_const(m_editors)) {
        const QSignalBlocker blocker(editor);
        setValue(editor, values.value(fieldOf(editor)));
        // What the editor shows (a stored value beyond its range or precision is shown rounded): only what the user
        // changes from this is sent, so a value the form cannot show exactly is never rewritten by accident.
        m_shown.insert(fieldOf(editor), valueOf(editor));
    }
    updateButtons();
}

void PolicyPage::showEvent(QShowEvent *event)
{
    alignColumns(); // size hints are right once the widgets are polished
    QWidget::showEvent(event);
}

void PolicyPage::alignColumns()
{
    // The three groups line up their labels and editors in the same columns, as wide as the widest of each.
    int labelWidth = 0;
    for (const QLabel *label : findChildren<QLabel *>()) {
        if (label->objectName().endsWith(QLatin1StringView("Label")) && label->buddy())
            labelWidth = qMax(labelWidth, label->sizeHint().width());
    }
    int editorWidth = 0;
    for (const QWidget *editor : std::as_const(m_editors))
        editorWidth = qMax(editorWidth, editor->sizeHint().width());
    for (QWidget *editor : std::as_const(m_editors))
        editor->setMinimumWidth(editorWidth);
    for (QGridLayout *grid : {m_ui->limitsGrid, m_ui->increasesGrid, m_ui->probingGrid})
        grid->setColumnMinimumWidth(0, labelWidth);
}

void PolicyPage::showDefaults()
{
    const QJsonObject defaults = LearningPolicy{}.toJson();
    for (QWidget *editor : std::as_const(m_editors)) {
        auto *label =
            findChild<QLabel *>(editor->objectName().replace(QStringLiteral("Edit"), QStringLiteral("Default")));
        if (!label)
            continue;
        const QJsonValue value = defaults.value(fieldOf(editor));
        QString shown = value.isString() ? value.toString() : QLocale().toString(value.toDouble(), 'g', 6);
        if (const auto *spin = qobject_cast<const QSpinBox *>(editor))
            shown += spin->suffix();
        label->setText(tr("default: %1").arg(shown));
        const QString help = fieldHelp(fieldOf(editor));
        editor->setToolTip(help);
        if (auto *name = findChild<QLabel *>(
                QString(editor->objectName()).replace(QStringLiteral("Edit"), QStringLiteral("Label"))))
            name->setToolTip(help);
    }
}

QString PolicyPage::fieldHelp(const QString &field)
{
    static const QHash<QString, const char *> help{
        {QStringLiteral("initial_limit"), QT_TR_NOOP("The limit the learning starts from while nothing is learned "
                                                     "(until then the gateway enforces no limit on the key).")},
        {QStringLiteral("min_limit"), QT_TR_NOOP("A decrease never goes below this.")},
        {QStringLiteral("max_limit"), QT_TR_NOOP("An increase never goes above this.")},
        {QStringLiteral("increase_step"), QT_TR_NOOP("How much an increase (high utilisation or probe) adds.")},
        {QStringLiteral("decrease_multiplier"),
         QT_TR_NOOP("A concurrency 429 sets the limit to the concurrency at the 429 times this.")},
        {QStringLiteral("unknown_decrease_multiplier"),
         QT_TR_NOOP("A 429 of unknown kind multiplies the limit by this.")},
        {QStringLiteral("cooldown_minutes"), QT_TR_NOOP("No increase for this long after any 429, RPM 429s included.")},
        {QStringLiteral("utilization_window_size"), QT_TR_NOOP("How many of the latest utilisation samples count.")},
        {QStringLiteral("utilization_window_seconds"), QT_TR_NOOP("Only samples of this many last seconds count.")},
        {QStringLiteral("utilization_threshold"),
         QT_TR_NOOP("A sample counts as busy at this utilisation (concurrency ÷ limit) or more.")},
        {QStringLiteral("high_utilization_ratio"),
         QT_TR_NOOP("The limit increases when at least this share of the samples is busy.")},
        {QStringLiteral("min_samples_for_decision"), QT_TR_NOOP("Samples needed before a high-utilisation increase.")},
        {QStringLiteral("probe_interval_minutes"),
         QT_TR_NOOP("A probe increase needs this long since the last 429 and since the last probe.")},
        {QStringLiteral("probe_min_samples"), QT_TR_NOOP("Samples needed for a probe increase.")},
        {QStringLiteral("probe_min_utilization"), QT_TR_NOOP("Mean utilisation needed for a probe increase.")},
        {QStringLiteral("max_history_records"), QT_TR_NOOP("How many adjustment records each key keeps.")},
        {QStringLiteral("strategy"), QT_TR_NOOP("The adjustment algorithm.")},
    };
    const auto it = help.constFind(field);
    return it == help.constEnd() ? QString() : tr(*it);
}

void PolicyPage::markChangedDefaults()
{
    // A value that differs from the original service's default shows its default label in bold.
    const QJsonObject defaults = LearningPolicy{}.toJson();
    for (const QWidget *editor : std::as_const(m_editors)) {
        auto *label = findChild<QLabel *>(
            QString(editor->objectName()).replace(QStringLiteral("Edit"), QStringLiteral("Default")));
        if (!label)
            continue;
        const bool differs = valueOf(editor) != defaults.value(fieldOf(editor));
        QFont font = label->font();
        if (font.bold() != differs) {
            font.setBold(differs);
            label->setFont(font);
        }
        label->setProperty("differsFromDefault", differs);
    }
}

QStringList PolicyPage::editedFields() const
{
    return editedValues().keys();
}

QJsonObject PolicyPage::editedValues() const
{
    QJsonObject edited;
    for (const QWidget *editor : m_editors) {
        const QString field = fieldOf(editor);
        const QJsonValue value = valueOf(editor);
        if (value != m_shown.value(field))
            edited.insert(field, value);
    }
    return edited;
}

void PolicyPage::showFieldError(const QString &field, const QString &text)
{
    clearFieldError();
    for (QWidget *editor : std::as_const(m_editors)) {
        if (fieldOf(editor) != field)
            continue;
        for (auto *grid : findChildren<QGridLayout *>()) {
            const int at = grid->indexOf(editor);
            if (at < 0)
                continue;
            int row = 0, column = 0, rowSpan = 0, columnSpan = 0;
            grid->getItemPosition(at, &row, &column, &rowSpan, &columnSpan);
            if (!m_fieldError) {
                m_fieldError = new QLabel(this);
                m_fieldError->setObjectName(QStringLiteral("policyFieldError"));
                m_fieldError->setWordWrap(true);
                m_fieldError->setStyleSheet(QStringLiteral("color: #b3261e;"));
            }
            m_fieldError->setText(text);
            for (auto *other : findChildren<QGridLayout *>())
                other->removeWidget(m_fieldError);
            grid->addWidget(m_fieldError, row, 3); // right after the field's default
            grid->setColumnStretch(2, 0);
            grid->setColumnStretch(3, 1);
            m_fieldError->show();
            m_errorField = field;
            editor->setFocus();
            if (auto *spin = qobject_cast<QAbstractSpinBox *>(editor))
                spin->selectAll();
            return;
        }
    }
}

void PolicyPage::clearFieldError()
{
    m_errorField.clear();
    if (m_fieldError)
        m_fieldError->hide();
}

void PolicyPage::updateButtons()
{
    clearFieldError();
    const bool edited = !editedValues().isEmpty();
    m_ui->policyApplyButton->setEnabled(edited);
    m_ui->policyRevertButton->setEnabled(edited);
    m_ui->policyResetButton->setEnabled(m_stored != LearningPolicy{} || edited);
    markChangedDefaults();
}

void PolicyPage::showMessage(const QString &text, bool error)
{
    m_ui->policyMessageLabel->setText(text);
    m_ui->policyMessageLabel->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QString());
}

void PolicyPage::apply()
{
    const QJsonObject edited = editedValues();
    if (edited.isEmpty())
        return;
    // A combination the core refuses is explained before anything is asked.
    if (const Result<LearningPolicy> checked = LearningPolicy::patched(m_stored, edited);
        !checked && checked.error().code == ErrorCode::InvalidInput) {
        showMessage(describe(checked.error()), true);
        showFieldError(checked.error().field, describe(checked.error()));
        return;
    }
    if (!confirmApply(edited))
        return;
    Result<LearningPolicy> policy = m_keys.updateLearningPolicy(edited, windowActor());
    if (!policy) {
        if (policy.error().code == ErrorCode::InvalidInput) {
            showMessage(describe(policy.error()), true); // the edits stay for the user to correct
            showFieldError(policy.error().field, describe(policy.error()));
            return;
        }
        emit failed(policy.error());
        showMessage(describeError(policy.error()), true);
        return;
    }
    m_stored = policy.value();
    show(m_stored);
    showMessage(tr("Policy saved. Limits already learned are kept; the next event of each key uses it."), false);
    emit policyChanged();
}

bool PolicyPage::confirmApply(const QJsonObject &edited)
{
    return confirmChanges(this, edited, m_shown, [this](const QString &field) { return fieldLabel(field); });
}

bool PolicyPage::confirmChanges(QWidget *parent, const QJsonObject &edited, const QJsonObject &before,
                                const std::function<QString(const QString &)> &label)
{
    QStringList changes;
    for (auto it = edited.begin(); it != edited.end(); ++it) {
        const QJsonValue old = before.value(it.key());
        const auto text = [](const QJsonValue &v) {
            return v.isString() ? v.toString() : QLocale().toString(v.toDouble(), 'g', 6);
        };
        changes << tr("%1: %2 → %3").arg(label(it.key()), text(old), text(it.value()));
    }
    QMessageBox box(QMessageBox::Question, tr("Apply the learning policy"),
                    tr("Apply %n change(s) to the learning policy?", nullptr, int(changes.size())),
                    QMessageBox::NoButton, parent);
    box.setObjectName(QStringLiteral("applyPolicyBox"));
    box.setInformativeText(changes.join(u'\n') + QStringLiteral("\n\n") +
                           tr("Every console and gateway on this database learns with it from each key's next event. "
                              "Limits already learned are kept."));
    QPushButton *apply = box.addButton(tr("Apply"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(apply);
    return dialogs::confirm(box, apply);
}

void PolicyPage::resetToDefaults()
{
    QMessageBox box(QMessageBox::Question, tr("Reset the learning policy"),
                    tr("Restore the default value of every parameter? This applies to every console and gateway "
                       "that uses this database. Limits already learned are kept."),
                    QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("resetPolicyBox"));
    QPushButton *reset = box.addButton(tr("Reset to defaults"), QMessageBox::DestructiveRole);
    reset->setObjectName(QStringLiteral("confirmResetPolicyButton"));
    box.addButton(QMessageBox::Cancel)->setObjectName(QStringLiteral("cancelResetPolicyButton"));
    if (!dialogs::confirm(box, reset))
        return;
    Result<LearningPolicy> policy = m_keys.resetLearningPolicy(windowActor());
    if (!policy) {
        emit failed(policy.error());
        showMessage(describeError(policy.error()), true);
        return;
    }
    m_stored = policy.value();
    show(m_stored);
    showMessage(tr("Default values restored."), false);
    emit policyChanged();
}

QString PolicyPage::fieldLabel(const QString &field) const
{
    for (const QWidget *editor : m_editors) {
        if (fieldOf(editor) != field)
            continue;
        const QString labelName =
            QString(editor->objectName()).replace(QStringLiteral("Edit"), QStringLiteral("Label"));
        if (const auto *label = findChild<QLabel *>(labelName))
            return label->text().remove(u'&');
    }
    return field;
}

QString PolicyPage::describe(const Error &error) const
{
    // A bound that names another field ("min_limit (3)") is shown with that field's label.
    QString bound = error.bound.toString();
    static const QRegularExpression named(QStringLiteral("^([a-z_]+) \\((.*)\\)$"));
    if (const QRegularExpressionMatch m = named.match(bound); m.hasMatch())
        bound = sentence(tr("%1 (%2)"), {fieldLabel(m.captured(1)), m.captured(2)});
    const QString field = fieldLabel(error.field);
    if (error.reason == reason::greaterThanEqual)
        return sentence(tr("%1 must be at least %2."), {field, bound});
    if (error.reason == reason::lessThanEqual)
        return sentence(tr("%1 must be at most %2."), {field, bound});
    if (error.reason == reason::greaterThan)
        return sentence(tr("%1 must be greater than %2."), {field, bound});
    if (error.reason == reason::lessThan)
        return sentence(tr("%1 must be less than %2."), {field, bound});
    return sentence(tr("%1 is not valid."), {field});
}

} // namespace aether::gui
