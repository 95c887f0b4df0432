// The ceiling strategy (aether_ceiling, docs/learning-strategy.md) without a database: every branch of its decisions on
// a key's state, its state's JSON, and that the reference's bookkeeping of the key row stays as it was.

#include "learning/learner.h"
#include "learning/learningpolicy.h"

#include <QJsonObject>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::CeilingState;
using aether::Learner;
using aether::LearningDecision;
using aether::LearningPolicy;
using aether::LearningState;
using aether::RateLimitKind;
using aether::Timestamp;

namespace {

constexpr qint64 second = 1000000;
constexpr qint64 minute = 60 * second;
const qint64 noon = 1795694400LL * second;

LearningPolicy ceilingPolicy()
{
    LearningPolicy policy;
    policy.strategy = LearningPolicy::recommendedStrategy();
    return policy;
}

// A learner on one key, with a clock.
struct Key {
    Learner learner{ceilingPolicy()};
    LearningState state;
    qint64 now = noon;

    LearningDecision ok(int cc, std::optional<double> tpot = std::nullopt, qint64 after = second)
    {
        now += after;
        return learner.handleSuccess(state, cc, Timestamp::fromMicroseconds(now), tpot);
    }
    LearningDecision rejected(int cc, RateLimitKind kind = RateLimitKind::Concurrent, qint64 after = second)
    {
        now += after;
        return learner.handle429(state, kind, cc, Timestamp::fromMicroseconds(now));
    }
    int limit() const { return state.learned.value_or(0); }
    QString signal(const LearningDecision &d) const { return d.record.value(u"signal"_s).toString(); }
};

// A key that found its ceiling at 30 (limit 29) after working at up to 29.
Key keyAtCeiling()
{
    Key k;
    k.state.learned = 40;
    for (int cc = 20; cc <= 29; ++cc)
        k.ok(cc);
    k.rejected(30);
    return k;
}

} // namespace

class TestCeilingStrategy : public QObject {
    Q_OBJECT

private slots:
    void listedAndDescribed()
    {
        const QStringList names = LearningPolicy::strategies();
        QCOMPARE(names.first(), u"aether_ceiling"_s); // the recommended one first
        QVERIFY(names.contains(u"aether_aimd"_s));
        for (const QString &name : names)
            QVERIFY2(!LearningPolicy::strategyDescription(name).isEmpty(), qPrintable(name));
        LearningPolicy policy;
        QCOMPARE(policy.strategy, u"aether_aimd"_s); // a database without a stored policy keeps the reference
        policy.strategy = u"aether_ceiling"_s;
        QVERIFY(policy.validate().ok());
    }

    void ceilingFoundHoldsJustBelow()
    {
        Key k;
        k.state.learned = 40;
        for (int cc = 20; cc <= 29; ++cc)
            QVERIFY(!k.ok(cc).adjusted);
        const LearningDecision d = k.rejected(30);
        QVERIFY(d.adjusted);
        QCOMPARE(k.limit(), 29);
        QCOMPARE(d.record.value(u"reason"_s).toString(), u"concurrent_429"_s);
        QCOMPARE(k.signal(d), u"ceiling_found"_s);
        QCOMPARE(d.record.value(u"ceiling"_s).toInt(), 30);
        QCOMPARE(d.record.value(u"old_limit"_s).toInt(), 40);
        QCOMPARE(d.record.value(u"current_concurrent"_s).toInt(), 30);
        QCOMPARE(k.state.concurrent429Count, 1);
        QCOMPARE(k.state.last429Type, std::optional<QString>(u"concurrent"_s));
        QCOMPARE(k.state.history.size(), 1);
    }

    void raced429sAreIgnored()
    {
        Key k = keyAtCeiling();
        const LearningDecision d = k.rejected(31); // admitted before the cut to 29
        QVERIFY(!d.adjusted);
        QCOMPARE(k.limit(), 29);
        QCOMPARE(k.state.concurrent429Count, 2); // still counted
    }

    void rpmAndUnknownLeaveTheLimit()
    {
        Key k = keyAtCeiling();
        QVERIFY(!k.rejected(29, RateLimitKind::Rpm).adjusted);
        QVERIFY(!k.rejected(1, RateLimitKind::Unknown).adjusted);
        QCOMPARE(k.limit(), 29);
        QCOMPARE(k.state.rpm429Count, 1);
        QCOMPARE(k.state.last429Type, std::optional<QString>(u"unknown"_s));
    }

    void capacityFellThenFurther()
    {
        Key k = keyAtCeiling();
        k.ok(29);
        LearningDecision d = k.rejected(29, RateLimitKind::Concurrent, 10 * second); // 29 worked a moment ago
        QCOMPARE(k.signal(d), u"capacity_fell"_s);
        QCOMPARE(k.limit(), 28);
        d = k.rejected(28); // within 30 s of the fall's first 429: more than one slot lower
        QCOMPARE(k.signal(d), u"fell_further"_s);
        QCOMPARE(k.limit(), 23); // int(28 × 0.85)
        // A fall 10 minutes later is a second fall within 20 minutes: the hold keeps a margin of 15 %.
        for (int i = 0; i < 20; ++i)
            k.ok(23, std::nullopt, 30 * second);
        d = k.rejected(23);
        QCOMPARE(k.signal(d), u"capacity_fell"_s);
        QCOMPARE(k.limit(), 23 - 1 - 3);
    }

    void neverBelowTheFloorNorAboveTheMaximum()
    {
        Key k;
        k.state.learned = 4;
        k.rejected(2); // the 429 came below the policy's minimum of 3: hold at 1
        QCOMPARE(k.limit(), 1);
        Key fell;
        fell.state.learned = 5;
        fell.ok(4);
        fell.rejected(4);
        fell.rejected(3);
        QCOMPARE(fell.limit(), 2); // a 429 at 3 shows the capacity is below the minimum of 3: the hold goes to 2
        Key floor;
        floor.learner = Learner([] {
            LearningPolicy policy = ceilingPolicy();
            policy.minLimit = 8;
            return policy;
        }());
        floor.state.learned = 12;
        floor.ok(11);
        floor.rejected(11);
        floor.rejected(10); // int(10 × 0.85) = 8: at the minimum
        floor.rejected(8);  // int(8 × 0.85) = 6 would be below it, and the 429 came at 8: hold at 7
        QCOMPARE(floor.limit(), 7);
        Key high;
        high.rejected(250); // nothing learned, no gate: capped at the policy's 200
        QCOMPARE(high.limit(), 200);
    }

    void growsOnlyWhileTheLimitBinds()
    {
        Key k;
        k.state.learned = 40;
        for (int i = 0; i < 10; ++i)
            QVERIFY(!k.ok(20).adjusted); // the traffic, not the limit, sets the concurrency
        LearningDecision d;
        for (int i = 0; i < 5; ++i)
            d = k.ok(39);
        QVERIFY(d.adjusted);
        QCOMPARE(k.limit(), 44); // + max(2, 40 / 10)
        QCOMPARE(d.record.value(u"reason"_s).toString(), u"high_utilization"_s);
        QCOMPARE(k.signal(d), u"growth"_s);
        k.state.learned = 10;
        for (int i = 0; i < 5; ++i)
            d = k.ok(10);
        QCOMPARE(k.limit(), 12); // + the policy's step of 2
    }

    void startsAtTheMaximumOnceHalfAsBusy()
    {
        Key k;
        QVERIFY(!k.ok(99).adjusted); // nothing learned: no gate
        QVERIFY(!k.state.learned);
        const LearningDecision d = k.ok(100);
        QCOMPARE(k.limit(), 200);
        QCOMPARE(k.signal(d), u"max_limit"_s);
        QVERIFY(d.record.value(u"old_limit"_s).isNull());
    }

    void timedProbeAndItsFailure()
    {
        Key k = keyAtCeiling();
        QVERIFY(!k.ok(29, std::nullopt, 4 * minute).adjusted); // the hold of 5 minutes (cooldown_minutes)
        LearningDecision d = k.ok(29, std::nullopt, minute + second);
        QVERIFY(d.adjusted);
        QCOMPARE(k.limit(), 30);
        QCOMPARE(d.record.value(u"reason"_s).toString(), u"probe_increase"_s);
        QCOMPARE(k.signal(d), u"timed_probe"_s);
        QVERIFY(k.state.lastProbeAt);
        QVERIFY(k.state.ceilingState->probing);
        d = k.rejected(30);
        QCOMPARE(k.signal(d), u"probe_failed"_s);
        QCOMPARE(k.limit(), 29);
        // The hold doubled: no probe after 5 minutes, one after 10.
        QVERIFY(!k.ok(29, std::nullopt, 6 * minute).adjusted);
        QVERIFY(k.ok(29, std::nullopt, 4 * minute + second).adjusted);
        QCOMPARE(k.limit(), 30);
    }

    void probeSuccessResumesGrowth()
    {
        Key k = keyAtCeiling();
        k.ok(29, std::nullopt, 6 * minute); // probe to 30
        QCOMPARE(k.limit(), 30);
        k.ok(30); // it worked at the ceiling: the capacity rose
        QVERIFY(!k.state.ceilingState->ceiling);
        LearningDecision d;
        for (int i = 0; i < 4; ++i)
            d = k.ok(30);
        QCOMPARE(k.signal(d), u"growth"_s);
        QCOMPARE(k.limit(), 33);
    }

    void recoveryGoesBackToTheBestLevel()
    {
        Key k;
        k.state.learned = 60;
        k.ok(60); // the best level
        k.ok(50);
        k.rejected(50, RateLimitKind::Concurrent, 5 * second); // capacity fell: 49
        k.rejected(49);                                        // further: int(49 × .85) = 41
        k.rejected(41);                                        // further: int(41 × .85) = 34, ceiling 41
        QCOMPARE(k.limit(), 34);
        // Far below the best level (60): a probe after 30 s, not after the hold of 5 minutes.
        QVERIFY(!k.ok(34, std::nullopt, 20 * second).adjusted);
        LearningDecision d = k.ok(34, std::nullopt, 11 * second);
        QCOMPARE(k.signal(d), u"timed_probe"_s);
        QCOMPARE(k.limit(), 35);
        // Probes that work come every 30 s, one slot each, until one reaches the last 429's concurrency (41): then
        // straight back to the best level.
        QString last;
        for (int i = 0; i < 60 && k.limit() < 60; ++i) {
            d = k.ok(k.limit(), std::nullopt, 10 * second);
            if (d.adjusted)
                last = k.signal(d);
        }
        QCOMPARE(last, u"recovery"_s);
        QCOMPARE(k.limit(), 60);
        QVERIFY2(k.now - noon < 5 * minute, qPrintable(QString::number((k.now - noon) / second)));
    }

    void latencyHintProbesEarly()
    {
        Key k = keyAtCeiling();
        for (int i = 0; i < 50; ++i)
            QVERIFY(!k.ok(29, 25.0).adjusted); // binding at the hold, per-token time steady
        LearningDecision d;
        int n = 0;
        while (!d.adjusted && n++ < 40)
            d = k.ok(29, 20.0); // the provider got faster at the same concurrency
        QVERIFY(d.adjusted);
        QCOMPARE(k.signal(d), u"latency_hint"_s);
        QVERIFY(k.now - noon < 5 * minute); // before the timed probe was due
    }

    void noHintWhileTheCapacityIsVolatile()
    {
        Key k = keyAtCeiling();
        k.ok(29);
        k.rejected(29, RateLimitKind::Concurrent, 10 * second); // fall 1: 28
        for (int i = 0; i < 10; ++i)
            k.ok(28, 25.0, 30 * second);
        k.rejected(28); // fall 2 within 20 minutes: 28 - 1 - 4 = 23
        QCOMPARE(k.limit(), 23);
        LearningDecision d;
        for (int i = 0; i < 120; ++i)
            d = k.ok(23, i < 60 ? 25.0 : 15.0);
        QVERIFY(!d.adjusted);
    }

    void fixedKeysAreLeftAlone()
    {
        Key k;
        k.state.maxConcurrent = 8;
        QVERIFY(!k.rejected(9).adjusted);
        QVERIFY(!k.ok(8).adjusted);
        QVERIFY(!k.state.ceilingState);
    }

    void stateRoundTripsAndGoesStaleWithTheLimit()
    {
        Key k = keyAtCeiling();
        k.ok(29, 25.0);
        const CeilingState &s = *k.state.ceilingState;
        const std::optional<CeilingState> back = CeilingState::fromJson(s.toJson());
        QVERIFY(back);
        QVERIFY(*back == s);
        QVERIFY(!CeilingState::fromJson("{}"));
        QVERIFY(!CeilingState::fromJson("not json"));
        // Someone else set the limit (an operator, a gateway learning with the reference): the state starts again.
        k.state.learned = 12;
        k.ok(5);
        QVERIFY(!k.state.ceilingState->ceiling);
        QCOMPARE(k.state.ceilingState->limit, 12);
        Learner::reset(k.state);
        QVERIFY(!k.state.ceilingState);
    }
};

QTEST_GUILESS_MAIN(TestCeilingStrategy)
#include "tst_ceilingstrategy.moc"
