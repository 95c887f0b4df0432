#pragma once

#include "storage/databaselocation.h"

#include <QThread>

namespace aether {

// Copies an SQLite database's write-ahead log back into the database file from a thread of its own, with its own
// connection, every half second. PASSIVE checkpoints never block readers or writers, so the serving thread no
// longer stalls on checkpoints after write bursts.
class WalCheckpointer : public QThread {
    Q_OBJECT
public:
    explicit WalCheckpointer(DatabaseLocation location, QObject *parent = nullptr);
    ~WalCheckpointer() override;

protected:
    void run() override;

private:
    DatabaseLocation m_location;
};

} // namespace aether
