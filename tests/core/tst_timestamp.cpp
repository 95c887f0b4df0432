// Timestamp: ISO 8601 parsing of what SQLite and PostgreSQL hand back, and Python isoformat()-style output with
// microseconds kept.

#include "base/timestamp.h"
#include "testenvironment.h"

#include <QDateTime>
#include <QLocale>
#include <QStandardPaths>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::Timestamp;

namespace {

// Microseconds since the epoch of a UTC wall-clock time, computed independently of the class under test.
qint64 utcMicros(int y, int mo, int d, int h, int mi, int s, int us = 0)
{
    return QDateTime(QDate(y, mo, d), QTime(h, mi, s), Qt::UTC).toMSecsSinceEpoch() * 1000 + us;
}

const qint64 christmas = utcMicros(2025, 12, 25, 14, 47, 8); // 2025-12-25T14:47:08Z

} // namespace

class TestTimestamp : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { aether::test::useTestEnvironment(); }

    void parse_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<qint64>("micros");

        QTest::newRow("isoformat with microseconds")
            << u"2025-12-25T14:47:08.123456+00:00"_s << true << christmas + 123456;
        QTest::newRow("isoformat without fraction") << u"2025-12-25T14:47:08+00:00"_s << true << christmas;
        QTest::newRow("postgres text output") << u"2025-12-25 14:47:08.123456+00"_s << true << christmas + 123456;
        QTest::newRow("postgres without fraction") << u"2025-12-25 14:47:08+00"_s << true << christmas;
        QTest::newRow("postgres negative offset") << u"2025-12-25 06:47:08.000042-08"_s << true << christmas + 42;
        QTest::newRow("one microsecond") << u"2025-12-25T14:47:08.000001+00:00"_s << true << christmas + 1;
        QTest::newRow("offset +02:00") << u"2025-12-25T16:47:08.5+02:00"_s << true << christmas + 500000;
        QTest::newRow("offset -0530") << u"2025-12-25T09:17:08.000007-0530"_s << true << christmas + 7;
        QTest::newRow("offset +09:30 across midnight") << u"2025-12-26T00:17:08+09:30"_s << true << christmas;
        QTest::newRow("offset +hh") << u"2025-12-25T15:47:08+01"_s << true << christmas;
        QTest::newRow("Z") << u"2025-12-25T14:47:08Z"_s << true << christmas;
        QTest::newRow("lower-case t and z") << u"2025-12-25t14:47:08.25z"_s << true << christmas + 250000;
        QTest::newRow("no offset means UTC") << u"2025-12-25T14:47:08.654321"_s << true << christmas + 654321;
        QTest::newRow("comma fraction") << u"2025-12-25T14:47:08,75Z"_s << true << christmas + 750000;
        QTest::newRow("nanoseconds truncated")
            << u"2025-12-25T14:47:08.123456789+00:00"_s << true << christmas + 123456;
        QTest::newRow("milliseconds") << u"2025-12-25T14:47:08.120+00:00"_s << true << christmas + 120000;
        QTest::newRow("surrounding white space") << u"  2025-12-25T14:47:08Z \n"_s << true << christmas;
        QTest::newRow("minutes only") << u"2025-12-25T14:47+00:00"_s << true << christmas - 8 * 1000000;
        QTest::newRow("date only") << u"2025-12-25"_s << true << utcMicros(2025, 12, 25, 0, 0, 0);
        QTest::newRow("leap day") << u"2024-02-29T23:59:59.999999+00:00"_s << true
                                  << utcMicros(2024, 2, 29, 23, 59, 59, 999999);
        QTest::newRow("epoch") << u"1970-01-01T00:00:00+00:00"_s << true << qint64(0);
        QTest::newRow("before the epoch") << u"1969-12-31T23:59:59.999999+00:00"_s << true << qint64(-1);

        QTest::newRow("empty") << QString() << false << qint64(0);
        QTest::newRow("blank") << u"   "_s << false << qint64(0);
        QTest::newRow("words") << u"yesterday"_s << false << qint64(0);
        QTest::newRow("month 13") << u"2025-13-01T00:00:00Z"_s << false << qint64(0);
        QTest::newRow("February 30") << u"2025-02-30T00:00:00Z"_s << false << qint64(0);
        QTest::newRow("February 29 in a common year") << u"2025-02-29T00:00:00Z"_s << false << qint64(0);
        QTest::newRow("hour 24") << u"2025-12-25T24:00:00Z"_s << false << qint64(0);
        QTest::newRow("minute 60") << u"2025-12-25T14:60:00Z"_s << false << qint64(0);
        QTest::newRow("dot without digits") << u"2025-12-25T14:47:08.Z"_s << false << qint64(0);
        QTest::newRow("one-digit offset") << u"2025-12-25T14:47:08+2"_s << false << qint64(0);
        QTest::newRow("zone name") << u"2025-12-25T14:47:08 UTC"_s << false << qint64(0);
        QTest::newRow("trailing garbage") << u"2025-12-25T14:47:08+00:00x"_s << false << qint64(0);
        QTest::newRow("two-digit year") << u"25-12-25T14:47:08Z"_s << false << qint64(0);
        QTest::newRow("slashes") << u"2025/12/25 14:47:08"_s << false << qint64(0);
        QTest::newRow("one-digit hour") << u"2025-12-25T1:47:08Z"_s << false << qint64(0);
        QTest::newRow("bad separator") << u"2025-12-25X14:47:08Z"_s << false << qint64(0);
        QTest::newRow("hour without minutes") << u"2025-12-25T14Z"_s << false << qint64(0);
        QTest::newRow("epoch seconds") << u"1766674028"_s << false << qint64(0);
    }

    void parse()
    {
        QFETCH(QString, text);
        QFETCH(bool, valid);
        QFETCH(qint64, micros);

        const std::optional<Timestamp> parsed = Timestamp::parse(text);
        QCOMPARE(parsed.has_value(), valid);
        if (valid)
            QCOMPARE(parsed->microseconds(), micros);
    }

    void toIsoString_data()
    {
        QTest::addColumn<qint64>("micros");
        QTest::addColumn<QString>("expected");

        QTest::newRow("microseconds") << christmas + 123456 << u"2025-12-25T14:47:08.123456+00:00"_s;
        QTest::newRow("fraction omitted when zero") << christmas << u"2025-12-25T14:47:08+00:00"_s;
        QTest::newRow("one microsecond") << christmas + 1 << u"2025-12-25T14:47:08.000001+00:00"_s;
        QTest::newRow("half a second keeps six digits") << christmas + 500000 << u"2025-12-25T14:47:08.500000+00:00"_s;
        QTest::newRow("whole milliseconds") << christmas + 120000 << u"2025-12-25T14:47:08.120000+00:00"_s;
        QTest::newRow("epoch") << qint64(0) << u"1970-01-01T00:00:00+00:00"_s;
        QTest::newRow("one microsecond before the epoch") << qint64(-1) << u"1969-12-31T23:59:59.999999+00:00"_s;
        QTest::newRow("one second before the epoch") << qint64(-1000000) << u"1969-12-31T23:59:59+00:00"_s;
        QTest::newRow("leap day") << utcMicros(2024, 2, 29, 0, 0, 0, 10) << u"2024-02-29T00:00:00.000010+00:00"_s;
        QTest::newRow("end of year") << utcMicros(1999, 12, 31, 23, 59, 59, 999999)
                                     << u"1999-12-31T23:59:59.999999+00:00"_s;
    }

    void toIsoString()
    {
        QFETCH(qint64, micros);
        QFETCH(QString, expected);

        QCOMPARE(Timestamp::fromMicroseconds(micros).toIsoString(), expected);
    }

    void roundTrip_data()
    {
        QTest::addColumn<qint64>("micros");
        QTest::newRow("christmas") << christmas + 123456;
        QTest::newRow("whole second") << christmas;
        QTest::newRow("epoch") << qint64(0);
        QTest::newRow("before the epoch") << qint64(-123456789);
        QTest::newRow("far future") << utcMicros(2999, 6, 30, 12, 0, 0, 1);
    }

    void roundTrip()
    {
        QFETCH(qint64, micros);
        const Timestamp original = Timestamp::fromMicroseconds(micros);
        const std::optional<Timestamp> back = Timestamp::parse(original.toIsoString());
        QVERIFY(back.has_value());
        QCOMPARE(back->microseconds(), micros);
        QVERIFY(*back == original);
    }

    void nowIsTheCurrentTime()
    {
        const qint64 before = QDateTime::currentMSecsSinceEpoch() * 1000;
        const Timestamp now = Timestamp::now();
        const qint64 after = (QDateTime::currentMSecsSinceEpoch() + 1) * 1000;
        QVERIFY(now.microseconds() >= before);
        QVERIFY(now.microseconds() < after); // to the microsecond, not only the millisecond
    }

    void epochSecondsAndOrdering()
    {
        const Timestamp a = Timestamp::fromMicroseconds(1500000);
        const Timestamp b = Timestamp::fromMicroseconds(1500001);
        QCOMPARE(a.epochSeconds(), 1.5);
        QVERIFY(a < b);
        QVERIFY(!(b < a));
        QVERIFY(a != b);
        QVERIFY(a == Timestamp::fromMicroseconds(1500000));
        QCOMPARE(Timestamp().microseconds(), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestTimestamp)
#include "tst_timestamp.moc"
