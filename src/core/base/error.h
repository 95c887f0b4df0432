#pragma once

#include <QCoreApplication>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <utility>
#include <variant>

namespace aether {

// What went wrong in a core operation. Front ends map the code (and, for invalid input, the field and reason) to their
// own presentation: the HTTP layer to a status and body, the GUI to translated text.
enum class ErrorCode {
    NotFound,           // the key (or token) does not exist
    InvalidInput,       // field + reason say which value and why
    StorageUnavailable, // the database cannot be reached now; retrying later may work
    StorageFailure,     // the database answered with an error
    Conflict,           // the operation cannot be done on this data (e.g. demo data into a non-empty store)
};

// Machine-readable reasons for ErrorCode::InvalidInput. They follow pydantic's error types where the original service's
// clients already know them.
namespace reason {
inline const QString missing = QStringLiteral("missing");
inline const QString greaterThanEqual = QStringLiteral("greater_than_equal");
inline const QString lessThanEqual = QStringLiteral("less_than_equal");
inline const QString requiredWhenFixed = QStringLiteral("required_when_fixed");
inline const QString invalidValue = QStringLiteral("invalid_value");
inline const QString greaterThan = QStringLiteral("greater_than");
inline const QString lessThan = QStringLiteral("less_than");
inline const QString intType = QStringLiteral("int_type");
inline const QString intFromFloat = QStringLiteral("int_from_float");
inline const QString floatType = QStringLiteral("float_type");
inline const QString stringType = QStringLiteral("string_type");
inline const QString dictType = QStringLiteral("dict_type");
inline const QString listType = QStringLiteral("list_type");
inline const QString tooLong = QStringLiteral("too_long"); // bound: the maximum number of items
inline const QString extraForbidden = QStringLiteral("extra_forbidden");
inline const QString literalError = QStringLiteral("literal_error"); // bound: the allowed values, as text
inline const QString emptyBody = QStringLiteral("empty_body");       // the request had no body
inline const QString invalidJson = QStringLiteral("invalid_json");   // the body is not JSON
// Reasons of ErrorCode::StorageFailure: what is broken.
inline const QString diskFull = QStringLiteral("disk full");
inline const QString corrupt = QStringLiteral("database file corrupt");
inline const QString readOnly = QStringLiteral("database read-only");
} // namespace reason

struct Error {
    ErrorCode code = ErrorCode::StorageFailure;
    QString field;   // InvalidInput: the offending field
    QString reason;  // InvalidInput: one of aether::reason
    QVariant bound;  // InvalidInput: the limit that was crossed (ge / le)
    QString detail;  // untranslated text for logs and diagnostics
    QString message; // the same said by the console in the catalogue's language (empty: only `detail` is known)

    static Error notFound(const QString &detail = {}) { return {ErrorCode::NotFound, {}, {}, {}, detail, {}}; }
    static Error invalid(const QString &field, const QString &reason, const QVariant &bound = {},
                         const QString &detail = {})
    {
        return {ErrorCode::InvalidInput, field, reason, bound, detail, {}};
    }
    static Error unavailable(const QString &detail) { return {ErrorCode::StorageUnavailable, {}, {}, {}, detail, {}}; }
    static Error failure(const QString &detail) { return {ErrorCode::StorageFailure, {}, {}, {}, detail, {}}; }
    static Error conflict(const QString &detail = {}) { return {ErrorCode::Conflict, {}, {}, {}, detail, {}}; }

    // The console's own sentence for this error: `detail` in English for logs, `message` through the catalogue
    // (context "Error", marked by the caller with QT_TRANSLATE_NOOP("Error", …)) in the process's language; %1, %2…
    // are the `args`.
    Error told(const char *source, const QStringList &args = {}) const;
    // What a person is shown after the console's own introduction ("The database cannot be reached: …"): the
    // console's sentence when it has one, else the detail — a database driver's or Qt's own words, often English —
    // in quotation marks, so that a reader sees it is quoted.
    QString text() const;
    // `words` of a database driver, of Qt or of a parser in quotation marks, as text() shows them.
    static QString quoted(const QString &words);
};

// A person's sentence for ErrorCode::InvalidInput, through the catalogue (context "Error"): what is wrong with which
// field ("fixed_limit must be at least 1"), then a quoted detail when one came from Qt or a parser. The console's
// own sentence (Error::told) when the error has one.
QString describeInvalidInput(const Error &error);

// A value or an Error; the return type of every core operation.
template <typename T> class Result {
public:
    Result(T value)
        : m_data(std::in_place_index<0>, std::move(value))
    {
    }
    Result(Error error)
        : m_data(std::in_place_index<1>, std::move(error))
    {
    }

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const { return std::get<0>(m_data); }
    T &value() { return std::get<0>(m_data); }
    T takeValue() { return std::move(std::get<0>(m_data)); }
    const Error &error() const { return std::get<1>(m_data); }

private:
    std::variant<T, Error> m_data;
};

struct Done {};
using Status = Result<Done>;

} // namespace aether
