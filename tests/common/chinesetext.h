#pragma once

#include <QFile>
#include <QList>
#include <QRegularExpression>
#include <QString>
#include <QXmlStreamReader>

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

// The console's own English sentences (the sources of the catalogue's contexts "Error" and "Cli", the repository's
// translations/aether-console_en.ts) as patterns, %1… standing for anything; only those with two words or more of
// their own.
inline const QList<QRegularExpression> &consoleSentences()
{
    static const QList<QRegularExpression> sentences = [] {
        QList<QRegularExpression> patterns;
        QFile file(QStringLiteral(AETHER_SOURCE_DIR "/translations/aether-console_en.ts"));
        if (!file.open(QIODevice::ReadOnly))
            qFatal("cannot read %s", qPrintable(file.fileName()));
        static const QRegularExpression placeholder(QStringLiteral("%L?\\d+"));
        static const QRegularExpression twoWords(QStringLiteral("[A-Za-z]{2,}\\W+[A-Za-z]{2,}"));
        QXmlStreamReader xml(&file);
        QString context;
        while (!xml.atEnd()) {
            if (xml.readNext() != QXmlStreamReader::StartElement)
                continue;
            if (xml.name() == u"name") {
                context = xml.readElementText();
            } else if (xml.name() == u"source" && (context == u"Error" || context == u"Cli")) {
                const QString source = xml.readElementText();
                if (!QString(source).remove(placeholder).contains(twoWords))
                    continue;
                QStringList pieces;
                for (const QString &piece : source.split(placeholder))
                    pieces << QRegularExpression::escape(piece);
                const QString pattern = pieces.join(QStringLiteral(".*"));
                patterns << QRegularExpression(QRegularExpression::anchoredPattern(pattern),
                                               QRegularExpression::DotMatchesEverythingOption);
            }
        }
        return patterns;
    }();
    return sentences;
}

// A part of `said` quoted as a driver's or Qt's words (“…”) that is in fact one of the console's own English sentences:
// a translation that got lost on the way (Error::text() quotes an error's English detail when it has no message).
inline QString quotedConsoleSentence(const QString &said)
{
    static const QRegularExpression quotation(QStringLiteral("“([^”]*)”"));
    for (const QRegularExpressionMatch &m : quotation.globalMatch(said)) {
        for (const QRegularExpression &sentence : consoleSentences()) {
            if (sentence.match(m.captured(1)).hasMatch())
                return m.captured(1);
        }
    }
    return {};
}

// Whether `said` holds Chinese at all.
inline bool hasChinese(const QString &said)
{
    static const QRegularExpression han(QStringLiteral("\\p{Han}"));
    return said.contains(han);
}

} // namespace aether::test
