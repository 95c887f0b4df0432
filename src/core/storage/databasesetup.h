#pragma once

#include "base/error.h"
#include "storage/database.h"
#include "storage/demodata.h"

#include <functional>
#include <optional>

namespace aether {

// What setUpDatabase() did.
struct DatabaseSetup {
    Status ready = Done{};                // opened and its schema brought up to date
    std::optional<Result<DemoSize>> demo; // when demo data was asked for (Conflict: the database held keys already)
};

// How many demo keys to add, asked once the database is ready; std::nullopt for none.
using DemoChoice = std::function<std::optional<int>()>;

// The start-up of every program on a database: opens it (unless it is open), brings the schema up to date
// (Migrations) and, when `demo` asks for it, fills it with the demo data. `demo` is not asked when the database
// could not be made ready.
DatabaseSetup setUpDatabase(Database &db, const DemoChoice &demo = {});

} // namespace aether
