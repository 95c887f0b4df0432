#include "storage/databasesetup.h"

#include "storage/migrations.h"

namespace aether {

DatabaseSetup setUpDatabase(Database &db, const DemoChoice &demo)
{
    DatabaseSetup setup;
    if (!db.isOpen())
        setup.ready = db.open();
    if (setup.ready)
        setup.ready = Migrations(db).run();
    if (!setup.ready || !demo)
        return setup;
    if (const std::optional<int> keys = demo())
        setup.demo = DemoData(db).fill(*keys);
    return setup;
}

} // namespace aether
