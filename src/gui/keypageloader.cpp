#include "keypageloader.h"

#include "storage/database.h"

#include <QPointer>

#include <algorithm>

namespace aether::gui {

// Touched only on the reading thread.
struct KeyPageLoader::Reader {
    std::unique_ptr<Database> db;
    std::unique_ptr<KeyTable> table;
};

KeyPageLoader::KeyPageLoader(DatabaseLocation location, Database *cancelVia, QObject *parent)
    : QObject(parent)
    , m_reader(std::make_shared<Reader>())
    , m_cancelVia(cancelVia)
{
    // Made here, connected on the reading thread at its first query.
    m_reader->db = std::make_unique<Database>(std::move(location));
    m_reader->db->setCacheKibibytes(16 * 1024);
    m_reader->table = std::make_unique<KeyTable>(*m_reader->db);
    m_canceller = m_reader->db->canceller();
    m_thread = std::make_unique<ReaderThread>(QStringLiteral("key table reader"), [reader = m_reader] {
        reader->table.reset();
        reader->db.reset();
    });
}

KeyPageLoader::~KeyPageLoader()
{
    m_waiting.clear();
    m_thread.reset(); // after a query in progress; the connection is closed on its thread
}

void KeyPageLoader::request(const KeyPageRequest &request)
{
    const bool navigation = request.kind == KeyPageRequest::Kind::Navigation;
    if (!navigation && request.generation < m_generation)
        return;
    if (!navigation)
        supersede(request.generation);
    if (request.kind == KeyPageRequest::Kind::Page) {
        // The newest page first; pages asked for long ago have scrolled out of view.
        m_waiting.push_front(request);
        std::size_t pages = 0;
        for (auto it = m_waiting.begin(); it != m_waiting.end();) {
            if (it->kind == KeyPageRequest::Kind::Page && ++pages > maxWaitingPages)
                it = m_waiting.erase(it);
            else
                ++it;
        }
    } else {
        // Counts and look-ups before pages: the table's size decides which pages there are.
        auto firstPage = std::find_if(m_waiting.begin(), m_waiting.end(),
                                      [](const KeyPageRequest &r) { return r.kind == KeyPageRequest::Kind::Page; });
        m_waiting.insert(firstPage, request);
    }
    if (!m_running)
        dispatch();
}

void KeyPageLoader::supersede(quint64 generation)
{
    if (generation <= m_generation)
        return;
    m_generation = generation;
    if (m_running && m_runningGeneration < generation)
        m_canceller->cancel(m_cancelVia);
    m_waiting.erase(std::remove_if(m_waiting.begin(), m_waiting.end(),
                                   [generation](const KeyPageRequest &r) {
                                       return r.kind != KeyPageRequest::Kind::Navigation && r.generation < generation;
                                   }),
                    m_waiting.end());
}

void KeyPageLoader::dispatch()
{
    if (m_running || m_waiting.empty())
        return;
    const KeyPageRequest request = m_waiting.front();
    m_waiting.pop_front();
    m_running = true;
    m_runningGeneration = request.generation;
    QPointer<KeyPageLoader> self(this);
    m_thread->post([self, reader = m_reader, request] {
        KeyPageAnswer answer;
        answer.request = request;
        switch (request.kind) {
        case KeyPageRequest::Kind::Count: {
            Result<qint64> count = reader->table->count(request.query.filter);
            if (!count) {
                answer.error = count.error();
                break;
            }
            answer.count = count.value();
            if (answer.count == 0) {
                Result<qint64> all = reader->table->count({});
                answer.allKeys = all ? all.value() : -1;
            }
            break;
        }
        case KeyPageRequest::Kind::Page: {
            Result<QList<KeyRow>> rows = reader->table->page(request.query);
            if (rows)
                answer.rows = rows.takeValue();
            else
                answer.error = rows.error();
            break;
        }
        case KeyPageRequest::Kind::Navigation: {
            Result<QList<ProviderNode>> providers = reader->table->navigation();
            if (providers)
                answer.providers = providers.takeValue();
            else
                answer.error = providers.error();
            break;
        }
        case KeyPageRequest::Kind::Locate: {
            Result<qint64> row =
                reader->table->position(request.query.filter, request.query.column, request.query.order, request.keyId);
            if (row)
                answer.count = row.value();
            else
                answer.error = row.error();
            break;
        }
        }
        KeyPageLoader *receiver = self.data(); // alive: its destructor waits for this query
        QMetaObject::invokeMethod(
            receiver,
            [self, answer = std::move(answer)] {
                if (!self)
                    return;
                self->m_running = false;
                if (answer.request.generation >= self->m_generation ||
                    answer.request.kind == KeyPageRequest::Kind::Navigation)
                    emit self->answered(answer);
                self->dispatch();
            },
            Qt::QueuedConnection);
    });
}

} // namespace aether::gui
