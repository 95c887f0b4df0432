#include "storagelog.h"

#include <QRandomGenerator>

namespace aether::http {

QString StorageLog::failed(const Error &error)
{
    if (m_nextReference == 0)
        m_nextReference = QRandomGenerator::global()->generate() | 1u;
    const QString reference = QString::number(m_nextReference++, 16).rightJustified(8, u'0');
    const QString state =
        error.reason.isEmpty()
            ? (error.code == ErrorCode::StorageUnavailable ? QStringLiteral("unavailable") : QStringLiteral("failure"))
            : error.reason;
    if (!error.reason.isEmpty() && error.code == ErrorCode::StorageFailure) {
        m_breakage = error.reason;
        m_breakageSeen.start();
    }
    if (state != m_state) {
        if (!m_state.isEmpty())
            qWarning("storage: %s after %lld failed requests", qUtf8Printable(state), m_count);
        qWarning("storage %s [ref %s]: %s", qUtf8Printable(state), qUtf8Printable(reference),
                 qUtf8Printable(error.detail));
        m_state = state;
        m_count = 0;
    } else if (error.code == ErrorCode::StorageFailure) {
        // Each breakage answer names a reference: keep a line for it, but only the reference and a count.
        qWarning("storage %s [ref %s] (failure %lld in a row)", qUtf8Printable(state), qUtf8Printable(reference),
                 m_count + 1);
    }
    ++m_count;
    return reference;
}

void StorageLog::succeeded()
{
    m_breakage.clear();
    if (m_state.isEmpty())
        return;
    qWarning("storage: recovered from \"%s\" after %lld failed requests", qUtf8Printable(m_state), m_count);
    m_state.clear();
    m_count = 0;
}

std::optional<QString> StorageLog::recentBreakage() const
{
    if (m_breakage.isEmpty() || !m_breakageSeen.isValid() || m_breakageSeen.elapsed() > breakageMemoryMs)
        return std::nullopt;
    return m_breakage;
}

} // namespace aether::http
