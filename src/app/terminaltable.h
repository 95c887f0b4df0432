#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <cstdio>

namespace aether::app {

// The columns a text takes in a terminal: CJK characters take two.
int displayWidth(const QString &text);
// `text` padded with spaces to `width` columns.
QString padded(const QString &text, int width);
// A line of UTF-8 text on `stream`, flushed.
void printLine(FILE *stream, const QString &text);

// The command line's tables: a header row and rows, columns aligned by display width and two spaces apart; the
// columns marked numeric are right-aligned.
class TextTable {
public:
    explicit TextTable(QStringList headers, QList<bool> numeric = {});
    void addRow(QStringList cells) { m_rows.append(std::move(cells)); }
    qsizetype rowCount() const { return m_rows.size() - 1; }
    QStringList lines() const;
    void print(FILE *stream) const;

private:
    QList<QStringList> m_rows; // the header first
    QList<bool> m_numeric;
};

} // namespace aether::app
