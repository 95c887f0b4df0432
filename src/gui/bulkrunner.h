#pragma once

#include "keys/bulkchange.h"
#include "storage/databaselocation.h"

#include <QString>

class QWidget;

namespace aether::gui {

// Runs a bulk change off the GUI thread, on a connection of its own, behind a progress dialog with Cancel (for more
// than one chunk of keys): the window keeps painting meanwhile. Cancel stops after the chunk being written; the
// chunks before it stay written and are counted in the result.
class BulkRunner {
public:
    BulkRunner(DatabaseLocation location, QWidget *parent);

    Result<BulkResult> run(const BulkRequest &request, const QString &label);

private:
    DatabaseLocation m_location;
    QWidget *m_parent;
};

} // namespace aether::gui
