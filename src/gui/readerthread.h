#pragma once

#include <QMetaObject>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

class QThread;

namespace aether::gui {

// A thread of its own for a window part's database reads (a connection is used on the thread that opened it): work
// posted to it runs there one call at a time, in order. The destructor waits for the work in progress, runs the
// cleanup there (closing the connection), and ends the thread.
class ReaderThread {
public:
    explicit ReaderThread(const QString &name, std::function<void()> cleanup = {});
    ~ReaderThread();
    ReaderThread(const ReaderThread &) = delete;
    ReaderThread &operator=(const ReaderThread &) = delete;

    template <typename Work> void post(Work &&work) { QMetaObject::invokeMethod(m_context, std::forward<Work>(work)); }

private:
    std::unique_ptr<QThread> m_thread;
    QObject *m_context = nullptr;
    std::function<void()> m_cleanup;
};

} // namespace aether::gui
