#include "storage/walcheckpointer.h"

#include "storage/database.h"

namespace aether {

namespace {
constexpr int intervalMs = 500;
constexpr int sliceMs = 50;
} // namespace

WalCheckpointer::WalCheckpointer(DatabaseLocation location, QObject *parent)
    : QThread(parent)
    , m_location(std::move(location))
{
}

WalCheckpointer::~WalCheckpointer()
{
    requestInterruption();
    wait();
}

void WalCheckpointer::run()
{
    Database db(m_location);
    while (!isInterruptionRequested()) {
        if (db.isOpen() || db.open())
            db.execRaw(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)"));
        for (int slept = 0; slept < intervalMs && !isInterruptionRequested(); slept += sliceMs)
            msleep(sliceMs);
    }
}

} // namespace aether
