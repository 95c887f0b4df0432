#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QVariantMap>

#include <optional>

class QSettings;

namespace aether::gui {

// A named arrangement of the key table: its filters (search text, mode, navigation scope, the filter bar's
// conditions), and the header's state (sort column and order, shown columns, their order and widths).
struct SavedView {
    QString name;
    QString text;
    int mode = 0; // KeyFilter::Mode
    QString providerId;
    QString endpointId;
    QVariantMap conditions; // KeyFilterBar::state()
    QByteArray header;      // QHeaderView::saveState()
};

// The saved views in the console's settings (one list per user), by name; names are compared case-sensitively.
class SavedViews {
public:
    explicit SavedViews(QSettings &settings);

    QList<SavedView> all() const; // by name
    std::optional<SavedView> find(const QString &name) const;
    // Adds the view, or replaces the one of the same name.
    void save(const SavedView &view);
    void remove(const QString &name);

    static constexpr int maxNameLength = 80;

private:
    void write(const QList<SavedView> &views);

    QSettings &m_settings;
};

} // namespace aether::gui
