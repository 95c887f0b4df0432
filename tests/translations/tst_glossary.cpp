// The Chinese catalogue against the project's glossary (translations/glossary-zh_CN.md): no finished zh_CN translation
// uses a term of the glossary's "not" column where the English text is about that term, and none carries a run of
// three or more English words (placeholders, commands, paths and the API contract's own messages aside).

#include <QDebug>
#include <QFile>
#include <QRegularExpression>
#include <QTest>
#include <QXmlStreamReader>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace {

struct Entry {
    QString context;
    QString source;
    QString translation; // numerus forms joined by a newline
};

// The finished zh_CN entries of the catalogue, their sources without accelerator marks.
QList<Entry> catalogue(QString *error)
{
    static const QRegularExpression accelerator(u"&(?=[^&\\s])"_s);
    QFile file(QStringLiteral(AETHER_SOURCE_DIR "/translations/aether-console_zh_CN.ts"));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return {};
    }
    QList<Entry> entries;
    QXmlStreamReader xml(&file);
    QString context;
    Entry entry;
    bool finished = true;
    bool numerus = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) {
            if (xml.isEndElement() && xml.name() == u"message" && finished && !entry.translation.isEmpty())
                entries << entry;
            continue;
        }
        if (xml.name() == u"name") {
            context = xml.readElementText();
        } else if (xml.name() == u"message") {
            entry = Entry{context, {}, {}};
            finished = true;
            numerus = xml.attributes().value(QLatin1String("numerus")) == u"yes";
        } else if (xml.name() == u"source") {
            entry.source = xml.readElementText().remove(accelerator); // "Ran&ge:" is about a range
        } else if (xml.name() == u"translation") {
            const QStringView type = xml.attributes().value(QLatin1String("type"));
            finished = type.isEmpty(); // not unfinished, vanished or obsolete
            if (!numerus)
                entry.translation = xml.readElementText();
        } else if (xml.name() == u"numerusform") {
            entry.translation += (entry.translation.isEmpty() ? QString() : u"\n"_s) + xml.readElementText();
        }
    }
    if (xml.hasError())
        *error = xml.errorString();
    return entries;
}

struct Rule {
    QString english;
    QStringList approved;
    QString forbidden;
    bool alone = false; // forbidden only as the whole translation
    QRegularExpression where;
};

// A row's last column: where the English text is about the row's term, the translation uses one of `terms`.
struct Requirement {
    QString english;
    QRegularExpression where;
    QStringList terms;
};

QString withoutNotes(QString text)
{
    static const QRegularExpression notes(u"\\([^)]*\\)|（[^）]*）"_s);
    return text.remove(notes).trimmed();
}

// The glossary's rows: "| English | zh_CN | not | `where` | `where` → terms |", cells split at unescaped bars.
QList<Rule> glossary(QStringList *approvedTerms, QString *error, QList<Requirement> *requirements = nullptr)
{
    QFile file(QStringLiteral(AETHER_SOURCE_DIR "/translations/glossary-zh_CN.md"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        *error = file.errorString();
        return {};
    }
    static const QRegularExpression bar(u"(?<!\\\\)\\|"_s);
    QList<Rule> rules;
    const QStringList lines = QString::fromUtf8(file.readAll()).split(u'\n');
    for (const QString &line : lines) {
        if (!line.startsWith(u"| ") || line.startsWith(u"| English"))
            continue;
        QStringList cells = line.split(bar);
        if (cells.size() < 7) {
            *error = u"a row without its five cells: %1"_s.arg(line);
            return {};
        }
        for (QString &cell : cells)
            cell = cell.trimmed().replace(u"\\|"_s, u"|"_s);
        const QString english = cells.at(1);
        QStringList approved;
        for (const QString &term : withoutNotes(cells.at(2)).split(QRegularExpression(u"\\s*[/;]\\s*"_s)))
            if (!term.isEmpty())
                approved << term;
        *approvedTerms << approved;
        static const QRegularExpression required(u"^`(.+)` → (.+)$"_s);
        if (const QRegularExpressionMatch m = required.match(cells.at(5)); m.hasMatch() && requirements) {
            Requirement requirement{english, QRegularExpression(m.captured(1)), m.captured(2).split(u", "_s)};
            if (!requirement.where.isValid()) {
                *error = u"row \"%1\": %2"_s.arg(english, requirement.where.errorString());
                return {};
            }
            *requirements << requirement;
        } else if (!m.hasMatch() && cells.at(5) != u"—") {
            *error = u"row \"%1\": the last cell is neither `where` → terms nor —"_s.arg(english);
            return {};
        }
        QString where = cells.at(4);
        if (cells.at(3) == u"—")
            continue;
        if (!where.startsWith(u'`') || !where.endsWith(u'`')) {
            *error = u"no `where` for the row \"%1\""_s.arg(english);
            return {};
        }
        where = where.mid(1, where.size() - 2);
        for (QString forbidden : cells.at(3).split(u',')) {
            forbidden = withoutNotes(forbidden);
            Rule rule{english, approved, forbidden, false, QRegularExpression(where)};
            if (rule.forbidden.endsWith(u" alone")) {
                rule.forbidden.chop(6);
                rule.alone = true;
            }
            if (!rule.where.isValid()) {
                *error = u"row \"%1\": %2"_s.arg(english, rule.where.errorString());
                return {};
            }
            rules << rule;
        }
    }
    return rules;
}

// Everything in a translation that is not prose: placeholders, markup, and words with digits or the characters of
// commands, options, paths and addresses.
QString prose(QString text)
{
    static const QRegularExpression markup(u"<[^>]*>|&[a-z]+;|%L?\\d+|%n"_s);
    static const QRegularExpression technical(u"\\S*[0-9\\-/_.:=@$\\[\\]{}|]\\S*"_s);
    text.remove(markup);
    return text.replace(technical, u" · "_s);
}

// Whether `found` is empty; each finding on its own line of the test's output when it is not.
bool noneFound(const QStringList &found)
{
    for (const QString &f : found)
        qWarning().noquote() << f;
    return found.isEmpty();
}

} // namespace

class TestGlossary : public QObject {
    Q_OBJECT

private slots:
    void glossaryTermsAreUsed()
    {
        QString error;
        QStringList approved;
        const QList<Rule> rules = glossary(&approved, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(rules.size() >= 15);
        const QList<Entry> entries = catalogue(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(entries.size() > 500);
        // Words that contain a "not" term and mean something else (arrow keys, right-click, shortcut, keyboard).
        approved << u"方向键"_s << u"中键"_s << u"右键"_s << u"左键"_s << u"快捷键"_s << u"键盘"_s << u"按键"_s;
        std::sort(approved.begin(), approved.end(),
                  [](const QString &a, const QString &b) { return a.size() > b.size(); });
        QStringList found;
        int checked = 0;
        QStringList unused;
        for (const Rule &rule : rules) {
            int matched = 0;
            for (const Entry &e : entries) {
                if (!rule.where.match(e.source).hasMatch())
                    continue;
                ++checked;
                ++matched;
                if (rule.alone) {
                    if (e.translation.trimmed() == rule.forbidden)
                        found << u"%1 \"%2\" → %3 (the row \"%4\")"_s.arg(e.context, e.source, e.translation,
                                                                          rule.english);
                    continue;
                }
                QString text = e.translation;
                for (const QString &term : std::as_const(approved)) {
                    if (!rule.forbidden.contains(term)) // 密钥 would hide 导出密钥
                        text.replace(term, u"·"_s);
                }
                if (text.contains(rule.forbidden))
                    found << u"%1 \"%2\" → %3: \"%4\" (the row \"%5\")"_s.arg(
                        e.context, e.source.left(80), e.translation.left(80), rule.forbidden, rule.english);
            }
            if (matched == 0) // an expression that finds nothing checks nothing
                unused << rule.english + u" / "_s + rule.forbidden;
        }
        QVERIFY2(unused.isEmpty(),
                 qPrintable(u"rows whose expression matches no English text: "_s + unused.join(u"; "_s)));
        QVERIFY(checked > 100);
        QVERIFY2(noneFound(found), "translations with a term of the glossary's \"not\" column: see above");
    }

    // The other way round: where the English text is about a glossary term, the translation uses it (the learned
    // limit is 学习值 or 学习到的并发限制 everywhere, a probe increase 探测性扩容…).
    void approvedTermsAreUsed()
    {
        QString error;
        QStringList approved;
        QList<Requirement> requirements;
        glossary(&approved, &error, &requirements);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(requirements.size() >= 25);
        const QList<Entry> entries = catalogue(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QStringList found;
        int checked = 0;
        QStringList unused;
        for (const Requirement &r : std::as_const(requirements)) {
            int matched = 0;
            for (const Entry &e : entries) {
                if (e.context == u"HttpMessage" || !r.where.match(e.source).hasMatch())
                    continue;
                ++checked;
                ++matched;
                if (std::none_of(r.terms.begin(), r.terms.end(),
                                 [&e](const QString &term) { return e.translation.contains(term); }))
                    found << u"%1 \"%2\" → %3: none of %4 (the row \"%5\")"_s.arg(
                        e.context, e.source.left(80), e.translation.left(80), r.terms.join(u", "_s), r.english);
            }
            if (matched == 0) // an expression that finds nothing checks nothing
                unused << r.english;
        }
        QVERIFY2(unused.isEmpty(),
                 qPrintable(u"rows whose expression matches no English text: "_s + unused.join(u"; "_s)));
        QVERIFY(checked > 200);
        QVERIFY2(noneFound(found), "translations without the glossary's term: see above");
    }

    void noEnglishInsideChinese()
    {
        QString error;
        const QList<Entry> entries = catalogue(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        static const QRegularExpression englishRun(u"\\b[A-Za-z]+(?: [A-Za-z]+){2,}\\b"_s);
        QStringList found;
        for (const Entry &e : entries) {
            // The API contract's messages are kept as the original service writes them, English parts included.
            if (e.context == u"HttpMessage")
                continue;
            const QRegularExpressionMatch run = englishRun.match(prose(e.translation));
            if (run.hasMatch())
                found << u"%1 \"%2\" → %3: \"%4\""_s.arg(e.context, e.source.left(60), e.translation.left(80),
                                                         run.captured());
        }
        QVERIFY2(noneFound(found), "translations with English prose: see above");
    }

    // The glossary's style: a space between Chinese and Latin letters or numbers (并发 429 次数, HTTP 接口),
    // placeholders included (the window also keeps spaces out from between two Chinese words when a placeholder is
    // Chinese).
    void latinAndChineseAreSpaced()
    {
        QString error;
        const QList<Entry> entries = catalogue(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // Ideographs only: \\p{Han} also takes the punctuation 、。 (after which no space goes).
        static const QRegularExpression touching(
            u"[\\x{4e00}-\\x{9fff}][A-Za-z0-9%]|[A-Za-z0-9][\\x{4e00}-\\x{9fff}]"_s);
        QStringList found;
        for (const Entry &e : entries) {
            if (e.context == u"HttpMessage") // the contract's own spelling (合法的JSON)
                continue;
            if (const QRegularExpressionMatch m = touching.match(e.translation); m.hasMatch())
                found << u"%1 \"%2\" → %3: \"%4\""_s.arg(e.context, e.source.left(60), e.translation.left(80),
                                                         m.captured());
        }
        QVERIFY2(noneFound(found), "Chinese touching Latin letters or numbers: see above");
    }

    // The test itself: a term of the "not" column is found, an approved one is not, and English prose is.
    void checksFindWhatTheyLookFor()
    {
        QString error;
        QStringList approved;
        const QList<Rule> rules = glossary(&approved, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const auto rule = [&](const QString &forbidden) {
            const auto it =
                std::find_if(rules.begin(), rules.end(), [&](const Rule &r) { return r.forbidden == forbidden; });
            return it == rules.end() ? Rule{} : *it;
        };
        QVERIFY(rule(u"学习限制"_s).where.match(u"Learned limit"_s).hasMatch());
        QVERIFY(rule(u"策略"_s).where.match(u"Strategy"_s).hasMatch());
        QVERIFY(rule(u"从未"_s).alone);
        QVERIFY(rule(u"并发 429"_s).where.match(u"Concurrency 429s"_s).hasMatch());
        QVERIFY(!rule(u"并发 429"_s).where.match(u"Concurrency 429"_s).hasMatch());
        QVERIFY(approved.contains(u"并发 429 次数"_s));
        QVERIFY(approved.contains(u"HTTP 接口"_s));
        QList<Requirement> requirements;
        glossary(&approved, &error, &requirements);
        const auto requirement = [&](const QString &term) {
            const auto it = std::find_if(requirements.begin(), requirements.end(),
                                         [&](const Requirement &r) { return r.terms.contains(term); });
            return it == requirements.end() ? Requirement{} : *it;
        };
        QVERIFY(requirement(u"学习值"_s).where.match(u"Learned limit"_s).hasMatch());
        QVERIFY(requirement(u"学习值"_s).terms.contains(u"学习到的并发限制"_s));
        QVERIFY(requirement(u"密钥"_s).where.match(u"Export the key list"_s).hasMatch());
        QVERIFY(!requirement(u"密钥"_s).where.match(u"The PEM private key of --tls-cert."_s).hasMatch());
        QVERIFY(!requirement(u"密钥"_s).where.match(u"--demo-keys takes a positive number"_s).hasMatch());
        QVERIFY(!requirement(u"令牌"_s).where.match(u"Long outputs (median 2,000 tokens)"_s).hasMatch());
        QVERIFY(
            prose(u"数据库地址无效：unsupported database URL scheme: mysql"_s).contains(u"unsupported database URL"_s));
        QVERIFY(!prose(u"请使用 --tls-cert/--tls-key 或 sqlite:///abs/path（%1）"_s).contains(u"tls"_s));
    }
};

QTEST_GUILESS_MAIN(TestGlossary)
#include "tst_glossary.moc"
