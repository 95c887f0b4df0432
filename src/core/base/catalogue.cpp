#include "base/catalogue.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QTranslator>

namespace aether {

namespace {

std::unique_ptr<QTranslator> load(const QString &name)
{
    auto translator = std::make_unique<QTranslator>();
    if (!translator->load(QStringLiteral(":/i18n/aether-console_%1.qm").arg(name)))
        qWarning("aether-console: the %s translation is missing from the program", qPrintable(name));
    return translator;
}

} // namespace

Catalogue::Catalogue()
    : m_chinese(load(QStringLiteral("zh_CN")))
    , m_english(load(QStringLiteral("en")))
{
}

const Catalogue &Catalogue::instance()
{
    static const Catalogue catalogue;
    return catalogue;
}

QString Catalogue::translate(Language language, const char *context, const char *source, int n) const
{
    const QTranslator &translator = language == Language::Chinese ? *m_chinese : *m_english;
    QString text = translator.translate(context, source, nullptr, n);
    if (text.isEmpty())
        text = QString::fromUtf8(source);
    // As QCoreApplication::translate() does for tr().
    if (n >= 0)
        text.replace(QStringLiteral("%n"), QString::number(n));
    return text;
}

Catalogue::Language Catalogue::resolve(const QString &setting)
{
    if (setting == u"zh_CN" || setting == u"zh")
        return Language::Chinese;
    if (setting == u"en")
        return Language::English;
    return QLocale::system().name().startsWith(u"zh") ? Language::Chinese : Language::English;
}

QString Catalogue::localeName(Language language)
{
    return language == Language::Chinese ? QStringLiteral("zh_CN") : QStringLiteral("en_US");
}

void Catalogue::install(Language language)
{
    // One translator of each kind for the process, replaced on each call.
    static std::unique_ptr<QTranslator> console;
    static std::unique_ptr<QTranslator> qt;
    if (console)
        QCoreApplication::removeTranslator(console.get());
    if (qt)
        QCoreApplication::removeTranslator(qt.get());
    const QString name = language == Language::Chinese ? QStringLiteral("zh_CN") : QStringLiteral("en");
    console = std::make_unique<QTranslator>();
    if (console->load(QStringLiteral(":/i18n/aether-console_%1.qm").arg(name)))
        QCoreApplication::installTranslator(console.get());
    qt = std::make_unique<QTranslator>();
    if (language == Language::Chinese &&
        qt->load(QLocale(QLocale::Chinese, QLocale::China), QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt.get());
    QLocale::setDefault(QLocale(localeName(language)));
}

namespace {

bool isIdeograph(QChar c)
{
    return c.script() == QChar::Script_Han && c.isLetter(); // not the punctuation 、。，
}

} // namespace

QString fillIn(const QString &pattern, const QStringList &args, Spacing spacing)
{
    const bool tight = spacing == Spacing::ChineseTight;
    QString out;
    out.reserve(pattern.size());
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        const int n = pattern.at(i) == u'%' && i + 1 < pattern.size() ? pattern.at(i + 1).digitValue() : -1;
        if (n < 1 || n > args.size()) {
            // A space before Chinese that follows an argument ending in Chinese: left out.
            const bool afterArgument = i > 1 && pattern.at(i - 1).isDigit() && pattern.at(i - 2) == u'%';
            if (tight && pattern.at(i) == u' ' && afterArgument && i + 1 < pattern.size() &&
                isIdeograph(pattern.at(i + 1)) && !out.isEmpty() && isIdeograph(out.back()))
                continue;
            out += pattern.at(i);
            continue;
        }
        const QString &arg = args.at(n - 1);
        // A space after Chinese before an argument starting with Chinese: left out.
        if (tight && !arg.isEmpty() && isIdeograph(arg.front()) && out.endsWith(u' ') && out.size() > 1 &&
            isIdeograph(out.at(out.size() - 2)))
            out.chop(1);
        out += arg;
        ++i;
    }
    return out;
}

} // namespace aether
