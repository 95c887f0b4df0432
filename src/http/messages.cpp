#include "messages.h"

#include "base/catalogue.h"

#include <QCoreApplication>

#include <QList>

namespace aether::http {

Language languageFromAcceptLanguage(const QByteArray &header)
{
    // The tag with the highest q wins; among equals the first one.
    QByteArray best;
    double bestQ = -1;
    for (const QByteArray &part : header.split(',')) {
        const QList<QByteArray> pieces = part.split(';');
        const QByteArray tag = pieces.first().trimmed();
        if (tag.isEmpty())
            continue;
        double q = 1.0;
        for (qsizetype i = 1; i < pieces.size(); ++i) {
            const QByteArray param = pieces.at(i).trimmed();
            if (param.startsWith("q=")) {
                bool ok = false;
                q = param.mid(2).toDouble(&ok);
                if (!ok)
                    q = 0;
            }
        }
        if (q > 0 && q > bestQ) { // q=0 means "not acceptable"
            bestQ = q;
            best = tag;
        }
    }
    return best.toLower().startsWith("en") ? Language::English : Language::Chinese;
}

namespace {

// The endpoint's texts live in the console's catalogue (context "HttpMessage"), English in the sources; each request
// is answered in its own language, whatever the process's language is.
QString translated(Language language, const char *source)
{
    return Catalogue::instance().translate(language, "HttpMessage", source);
}

} // namespace

QString text(Message message, Language language)
{
    switch (message) {
    case Message::MissingCredentials:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Missing admin credentials"));
    case Message::InvalidToken:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Invalid token"));
    case Message::AdminRequired:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Admin privileges required"));
    case Message::KeyNotFound:
        // The original service answers this one in English whatever the language (../shared/spec/api.md): not a
        // catalogue entry.
        return QStringLiteral("Key not found");
    case Message::EmptyBody:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Request body must not be empty"));
    case Message::InvalidJson:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Request body must be valid JSON"));
    case Message::BodyTooLarge:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Request body too large"));
    case Message::FixedLimitRequired:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language,
                          QT_TRANSLATE_NOOP("HttpMessage", "fixed_limit is required when disabling adaptive mode"));
    case Message::DatabaseError:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Database connection error, retrying..."));
    case Message::SwitchedToAdaptive:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language,
                          QT_TRANSLATE_NOOP("HttpMessage", "Switched to adaptive mode; the concurrency limit will be "
                                                           "learned and adjusted automatically"));
    case Message::SwitchedToFixed:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(
            language, QT_TRANSLATE_NOOP("HttpMessage", "Switched to fixed-limit mode; concurrency limit set to %1"));
    case Message::SetFixedLimit:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language,
                          QT_TRANSLATE_NOOP("HttpMessage", "Set to fixed-limit mode with a concurrency limit of %1"));
    case Message::LearningReset:
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Learning state reset"));
    case Message::MalformedRequest:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Malformed HTTP request"));
    case Message::RequestTimeout:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "The request was not received in time"));
    case Message::HeadTooLarge:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Request header too large"));
    case Message::UnsupportedTransferEncoding:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Transfer encoding not supported"));
    case Message::ServerBusy:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Server busy, try again later"));
    case Message::TooManyConnections:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Too many connections, try again later"));
    case Message::TooManyAuthFailures:
        return translated(language,
                          QT_TRANSLATE_NOOP("HttpMessage", "Too many failed authentication attempts, try again later"));
    case Message::StorageBroken:
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Database error (reference %1)"));
    }
    return {};
}

QString fieldLabel(const QString &field, Language language)
{
    // Field names stay as they are in English (they are the JSON names).
    if (language == Language::English)
        return field;
    if (field == u"enabled")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "enabled"));
    if (field == u"fixed_limit")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "fixed_limit"));
    return field;
}

QString validationReason(const QString &reason, const QVariant &bound, Language language)
{
    if (reason == u"missing")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Field required"));
    if (reason == u"bool_type")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid boolean"));
    if (reason == u"bool_parsing")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(
            language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid boolean, unable to interpret input"));
    if (reason == u"int_type")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid integer"));
    if (reason == u"int_parsing")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage",
                                                      "Input should be a valid integer, unable to parse string as an "
                                                      "integer"));
    if (reason == u"int_from_float")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage",
                                                      "Input should be a valid integer, got a number with a fractional "
                                                      "part"));
    if (reason == u"greater_than_equal")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be greater than or equal to %1"))
            .arg(bound.toString());
    if (reason == u"less_than_equal")
        //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation included.
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be less than or equal to %1"))
            .arg(bound.toString());
    if (reason == u"dict_type") {
        if (!bound.isValid()) // the body of PATCH …/mode, the original service's own text
            //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation
            //: included.
            return translated(language,
                              QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid dictionary or instance of "
                                                               "EnableAdaptiveRequest"));
        if (bound.toString().isEmpty())
            //: Wire text of the API contract (spec/api.md): keep it byte for byte, its spelling and punctuation
            //: included.
            return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid dictionary"));
        return translated(language,
                          QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid dictionary or instance of %1"))
            .arg(bound.toString());
    }
    if (reason == u"greater_than")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be greater than %1"))
            .arg(bound.toString());
    if (reason == u"less_than")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be less than %1"))
            .arg(bound.toString());
    if (reason == u"float_type")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid number"));
    if (reason == u"string_type")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid string"));
    if (reason == u"list_type")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be a valid list"));
    if (reason == u"too_long")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "List should have at most %1 items"))
            .arg(bound.toString());
    if (reason == u"extra_forbidden")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Extra inputs are not permitted"));
    if (reason == u"literal_error")
        return translated(language, QT_TRANSLATE_NOOP("HttpMessage", "Input should be %1")).arg(bound.toString());
    return reason;
}

} // namespace aether::http
