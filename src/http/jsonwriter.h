#pragma once

#include <QByteArray>
#include <QString>
#include <QStringView>

#include <optional>

namespace aether::http {

// Writes JSON text straight into a buffer. QJsonDocument builds a tree first, which for a list of 10,000 keys costs
// more than the database query; this writer is for such large, flat answers only (same output rules: UTF-8, no
// escaping beyond what JSON requires).
class JsonWriter {
public:
    explicit JsonWriter(qsizetype reserve = 0) { m_out.reserve(reserve); }

    void beginArray() { separate(), m_out += '[', m_first = true; }
    void endArray() { m_out += ']', m_first = false; }
    void beginObject() { separate(), m_out += '{', m_first = true; }
    void endObject() { m_out += '}', m_first = false; }

    void key(const char *name);
    void string(QStringView value);
    void number(qint64 value) { separate(), m_out += QByteArray::number(value); }
    void boolean(bool value) { separate(), m_out += value ? "true" : "false"; }
    void null() { separate(), m_out += "null"; }
    void optionalNumber(const std::optional<int> &value) { value ? number(*value) : null(); }
    void optionalString(const std::optional<QString> &value) { value ? string(*value) : null(); }
    // A value that is JSON text already (e.g. QJsonDocument output).
    void raw(const QByteArray &json) { separate(), m_out += json; }

    QByteArray take() { return std::move(m_out); }

private:
    void separate()
    {
        if (!m_first && !m_afterKey)
            m_out += ',';
        m_first = false;
        m_afterKey = false;
    }

    QByteArray m_out;
    bool m_first = true;
    bool m_afterKey = false;
};

} // namespace aether::http
