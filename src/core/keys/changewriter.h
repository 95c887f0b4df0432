#pragma once

#include "keys/keytypes.h"
#include "storage/databaselocation.h"

#include <QMutex>
#include <QObject>
#include <QThread>

#include <deque>
#include <functional>
#include <memory>

namespace aether {

class Database;
class KeyService;

// Applies key changes off the caller's thread, with group commit: the writer thread takes every group that is waiting
// when it becomes free and writes them all in one transaction of KeyService::applyChanges, on a connection of its own.
// A server thus keeps parsing and answering requests while changes are written, and a burst of changes shares one
// commit. Each group's outcomes come back to the caller's thread after that commit.
class ChangeWriter : public QObject {
    Q_OBJECT
public:
    using Outcomes = QList<Result<KeyChangeOutcome>>;
    using Done = std::function<void(const Outcomes &)>;
    static constexpr qsizetype maxChangesPerCommit = 512;

    // Writes through a connection of its own to `location`, opened in the writer's thread. `autoCheckpointPages` is
    // passed to Database::setAutoCheckpointPages for that connection.
    explicit ChangeWriter(DatabaseLocation location, int autoCheckpointPages = 1000, QObject *parent = nullptr);
    // Writes through `keys` in the caller's thread (a database held in memory has one connection only); `done` still
    // runs later, from the event loop, as with a thread.
    explicit ChangeWriter(KeyService &keys, QObject *parent = nullptr);
    // Writes what is queued already; outcomes not yet delivered are dropped.
    ~ChangeWriter() override;

    // Queues `changes` (applied in order, after every group queued before); `done` runs in this object's thread with
    // one outcome per change, in order.
    void apply(QList<KeyChange> changes, Done done);
    // Runs `task` on the writer's connection, in the writer's thread, after what is queued already: writes that must
    // not wait for a lock on the caller's thread (a token's last use). Without a thread, later on this thread.
    void run(std::function<void(Database &)> task);

private:
    class Worker;
    struct Group {
        QList<KeyChange> changes;
        Done done;
    };
    // Applies every waiting group, a transaction per at most maxChangesPerCommit changes (in the writer thread, or
    // in this thread without one).
    void drain(const std::function<Outcomes(const QList<KeyChange> &)> &write);

    KeyService *m_inline = nullptr;
    QThread m_thread;
    Worker *m_worker = nullptr;
    QMutex m_mutex;
    std::deque<Group> m_queue;  // guarded by m_mutex
    bool m_drainPosted = false; // guarded by m_mutex
};

} // namespace aether
