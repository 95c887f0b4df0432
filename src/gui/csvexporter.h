#pragma once

#include "base/error.h"
#include "keys/keytable.h"

#include <QString>

#include <functional>

class QIODevice;

namespace aether::gui {

// Writes the key table as CSV (RFC 4180 quoting, UTF-8): the visible columns in the table's order, then the key id;
// every key of a filter in a sort order, streamed from a query of its own (constant memory at any number of keys).
// Numbers and times are written as stored (machine-readable), modes and 429 types as shown. A field that a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first, and not a number) is written with a leading
// apostrophe, so that opening the file never executes what a key's name says.
class CsvExporter {
public:
    // Called every 256 rows with the rows written so far; false cancels.
    using Progress = std::function<bool(int rows)>;
    struct Written {
        int rows = 0;
        bool canceled = false;
    };

    explicit CsvExporter(KeyTable &table);

    // Writes the header and the rows to `out` (open for writing).
    Result<Written> write(QIODevice &out, const KeyFilter &filter, KeyColumn sortColumn, Qt::SortOrder order,
                          const Progress &progress = {});

    // One field, neutralised and quoted as needed.
    static QString field(const QString &text);

private:
    KeyTable &m_table;
};

} // namespace aether::gui
