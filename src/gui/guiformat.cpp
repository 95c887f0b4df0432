#include "guiformat.h"

#include "base/catalogue.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QLocale>
#include <QRegularExpression>

namespace aether::gui {

QString formatTimestamp(const QString &stored)
{
    const std::optional<Timestamp> at = Timestamp::parse(stored);
    return at ? formatTimestamp(*at) : stored;
}

QString formatTimestamp(const Timestamp &at)
{
    const QDateTime local = QDateTime::fromMSecsSinceEpoch(at.microseconds() / 1000, Qt::UTC).toLocalTime();
    return QLocale().toString(local, QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString reasonLabel(const QString &reason)
{
    if (reason == u"concurrent_429")
        return QCoreApplication::translate("Reason", "Concurrency 429");
    if (reason == u"unknown_429")
        return QCoreApplication::translate("Reason", "Unknown 429");
    if (reason == u"high_utilization")
        return QCoreApplication::translate("Reason", "High utilisation");
    if (reason == u"probe_increase")
        return QCoreApplication::translate("Reason", "Probe increase");
    return reason;
}

QString signalLabel(const QString &signal)
{
    static const struct {
        const char *name;
        const char *text;
    } labels[] = {
        {"ceiling_found", QT_TRANSLATE_NOOP("Signal", "nothing worked at this concurrency lately: held just below it")},
        {"probe_failed", QT_TRANSLATE_NOOP("Signal", "the probe one above the hold failed: the next one waits longer")},
        {"capacity_fell", QT_TRANSLATE_NOOP("Signal", "it worked at this concurrency a moment ago: the capacity fell")},
        {"fell_further", QT_TRANSLATE_NOOP("Signal", "another 429 of the same fall: the capacity is lower still")},
        {"growth", QT_TRANSLATE_NOOP("Signal", "the limit binds and no ceiling is known: grown")},
        {"max_limit", QT_TRANSLATE_NOOP("Signal", "busy before any 429: held at the policy's maximum")},
        {"timed_probe",
         QT_TRANSLATE_NOOP("Signal", "the hold has passed: one slot above, to see whether the capacity rose")},
        {"latency_hint", QT_TRANSLATE_NOOP("Signal", "faster per token at the same concurrency: probed early")},
        {"recovery", QT_TRANSLATE_NOOP("Signal", "a probe worked far below the best level: back to it")},
    };
    for (const auto &label : labels) {
        if (signal == QLatin1StringView(label.name))
            return QCoreApplication::translate("Signal", label.text);
    }
    return signal;
}

QString toolbarText(const QString &actionText)
{
    static const QRegularExpression accelerator(QStringLiteral("\\(&[^)]\\)"));
    QString text = actionText;
    text.remove(accelerator);
    return text.replace(QStringLiteral("&&"), QStringLiteral("\x01")).remove(u'&').replace(u'\x01', u'&').trimmed();
}

QColor reasonColor(const QString &reason)
{
    if (reason == u"concurrent_429")
        return QColor(0xd6, 0x45, 0x3d);
    if (reason == u"unknown_429")
        return QColor(0xe8, 0x9b, 0x2f);
    if (reason == u"high_utilization")
        return QColor(0x2e, 0x86, 0xc1);
    if (reason == u"probe_increase")
        return QColor(0x3c, 0xa5, 0x5c);
    return QColor(0x80, 0x80, 0x80);
}

QString formatLimit(std::optional<int> limit)
{
    return limit ? QLocale().toString(*limit) : QStringLiteral("—");
}

QString formatChange(std::optional<int> oldLimit, std::optional<int> newLimit)
{
    return formatLimit(oldLimit) + QStringLiteral(" → ") + formatLimit(newLimit);
}

QString formatRecordChange(const QJsonObject &record)
{
    const auto limit = [&record](const char *field) -> std::optional<int> {
        const QJsonValue v = record.value(QLatin1String(field));
        return v.isDouble() ? std::optional<int>(v.toInt()) : std::nullopt;
    };
    return formatChange(limit("old_limit"), limit("new_limit"));
}

} // namespace aether::gui

#include "base/error.h"
#include "keys/keytypes.h"

namespace aether::gui {

QString asSentence(const QString &said)
{
    if (said.isEmpty())
        return said;
    // The first word up only when it is a plain word: a sentence may start with a file's name ("data.db is not an
    // SQLite database"), which must stay as it is.
    static const QRegularExpression plainWord(QStringLiteral("^[a-z]+\\b(?![./\\\\:_-])"));
    const QString sentence = plainWord.match(said).hasMatch() ? said.at(0).toUpper() + said.mid(1) : said;
    //: A sentence of the console's own (often lower-case, as it also follows a colon) shown on its own.
    return QCoreApplication::translate("Error", "%1.").arg(sentence);
}

QString sentence(const QString &pattern, const QStringList &args)
{
    return fillIn(pattern, args, Spacing::ChineseTight);
}

QString describeFileError(const QFileDevice &file)
{
    return QCoreApplication::translate("Error", "The file %1 cannot be written: %2")
        .arg(QDir::toNativeSeparators(file.fileName()), Error::quoted(file.errorString()));
}

QString describeError(const Error &error)
{
    switch (error.code) {
    case ErrorCode::NotFound:
        return QCoreApplication::translate("Error", "The key no longer exists (it was deleted meanwhile).");
    case ErrorCode::InvalidInput:
        if (error.reason == reason::greaterThanEqual || error.reason == reason::lessThanEqual)
            return QCoreApplication::translate("Error", "The limit must be between %1 and %2.")
                .arg(minFixedLimit)
                .arg(maxFixedLimit);
        return asSentence(describeInvalidInput(error));
    case ErrorCode::StorageUnavailable:
        return QCoreApplication::translate("Error", "The database cannot be reached: %1").arg(error.text());
    case ErrorCode::Conflict:
        if (!error.message.isEmpty())
            return asSentence(error.message);
        return QCoreApplication::translate("Error", "Conflict: %1").arg(error.text());
    case ErrorCode::StorageFailure:
        break;
    }
    // A failure the console describes itself (a driver that is missing, a file that cannot be written) is said as it
    // is; one the database reported gets what it means when the console knows, and the database's words quoted.
    if (!error.message.isEmpty())
        return asSentence(error.message);
    if (error.reason == reason::diskFull)
        return QCoreApplication::translate("Error", "The disk holding the database is full: %1").arg(error.text());
    if (error.reason == reason::corrupt)
        return QCoreApplication::translate("Error", "The database file is damaged: %1").arg(error.text());
    if (error.reason == reason::readOnly)
        return QCoreApplication::translate("Error", "The database cannot be written (read-only): %1").arg(error.text());
    return QCoreApplication::translate("Error", "The database reported an error: %1").arg(error.text());
}

} // namespace aether::gui
