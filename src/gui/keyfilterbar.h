#pragma once

#include "keys/keytable.h"

#include <QVariantMap>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QSpinBox;

namespace aether::gui {

// The key table's filters beyond the search box and the mode: active or not, 429 count, last 429 within a period,
// last 429 type, and adaptive keys stuck at the policy's minimum limit.
class KeyFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit KeyFilterBar(QWidget *parent = nullptr);

    // Adds the chosen conditions to `filter`; `minimumLimit` is the policy's (for "at the minimum limit").
    void narrow(KeyFilter *filter, int minimumLimit) const;
    bool stuckChosen() const;
    // The chosen conditions as plain values (saved views), and back; setState() emits changed() once.
    QVariantMap state() const;
    void setState(const QVariantMap &state);
    void retranslate();

signals:
    void changed();

private:
    void fitCombos();

    QComboBox *m_active;
    QLabel *m_min429Label;
    QSpinBox *m_min429;
    QComboBox *m_recent;
    QComboBox *m_type;
    QCheckBox *m_stuck;
};

} // namespace aether::gui
