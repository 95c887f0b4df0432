#include "savedviews.h"

#include <QCollator>
#include <QSettings>

#include <algorithm>

namespace aether::gui {

namespace {

const QString arrayKey = QStringLiteral("keyViews");

} // namespace

SavedViews::SavedViews(QSettings &settings)
    : m_settings(settings)
{
}

QList<SavedView> SavedViews::all() const
{
    QList<SavedView> views;
    const int count = m_settings.beginReadArray(arrayKey);
    for (int i = 0; i < count; ++i) {
        m_settings.setArrayIndex(i);
        SavedView view;
        view.name = m_settings.value(QStringLiteral("name")).toString();
        if (view.name.isEmpty())
            continue;
        view.text = m_settings.value(QStringLiteral("text")).toString();
        view.mode = m_settings.value(QStringLiteral("mode")).toInt();
        view.providerId = m_settings.value(QStringLiteral("providerId")).toString();
        view.endpointId = m_settings.value(QStringLiteral("endpointId")).toString();
        view.conditions = m_settings.value(QStringLiteral("conditions")).toMap();
        view.header = m_settings.value(QStringLiteral("header")).toByteArray();
        views.append(view);
    }
    m_settings.endArray();
    QCollator collator;
    collator.setNumericMode(true);
    std::sort(views.begin(), views.end(),
              [&collator](const SavedView &a, const SavedView &b) { return collator.compare(a.name, b.name) < 0; });
    return views;
}

std::optional<SavedView> SavedViews::find(const QString &name) const
{
    for (const SavedView &view : all()) {
        if (view.name == name)
            return view;
    }
    return std::nullopt;
}

void SavedViews::save(const SavedView &view)
{
    QList<SavedView> views = all();
    views.removeIf([&view](const SavedView &v) { return v.name == view.name; });
    views.append(view);
    write(views);
}

void SavedViews::remove(const QString &name)
{
    QList<SavedView> views = all();
    views.removeIf([&name](const SavedView &v) { return v.name == name; });
    write(views);
}

void SavedViews::write(const QList<SavedView> &views)
{
    m_settings.remove(arrayKey);
    m_settings.beginWriteArray(arrayKey, int(views.size()));
    for (int i = 0; i < views.size(); ++i) {
        const SavedView &view = views.at(i);
        m_settings.setArrayIndex(i);
        m_settings.setValue(QStringLiteral("name"), view.name);
        m_settings.setValue(QStringLiteral("text"), view.text);
        m_settings.setValue(QStringLiteral("mode"), view.mode);
        m_settings.setValue(QStringLiteral("providerId"), view.providerId);
        m_settings.setValue(QStringLiteral("endpointId"), view.endpointId);
        m_settings.setValue(QStringLiteral("conditions"), view.conditions);
        m_settings.setValue(QStringLiteral("header"), view.header);
    }
    m_settings.endArray();
    m_settings.sync();
}

} // namespace aether::gui
