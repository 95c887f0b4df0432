#pragma once

#include "base/timestamp.h"

#include <QColor>
#include <QFileDevice>
#include <QJsonObject>
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
// What moved a limit of the ceiling strategy (an adjustment record's "signal"), in the user's language.
QString signalLabel(const QString &signal);
// The colour that stands for a reason in charts and tables.
QColor reasonColor(const QString &reason);
// An action's text as a tool button shows it: without its accelerator, also the "(&R)" that Chinese texts append
// (Qt strips only the '&' and would show "刷新(R)").
QString toolbarText(const QString &actionText);
// An optional limit: the number, or a dash.
QString formatLimit(std::optional<int> limit);
// A change of limit, "old → new".
QString formatChange(std::optional<int> oldLimit, std::optional<int> newLimit);
// The same for a stored history record (its old_limit and new_limit).
QString formatRecordChange(const QJsonObject &record);

} // namespace aether::gui

namespace aether {
struct Error;
}

namespace aether::gui {
// A core error for people: what went wrong, and for storage errors the database's own words, quoted.
QString describeError(const Error &error);
// A clause of the console's own (an Error's message) as a sentence: first letter up, a full stop (。 in Chinese).
QString asSentence(const QString &said);
// A sentence from a translation and its arguments, some of them Chinese (labels, names): fillIn() without the
// spaces between the pattern's Chinese and an argument's (Spacing::ChineseTight).
QString sentence(const QString &pattern, const QStringList &args);
// A file that could not be written, and Qt's words why, quoted.
QString describeFileError(const QFileDevice &file);
} // namespace aether::gui
