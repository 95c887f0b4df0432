#pragma once

#include "auth/tokenstore.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "mainwindow.h"
#include "storage/database.h"
#include "windowendpoint.h"

namespace aether::app {

// The services a window works with, built over one open database and owned together: the window's composition
// (the program, the screenshot tool and the window benchmark build it the same way).
struct ConsoleCore {
    explicit ConsoleCore(Database &database, const QString &environmentToken = {})
        : db(database)
        , keys(database)
        , table(database)
        , tokens(database, environmentToken)
        , endpoint(database, keys, tokens)
    {
    }
    gui::ConsoleServices services() { return {db, keys, table, tokens, &endpoint}; }

    Database &db;
    KeyService keys;
    KeyTable table;
    TokenStore tokens;
    WindowEndpoint endpoint;
};

} // namespace aether::app
