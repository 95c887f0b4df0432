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

void ChangeQueue::submitGroups(QList<QList<KeyChange>> groups, Render render, QHttpServerResponder &&responder)
{
    struct Pending {
        QHttpServerResponder responder;
        Render render;
        Outcomes outcomes;
        qsizetype groupsLeft = 0;
    };
    auto pending = std::make_shared<Pending>(Pending{std::move(responder), std::move(render), {}, groups.size()});
    QPointer<QTcpSocket> socket(pending->responder.socket());
    if (groups.isEmpty()) {
        pending->render({}).write(std::move(pending->responder));
        return;
    }
    for (QList<KeyChange> &group : groups) {
        // The writer takes groups in order and answers each in order: the last answer completes the request.
        m_writer.apply(std::move(group), [this, pending, socket](const Outcomes &outcomes) {
            pending->outcomes += outcomes;
            if (--pending->groupsLeft > 0)
                return;
            const bool stored = std::any_of(pending->outcomes.begin(), pending->outcomes.end(),
                                            [](const Result<KeyChangeOutcome> &o) { return o.ok(); });
            if (stored)
                m_errors.storageLog().succeeded();
            if (socket && socket->isOpen())
                pending->render(pending->outcomes).write(std::move(pending->responder));
        });
    }
}

} // namespace aether::http
