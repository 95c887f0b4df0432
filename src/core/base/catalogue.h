#pragma once

#include <QString>

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

} // namespace aether
