// Differential test against the reference model: every trace of the simulator (sim/traces) is replayed through the
// console's event path (the endpoint's event parser, KeyService and LearningBatch on an in-memory database, with the
// trace's virtual clock), and the learned limit after every event must equal the recorded one. The admissions are
// checked against the gate as replay_check.py does.

#include "simulation/learnerpeer.h"

#include "learning/learningpolicy.h"
#include "testenvironment.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;

class TestTraceReplay : public QObject {
    Q_OBJECT

private slots:
    void replay_data();
    void replay();
    void clampedVariantDiffers();
};

namespace {

struct ReplayResult {
    int checked = 0;
    int differences = 0;
    QString firstDifference;
    qsizetype events = 0; // every line between header and footer
    qsizetype footerEvents = -1;
    bool finalGateMatches = false;
    QString failure; // the replay itself failed (not a difference)
};

std::optional<int> recorded(const QJsonValue &value)
{
    return value.isNull() ? std::optional<int>() : std::optional<int>(value.toInt());
}

// Opens a trace and reads its header; the reason it cannot be replayed, or an empty string.
QString openTrace(QFile &file)
{
    if (!file.open(QIODevice::ReadOnly))
        return u"cannot open "_s + file.fileName();
    const QJsonObject header = QJsonDocument::fromJson(file.readLine()).object();
    if (header.value(u"format"_s).toString() != u"adaptive-concurrency-trace/1"_s ||
        header.value(u"time_unit"_s).toString() != u"us"_s)
        return u"not a trace"_s;
    return {};
}

enum class EventCheck { Same, Differs, Informational, Failed };

// Applies one event of the trace at time t and compares the peer with what the reference recorded; *error tells why
// the peer failed.
EventCheck replayEvent(aether::LearnerPeer &peer, int &inflight, const QJsonObject &e, qint64 t, QString *error)
{
    const QString kind = e.value(u"e"_s).toString();
    bool same = true;
    if (kind == u"admit") {
        const std::optional<int> g = recorded(e.value(u"g"_s));
        same = g == peer.gate() && (!g || inflight < *g);
        ++inflight;
        same = same && e.value(u"cc"_s).toInt() == inflight;
    } else if (kind == u"shed") {
        const std::optional<int> g = recorded(e.value(u"g"_s));
        same = g == peer.gate() && g && inflight >= *g && e.value(u"inf"_s).toInt() == inflight;
    } else if (kind == u"ok" || kind == u"429") {
        --inflight;
        const int cc = e.value(u"cc"_s).toInt();
        const aether::Result<aether::EventOutcome> outcome =
            kind == u"ok" ? peer.success(t, cc) : peer.rateLimited(t, e.value(u"k"_s).toString(), cc);
        if (!outcome) {
            *error = outcome.error().detail;
            return EventCheck::Failed;
        }
        same = peer.gate() == recorded(e.value(u"lim"_s));
        // A recorded reason means the reference changed (or re-set) the limit: we must have written a record.
        if (e.contains(u"r"_s))
            same = same && outcome.value().adjusted;
    } else {
        return EventCheck::Informational; // provider-side changes
    }
    return same ? EventCheck::Same : EventCheck::Differs;
}

ReplayResult replayTrace(const QString &path, const QString &strategy)
{
    ReplayResult r;
    QFile file(path);
    r.failure = openTrace(file);
    if (!r.failure.isEmpty())
        return r;
    aether::LearnerPeer peer(strategy);
    if (!peer.open().ok()) {
        r.failure = u"cannot open the peer"_s;
        return r;
    }
    int inflight = 0;
    qint64 lastT = 0;
    for (int lineNo = 2; !file.atEnd(); ++lineNo) {
        const QByteArray line = file.readLine();
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.value(u"type"_s) == u"footer"_s) {
            r.footerEvents = e.value(u"events"_s).toInteger();
            r.finalGateMatches = peer.gate() == recorded(e.value(u"final_limit"_s));
            break;
        }
        ++r.events;
        const qint64 t = e.value(u"t"_s).toInteger();
        if (t < lastT) {
            r.failure = u"line %1: time went backwards"_s.arg(lineNo);
            return r;
        }
        lastT = t;
        QString error;
        const EventCheck check = replayEvent(peer, inflight, e, t, &error);
        if (check == EventCheck::Failed) {
            r.failure = u"line %1: %2"_s.arg(lineNo).arg(error);
            return r;
        }
        if (check == EventCheck::Informational)
            continue;
        ++r.checked;
        if (check == EventCheck::Differs && r.differences++ == 0)
            r.firstDifference = u"line %1: %2 (our gate %3, in flight %4)"_s.arg(lineNo)
                                    .arg(QString::fromUtf8(line.trimmed()))
                                    .arg(peer.gate() ? QString::number(*peer.gate()) : u"null"_s)
                                    .arg(inflight);
    }
    return r;
}

} // namespace

void TestTraceReplay::replay_data()
{
    QTest::addColumn<QString>("path");
    AETHER_REQUIRE_SHARED(QStringLiteral("sim/traces"));
    const QDir traces(aether::test::sharedPath(QStringLiteral("sim/traces")));
    const QStringList files = traces.entryList({u"*.aether_aimd.jsonl"_s}, QDir::Files, QDir::Name);
    QVERIFY2(files.size() >= 10, qPrintable(u"traces not found in "_s + traces.absolutePath()));
    for (const QString &file : files)
        QTest::newRow(qPrintable(file)) << traces.absoluteFilePath(file);
}

void TestTraceReplay::replay()
{
    QFETCH(QString, path);
    const ReplayResult r = replayTrace(path, aether::LearningPolicy::defaultStrategy());
    QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
    QVERIFY2(r.differences == 0,
             qPrintable(u"%1 differences; first at %2"_s.arg(r.differences).arg(r.firstDifference)));
    QCOMPARE(r.events, r.footerEvents);
    QVERIFY(r.finalGateMatches);
    QVERIFY(r.checked > 1000);
    qInfo("%d admissions, sheds, successes and 429s checked", r.checked);
}

// The replay can tell a wrong model from the right one: the strategy that clamps a concurrency decrease to the old
// limit (one of replay_check.py's deliberately wrong variants) must differ from the reference's trace.
void TestTraceReplay::clampedVariantDiffers()
{
    AETHER_REQUIRE_SHARED(QStringLiteral("sim/traces/steady_overload.aether_aimd.jsonl"));
    const ReplayResult r =
        replayTrace(aether::test::sharedPath(QStringLiteral("sim/traces/steady_overload.aether_aimd.jsonl")),
                    u"aether_aimd_clamped"_s);
    QVERIFY2(r.failure.isEmpty(), qPrintable(r.failure));
    QVERIFY(r.differences > 0);
}

QTEST_GUILESS_MAIN(TestTraceReplay)
#include "tst_tracereplay.moc"
