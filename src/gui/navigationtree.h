#pragma once

#include "base/error.h"
#include "keys/keytable.h"

#include <QObject>

class QTreeWidget;

namespace aether::gui {

// The navigation on the window's left: "All endpoints", the providers and their endpoints with their key counts.
// Choosing a node narrows the key table, the Summary and the export to it.
class NavigationTree : public QObject {
    Q_OBJECT
public:
    NavigationTree(QTreeWidget *tree, KeyTable &table);

    // Reads the providers and endpoints again, keeping the chosen node (when it still exists). Emits nothing.
    Status reload();
    // Shows providers and endpoints read elsewhere (off the GUI thread), keeping the chosen node.
    void show(const QList<ProviderNode> &providers);
    // Narrows `filter` to the chosen provider or endpoint.
    void narrow(KeyFilter *filter) const;
    // "Provider / endpoint" or "Provider" for the chosen node; empty for all endpoints.
    QString scopeName() const;
    // Chooses "All endpoints" (without emitting scopeChanged).
    void chooseAll();
    // Chooses the endpoint, else the provider, else "All endpoints" (without emitting scopeChanged); false when the
    // provider or endpoint asked for is not there (any more).
    bool choose(const QString &providerId, const QString &endpointId);
    void retranslate();

signals:
    // The user chose another node.
    void scopeChanged();

private:
    QTreeWidget *m_tree;
    KeyTable &m_table;
    bool m_loading = false;
};

} // namespace aether::gui
