#include "changequeue.h"

#include "errormapper.h"
#include "keys/changewriter.h"

#include <QPointer>
#include <QTcpSocket>

#include <algorithm>
#include <memory>

namespace aether::http {

ChangeQueue::ChangeQueue(ChangeWriter &writer, ErrorMapper &errors)
    : m_writer(writer)
    , m_errors(errors)
{
}

void ChangeQueue::submit(QList<KeyChange> changes, Render render, QHttpServerResponder &&responder)
{
    // The responder moves into the callback; std::function needs a copyable callable, hence the shared pointer.
    auto pending = std::make_shared<QHttpServerResponder>(std::move(responder));
    QPointer<QTcpSocket> socket(pending->socket());
    m_writer.apply(std::move(changes), [this, pending, socket, render = std::move(render)](const Outcomes &outcomes) {
        const bool stored = std::any_of(outcomes.begin(), outcomes.end(), [](const Result<KeyChangeOutcome> &o) {
            return o.ok() ||
                   (o.error().code != ErrorCode::StorageUnavailable && o.error().code != ErrorCode::StorageFailure);
        });
        if (stored)
            m_errors.storageLog().succeeded();
        if (socket && socket->isOpen())
            render(outcomes).write(std::move(*pending));
    });
}

} // namespace aether::http
