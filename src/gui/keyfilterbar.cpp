#include "keyfilterbar.h"

#include "keytablemodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>

namespace aether::gui {

KeyFilterBar::KeyFilterBar(QWidget *parent)
    : QWidget(parent)
    , m_active(new QComboBox(this))
    , m_min429Label(new QLabel(this))
    , m_min429(new QSpinBox(this))
    , m_recent(new QComboBox(this))
    , m_type(new QComboBox(this))
    , m_stuck(new QCheckBox(this))
{
    m_active->setObjectName(QStringLiteral("activeFilterCombo"));
    m_min429->setObjectName(QStringLiteral("min429Spin"));
    m_recent->setObjectName(QStringLiteral("last429Combo"));
    m_type->setObjectName(QStringLiteral("last429TypeCombo"));
    m_stuck->setObjectName(QStringLiteral("stuckFilterCheck"));
    for (const KeyFilter::Activity a :
         {KeyFilter::Activity::All, KeyFilter::Activity::Active, KeyFilter::Activity::Inactive})
        m_active->addItem(QString(), int(a));
    m_min429->setRange(0, 1000000000);
    m_min429Label->setBuddy(m_min429);
    for (const qint64 seconds : {qint64(0), qint64(3600), qint64(86400), qint64(7 * 86400)})
        m_recent->addItem(QString(), seconds);
    for (const char *type : {"", "concurrent", "rpm", "unknown"})
        m_type->addItem(QString(), QString::fromLatin1(type));

    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_active, 1);
    layout->addWidget(m_min429Label);
    layout->addWidget(m_min429);
    layout->addWidget(m_recent, 1);
    layout->addWidget(m_type, 1);
    layout->addWidget(m_stuck);
    // The combos take the room first (up to their longest entry: fitCombos), the rest stays empty at the end.
    layout->addStretch(0);

    connect(m_active, &QComboBox::currentIndexChanged, this, &KeyFilterBar::changed);
    connect(m_min429, &QSpinBox::valueChanged, this, &KeyFilterBar::changed);
    connect(m_recent, &QComboBox::currentIndexChanged, this, &KeyFilterBar::changed);
    connect(m_type, &QComboBox::currentIndexChanged, this, &KeyFilterBar::changed);
    connect(m_stuck, &QCheckBox::toggled, this, &KeyFilterBar::changed);
    retranslate();
}

void KeyFilterBar::retranslate()
{
    m_active->setItemText(0, tr("Active and inactive"));
    m_active->setItemText(1, tr("Active only"));
    m_active->setItemText(2, tr("Inactive only"));
    m_active->setToolTip(tr("The gateway's is_active flag of each key"));
    m_min429Label->setText(tr("429s ≥"));
    m_min429->setSpecialValueText(tr("any"));
    m_min429->setToolTip(tr("Keys with at least this many 429 responses (concurrency and RPM together)"));
    const QStringList periods{tr("Last 429: any time"), tr("Last 429: past hour"), tr("Last 429: past 24 hours"),
                              tr("Last 429: past 7 days")};
    for (int i = 0; i < m_recent->count(); ++i)
        m_recent->setItemText(i, periods.value(i));
    m_recent->setToolTip(tr("Keys whose last 429 response came within this period"));
    m_type->setItemText(0, tr("Any 429 type"));
    for (int i = 1; i < m_type->count(); ++i)
        m_type->setItemText(i, KeyTableModel::limitTypeLabel(m_type->itemData(i).toString()));
    m_type->setToolTip(tr("The type of each key's last 429"));
    m_stuck->setText(tr("At the minimum limit"));
    m_stuck->setToolTip(tr("Adaptive keys whose learned limit is down at the learning policy's minimum limit"));
    fitCombos();
}

void KeyFilterBar::fitCombos()
{
    // As wide as their longest entry when there is room, narrower (elided) in a small window.
    for (QComboBox *combo : {m_active, m_recent, m_type}) {
        combo->setMaximumWidth(QWIDGETSIZE_MAX);
        combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
        const int natural = combo->sizeHint().width();
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(4);
        combo->setMaximumWidth(natural);
    }
}

void KeyFilterBar::narrow(KeyFilter *filter, int minimumLimit) const
{
    filter->activity = KeyFilter::Activity(m_active->currentData().toInt());
    filter->min429 = m_min429->value();
    const qint64 seconds = m_recent->currentData().toLongLong();
    if (seconds > 0)
        filter->last429Since = Timestamp::fromMicroseconds(Timestamp::now().microseconds() - seconds * 1000000);
    filter->last429Type = m_type->currentData().toString();
    if (m_stuck->isChecked())
        filter->learnedAtMost = minimumLimit;
}

QVariantMap KeyFilterBar::state() const
{
    return {{QStringLiteral("activity"), m_active->currentData()},
            {QStringLiteral("min429"), m_min429->value()},
            {QStringLiteral("last429Within"), m_recent->currentData()},
            {QStringLiteral("last429Type"), m_type->currentData()},
            {QStringLiteral("stuck"), m_stuck->isChecked()}};
}

void KeyFilterBar::setState(const QVariantMap &state)
{
    {
        const QSignalBlocker a(m_active), b(m_min429), c(m_recent), d(m_type), e(m_stuck);
        // Values this version does not offer fall back to "any".
        m_active->setCurrentIndex(std::max(0, m_active->findData(state.value(QStringLiteral("activity"), 0))));
        m_min429->setValue(state.value(QStringLiteral("min429")).toInt());
        m_recent->setCurrentIndex(std::max(0, m_recent->findData(state.value(QStringLiteral("last429Within"), 0))));
        m_type->setCurrentIndex(std::max(0, m_type->findData(state.value(QStringLiteral("last429Type")).toString())));
        m_stuck->setChecked(state.value(QStringLiteral("stuck")).toBool());
    }
    emit changed();
}

bool KeyFilterBar::stuckChosen() const
{
    return m_stuck->isChecked();
}

} // namespace aether::gui
