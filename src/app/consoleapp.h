#pragma once

#include <QString>

#include <optional>

class QApplication;

namespace aether::app {

struct WindowOptions {
    std::optional<QString> databaseUrl; // --database or $AETHER_CONSOLE_DATABASE; else the settings, else embedded
    bool demo = false;                  // fill an empty database with the demo data
    int demoKeys = 40;
    std::optional<int> retentionDays; // --retention-days; else the settings
    int samplingSeconds = 30;         // --sampling-interval
};

// Opens the console window on the database and runs until it is closed. On a first run (no embedded database yet)
// the database is created and the user is offered the demo data. Choosing another database in Settings reopens the
// window on it. Returns the exit code.
int runConsoleWindow(QApplication &app, const WindowOptions &options);

} // namespace aether::app
