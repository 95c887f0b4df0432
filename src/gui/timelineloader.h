#pragma once

#include "readerthread.h"
#include "storage/databaselocation.h"
#include "timeline/timelinequery.h"

#include <QObject>

#include <memory>

namespace aether::gui {

// What a chart asks for: a series of a key or a scope, and optionally the scope's top keys.
struct TimelineRequest {
    TimelineScope scope;
    TimelineRange range;
    bool withTopKeys = false;
};

// Reads time series off the GUI thread, on a thread and connection of its own that live as long as the loader. Only
// the newest request counts: one asked for while another runs replaces any that waits, and the answer of an older one
// is dropped.
class TimelineLoader : public QObject {
    Q_OBJECT
public:
    explicit TimelineLoader(DatabaseLocation location, QObject *parent = nullptr);
    ~TimelineLoader() override; // waits for a read in progress

    void load(const TimelineRequest &request);
    bool isLoading() const { return m_running; }

signals:
    void loaded(const aether::gui::TimelineRequest &request, const aether::TimelineSeries &series,
                const QList<aether::TopKey> &topKeys);
    void failed(const aether::Error &error);

private:
    struct Reader;
    void dispatch();

    std::shared_ptr<Reader> m_reader;
    std::unique_ptr<ReaderThread> m_thread;
    std::optional<TimelineRequest> m_pending;
    quint64 m_serial = 0;
    bool m_running = false;
};

} // namespace aether::gui
