#include "base/error.h"

#include "base/catalogue.h"

#include <QRegularExpression>

namespace aether {

namespace {

// The values of a literal_error's bound ("'a' or 'b'", the API's wording) as a list for people: "a, b".
QString allowedValues(const QString &bound)
{
    static const QRegularExpression quotedValue(QStringLiteral("'([^']*)'"));
    QStringList values;
    for (const QRegularExpressionMatch &m : quotedValue.globalMatch(bound))
        values << m.captured(1);
    //: Separates the allowed values of a setting ("a, b, c").
    return values.isEmpty() ? bound : values.join(QCoreApplication::translate("Error", ", "));
}

} // namespace

Error Error::told(const char *source, const QStringList &args) const
{
    Error e = *this;
    e.detail = fillIn(QString::fromUtf8(source), args);
    e.message = fillIn(QCoreApplication::translate("Error", source), args);
    return e;
}

QString Error::text() const
{
    if (!message.isEmpty())
        return message;
    return detail.isEmpty() ? QString() : quoted(detail);
}

QString Error::quoted(const QString &words)
{
    //: Quotes the words of a database driver or of Qt (often English) after a sentence of the console's own.
    return QCoreApplication::translate("Error", "“%1”").arg(words.simplified());
}

QString describeInvalidInput(const Error &error)
{
    if (!error.message.isEmpty())
        return error.message;
    const QString &field = error.field;
    const QString bound = error.bound.toString();
    const QString &why = error.reason;
    const auto say = [](const char *source) { return QCoreApplication::translate("Error", source); };
    QString said;
    if (field.isEmpty()) // a whole body or file: its own sentences (Chinese sets no space around a Chinese noun)
        said = why == reason::dictType ? say(QT_TRANSLATE_NOOP("Error", "the input must be a JSON object"))
               : why == reason::invalidJson || why == reason::emptyBody
                   ? say(QT_TRANSLATE_NOOP("Error", "the input is not valid JSON"))
                   : say(QT_TRANSLATE_NOOP("Error", "the input is not valid"));
    else if (why == reason::missing)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 is missing")).arg(field);
    else if (why == reason::greaterThanEqual)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be at least %2")).arg(field, bound);
    else if (why == reason::lessThanEqual)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be at most %2")).arg(field, bound);
    else if (why == reason::greaterThan)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be greater than %2")).arg(field, bound);
    else if (why == reason::lessThan)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be less than %2")).arg(field, bound);
    else if (why == reason::intType || why == reason::intFromFloat)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be a whole number")).arg(field);
    else if (why == reason::floatType)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be a number")).arg(field);
    else if (why == reason::stringType)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be text")).arg(field);
    else if (why == reason::dictType)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be a JSON object")).arg(field);
    else if (why == reason::listType)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be a list")).arg(field);
    else if (why == reason::tooLong)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 has too many items (at most %2)")).arg(field, bound);
    else if (why == reason::extraForbidden)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 is not a known setting")).arg(field);
    else if (why == reason::literalError)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 must be one of: %2")).arg(field, allowedValues(bound));
    else if (why == reason::invalidJson || why == reason::emptyBody)
        said = say(QT_TRANSLATE_NOOP("Error", "%1 is not valid JSON")).arg(field);
    else if (why == reason::requiredWhenFixed)
        said = say(QT_TRANSLATE_NOOP("Error", "a fixed limit is needed in fixed-limit mode"));
    else
        said = say(QT_TRANSLATE_NOOP("Error", "%1 is not valid")).arg(field);
    if (error.detail.isEmpty())
        return said;
    //: %1 is the console's sentence, %2 the quoted words of Qt or of a parser.
    return QCoreApplication::translate("Error", "%1: %2").arg(said, error.text());
}

} // namespace aether
