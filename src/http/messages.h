#pragma once

#include "base/catalogue.h"

#include <QByteArray>
#include <QString>
#include <QVariant>

namespace aether::http {

// The endpoint answers in Chinese (the original service's language) unless the client's most preferred language is
// English.
using aether::Language;

Language languageFromAcceptLanguage(const QByteArray &header);

// The texts of the admin API (../shared/spec/api.md), in both languages.
enum class Message {
    MissingCredentials,
    InvalidToken,
    AdminRequired,
    KeyNotFound,
    EmptyBody,
    InvalidJson,
    BodyTooLarge,
    FixedLimitRequired,
    DatabaseError,
    SwitchedToAdaptive,
    SwitchedToFixed, // %1 = limit
    SetFixedLimit,   // %1 = limit
    LearningReset,
    // Answers of the connection guard and the authentication throttle.
    MalformedRequest,
    RequestTimeout,
    HeadTooLarge,
    UnsupportedTransferEncoding,
    ServerBusy,
    TooManyConnections,
    TooManyAuthFailures,
    StorageBroken, // %1 = the log reference
};

QString text(Message message, Language language);

// Field labels and validation reasons as the original service's translate_pydantic_error renders them.
QString fieldLabel(const QString &field, Language language);
QString validationReason(const QString &reason, const QVariant &bound, Language language);

} // namespace aether::http
