#include "keys/changewriter.h"

#include "keys/keyservice.h"
#include "storage/database.h"

#include <QMutexLocker>

namespace aether {

// Lives in the writer thread and owns the connection there: QSqlDatabase connections belong to the thread that
// opened them.
class ChangeWriter::Worker : public QObject {
public:
    Worker(DatabaseLocation location, int autoCheckpointPages)
        : m_location(std::move(location))
        , m_autoCheckpointPages(autoCheckpointPages)
    {
    }

    Outcomes apply(const QList<KeyChange> &changes)
    {
        connection();
        return m_keys->applyChanges(changes); // opens (and reopens) the connection itself
    }
    Database &connection()
    {
        if (!m_keys) {
            m_db = std::make_unique<Database>(m_location);
            m_db->setAutoCheckpointPages(m_autoCheckpointPages);
            // SQLite keeps a transaction's changed pages in its cache until the commit; at the 2 MB default a batch
            // of 500 keys (~2 KB of history each, plus their time series) fills it and SQLite writes pages to the
            // WAL in the middle of the transaction. The cache grows only as far as it is used.
            m_db->setCacheKibibytes(16 * 1024);
            m_keys = std::make_unique<KeyService>(*m_db);
        }
        return *m_db;
    }

    void closeConnection()
    {
        m_keys.reset();
        m_db.reset();
    }

private:
    DatabaseLocation m_location;
    int m_autoCheckpointPages;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<KeyService> m_keys;
};

ChangeWriter::ChangeWriter(DatabaseLocation location, int autoCheckpointPages, QObject *parent)
    : QObject(parent)
    , m_worker(new Worker(std::move(location), autoCheckpointPages))
{
    m_thread.setObjectName(QStringLiteral("aether-change-writer"));
    m_worker->moveToThread(&m_thread);
    m_thread.start();
}

ChangeWriter::ChangeWriter(KeyService &keys, QObject *parent)
    : QObject(parent)
    , m_inline(&keys)
{
}

ChangeWriter::~ChangeWriter()
{
    if (!m_worker)
        return;
    // Groups already queued are written first (events are handled in order); the connection is closed in its own
    // thread.
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker] { worker->closeConnection(); }, Qt::BlockingQueuedConnection);
    m_thread.quit();
    m_thread.wait();
    delete m_worker;
}

void ChangeWriter::apply(QList<KeyChange> changes, Done done)
{
    {
        QMutexLocker lock(&m_mutex);
        m_queue.push_back({std::move(changes), std::move(done)});
        if (m_drainPosted)
            return; // the pending drain takes this group too
        m_drainPosted = true;
    }
    if (m_inline) {
        QMetaObject::invokeMethod(
            this, [this] { drain([this](const QList<KeyChange> &c) { return m_inline->applyChanges(c); }); },
            Qt::QueuedConnection);
        return;
    }
    QMetaObject::invokeMethod(
        m_worker,
        [this, worker = m_worker] { drain([worker](const QList<KeyChange> &c) { return worker->apply(c); }); },
        Qt::QueuedConnection);
}

void ChangeWriter::run(std::function<void(Database &)> task)
{
    if (m_inline) {
        QMetaObject::invokeMethod(
            this, [this, task = std::move(task)] { task(m_inline->database()); }, Qt::QueuedConnection);
        return;
    }
    QMetaObject::invokeMethod(
        m_worker, [worker = m_worker, task = std::move(task)] { task(worker->connection()); }, Qt::QueuedConnection);
}

void ChangeWriter::drain(const std::function<Outcomes(const QList<KeyChange> &)> &write)
{
    for (;;) {
        // Take whole groups, as many as fit in one transaction (a group larger than that goes alone).
        std::vector<Group> groups;
        QList<KeyChange> changes;
        {
            QMutexLocker lock(&m_mutex);
            while (!m_queue.empty() &&
                   (groups.empty() || changes.size() + m_queue.front().changes.size() <= maxChangesPerCommit)) {
                changes += m_queue.front().changes;
                groups.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
            if (groups.empty()) {
                m_drainPosted = false;
                return;
            }
        }
        const Outcomes outcomes = write(changes);
        // Back to this object's thread, all groups of the transaction in one event (without a writer thread a direct
        // call would re-enter the caller).
        QMetaObject::invokeMethod(
            this,
            [groups = std::make_shared<std::vector<Group>>(std::move(groups)), outcomes] {
                qsizetype offset = 0;
                for (const Group &group : *groups) {
                    group.done(outcomes.mid(offset, group.changes.size()));
                    offset += group.changes.size();
                }
            },
            Qt::QueuedConnection);
    }
}

} // namespace aether
