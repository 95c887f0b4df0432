#include "timelineloader.h"

#include "storage/database.h"

#include <QPointer>

namespace aether::gui {

// Touched only on the reading thread.
struct TimelineLoader::Reader {
    DatabaseLocation location;
    std::unique_ptr<Database> db;
};

TimelineLoader::TimelineLoader(DatabaseLocation location, QObject *parent)
    : QObject(parent)
    , m_reader(std::make_shared<Reader>())
    , m_thread(std::make_unique<ReaderThread>(QStringLiteral("timeline reader"),
                                              [reader = m_reader] { reader->db.reset(); }))
{
    m_reader->location = std::move(location);
}

TimelineLoader::~TimelineLoader() = default; // m_thread waits for a read in progress

void TimelineLoader::load(const TimelineRequest &request)
{
    m_pending = request;
    ++m_serial;
    if (!m_running)
        dispatch();
}

void TimelineLoader::dispatch()
{
    if (!m_pending)
        return;
    const TimelineRequest request = *m_pending;
    m_pending.reset();
    m_running = true;
    const quint64 serial = m_serial;
    QPointer<TimelineLoader> self(this);
    m_thread->post([self, reader = m_reader, request, serial] {
        if (!reader->db)
            reader->db = std::make_unique<Database>(reader->location);
        TimelineQuery query(*reader->db);
        Result<TimelineSeries> series = request.scope.keyId.isEmpty()
                                            ? query.scopeSeries(request.scope, request.range)
                                            : query.keySeries(request.scope.keyId, request.range);
        Result<QList<TopKey>> top = QList<TopKey>();
        if (series && request.withTopKeys)
            top = query.topKeys(request.scope, request.range.from, request.range.to);
        TimelineLoader *receiver = self.data(); // alive: its destructor waits for this read
        QMetaObject::invokeMethod(
            receiver,
            [self, request, serial, series = std::move(series), top = std::move(top)] {
                if (!self)
                    return;
                self->m_running = false;
                const bool stale = serial != self->m_serial;
                if (!stale) {
                    if (!series)
                        emit self->failed(series.error());
                    else if (!top)
                        emit self->failed(top.error());
                    else
                        emit self->loaded(request, series.value(), top.value());
                }
                self->dispatch(); // a newer request that waited
            },
            Qt::QueuedConnection);
    });
}

} // namespace aether::gui
