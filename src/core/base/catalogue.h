#pragma once

#include <QString>
#include <QStringList>

#include <memory>

class QCoreApplication;
class QTranslator;

namespace aether {

// The two languages the console speaks: Chinese (the original service's) and English.
enum class Language { Chinese, English };

// The console's message catalogue: Qt Linguist translations (translations/*.ts, built into the program as .qm
// resources) for every layer. A front end either installs one language for the whole process (the window, the
// command line) or asks for a text in a given language (the HTTP endpoint answers each request in its own).
class Catalogue {
public:
    using Language = aether::Language;

    static const Catalogue &instance();

    // `source` (the English text in the sources) of `context` in `language`; the source itself when there is no
    // translation. `n` picks a plural form.
    QString translate(Language language, const char *context, const char *source, int n = -1) const;

    // "zh_CN" or "en"; "system" (or anything else) follows the system locale: zh* → Chinese, otherwise English.
    static Language resolve(const QString &setting);
    static QString localeName(Language language); // zh_CN, en_US

    // Makes `language` the process's language: the console's translator, Qt's own (qtbase_*.qm from the Qt
    // installation, for standard buttons and dialogs) and the default QLocale (dates, numbers). Installing again
    // replaces the previous language; widgets receive QEvent::LanguageChange.
    static void install(Language language);

private:
    Catalogue();
    std::unique_ptr<QTranslator> m_chinese;
    std::unique_ptr<QTranslator> m_english;
};

// How fillIn() treats the spaces a pattern sets around its placeholders.
enum class Spacing {
    AsWritten,    // kept
    ChineseTight, // left out between a Chinese character of the pattern and one an argument begins or ends with
};

// `pattern` (a translation) with %1…%9 replaced by `args` in one pass: an argument that holds "%2" stays as it is.
// With Spacing::ChineseTight, "%1 不能小于 %2" with 初始并发限制 and 并发限制下限（60） gives
// "初始并发限制不能小于并发限制下限（60）"; spaces beside Latin words and numbers, and those inside the arguments
// (names, paths), stay.
QString fillIn(const QString &pattern, const QStringList &args, Spacing spacing = Spacing::AsWritten);

} // namespace aether
