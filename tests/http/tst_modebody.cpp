// parseModeBody / parseIntegerString: the PATCH /keys/{id}/mode body read with the seed's (pydantic lax-mode)
// coercions, and the first error it reports.

#include "modebody.h"
#include "testenvironment.h"

#include <QLocale>
#include <QStandardPaths>
#include <QTest>

#include <limits>

using namespace Qt::StringLiterals;
using aether::http::BodyProblem;
using aether::http::ModeRequest;

namespace {

// Expected outcome kinds in the data rows: a parsed request, or one of BodyProblem::Kind.
enum Outcome { Parsed, Empty, InvalidJson, Field };

} // namespace

class TestModeBody : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void problems_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("outcome");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("reason");

        QTest::newRow("empty") << QByteArray() << int(Empty) << QString() << QString();
        QTest::newRow("blank is not empty") << " "_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("not JSON") << "enabled=true"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("truncated object") << "{\"enabled\":true"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("trailing garbage") << "{\"enabled\":true} x"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("two values") << "1,2"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("two arrays") << "[1] [2]"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("unbalanced bracket") << "5]"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("invalid UTF-8 in a string")
            << "{\"enabled\":\"\xff\"}"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("invalid UTF-8 outside strings")
            << "{\"enabled\":true}\xc3"_ba << int(InvalidJson) << QString() << QString();
        QTest::newRow("BOM") << "\xEF\xBB\xBF{\"enabled\":true}"_ba << int(InvalidJson) << QString() << QString();

        QTest::newRow("array") << "[]"_ba << int(Field) << QString() << u"dict_type"_s;
        QTest::newRow("array of objects") << "[{\"enabled\":true}]"_ba << int(Field) << QString() << u"dict_type"_s;
        QTest::newRow("null") << "null"_ba << int(Field) << QString() << u"dict_type"_s;
        QTest::newRow("string") << "\"x\""_ba << int(Field) << QString() << u"dict_type"_s;
        QTest::newRow("number") << "5"_ba << int(Field) << QString() << u"dict_type"_s;
        QTest::newRow("true") << " true\n"_ba << int(Field) << QString() << u"dict_type"_s;

        QTest::newRow("{}") << "{}"_ba << int(Field) << u"enabled"_s << u"missing"_s;
        QTest::newRow("only fixed_limit") << "{\"fixed_limit\":5}"_ba << int(Field) << u"enabled"_s << u"missing"_s;
        QTest::newRow("enabled null") << "{\"enabled\":null}"_ba << int(Field) << u"enabled"_s << u"bool_type"_s;
        QTest::newRow("enabled array") << "{\"enabled\":[]}"_ba << int(Field) << u"enabled"_s << u"bool_type"_s;
        QTest::newRow("enabled object") << "{\"enabled\":{\"x\":1}}"_ba << int(Field) << u"enabled"_s << u"bool_type"_s;
        QTest::newRow("enabled \"abc\"") << "{\"enabled\":\"abc\"}"_ba << int(Field) << u"enabled"_s
                                         << u"bool_parsing"_s;
        QTest::newRow("enabled \"\"") << "{\"enabled\":\"\"}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("enabled 2") << "{\"enabled\":2}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("enabled -1") << "{\"enabled\":-1}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("enabled 0.5") << "{\"enabled\":0.5}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("enabled \"2\"") << "{\"enabled\":\"2\"}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("enabled \"truthy\"")
            << "{\"enabled\":\"truthy\"}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;

        QTest::newRow("fixed_limit \"abc\"")
            << "{\"enabled\":false,\"fixed_limit\":\"abc\"}"_ba << int(Field) << u"fixed_limit"_s << u"int_parsing"_s;
        QTest::newRow("fixed_limit \"\"")
            << "{\"enabled\":false,\"fixed_limit\":\"\"}"_ba << int(Field) << u"fixed_limit"_s << u"int_parsing"_s;
        QTest::newRow("fixed_limit \"5.5\"")
            << "{\"enabled\":false,\"fixed_limit\":\"5.5\"}"_ba << int(Field) << u"fixed_limit"_s << u"int_parsing"_s;
        QTest::newRow("fixed_limit 5.5") << "{\"enabled\":false,\"fixed_limit\":5.5}"_ba << int(Field)
                                         << u"fixed_limit"_s << u"int_from_float"_s;
        QTest::newRow("fixed_limit -0.25")
            << "{\"enabled\":true,\"fixed_limit\":-0.25}"_ba << int(Field) << u"fixed_limit"_s << u"int_from_float"_s;
        QTest::newRow("fixed_limit []") << "{\"enabled\":false,\"fixed_limit\":[]}"_ba << int(Field) << u"fixed_limit"_s
                                        << u"int_type"_s;
        QTest::newRow("fixed_limit {}") << "{\"enabled\":false,\"fixed_limit\":{}}"_ba << int(Field) << u"fixed_limit"_s
                                        << u"int_type"_s;
        QTest::newRow("fixed_limit checked when enabled is true")
            << "{\"enabled\":true,\"fixed_limit\":\"abc\"}"_ba << int(Field) << u"fixed_limit"_s << u"int_parsing"_s;

        QTest::newRow("enabled reported before fixed_limit")
            << "{\"fixed_limit\":\"abc\",\"enabled\":\"abc\"}"_ba << int(Field) << u"enabled"_s << u"bool_parsing"_s;
        QTest::newRow("missing enabled reported before fixed_limit")
            << "{\"fixed_limit\":[]}"_ba << int(Field) << u"enabled"_s << u"missing"_s;
        QTest::newRow("null enabled reported before fixed_limit")
            << "{\"enabled\":null,\"fixed_limit\":5.5}"_ba << int(Field) << u"enabled"_s << u"bool_type"_s;
    }

    void problems()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, outcome);
        QFETCH(QString, field);
        QFETCH(QString, reason);

        const std::variant<ModeRequest, BodyProblem> parsed = aether::http::parseModeBody(body);
        QVERIFY2(std::holds_alternative<BodyProblem>(parsed), "the body was accepted");
        const BodyProblem &problem = std::get<BodyProblem>(parsed);
        const BodyProblem::Kind kind = outcome == Empty         ? BodyProblem::Kind::Empty
                                       : outcome == InvalidJson ? BodyProblem::Kind::InvalidJson
                                                                : BodyProblem::Kind::Field;
        QCOMPARE(int(problem.kind), int(kind));
        QCOMPARE(problem.field, field);
        QCOMPARE(problem.reason, reason);
    }

    void accepted_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("enabled");
        QTest::addColumn<bool>("hasLimit");
        QTest::addColumn<qint64>("limit");

        // enabled: the accepted forms
        QTest::newRow("true") << "{\"enabled\":true}"_ba << true << false << qint64(0);
        QTest::newRow("false") << "{\"enabled\":false}"_ba << false << false << qint64(0);
        QTest::newRow("1") << "{\"enabled\":1}"_ba << true << false << qint64(0);
        QTest::newRow("0") << "{\"enabled\":0}"_ba << false << false << qint64(0);
        QTest::newRow("1.0") << "{\"enabled\":1.0}"_ba << true << false << qint64(0);
        QTest::newRow("0.0") << "{\"enabled\":0.0}"_ba << false << false << qint64(0);
        const QList<std::pair<const char *, bool>> words{
            {"true", true}, {"false", false}, {"yes", true}, {"no", false},  {"on", true}, {"off", false},
            {"1", true},    {"0", false},     {"t", true},   {"f", false},   {"y", true},  {"n", false},
            {"TRUE", true}, {"False", false}, {"YES", true}, {"Off", false}, {"oN", true}, {"N", false},
            {"T", true},    {"F", false},     {"Y", true},   {"No", false}};
        for (const auto &[word, value] : words) {
            QTest::addRow("\"%s\"", word)
                << "{\"enabled\":\"" + QByteArray(word) + "\"}" << value << false << qint64(0);
        }

        // fixed_limit: the accepted forms
        QTest::newRow("limit 5") << "{\"enabled\":false,\"fixed_limit\":5}"_ba << false << true << qint64(5);
        QTest::newRow("limit 5.0") << "{\"enabled\":false,\"fixed_limit\":5.0}"_ba << false << true << qint64(5);
        QTest::newRow("limit 1e2") << "{\"enabled\":false,\"fixed_limit\":1e2}"_ba << false << true << qint64(100);
        QTest::newRow("limit \"5\"") << "{\"enabled\":false,\"fixed_limit\":\"5\"}"_ba << false << true << qint64(5);
        QTest::newRow("limit \" 7 \"") << "{\"enabled\":false,\"fixed_limit\":\" 7 \"}"_ba << false << true
                                       << qint64(7);
        QTest::newRow("limit \"8.00\"") << "{\"enabled\":false,\"fixed_limit\":\"8.00\"}"_ba << false << true
                                        << qint64(8);
        QTest::newRow("limit true") << "{\"enabled\":false,\"fixed_limit\":true}"_ba << false << true << qint64(1);
        QTest::newRow("limit false") << "{\"enabled\":false,\"fixed_limit\":false}"_ba << false << true << qint64(0);
        // Range checks belong to the core (KeyService), not to the parser.
        QTest::newRow("limit 0 passes the parser")
            << "{\"enabled\":false,\"fixed_limit\":0}"_ba << false << true << qint64(0);
        QTest::newRow("limit -3 passes the parser")
            << "{\"enabled\":false,\"fixed_limit\":-3}"_ba << false << true << qint64(-3);
        QTest::newRow("limit 101 passes the parser")
            << "{\"enabled\":false,\"fixed_limit\":101}"_ba << false << true << qint64(101);
        QTest::newRow("limit null") << "{\"enabled\":false,\"fixed_limit\":null}"_ba << false << false << qint64(0);
        QTest::newRow("limit missing") << "{\"enabled\":false}"_ba << false << false << qint64(0);
        QTest::newRow("limit with enabled true")
            << "{\"enabled\":\"yes\",\"fixed_limit\":\"42\"}"_ba << true << true << qint64(42);

        // the rest of the body
        QTest::newRow("extra fields ignored")
            << "{\"enabled\":true,\"other\":[1,{}],\"x\":null}"_ba << true << false << qint64(0);
        QTest::newRow("white space around")
            << " \r\n{ \"enabled\" : false , \"fixed_limit\" : 9 }\n "_ba << false << true << qint64(9);
        QTest::newRow("UTF-8 in an extra field")
            << "{\"enabled\":true,\"note\":\"\xe4\xb8\xad\xe6\x96\x87\"}"_ba << true << false << qint64(0);
    }

    void accepted()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, enabled);
        QFETCH(bool, hasLimit);
        QFETCH(qint64, limit);

        const std::variant<ModeRequest, BodyProblem> parsed = aether::http::parseModeBody(body);
        if (const BodyProblem *problem = std::get_if<BodyProblem>(&parsed)) {
            QFAIL(qPrintable(u"rejected: kind %1, field '%2', reason '%3'"_s.arg(int(problem->kind))
                                 .arg(problem->field, problem->reason)));
        }
        const ModeRequest &request = std::get<ModeRequest>(parsed);
        QCOMPARE(request.enabled, enabled);
        QCOMPARE(request.fixedLimit.has_value(), hasLimit);
        if (hasLimit)
            QCOMPARE(*request.fixedLimit, limit);
    }

    void parseIntegerString_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("value");

        QTest::newRow("5") << u"5"_s << true << qint64(5);
        QTest::newRow("padded") << u" 7 "_s << true << qint64(7);
        QTest::newRow("tabs and newlines") << u"\t42\n"_s << true << qint64(42);
        QTest::newRow("plus sign") << u"+3"_s << true << qint64(3);
        QTest::newRow("minus sign") << u"-4"_s << true << qint64(-4);
        QTest::newRow("minus zero") << u" -0 "_s << true << qint64(0);
        QTest::newRow("leading zeros") << u"007"_s << true << qint64(7);
        QTest::newRow("zero fraction") << u"5.0"_s << true << qint64(5);
        QTest::newRow("zeros fraction") << u"12.000"_s << true << qint64(12);
        QTest::newRow("bare dot") << u"5."_s << true << qint64(5);
        QTest::newRow("negative with zero fraction") << u"-9.00"_s << true << qint64(-9);
        QTest::newRow("int64 max") << u"9223372036854775807"_s << true << std::numeric_limits<qint64>::max();
        QTest::newRow("overflow saturates") << u"99999999999999999999"_s << true << std::numeric_limits<qint64>::max();

        QTest::newRow("empty") << QString() << false << qint64(0);
        QTest::newRow("blank") << u"   "_s << false << qint64(0);
        QTest::newRow("letters") << u"abc"_s << false << qint64(0);
        QTest::newRow("trailing letters") << u"12abc"_s << false << qint64(0);
        QTest::newRow("non-zero fraction") << u"5.5"_s << false << qint64(0);
        QTest::newRow("fraction 5.01") << u"5.01"_s << false << qint64(0);
        QTest::newRow("no digits before the dot") << u".0"_s << false << qint64(0);
        QTest::newRow("sign only") << u"-"_s << false << qint64(0);
        QTest::newRow("two signs") << u"--5"_s << false << qint64(0);
        QTest::newRow("plus minus") << u"+-5"_s << false << qint64(0);
        QTest::newRow("exponent") << u"1e3"_s << false << qint64(0);
        QTest::newRow("hex") << u"0x10"_s << false << qint64(0);
        QTest::newRow("inner space") << u"1 2"_s << false << qint64(0);
        QTest::newRow("space after sign") << u"- 5"_s << false << qint64(0);
        QTest::newRow("full-width digits") << u"\uFF15"_s << false << qint64(0);
        QTest::newRow("Arabic-Indic digits") << u"\u0665"_s << false << qint64(0);
    }

    void parseIntegerString()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(qint64, value);

        const std::optional<qint64> parsed = aether::http::parseIntegerString(text);
        QCOMPARE(parsed.has_value(), valid);
        if (valid)
            QCOMPARE(*parsed, value);
    }
};

QTEST_GUILESS_MAIN(TestModeBody)
#include "tst_modebody.moc"
