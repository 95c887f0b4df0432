// The learning without a database: the 429 classifier's rules, the learner's decisions on a key's state (every branch
// of spec/learning.md), Python's rounding, and the policy's validation.

#include "learning/learner.h"
#include "learning/learningbatch.h"
#include "learning/learningevent.h"
#include "learning/learningpolicy.h"
#include "learning/ratelimitclassifier.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <cmath>

using namespace Qt::StringLiterals;
using aether::HeaderList;
using aether::Learner;
using aether::LearningPolicy;
using aether::LearningState;
using aether::RateLimitKind;
using aether::Timestamp;
using aether::UtilizationSample;

Q_DECLARE_METATYPE(aether::RateLimitKind)

namespace {

constexpr qint64 second = 1000000;
constexpr qint64 minute = 60 * second;

Timestamp at(qint64 us)
{
    return Timestamp::fromMicroseconds(us);
}

// Wed, 26 Nov 2026 12:00:00 GMT
const Timestamp noon = Timestamp::fromMicroseconds(1795694400LL * second);

} // namespace

class TestLearner : public QObject {
    Q_OBJECT

private slots:
    void classify_data();
    void classify();
    void retryAfter_data();
    void retryAfter();
    void pythonRound_data();
    void pythonRound();
    void concurrent429();
    void concurrent429WithoutCount();
    void lateConcurrent429RaisesTheLimit();
    void unknown429();
    void rpm429StartsTheCooldown();
    void fixedKeyLearnsNothing();
    void successSamples();
    void windowDropsOldSamples();
    void storedLimitOfZero();
    void samplesOutOfOrder();
    void highUtilizationIncrease();
    void cooldownBlocksIncrease();
    void probeIncrease();
    void capAtMaximum();
    void clampAtMinimum();
    void historyKeepsTheLast();
    void otherFieldsOfSamplesAreKept();
    void reset();
    void policyFromPatch_data();
    void policyFromPatch();
    void policyDrivesTheLearner();
    void clampedStrategy();
    void eventParsing_data();
    void eventParsing();
    void fractionLiterals();
};

void TestLearner::classify_data()
{
    QTest::addColumn<QString>("provider");
    QTest::addColumn<HeaderList>("headers");
    QTest::addColumn<int>("cc"); // -1: unknown
    QTest::addColumn<RateLimitKind>("expected");

    const auto h = [](std::initializer_list<QPair<QString, QString>> list) { return HeaderList(list); };
    const RateLimitKind C = RateLimitKind::Concurrent, R = RateLimitKind::Rpm, U = RateLimitKind::Unknown;
    // Anthropic family (also "claude"), checked first.
    QTest::newRow("anthropic remaining 0")
        << u"anthropic"_s << h({{u"anthropic-ratelimit-requests-remaining"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("anthropic remaining 3")
        << u"anthropic"_s << h({{u"anthropic-ratelimit-requests-remaining"_s, u"3"_s}}) << 5 << C;
    QTest::newRow("claude in the name") << u"my-Claude-proxy"_s
                                        << h({{u"anthropic-ratelimit-requests-remaining"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("anthropic ignores openai headers")
        << u"anthropic"_s << h({{u"x-ratelimit-remaining-requests"_s, u"0"_s}}) << 5 << C;
    QTest::newRow("anthropic wins over openai")
        << u"openai-anthropic"_s << h({{u"anthropic-ratelimit-requests-remaining"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("header names any case")
        << u"Anthropic"_s << h({{u"Anthropic-RateLimit-Requests-Remaining"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("value with spaces") << u"anthropic"_s
                                       << h({{u"anthropic-ratelimit-requests-remaining"_s, u"  0 "_s}}) << 5 << R;
    QTest::newRow("token headers not consulted")
        << u"anthropic"_s << h({{u"anthropic-ratelimit-tokens-remaining"_s, u"0"_s}}) << 5 << C;
    // OpenAI family.
    QTest::newRow("openai remaining 0") << u"OpenAI"_s << h({{u"x-ratelimit-remaining-requests"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("openai remaining 10") << u"openai"_s << h({{u"x-ratelimit-remaining-requests"_s, u"10"_s}}) << 5
                                         << C;
    QTest::newRow("openai ignores generic") << u"openai"_s << h({{u"x-ratelimit-remaining"_s, u"0"_s}}) << 5 << C;
    QTest::newRow("openai tokens not consulted")
        << u"openai"_s << h({{u"x-ratelimit-remaining-tokens"_s, u"0"_s}}) << 5 << C;
    // Generic family.
    QTest::newRow("generic remaining 0") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u"0"_s}}) << 5 << R;
    QTest::newRow("generic remaining 4") << u"gemini"_s << h({{u"X-RateLimit-Remaining"_s, u"4"_s}}) << 5 << C;
    QTest::newRow("generic ignores anthropic")
        << u"gemini"_s << h({{u"anthropic-ratelimit-requests-remaining"_s, u"0"_s}}) << 5 << C;
    // Concurrency needs cc >= 2.
    QTest::newRow("cc 1") << u"anthropic"_s << HeaderList() << 1 << U;
    QTest::newRow("cc 0") << u"anthropic"_s << HeaderList() << 0 << U;
    QTest::newRow("cc unknown") << u"anthropic"_s << HeaderList() << -1 << U;
    QTest::newRow("cc 2, no headers") << u"anthropic"_s << HeaderList() << 2 << C;
    QTest::newRow("rpm wins with cc 1") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u"0"_s}}) << 1 << R;
    QTest::newRow("negative remaining") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u"-1"_s}}) << 5 << U;
    // Garbage integers count as absent.
    QTest::newRow("remaining garbage") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u"zero"_s}}) << 5 << C;
    QTest::newRow("remaining float") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u"0.0"_s}}) << 5 << C;
    QTest::newRow("remaining empty") << u"gemini"_s << h({{u"x-ratelimit-remaining"_s, u""_s}}) << 5 << C;
    // Retry-After: up to 30 s is still concurrency.
    QTest::newRow("retry-after 30") << u"gemini"_s << h({{u"retry-after"_s, u"30"_s}}) << 5 << C;
    QTest::newRow("retry-after 31") << u"gemini"_s << h({{u"Retry-After"_s, u"31"_s}}) << 5 << U;
    QTest::newRow("retry-after garbage") << u"gemini"_s << h({{u"retry-after"_s, u"soon"_s}}) << 5 << C;
    QTest::newRow("retry-after date in 20 s")
        << u"gemini"_s << h({{u"retry-after"_s, u"Thu, 26 Nov 2026 12:00:20 GMT"_s}}) << 5 << C;
    QTest::newRow("retry-after date in 2 min")
        << u"gemini"_s << h({{u"retry-after"_s, u"Thu, 26 Nov 2026 12:02:00 GMT"_s}}) << 5 << U;
    QTest::newRow("retry-after date passed")
        << u"gemini"_s << h({{u"retry-after"_s, u"Thu, 26 Nov 2026 11:00:00 GMT"_s}}) << 5 << C;
    QTest::newRow("huge retry-after") << u"gemini"_s << h({{u"retry-after"_s, u"9999999999999999999999"_s}}) << 5 << U;
    QTest::newRow("long zero remaining") << u"gemini"_s
                                         << h({{u"x-ratelimit-remaining"_s, u"0000000000000000000000"_s}}) << 5 << R;
    QTest::newRow("name with spaces is another header")
        << u"gemini"_s << h({{u" x-ratelimit-remaining "_s, u"0"_s}}) << 5 << C;
    QTest::newRow("no Unicode case folding")
        << u"anthropic"_s << h({{u"anthropic-ratelimit-requeſts-remaining"_s, u"0"_s}}) << 5 << C;
    QTest::newRow("rpm with long retry-after")
        << u"openai"_s << h({{u"x-ratelimit-remaining-requests"_s, u"0"_s}, {u"retry-after"_s, u"60"_s}}) << 5 << R;
}

void TestLearner::classify()
{
    QFETCH(QString, provider);
    QFETCH(HeaderList, headers);
    QFETCH(int, cc);
    QFETCH(RateLimitKind, expected);
    const std::optional<int> count = cc < 0 ? std::nullopt : std::optional<int>(cc);
    QCOMPARE(aether::classifyRateLimit(headers, provider, count, noon).kind, expected);
}

void TestLearner::retryAfter_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<double>("seconds"); // NaN: absent
    const double absent = qQNaN();
    QTest::newRow("seconds") << u"5"_s << 5.0;
    QTest::newRow("spaces") << u" 7 "_s << 7.0;
    QTest::newRow("zero") << u"0"_s << 0.0;
    QTest::newRow("imf-fixdate") << u"Thu, 26 Nov 2026 12:00:20 GMT"_s << 20.0;
    QTest::newRow("rfc 850") << u"Thursday, 26-Nov-26 12:01:00 GMT"_s << 60.0;
    QTest::newRow("asctime") << u"Thu Nov 26 12:00:05 2026"_s << 5.0;
    QTest::newRow("asctime one-digit day") << u"Tue Dec  1 12:00:00 2026"_s << 5.0 * 86400;
    QTest::newRow("past date") << u"Thu, 26 Nov 2026 11:59:00 GMT"_s << -60.0;
    QTest::newRow("fraction") << u"1.5"_s << absent;
    QTest::newRow("word") << u"later"_s << absent;
    QTest::newRow("empty") << u""_s << absent;
    QTest::newRow("bad month") << u"Thu, 26 Foo 2026 12:00:20 GMT"_s << absent;
    QTest::newRow("bad day") << u"Thu, 31 Nov 2026 12:00:20 GMT"_s << absent;
    QTest::newRow("not GMT") << u"Thu, 26 Nov 2026 12:00:20 CET"_s << absent;
}

void TestLearner::retryAfter()
{
    QFETCH(QString, value);
    QFETCH(double, seconds);
    const std::optional<double> parsed = aether::parseRetryAfter(value, noon);
    if (qIsNaN(seconds)) {
        QVERIFY(!parsed);
        return;
    }
    QVERIFY(parsed);
    QCOMPARE(*parsed, seconds);
}

void TestLearner::pythonRound_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<int>("digits");
    QTest::addColumn<double>("expected");
    // Values checked with CPython 3: round(x, n).
    QTest::newRow("1/80") << 1.0 / 80 << 3 << 0.013;
    QTest::newRow("0.0005") << 0.0005 << 3 << 0.001;
    QTest::newRow("2.675") << 2.675 << 2 << 2.67; // the double is below 2.675
    QTest::newRow("7/50") << 7.0 / 50 << 3 << 0.14;
    QTest::newRow("1/3") << 1.0 / 3 << 3 << 0.333;
    QTest::newRow("2/3") << 2.0 / 3 << 2 << 0.67;
    QTest::newRow("0.125") << 0.125 << 2 << 0.12; // exact half: to even
    QTest::newRow("0.375") << 0.375 << 2 << 0.38;
    QTest::newRow("above 1") << 61.0 / 50 << 3 << 1.22;
}

void TestLearner::pythonRound()
{
    QFETCH(double, value);
    QFETCH(int, digits);
    QFETCH(double, expected);
    QCOMPARE(Learner::pythonRound(value, digits), expected);
}

void TestLearner::concurrent429()
{
    LearningState state;
    const aether::LearningDecision d = Learner().handle429(state, RateLimitKind::Concurrent, 20, at(5 * second));
    QCOMPARE(state.learned, 17); // trunc(20 × 0.85)
    QCOMPARE(d.limit, 17);
    QVERIFY(d.adjusted);
    QCOMPARE(state.concurrent429Count, 1);
    QCOMPARE(state.rpm429Count, 0);
    QCOMPARE(state.last429At, at(5 * second));
    QCOMPARE(state.last429Type, u"concurrent"_s);
    QCOMPARE(state.lastConcurrentPeak, 20);
    QCOMPARE(d.record.value(u"old_limit"_s).toInt(), 50);
    QCOMPARE(d.record.value(u"new_limit"_s).toInt(), 17);
    QCOMPARE(d.record.value(u"reason"_s).toString(), u"concurrent_429"_s);
    QCOMPARE(d.record.value(u"current_concurrent"_s).toInt(), 20);
    QCOMPARE(d.record.value(u"timestamp"_s).toString(), u"1970-01-01T00:00:05+00:00"_s);
    QCOMPARE(state.history.size(), 1);
}

void TestLearner::concurrent429WithoutCount()
{
    LearningState state;
    state.learned = 40;
    const aether::LearningDecision d = Learner().handle429(state, RateLimitKind::Concurrent, std::nullopt, at(0));
    QCOMPARE(state.learned, 34); // trunc(40 × 0.85)
    QVERIFY(d.record.value(u"current_concurrent"_s).isNull());
    QCOMPARE(state.lastConcurrentPeak, std::nullopt);
    Learner().handle429(state, RateLimitKind::Concurrent, 0, at(1));
    QCOMPARE(state.learned, 28); // cc 0: the current limit
}

void TestLearner::lateConcurrent429RaisesTheLimit()
{
    LearningState state;
    state.learned = 34;
    Learner().handle429(state, RateLimitKind::Concurrent, 42, at(0));
    QCOMPARE(state.learned, 35); // not clamped to the old limit
}

void TestLearner::unknown429()
{
    LearningState state;
    state.learned = 30;
    const aether::LearningDecision d = Learner().handle429(state, RateLimitKind::Unknown, 1, at(0));
    QCOMPARE(state.learned, 27);
    QCOMPARE(d.record.value(u"reason"_s).toString(), u"unknown_429"_s);
    QCOMPARE(state.concurrent429Count, 0);
    QCOMPARE(state.rpm429Count, 0);
    QCOMPARE(state.last429Type, u"unknown"_s);
}

void TestLearner::rpm429StartsTheCooldown()
{
    LearningState state;
    state.learned = 30;
    Learner learner;
    for (int i = 0; i < 4; ++i)
        learner.handleSuccess(state, 30, at(i * second));
    const aether::LearningDecision d = learner.handle429(state, RateLimitKind::Rpm, 30, at(10 * second));
    QVERIFY(!d.adjusted);
    QCOMPARE(d.limit, 30);
    QCOMPARE(state.learned, 30);
    QCOMPARE(state.rpm429Count, 1);
    QVERIFY(state.samples.empty());
    QCOMPARE(state.history.size(), 0);
    // Full utilisation for the next 5 minutes changes nothing: the RPM 429 started the cooldown.
    for (int i = 0; i < 20; ++i)
        QVERIFY(!learner.handleSuccess(state, 30, at(10 * second + i * 10 * second)).adjusted);
    QCOMPARE(state.learned, 30);
}

void TestLearner::fixedKeyLearnsNothing()
{
    LearningState state;
    state.maxConcurrent = 8;
    state.learned = 20;
    Learner learner;
    const aether::LearningDecision d = learner.handle429(state, RateLimitKind::Concurrent, 9, at(0));
    QCOMPARE(d.limit, 8);
    QVERIFY(!d.changed);
    QCOMPARE(state.learned, 20);
    QCOMPARE(state.concurrent429Count, 0);
    QVERIFY(!state.last429At);
    QVERIFY(!learner.handleSuccess(state, 8, at(1)).changed);
    QVERIFY(state.samples.empty());
}

void TestLearner::successSamples()
{
    LearningState state;
    const aether::LearningDecision d = Learner().handleSuccess(state, 1, at(1500000));
    QVERIFY(d.changed);
    QVERIFY(!d.adjusted);
    QCOMPARE(d.limit, std::nullopt);
    QCOMPARE(state.learned, std::nullopt); // nothing learned: no key-level limit
    QCOMPARE(state.samples.size(), size_t(1));
    QCOMPARE(state.samples[0].util, 0.02); // 1 / 50
    QCOMPARE(state.samples[0].ts, 1.5);
}

void TestLearner::windowDropsOldSamples()
{
    LearningState state;
    state.learned = 100;
    Learner learner;
    learner.handleSuccess(state, 10, at(0));
    learner.handleSuccess(state, 10, at(120 * second)); // the first is exactly 120 s old: dropped
    QCOMPARE(state.samples.size(), size_t(1));
    for (int i = 1; i <= 25; ++i)
        learner.handleSuccess(state, 10, at(120 * second + i));
    QCOMPARE(state.samples.size(), size_t(20)); // the last 20
    QCOMPARE(state.samples.back().us, 120 * second + 25);
}

void TestLearner::storedLimitOfZero()
{
    // "learned or initial": a stored 0 counts as nothing learned; utilisation never divides by it.
    LearningState state;
    state.learned = 0;
    Learner learner;
    learner.handleSuccess(state, 10, at(0));
    QCOMPARE(state.samples.back().util, 0.2); // against the initial 50
    state.learned = -4;
    learner.handleSuccess(state, 10, at(1));
    QCOMPARE(state.samples.back().util, 0.0);
    QVERIFY(std::isfinite(state.samples.back().util));
}

void TestLearner::samplesOutOfOrder()
{
    // Samples stored by another writer need not be in order: every one older than the window goes.
    LearningState state;
    state.learned = 100;
    UtilizationSample recent;
    recent.us = 100 * second;
    UtilizationSample old;
    old.us = 1 * second;
    state.samples = {recent, old};
    Learner().handleSuccess(state, 10, at(125 * second));
    QCOMPARE(state.samples.size(), size_t(2));
    QCOMPARE(state.samples.front().us, 100 * second);
}

void TestLearner::highUtilizationIncrease()
{
    LearningState state;
    state.learned = 10;
    Learner learner;
    for (int i = 0; i < 4; ++i)
        QVERIFY(!learner.handleSuccess(state, 7, at(i * second)).adjusted); // 0.7 each, but fewer than 5 samples
    const aether::LearningDecision d = learner.handleSuccess(state, 7, at(4 * second));
    QVERIFY(d.adjusted);
    QCOMPARE(state.learned, 12);
    QCOMPARE(d.record.value(u"reason"_s).toString(), u"high_utilization"_s);
    QCOMPARE(d.record.value(u"avg_utilization"_s).toDouble(), 0.7);
    QCOMPARE(d.record.value(u"high_util_ratio"_s).toDouble(), 1.0);
    QCOMPARE(d.record.value(u"sample_count"_s).toInt(), 5);
    QCOMPARE(d.record.value(u"current_concurrent"_s).toInt(), 7);
    QVERIFY(state.samples.empty());
    QVERIFY(!state.lastProbeAt);
}

void TestLearner::cooldownBlocksIncrease()
{
    LearningState state;
    Learner learner;
    learner.handle429(state, RateLimitKind::Concurrent, 10, at(0)); // learned 8
    for (int i = 1; i <= 10; ++i)
        QVERIFY(!learner.handleSuccess(state, 8, at(5 * minute - 11 * second + i * second)).adjusted);
    QVERIFY(learner.handleSuccess(state, 8, at(5 * minute)).adjusted); // cooldown over, 11 samples at 1.0
    QCOMPARE(state.learned, 10);
}

void TestLearner::probeIncrease()
{
    LearningState state;
    state.learned = 100;
    Learner learner;
    // 10 samples at mean 0.4 (< 60 % high): a probe, since no 429 and no probe is on record.
    for (int i = 0; i < 9; ++i)
        QVERIFY(!learner.handleSuccess(state, 40, at(i * second)).adjusted);
    const aether::LearningDecision d = learner.handleSuccess(state, 40, at(9 * second));
    QVERIFY(d.adjusted);
    QCOMPARE(d.record.value(u"reason"_s).toString(), u"probe_increase"_s);
    QCOMPARE(state.learned, 102);
    QCOMPARE(state.lastProbeAt, at(9 * second));
    // The next probe waits 30 minutes.
    for (int i = 0; i < 10; ++i)
        QVERIFY(!learner.handleSuccess(state, 41, at(10 * second + i * second)).adjusted);
    for (int i = 0; i < 9; ++i)
        learner.handleSuccess(state, 41, at(30 * minute + 9 * second + i));
    QVERIFY(learner.handleSuccess(state, 41, at(30 * minute + 9 * second + 10)).adjusted);
    QCOMPARE(state.learned, 104);
    // Mean below 0.3: no probe.
    LearningState quiet;
    quiet.learned = 100;
    for (int i = 0; i < 15; ++i)
        QVERIFY(!learner.handleSuccess(quiet, 29, at(i * second)).adjusted);
}

void TestLearner::capAtMaximum()
{
    LearningState state;
    state.learned = 199;
    Learner learner;
    for (int i = 0; i < 5; ++i)
        learner.handleSuccess(state, 199, at(i));
    QCOMPARE(state.learned, 200);
    for (int i = 0; i < 10; ++i)
        QVERIFY(!learner.handleSuccess(state, 200, at(10 + i)).adjusted);
    QCOMPARE(state.learned, 200);
}

void TestLearner::clampAtMinimum()
{
    LearningState state;
    state.learned = 3;
    Learner learner;
    learner.handle429(state, RateLimitKind::Concurrent, 2, at(0));
    QCOMPARE(state.learned, 3);
    learner.handle429(state, RateLimitKind::Unknown, 1, at(1));
    QCOMPARE(state.learned, 3);
    QCOMPARE(state.history.size(), 2); // recorded although old = new
}

void TestLearner::historyKeepsTheLast()
{
    LearningState state;
    state.history.append(QJsonObject{{u"reason"_s, u"manual"_s}, {u"by"_s, u"someone else"_s}});
    Learner learner;
    for (int i = 0; i < 25; ++i)
        learner.handle429(state, RateLimitKind::Unknown, 5, at(i));
    QCOMPARE(state.history.size(), 20);
    QCOMPARE(state.history.last().toObject().value(u"timestamp"_s).toString(),
             Timestamp::fromMicroseconds(24).toIsoString());
}

void TestLearner::otherFieldsOfSamplesAreKept()
{
    bool dropped = false;
    auto samples = aether::samplesFromJson(
        u"[{\"ts\":1.5,\"util\":0.2,\"src\":\"gw\"},{\"ts\":\"x\"},3,{\"ts\":2,\"util\":0.4}]"_s, &dropped);
    QVERIFY(samples);
    QVERIFY(dropped);
    QCOMPARE(samples->size(), size_t(2));
    QCOMPARE(samples->at(0).us, 1500000);
    const QJsonArray written = QJsonDocument::fromJson(aether::samplesToJson(*samples)).array();
    QCOMPARE(written.size(), 2);
    QCOMPARE(written.at(0).toObject().value(u"src"_s).toString(), u"gw"_s);
    QCOMPARE(written.at(1).toObject().value(u"util"_s).toDouble(), 0.4);
    QVERIFY(!aether::samplesFromJson(u"{\"not\":\"an array\"}"_s, &dropped));
}

void TestLearner::reset()
{
    LearningState state;
    state.maxConcurrent = 7;
    state.learned = 20;
    state.concurrent429Count = 3;
    state.rpm429Count = 2;
    state.last429At = at(1);
    state.last429Type = u"rpm"_s;
    state.lastConcurrentPeak = 9;
    state.lastProbeAt = at(2);
    state.samples.push_back({});
    state.history.append(QJsonObject());
    Learner::reset(state);
    QCOMPARE(state.maxConcurrent, 7); // the mode is kept
    QVERIFY(!state.learned && !state.last429At && !state.last429Type && !state.lastConcurrentPeak &&
            !state.lastProbeAt);
    QCOMPARE(state.concurrent429Count + state.rpm429Count, 0);
    QVERIFY(state.samples.empty() && state.history.isEmpty());
}

void TestLearner::policyFromPatch_data()
{
    QTest::addColumn<QByteArray>("patch");
    QTest::addColumn<QString>("field"); // empty: accepted
    QTest::addColumn<QString>("reason");

    QTest::newRow("empty") << QByteArray("{}") << QString() << QString();
    QTest::newRow("all valid") << QByteArray(R"({"initial_limit":20,"min_limit":2,"max_limit":40,"increase_step":1,
        "decrease_multiplier":0.5,"unknown_decrease_multiplier":0.75,"cooldown_minutes":0,"utilization_window_size":10,
        "utilization_window_seconds":60,"utilization_threshold":0.8,"high_utilization_ratio":0.5,
        "min_samples_for_decision":3,"probe_interval_minutes":10,"probe_min_samples":10,"probe_min_utilization":0,
        "max_history_records":50,"strategy":"aether_aimd_clamped"})")
                               << QString() << QString();
    QTest::newRow("unknown field") << QByteArray(R"({"min":1})") << u"min"_s << u"extra_forbidden"_s;
    QTest::newRow("min 0") << QByteArray(R"({"min_limit":0})") << u"min_limit"_s << u"greater_than_equal"_s;
    QTest::newRow("initial below min") << QByteArray(R"({"initial_limit":2})") << u"initial_limit"_s
                                       << u"greater_than_equal"_s;
    QTest::newRow("initial above max") << QByteArray(R"({"initial_limit":201})") << u"initial_limit"_s
                                       << u"less_than_equal"_s;
    QTest::newRow("max below min") << QByteArray(R"({"max_limit":10,"min_limit":20,"initial_limit":15})")
                                   << u"max_limit"_s << u"greater_than_equal"_s;
    QTest::newRow("multiplier 1") << QByteArray(R"({"decrease_multiplier":1})") << u"decrease_multiplier"_s
                                  << u"less_than"_s;
    QTest::newRow("multiplier 0") << QByteArray(R"({"unknown_decrease_multiplier":0})")
                                  << u"unknown_decrease_multiplier"_s << u"greater_than"_s;
    QTest::newRow("multiplier string") << QByteArray(R"({"decrease_multiplier":"0.5"})") << u"decrease_multiplier"_s
                                       << u"float_type"_s;
    QTest::newRow("integer as float") << QByteArray(R"({"max_limit":150.5})") << u"max_limit"_s << u"int_from_float"_s;
    QTest::newRow("integer as bool") << QByteArray(R"({"max_limit":true})") << u"max_limit"_s << u"int_type"_s;
    QTest::newRow("probe samples above window")
        << QByteArray(R"({"probe_min_samples":21})") << u"probe_min_samples"_s << u"less_than_equal"_s;
    QTest::newRow("decision samples above window")
        << QByteArray(R"({"utilization_window_size":4})") << u"min_samples_for_decision"_s << u"less_than_equal"_s;
    QTest::newRow("negative cooldown") << QByteArray(R"({"cooldown_minutes":-1})") << u"cooldown_minutes"_s
                                       << u"greater_than_equal"_s;
    QTest::newRow("history 0") << QByteArray(R"({"max_history_records":0})") << u"max_history_records"_s
                               << u"greater_than_equal"_s;
    QTest::newRow("ratio above 1") << QByteArray(R"({"high_utilization_ratio":1.5})") << u"high_utilization_ratio"_s
                                   << u"less_than_equal"_s;
    QTest::newRow("unknown strategy") << QByteArray(R"({"strategy":"gradient"})") << u"strategy"_s
                                      << u"literal_error"_s;
    QTest::newRow("strategy number") << QByteArray(R"({"strategy":1})") << u"strategy"_s << u"string_type"_s;
}

void TestLearner::policyFromPatch()
{
    QFETCH(QByteArray, patch);
    QFETCH(QString, field);
    QFETCH(QString, reason);
    const aether::Result<LearningPolicy> policy =
        LearningPolicy::patched(LearningPolicy{}, QJsonDocument::fromJson(patch).object());
    if (field.isEmpty()) {
        QVERIFY(policy.ok());
        const QJsonObject json = policy.value().toJson();
        const QJsonObject asked = QJsonDocument::fromJson(patch).object();
        for (auto it = asked.begin(); it != asked.end(); ++it)
            QCOMPARE(json.value(it.key()), it.value());
        QCOMPARE(json.size(), LearningPolicy::fieldNames().size());
        return;
    }
    QVERIFY(!policy.ok());
    QCOMPARE(policy.error().field, field);
    QCOMPARE(policy.error().reason, reason);
}

void TestLearner::policyDrivesTheLearner()
{
    LearningPolicy policy;
    policy.initialLimit = 10;
    policy.minLimit = 2;
    policy.decreaseMultiplier = 0.5;
    policy.maxHistoryRecords = 3;
    const Learner learner(policy);
    LearningState state;
    learner.handle429(state, RateLimitKind::Concurrent, 0, at(0));
    QCOMPARE(state.learned, 5); // trunc(10 × 0.5)
    learner.handle429(state, RateLimitKind::Concurrent, 3, at(1));
    QCOMPARE(state.learned, 2); // max(trunc(1.5), 2)
    learner.handle429(state, RateLimitKind::Concurrent, 3, at(2));
    learner.handle429(state, RateLimitKind::Concurrent, 3, at(3));
    QCOMPARE(state.history.size(), 3);
    QCOMPARE(LearningPolicy().toJson().value(u"decrease_multiplier"_s).toDouble(), 0.85);
}

void TestLearner::clampedStrategy()
{
    LearningPolicy policy;
    policy.strategy = u"aether_aimd_clamped"_s;
    LearningState state;
    state.learned = 34;
    Learner(policy).handle429(state, RateLimitKind::Concurrent, 42, at(0));
    QCOMPARE(state.learned, 34); // clamped to the old limit
}

void TestLearner::eventParsing_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<bool>("floatLiteral");
    QTest::addColumn<QString>("field"); // empty: accepted
    QTest::addColumn<QString>("reason");
    QTest::newRow("success") << QByteArray(R"({"outcome":"success","current_concurrent":7})") << false << QString()
                             << QString();
    QTest::newRow("429 minimal") << QByteArray(R"({"outcome":"rate_limited"})") << false << QString() << QString();
    QTest::newRow("429 full")
        << QByteArray(
               R"({"outcome":"rate_limited","current_concurrent":0,"provider":"openai","headers":{"retry-after":"5"},"extra":1})")
        << false << QString() << QString();
    QTest::newRow("429 kind") << QByteArray(R"({"outcome":"rate_limited","kind":"rpm","current_concurrent":null})")
                              << false << QString() << QString();
    QTest::newRow("not an object") << QByteArray(R"([1])") << false << QString() << u"dict_type"_s;
    QTest::newRow("no outcome") << QByteArray(R"({"current_concurrent":1})") << false << u"outcome"_s << u"missing"_s;
    QTest::newRow("outcome upper case") << QByteArray(R"({"outcome":"SUCCESS","current_concurrent":1})") << false
                                        << u"outcome"_s << u"literal_error"_s;
    QTest::newRow("outcome number") << QByteArray(R"({"outcome":1,"current_concurrent":1})") << false << u"outcome"_s
                                    << u"literal_error"_s;
    QTest::newRow("success without count")
        << QByteArray(R"({"outcome":"success"})") << false << u"current_concurrent"_s << u"missing"_s;
    QTest::newRow("success null count") << QByteArray(R"({"outcome":"success","current_concurrent":null})") << false
                                        << u"current_concurrent"_s << u"missing"_s;
    QTest::newRow("negative count") << QByteArray(R"({"outcome":"success","current_concurrent":-1})") << false
                                    << u"current_concurrent"_s << u"greater_than_equal"_s;
    QTest::newRow("string count") << QByteArray(R"({"outcome":"success","current_concurrent":"7"})") << false
                                  << u"current_concurrent"_s << u"int_type"_s;
    QTest::newRow("bool count") << QByteArray(R"({"outcome":"success","current_concurrent":true})") << false
                                << u"current_concurrent"_s << u"int_type"_s;
    QTest::newRow("fraction count") << QByteArray(R"({"outcome":"success","current_concurrent":7.5})") << false
                                    << u"current_concurrent"_s << u"int_from_float"_s;
    QTest::newRow("float literal count") << QByteArray(R"({"outcome":"success","current_concurrent":7.0})") << true
                                         << u"current_concurrent"_s << u"int_type"_s;
    QTest::newRow("huge count") << QByteArray(R"({"outcome":"success","current_concurrent":3000000000})") << false
                                << u"current_concurrent"_s << u"less_than_equal"_s;
    QTest::newRow("kind upper case") << QByteArray(R"({"outcome":"rate_limited","kind":"RPM"})") << false << u"kind"_s
                                     << u"literal_error"_s;
    QTest::newRow("provider number") << QByteArray(R"({"outcome":"rate_limited","provider":5})") << false
                                     << u"provider"_s << u"string_type"_s;
    QTest::newRow("headers list") << QByteArray(R"({"outcome":"rate_limited","headers":["a"]})") << false
                                  << u"headers"_s << u"dict_type"_s;
    QTest::newRow("header number") << QByteArray(R"({"outcome":"rate_limited","headers":{"retry-after":5}})") << false
                                   << u"headers.retry-after"_s << u"string_type"_s;
    // The per-token time, the ceiling strategy's latency hint: optional, a number of milliseconds, not negative.
    QTest::newRow("tpot") << QByteArray(R"({"outcome":"success","current_concurrent":7,"tpot_ms":24.5})") << false
                          << QString() << QString();
    QTest::newRow("tpot null") << QByteArray(R"({"outcome":"success","current_concurrent":7,"tpot_ms":null})") << false
                               << QString() << QString();
    QTest::newRow("tpot string") << QByteArray(R"({"outcome":"success","current_concurrent":7,"tpot_ms":"24"})")
                                 << false << u"tpot_ms"_s << u"float_type"_s;
    QTest::newRow("tpot negative") << QByteArray(R"({"outcome":"success","current_concurrent":7,"tpot_ms":-1})")
                                   << false << u"tpot_ms"_s << u"greater_than_equal"_s;
}

void TestLearner::eventParsing()
{
    QFETCH(QByteArray, body);
    QFETCH(bool, floatLiteral);
    QFETCH(QString, field);
    QFETCH(QString, reason);
    const QJsonDocument doc = QJsonDocument::fromJson(body);
    const QJsonValue value = doc.isObject() ? QJsonValue(doc.object()) : QJsonValue(doc.array());
    const aether::Result<aether::LearningEvent> event = aether::parseLearningEvent(value, u"k"_s, at(7), floatLiteral);
    if (reason.isEmpty()) {
        QVERIFY(event.ok());
        QCOMPARE(event.value().keyId, u"k"_s);
        QCOMPARE(event.value().at, at(7));
        const QJsonValue tpot = value.toObject().value(u"tpot_ms"_s);
        QCOMPARE(event.value().tpotMs, tpot.isDouble() ? std::optional<double>(tpot.toDouble()) : std::nullopt);
        return;
    }
    QVERIFY(!event.ok());
    QCOMPARE(event.error().field, field);
    QCOMPARE(event.error().reason, reason);
}

void TestLearner::fractionLiterals()
{
    const QLatin1StringView cc("current_concurrent");
    const QLatin1StringView events("events");
    // One event at the root: only its own member counts, the last one when it is given twice.
    QCOMPARE(aether::numbersWrittenWithFraction(R"({"outcome":"success","current_concurrent":7.0})", {}, cc),
             (QHash<qsizetype, bool>{{0, true}}));
    QCOMPARE(
        aether::numbersWrittenWithFraction(R"({"meta":{"current_concurrent":1.5},"current_concurrent":7})", {}, cc),
        (QHash<qsizetype, bool>{{0, false}}));
    QCOMPARE(aether::numbersWrittenWithFraction(R"({"current_concurrent":7,"current_concurrent":7e0})", {}, cc),
             (QHash<qsizetype, bool>{{0, true}}));
    QCOMPARE(aether::numbersWrittenWithFraction(
                 "{\"current_concurrent\":\"7.5\",\"x\":\"\\\"current_concurrent\\\":1.5\"}", {}, cc),
             (QHash<qsizetype, bool>()));
    // A batch: by index in the event list, nested members and other lists ignored.
    const QByteArray batch = R"({"other":[{"current_concurrent":1.5}],"events":[{"current_concurrent":7},)"
                             R"( 7, {"meta":{"current_concurrent":2.5},"current_concurrent" : 7.0},)"
                             R"({"current_concurrent":null},{"current_concurrent":-1E2}]})";
    QCOMPARE(aether::numbersWrittenWithFraction(batch, events, cc),
             (QHash<qsizetype, bool>{{0, false}, {2, true}, {4, true}}));
}

QTEST_GUILESS_MAIN(TestLearner)
#include "tst_learner.moc"
