#pragma once

#include "keys/keytable.h"
#include "readerthread.h"
#include "storage/database.h"
#include "storage/databaselocation.h"

#include <QObject>

#include <deque>
#include <memory>

namespace aether::gui {

// What the key table asks of the database: how many keys a filter shows, a page of one sort order, or where a key
// stands in it.
struct KeyPageRequest {
    enum class Kind { Count, Page, Locate, Navigation }; // Navigation: never dropped for a newer generation
    Kind kind = Kind::Page;
    quint64 generation = 0; // the table's query (filter and sort) the request belongs to
    KeyPageQuery query;     // Page: which rows; Count, Locate: the filter and the sort order
    int page = 0;           // Page: the page's number in the table
    QString keyId;          // Locate
};

struct KeyPageAnswer {
    KeyPageRequest request;
    std::optional<Error> error;
    qint64 count = 0;              // Count; Locate: the key's row (-1: the filter does not show it)
    qint64 allKeys = -1;           // Count of a filter that shows nothing: the keys of the whole database
    QList<KeyRow> rows;            // Page
    QList<ProviderNode> providers; // Navigation
};

// Runs the key table's queries off the GUI thread, on a thread and connection of its own that live as long as the
// loader, one at a time. Requests of an older generation that still wait are dropped when a newer one comes, and so
// is the answer of one that was running (it is interrupted where the database allows); of the waiting pages the most
// recently asked for goes first (it is what the view shows now), and only the last few are kept. A running query of
// an older generation is stopped (SQLite: interrupted; PostgreSQL: cancelled through `cancelVia`).
class KeyPageLoader : public QObject {
    Q_OBJECT
public:
    // `cancelVia`: a connection of the calling thread through which PostgreSQL is asked to stop a superseded query
    // (none: it runs to its end and its answer is dropped).
    explicit KeyPageLoader(DatabaseLocation location, Database *cancelVia = nullptr, QObject *parent = nullptr);
    ~KeyPageLoader() override; // waits for a query in progress

    void request(const KeyPageRequest &request);
    // Drops every waiting request older than `generation`; a running one of them is interrupted.
    void supersede(quint64 generation);
    bool isBusy() const { return m_running || !m_waiting.empty(); }
    static constexpr std::size_t maxWaitingPages = 12;

signals:
    void answered(const aether::gui::KeyPageAnswer &answer);

private:
    struct Reader;
    void dispatch();

    std::shared_ptr<Reader> m_reader;
    std::unique_ptr<ReaderThread> m_thread;
    std::deque<KeyPageRequest> m_waiting;
    std::shared_ptr<StatementCanceller> m_canceller;
    Database *m_cancelVia = nullptr;
    quint64 m_runningGeneration = 0;
    quint64 m_generation = 0;
    bool m_running = false;
};

} // namespace aether::gui
