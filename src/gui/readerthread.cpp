#include "readerthread.h"

#include <QThread>

namespace aether::gui {

ReaderThread::ReaderThread(const QString &name, std::function<void()> cleanup)
    : m_thread(std::make_unique<QThread>())
    , m_context(new QObject)
    , m_cleanup(std::move(cleanup))
{
    m_thread->setObjectName(name);
    m_context->moveToThread(m_thread.get());
    QObject::connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    m_thread->start();
}

ReaderThread::~ReaderThread()
{
    if (m_cleanup)
        QMetaObject::invokeMethod(m_context, m_cleanup, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

} // namespace aether::gui
