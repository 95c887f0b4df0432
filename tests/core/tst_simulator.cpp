// The console's learning simulator: scenarios read and refused, the same input giving the same output, and the ceiling
// strategy's bounds against the reference on the built-in scenarios with seeds none of them was tuned on.

#include "learning/learningpolicy.h"
#include "simulation/simulator.h"

#include <QJsonDocument>
#include <QTest>

using namespace Qt::StringLiterals;
using aether::LearningPolicy;
using aether::SimulationMetrics;
using aether::SimulationScenario;
using aether::Simulator;

namespace {

QJsonObject json(const char *text)
{
    return QJsonDocument::fromJson(text).object();
}

} // namespace

class TestSimulator : public QObject {
    Q_OBJECT

private slots:
    void builtInScenarios()
    {
        const QStringList names = SimulationScenario::builtInNames();
        for (const char *name : {"bursty", "diurnal", "high_limit", "limit_change", "rpm_no_headers", "rpm_periods",
                                 "shared_key", "steady_overload", "volatile_share", "tiny_limit"})
            QVERIFY2(names.contains(QLatin1StringView(name)), name);
        for (const QString &name : names) {
            const auto scenario = SimulationScenario::load(name);
            QVERIFY2(scenario.ok(), qPrintable(name));
            QCOMPARE(scenario.value().name, name);
        }
        const auto lc = SimulationScenario::load(u"limit_change"_s).value();
        QCOMPARE(lc.durationS, 7200);
        QCOMPARE(lc.limitAt(2399), 40);
        QCOMPARE(lc.limitAt(2400), 12);
        QCOMPARE(lc.seed, 13);
    }

    void refusedScenarios_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("field");
        QTest::newRow("no name") << QByteArray(R"({"duration_s":60,"limit":[[0,5]],"demand":[[0,5]]})") << u"name"_s;
        QTest::newRow("no duration") << QByteArray(R"({"name":"x","limit":[[0,5]],"demand":[[0,5]]})")
                                     << u"duration_s"_s;
        QTest::newRow("a year") << QByteArray(R"({"name":"x","duration_s":31536000,"limit":[[0,5]],"demand":[[0,5]]})")
                                << u"duration_s"_s;
        QTest::newRow("limit 0") << QByteArray(R"({"name":"x","duration_s":60,"limit":[[0,0]],"demand":[[0,5]]})")
                                 << u"limit"_s;
        QTest::newRow("late start") << QByteArray(R"({"name":"x","duration_s":60,"limit":[[5,5]],"demand":[[0,5]]})")
                                    << u"limit"_s;
        QTest::newRow("backwards")
            << QByteArray(R"({"name":"x","duration_s":60,"limit":[[0,5],[30,4],[10,3]],"demand":[[0,5]]})")
            << u"limit"_s;
        QTest::newRow("no demand") << QByteArray(R"({"name":"x","duration_s":60,"limit":[[0,5]],"demand":[[0,0]]})")
                                   << u"demand"_s;
        QTest::newRow("huge demand") << QByteArray(R"({"name":"x","duration_s":60,"limit":[[0,5]],"demand":[[0,1e9]]})")
                                     << u"demand"_s;
        QTest::newRow("latency")
            << QByteArray(
                   R"({"name":"x","duration_s":60,"limit":[[0,5]],"demand":[[0,5]],"latency":{"tpot_s":"fast"}})")
            << u"latency.tpot_s"_s;
        QTest::newRow("background")
            << QByteArray(
                   R"({"name":"x","duration_s":60,"limit":[[0,5]],"demand":[[0,5]],"background":{"max":3,"period_s":0}})")
            << u"background"_s;
    }
    void refusedScenarios()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, field);
        const auto scenario = SimulationScenario::fromJson(QJsonDocument::fromJson(text).object());
        QVERIFY(!scenario.ok());
        QCOMPARE(scenario.error().field, field);
    }

    void sameInputSameOutput()
    {
        const auto scenario = SimulationScenario::load(u"shared_key"_s).value();
        for (const QString &strategy : LearningPolicy::strategies()) {
            const SimulationMetrics a = Simulator::run(scenario, strategy, {}).value();
            const SimulationMetrics b = Simulator::run(scenario, strategy, {}).value();
            QVERIFY(a.offered > 1000);
            QCOMPARE(a.gate, b.gate);
            QCOMPARE(a.rejections, b.rejections);
            QCOMPARE(a.goodputUtil, b.goodputUtil);
            QCOMPARE(a.settleS, b.settleS);
        }
        auto other = scenario;
        other.seed += 1;
        QVERIFY(Simulator::run(other, u"aether_aimd"_s, {}).value().gate !=
                Simulator::run(scenario, u"aether_aimd"_s, {}).value().gate);
    }

    void oracleAndModel()
    {
        // The oracle gates at the capacity: no concurrency 429, a goodput near 1 of the capacity under overload.
        const auto scenario =
            SimulationScenario::fromJson(
                json(R"({"name":"t","seed":3,"duration_s":1200,"limit":[[0,20],[600,8]],"demand":[[0,40]]})"))
                .value();
        const auto results = Simulator::compare(scenario, {u"aether_aimd"_s}, {}).value();
        QCOMPARE(results.size(), 2);
        const SimulationMetrics &oracle = results.last();
        QCOMPARE(oracle.strategy, Simulator::oracle());
        QCOMPARE(oracle.concurrency429, 0);
        QVERIFY2(oracle.goodputUtil > 0.9, qPrintable(QString::number(oracle.goodputUtil)));
        QCOMPARE(oracle.goodputVsOracle, 1.0);
        QCOMPARE(oracle.settleS, (std::vector<std::optional<int>>{0, 0}));
        const SimulationMetrics &aimd = results.first();
        QVERIFY(aimd.concurrency429 > 0);
        QVERIFY(aimd.goodputVsOracle > 0.5 && aimd.goodputVsOracle < 1.0);
        QCOMPARE(aimd.gate.front().second, std::nullopt); // nothing learned yet: no gate
        for (const auto &[t, cc] : aimd.rejections)
            QVERIFY(t >= 0 && t <= 1201LL * 1000000 && cc >= 1);
        // Cancelling stops the run.
        const auto cancelled = Simulator::run(scenario, u"aether_aimd"_s, {}, [](double) { return false; });
        QVERIFY(!cancelled.ok());
    }

    // The issue's bounds per scenario, with seeds the scenarios do not carry: at most 1.5 times the reference's
    // concurrency 429s (or 3 a run where the reference has next to none), goodput no more than 0.02 below the
    // reference's, and within ±15 % of a changed limit in 300 s.
    void ceilingStrategyHoldsItsBounds_data()
    {
        QTest::addColumn<QString>("name");
        for (const QString &name : SimulationScenario::builtInNames())
            QTest::newRow(qPrintable(name)) << name;
    }
    void ceilingStrategyHoldsItsBounds()
    {
        QFETCH(QString, name);
        auto scenario = SimulationScenario::load(name).value();
        const qint64 seed = scenario.seed;
        qint64 ceiling429 = 0;
        qint64 reference429 = 0;
        double ceilingGoodput = 0;
        double referenceGoodput = 0;
        constexpr int runs = 3;
        for (int k = 1; k <= runs; ++k) {
            scenario.seed = seed + 7000 + 31 * k;
            const auto results = Simulator::compare(scenario, {u"aether_ceiling"_s, u"aether_aimd"_s}, {}).value();
            ceiling429 += results.at(0).concurrency429;
            reference429 += results.at(1).concurrency429;
            ceilingGoodput += results.at(0).goodputVsOracle / runs;
            referenceGoodput += results.at(1).goodputVsOracle / runs;
            const std::vector<std::optional<int>> &settle = results.at(0).settleS;
            for (size_t phase = 1; phase < settle.size(); ++phase) {
                QVERIFY2(settle[phase] && *settle[phase] <= 300,
                         qPrintable(u"phase %1 of seed %2"_s.arg(phase).arg(scenario.seed)));
            }
        }
        const QString where = u"ceiling %1 429s, goodput %2; reference %3, %4"_s.arg(ceiling429)
                                  .arg(ceilingGoodput, 0, 'f', 3)
                                  .arg(reference429)
                                  .arg(referenceGoodput, 0, 'f', 3);
        QVERIFY2(double(ceiling429) <= 1.5 * double(reference429) || ceiling429 <= 3 * runs, qPrintable(where));
        QVERIFY2(ceilingGoodput >= referenceGoodput - 0.02, qPrintable(where));
    }
};

QTEST_GUILESS_MAIN(TestSimulator)
#include "tst_simulator.moc"
