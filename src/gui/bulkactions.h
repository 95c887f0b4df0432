#pragma once

#include "keys/bulkchange.h"
#include "storage/databaselocation.h"

#include <QCoreApplication>
#include <QString>
#include <QStringList>

#include <optional>

class QWidget;

namespace aether::gui {

// The keys a bulk action is for: the rows selected in the key table, or every key the table's filter shows (also
// those not fetched yet), with what the confirmation names.
struct BulkScope {
    std::optional<QStringList> keyIds; // else every key of `filter`
    KeyFilter filter;
    qint64 count = 0;
    QStringList endpoints; // "Provider ENDPOINT" of the selected rows; empty for a whole filter
    QString scopeName;     // the navigation's scope, for a whole filter
};

// The window's changes of many keys at once: each asks once, naming how many keys (and which endpoints) it touches,
// runs the core's bulk change off the GUI thread with progress and Cancel, and says what it did. The audit log
// records every changed key as the window's user.
class BulkActions {
    Q_DECLARE_TR_FUNCTIONS(BulkActions)
public:
    BulkActions(DatabaseLocation location, QWidget *window);

    // Each returns the message to show when something was written (the window then refreshes), else std::nullopt.
    std::optional<QString> setLimit(const BulkScope &scope);
    // Asks whether the keys become adaptive or fixed (then asks the limit).
    std::optional<QString> switchMode(const BulkScope &scope);
    std::optional<QString> resetLearning(const BulkScope &scope);

    // "250 keys on Anthropic CLAUDE, OpenAI OPENAI" / "all 12,000 keys shown (Anthropic)".
    static QString describe(const BulkScope &scope);
    // What a bulk change did, for people: changed, already so, failed (with the first reasons), canceled.
    static QString describe(const BulkResult &result);

private:
    std::optional<QString> run(const BulkScope &scope, BulkRequest request, const QString &title);

    DatabaseLocation m_location;
    QWidget *m_window;
};

} // namespace aether::gui
