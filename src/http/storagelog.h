#pragma once

#include "base/error.h"

#include <QElapsedTimer>
#include <QString>

#include <optional>

namespace aether::http {

// The endpoint's memory of storage failures. It logs once per change of state (a new kind of failure, or the
// recovery, with how many requests failed meanwhile) instead of once per request, hands out a short reference for
// each failure so that an answer can be matched with its log line, and remembers a recent breakage (disk full,
// corrupt or read-only file) for /healthz.
class StorageLog {
public:
    static constexpr qint64 breakageMemoryMs = 60'000;

    // Records a failure; returns its reference (8 hex digits).
    QString failed(const Error &error);
    // A change was written (or the database answered): ends the current failure state and forgets a breakage.
    void succeeded();
    // The reason of a breakage seen within breakageMemoryMs and not followed by a successful write.
    std::optional<QString> recentBreakage() const;

private:
    QString m_state; // what is failing now; empty when nothing is
    qint64 m_count = 0;
    QString m_breakage;
    QElapsedTimer m_breakageSeen;
    quint32 m_nextReference = 0;
};

} // namespace aether::http
