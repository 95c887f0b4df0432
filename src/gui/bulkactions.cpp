#include "bulkactions.h"

#include "bulkrunner.h"
#include "dialogs.h"
#include "guiformat.h"
#include "keychange.h"

#include <QLocale>
#include <QMessageBox>
#include <QPushButton>

namespace aether::gui {

namespace {

constexpr int endpointsNamed = 4;
constexpr int failuresNamed = 5;

// The confirmation of a bulk action: `question` and what it touches; true when `action` was chosen.
bool confirmBulk(QWidget *window, const QString &title, const QString &question, const QString &details,
                 const QString &action, QPushButton **chosen = nullptr, const QString &alternative = {})
{
    QMessageBox box(QMessageBox::Question, title, question, QMessageBox::NoButton, window);
    box.setObjectName(QStringLiteral("bulkDialog"));
    box.setInformativeText(details);
    QPushButton *accept = box.addButton(action, QMessageBox::AcceptRole);
    QPushButton *other = alternative.isEmpty() ? nullptr : box.addButton(alternative, QMessageBox::ActionRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    const bool accepted = dialogs::confirm(box, accept);
    if (chosen)
        *chosen = box.clickedButton() == other ? other : nullptr;
    return accepted;
}

} // namespace

BulkActions::BulkActions(DatabaseLocation location, QWidget *window)
    : m_location(std::move(location))
    , m_window(window)
{
}

QString BulkActions::describe(const BulkScope &scope)
{
    const QString count = QLocale().toString(scope.count);
    if (!scope.keyIds)
        return tr("all %1 key(s) shown (%2)", nullptr, int(qMin<qint64>(scope.count, INT_MAX)))
            .arg(count, scope.scopeName);
    QStringList named = scope.endpoints.mid(0, endpointsNamed);
    if (scope.endpoints.size() > endpointsNamed)
        named << tr("%n more endpoint(s)", nullptr, int(scope.endpoints.size() - endpointsNamed));
    // Not QLocale::createSeparatedList: its Chinese list ("CLAUDE和OPENAI") sets no space between the endpoints'
    // Latin names and 和.
    if (named.isEmpty()) // no row's endpoint could be read
        return tr("%n key(s)", nullptr, int(qMin<qint64>(scope.count, INT_MAX)));
    QString list = named.constLast();
    if (named.size() > 1)
        list = sentence(tr("%1 and %2", "the endpoints of a list, the last one after \"and\""),
                        {named.mid(0, named.size() - 1).join(tr(", ", "between the endpoints of a list")), list});
    return tr("%1 key(s) on %2", nullptr, int(qMin<qint64>(scope.count, INT_MAX))).arg(count, list);
}

QString BulkActions::describe(const BulkResult &result)
{
    QStringList parts;
    parts << tr("%n key(s) changed", nullptr, int(result.changed));
    if (result.unchanged > 0)
        parts << tr("%n already so", nullptr, int(result.unchanged));
    if (!result.failed.isEmpty())
        parts << tr("%n failed", nullptr, int(result.failed.size()));
    QString text = parts.join(tr(", ")) + tr(".");
    if (result.canceled)
        text += u' ' + tr("Canceled: the keys before the cancel stay changed.");
    for (qsizetype i = 0; i < result.failed.size() && i < failuresNamed; ++i)
        text += u'\n' + tr("%1: %2").arg(result.failed.at(i).keyId, describeError(result.failed.at(i).error));
    return text;
}

std::optional<QString> BulkActions::setLimit(const BulkScope &scope)
{
    const QString title = tr("Set fixed limit");
    const std::optional<int> limit =
        dialogs::askInt(m_window, title,
                        sentence(tr("Fixed concurrency limit (%1–%2) for %3:"),
                                 {QString::number(minFixedLimit), QString::number(maxFixedLimit), describe(scope)}),
                        10, minFixedLimit, maxFixedLimit);
    if (!limit)
        return std::nullopt;
    if (!confirmBulk(m_window, title,
                     sentence(tr("Set a fixed limit of %1 for %2?"), {QString::number(*limit), describe(scope)}),
                     tr("Adaptive keys among them switch to fixed mode; what they learned is kept."), tr("Set limit")))
        return std::nullopt;
    BulkRequest request;
    request.action = BulkRequest::Action::SetLimit;
    request.limit = *limit;
    return run(scope, request, title);
}

std::optional<QString> BulkActions::switchMode(const BulkScope &scope)
{
    const QString title = tr("Switch mode");
    QPushButton *fixed = nullptr;
    const bool adaptive =
        confirmBulk(m_window, title, sentence(tr("Switch %1 to adaptive mode?"), {describe(scope)}),
                    tr("Adaptive keys learn their limit from 429 responses; their fixed limits are cleared. "
                       "Choose Fixed… to give them all one fixed limit instead."),
                    tr("Adaptive"), &fixed, tr("Fixed…"));
    if (!adaptive)
        return fixed ? setLimit(scope) : std::nullopt;
    BulkRequest request;
    request.action = BulkRequest::Action::SetMode;
    request.adaptive = true;
    return run(scope, request, title);
}

std::optional<QString> BulkActions::resetLearning(const BulkScope &scope)
{
    const QString title = tr("Reset learning");
    if (!confirmBulk(m_window, title, sentence(tr("Reset what was learned for %1?"), {describe(scope)}),
                     tr("This clears each key's learned limit, both 429 counters, the time and type of the last 429, "
                        "the adjustment history and the utilisation samples. Modes and fixed limits stay as they "
                        "are."),
                     tr("Reset learning")))
        return std::nullopt;
    BulkRequest request;
    request.action = BulkRequest::Action::ResetLearning;
    return run(scope, request, title);
}

std::optional<QString> BulkActions::run(const BulkScope &scope, BulkRequest request, const QString &title)
{
    request.keyIds = scope.keyIds;
    request.filter = scope.filter;
    request.actor = windowActor();
    const Result<BulkResult> result = BulkRunner(m_location, m_window).run(request, title + QStringLiteral("…"));
    if (!result) {
        dialogs::warning(m_window, title, describeError(result.error()));
        return std::nullopt;
    }
    const QString summary = describe(result.value());
    if (!result.value().failed.isEmpty())
        dialogs::warning(m_window, title, summary);
    return summary;
}

} // namespace aether::gui
