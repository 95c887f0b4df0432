#include "csvexporter.h"

#include "keytablemodel.h"

#include <QIODevice>
#include <QStringList>

namespace aether::gui {

namespace {

constexpr int progressEvery = 256; // rows between two progress reports (and chances to cancel)

// Not the database's failure: the file's, in Qt's words.
Error writeError(const QIODevice &out)
{
    return Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "the file cannot be written: %1"),
                                   {Error::quoted(out.errorString())});
}

// Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
bool looksLikeFormula(const QString &text)
{
    if (text.isEmpty())
        return false;
    const QChar first = text.front();
    if (first != u'=' && first != u'+' && first != u'-' && first != u'@' && first != u'\t' && first != u'\r')
        return false;
    bool number = false;
    text.toDouble(&number);
    return !number;
}

QByteArray line(const QStringList &fields)
{
    return fields.join(u',').toUtf8() + '\n';
}

} // namespace

CsvExporter::CsvExporter(KeyTable &table)
    : m_table(table)
{
}

QString CsvExporter::field(const QString &text)
{
    QString value = looksLikeFormula(text) ? u'\'' + text : text;
    if (value.contains(u',') || value.contains(u'"') || value.contains(u'\n') || value.contains(u'\r'))
        return u'"' + value.replace(u'"', QStringLiteral("\"\"")) + u'"';
    return value;
}

Result<CsvExporter::Written> CsvExporter::write(QIODevice &out, const KeyFilter &filter, KeyColumn sortColumn,
                                                Qt::SortOrder order, const Progress &progress)
{
    QStringList header;
    for (int c = 0; c < visibleKeyColumnCount; ++c)
        header << field(KeyTableModel::columnTitle(KeyColumn(c)));
    header << field(KeyTableModel::columnTitle(KeyColumn::Id));
    if (out.write(line(header)) < 0)
        return writeError(out);

    // Read row by row and written at once: memory stays the same at any number of keys.
    Written written;
    std::optional<Error> writeFailure;
    const Status read = m_table.stream(filter, sortColumn, order, [&](KeyRow &&key) {
        if (written.rows > 0 && written.rows % progressEvery == 0 && progress && !progress(written.rows)) {
            written.canceled = true;
            return false;
        }
        QStringList fields;
        for (int c = 0; c < visibleKeyColumnCount; ++c) {
            const KeyColumn column = KeyColumn(c);
            if (column == KeyColumn::Mode)
                fields << field(KeyTableModel::modeLabel(key.adaptive()));
            else if (column == KeyColumn::Last429Type)
                fields << field(key.last429Type.isEmpty() ? QString() : KeyTableModel::limitTypeLabel(key.last429Type));
            else
                fields << field(KeyTableModel::rawValue(key, column).toString());
        }
        fields << field(key.id);
        if (out.write(line(fields)) < 0) {
            writeFailure = writeError(out);
            return false;
        }
        ++written.rows;
        return true;
    });
    if (!read)
        return read.error();
    if (writeFailure)
        return *writeFailure;
    return written;
}

} // namespace aether::gui
