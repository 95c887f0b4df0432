#include "csvexporter.h"

#include "keytablemodel.h"

#include <QIODevice>
#include <QStringList>

namespace aether::gui {

namespace {

constexpr int progressEvery = 256; // rows between two progress reports (and chances to cancel)

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
    KeyTableModel rows(m_table);
    std::optional<Error> failure;
    QObject::connect(&rows, &KeyTableModel::reloadFailed, [&failure](const Error &error) { failure = error; });
    rows.setFilter(filter);
    rows.sort(int(sortColumn), order);
    if (failure)
        return *failure;

    QStringList header;
    for (int c = 0; c < visibleKeyColumnCount; ++c)
        header << field(KeyTableModel::columnTitle(KeyColumn(c)));
    header << field(KeyTableModel::columnTitle(KeyColumn::Id));
    if (out.write(line(header)) < 0)
        return Error::failure(out.errorString());

    Written written;
    for (int row = 0;; ++row) {
        if (row >= rows.rowCount()) {
            if (!rows.canFetchMore())
                break;
            rows.fetchMore();
        }
        if (row > 0 && row % progressEvery == 0 && progress && !progress(row)) {
            written.canceled = true;
            return written;
        }
        QStringList fields;
        for (int c = 0; c < visibleKeyColumnCount; ++c) {
            const KeyColumn column = KeyColumn(c);
            const bool shown = column == KeyColumn::Mode || column == KeyColumn::Last429Type;
            fields << field(rows.data(rows.index(row, c), shown ? Qt::DisplayRole : Qt::UserRole).toString());
        }
        fields << field(rows.keyIdAt(row));
        if (out.write(line(fields)) < 0)
            return Error::failure(out.errorString());
        written.rows = row + 1;
    }
    return written;
}

} // namespace aether::gui
