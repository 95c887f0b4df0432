#include "navigationtree.h"

#include <QHeaderView>
#include <QLocale>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>

namespace aether::gui {

namespace {

enum NavigationRole { NodeKindRole = Qt::UserRole, NodeIdRole };
enum NodeKind { AllNode, ProviderNodeKind, EndpointNodeKind };

QTreeWidgetItem *addNode(QTreeWidgetItem *parent, NodeKind kind, const QString &id, const QString &text, qint64 keys)
{
    auto *item = new QTreeWidgetItem(parent, {text, QLocale().toString(keys)});
    item->setData(0, NodeKindRole, kind);
    item->setData(0, NodeIdRole, id);
    item->setToolTip(0, id);
    return item;
}

} // namespace

NavigationTree::NavigationTree(QTreeWidget *tree, KeyTable &table)
    : QObject(tree)
    , m_tree(tree)
    , m_table(table)
{
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this] {
        if (!m_loading)
            emit scopeChanged();
    });
}

Status NavigationTree::reload()
{
    Result<QList<ProviderNode>> providers = m_table.navigation();
    if (!providers)
        return providers.error();
    show(providers.value());
    return Done{};
}

void NavigationTree::show(const QList<ProviderNode> &providers)
{
    int kind = AllNode; // keep the chosen node
    QString id;
    if (QTreeWidgetItem *current = m_tree->currentItem()) {
        kind = current->data(0, NodeKindRole).toInt();
        id = current->data(0, NodeIdRole).toString();
    }
    m_loading = true;
    m_tree->clear();
    auto *all = new QTreeWidgetItem(m_tree, {tr("All endpoints")});
    all->setData(0, NodeKindRole, AllNode);
    qint64 total = 0;
    QTreeWidgetItem *chosen = all;
    for (const ProviderNode &p : providers) {
        QTreeWidgetItem *provider = addNode(all, ProviderNodeKind, p.id, p.name, p.keys);
        total += p.keys;
        if (kind == ProviderNodeKind && id == p.id)
            chosen = provider;
        for (const EndpointNode &e : p.endpoints) {
            QTreeWidgetItem *endpoint = addNode(provider, EndpointNodeKind, e.id, e.apiFormat, e.keys);
            if (kind == EndpointNodeKind && id == e.id)
                chosen = endpoint;
        }
    }
    all->setText(1, QLocale().toString(total));
    m_tree->expandAll();
    m_tree->setCurrentItem(chosen);
    m_tree->resizeColumnToContents(0);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_loading = false;
}

void NavigationTree::narrow(KeyFilter *filter) const
{
    const QTreeWidgetItem *item = m_tree->currentItem();
    if (!item)
        return;
    const int kind = item->data(0, NodeKindRole).toInt();
    if (kind == ProviderNodeKind)
        filter->providerId = item->data(0, NodeIdRole).toString();
    else if (kind == EndpointNodeKind)
        filter->endpointId = item->data(0, NodeIdRole).toString();
}

QString NavigationTree::scopeName() const
{
    const QTreeWidgetItem *item = m_tree->currentItem();
    if (!item || item->data(0, NodeKindRole).toInt() == AllNode)
        return {};
    if (item->data(0, NodeKindRole).toInt() == EndpointNodeKind && item->parent())
        return item->parent()->text(0) + QStringLiteral(" / ") + item->text(0);
    return item->text(0);
}

void NavigationTree::chooseAll()
{
    const bool wasLoading = m_loading;
    m_loading = true;
    m_tree->setCurrentItem(m_tree->topLevelItem(0));
    m_loading = wasLoading;
}

bool NavigationTree::choose(const QString &providerId, const QString &endpointId)
{
    const int kind = !endpointId.isEmpty() ? EndpointNodeKind : !providerId.isEmpty() ? ProviderNodeKind : AllNode;
    const QString id = kind == EndpointNodeKind ? endpointId : providerId;
    QTreeWidgetItem *found = nullptr;
    for (QTreeWidgetItemIterator it(m_tree); *it && !found && kind != AllNode; ++it) {
        if ((*it)->data(0, NodeKindRole).toInt() == kind && (*it)->data(0, NodeIdRole).toString() == id)
            found = *it;
    }
    const bool wasLoading = m_loading;
    m_loading = true;
    m_tree->setCurrentItem(found ? found : m_tree->topLevelItem(0));
    m_loading = wasLoading;
    return found || kind == AllNode;
}

void NavigationTree::retranslate()
{
    if (QTreeWidgetItem *all = m_tree->topLevelItem(0))
        all->setText(0, tr("All endpoints"));
}

} // namespace aether::gui
