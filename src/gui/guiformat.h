#pragma once

#include "timestamp.h"

#include <QColor>
#include <QString>

#include <optional>

namespace aether::gui {

// A stored UTC timestamp (text) or instant in the local time zone, in the current locale's short format with
// seconds; the text itself when it cannot be read.
QString formatTimestamp(const QString &stored);
QString formatTimestamp(const Timestamp &at);
// An adjustment reason code (concurrent_429, unknown_429, high_utilization, probe_increase) as a label for people;
// unknown codes as they are.
QString reasonLabel(const QString &reason);
// The colour that stands for a reason in charts and tables.
QColor reasonColor(const QString &reason);
// An optional limit: the number, or a dash.
QString formatLimit(std::optional<int> limit);

} // namespace aether::gui

namespace aether {
struct Error;
}

namespace aether::gui {
// A core error for people: what went wrong, and for storage errors the database's own words.
QString describeError(const Error &error);
} // namespace aether::gui
