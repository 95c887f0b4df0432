#pragma once

#include <QRegularExpression>
#include <QString>

namespace aether::test {

// What a Chinese-speaking operator must not meet in a message of the console's own: the first run of three or more
// English words, outside the words of a database driver or of Qt quoted as “…” (Error::quoted), options, paths,
// names and numbers. Empty when the text reads as Chinese throughout.
inline QString englishRunOutsideQuotes(const QString &said)
{
    static const QRegularExpression quotation(QStringLiteral("“[^”]*”"));
    static const QRegularExpression technical(QStringLiteral("\\S*[0-9\\-/_.:=@$\\[\\]{}|\"]\\S*"));
    static const QRegularExpression englishRun(QStringLiteral("\\b[A-Za-z]+(?: [A-Za-z]+){2,}\\b"));
    QString prose = said;
    prose.replace(quotation, QStringLiteral(" · ")).replace(technical, QStringLiteral(" · "));
    return englishRun.match(prose).captured();
}

// Whether `said` holds Chinese at all.
inline bool hasChinese(const QString &said)
{
    static const QRegularExpression han(QStringLiteral("\\p{Han}"));
    return said.contains(han);
}

} // namespace aether::test
