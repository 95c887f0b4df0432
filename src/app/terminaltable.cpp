#include "terminaltable.h"

#include <algorithm>

namespace aether::app {

int displayWidth(const QString &text)
{
    int width = 0;
    for (const char32_t c : text.toUcs4()) {
        const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                          (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                          (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                          (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
        width += wide ? 2 : 1;
    }
    return width;
}

QString padded(const QString &text, int width)
{
    return text + QString(std::max(0, width - displayWidth(text)), u' ');
}

void printLine(FILE *stream, const QString &text)
{
    std::fputs(qUtf8Printable(text), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

TextTable::TextTable(QStringList headers, QList<bool> numeric)
    : m_rows{std::move(headers)}
    , m_numeric(std::move(numeric))
{
}

QStringList TextTable::lines() const
{
    QList<int> widths(m_rows.constFirst().size(), 0);
    for (const QStringList &row : m_rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], displayWidth(row.at(i)));
    }
    QStringList out;
    for (const QStringList &row : m_rows) {
        QString line;
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i) {
            const QString &cell = row.at(i);
            const bool last = i + 1 == row.size();
            if (m_numeric.value(i, false))
                line += QString(std::max(0, widths[i] - displayWidth(cell)), u' ') + cell;
            else
                line += last ? cell : padded(cell, widths[i]);
            if (!last)
                line += QStringLiteral("  ");
        }
        out << line;
    }
    return out;
}

void TextTable::print(FILE *stream) const
{
    for (const QString &line : lines())
        printLine(stream, line);
}

} // namespace aether::app
