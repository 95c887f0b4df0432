#pragma once

#include "keys/keytypes.h"

#include <QHttpServerResponder>
#include <QHttpServerResponse>

#include <functional>

namespace aether {
class ChangeWriter;
}

namespace aether::http {

class ErrorMapper;

// The changing routes' road to the database: a request's changes go to the ChangeWriter, which commits every group
// waiting for it in one transaction (group commit, the one place where changes are coalesced); the request is
// answered once that commit is done. A client that went away meanwhile gets no answer.
class ChangeQueue {
public:
    using Outcomes = QList<Result<KeyChangeOutcome>>;
    using Render = std::function<QHttpServerResponse(const Outcomes &)>;

    ChangeQueue(ChangeWriter &writer, ErrorMapper &errors);

    // Queues `changes`; `render` turns their outcomes into the answer.
    void submit(QList<KeyChange> changes, Render render, QHttpServerResponder &&responder);
    // The same for changes in several groups, each written in a transaction of its own (a bulk change); `render`
    // gets the outcomes of all of them, in order, once the last group is written.
    void submitGroups(QList<QList<KeyChange>> groups, Render render, QHttpServerResponder &&responder);

private:
    ChangeWriter &m_writer;
    ErrorMapper &m_errors;
};

} // namespace aether::http
