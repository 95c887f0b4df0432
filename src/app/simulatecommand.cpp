#include "simulatecommand.h"

#include "scriptcommands.h"
#include "terminaltable.h"

#include "learning/learningpolicy.h"
#include "simulation/simulator.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <cstdio>

namespace aether::app {

namespace {

void print(FILE *stream, const QString &text)
{
    std::fputs(qUtf8Printable(text), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

int refuse(const QString &text)
{
    print(stderr, QStringLiteral("aether-console: ") + text);
    return 1;
}

QString settleText(const std::vector<std::optional<int>> &settle)
{
    QStringList parts;
    for (const std::optional<int> &s : settle)
        parts << (s ? QString::number(*s) : QStringLiteral("-"));
    return parts.join(u'/');
}

QJsonObject metricsJson(const SimulationMetrics &m)
{
    QJsonArray settle;
    for (const std::optional<int> &s : m.settleS)
        settle.append(s ? QJsonValue(*s) : QJsonValue());
    return {
        {QStringLiteral("strategy"), m.strategy},
        {QStringLiteral("goodput_vs_oracle"), m.goodputVsOracle},
        {QStringLiteral("goodput_util"), m.goodputUtil},
        {QStringLiteral("concurrency_429"), m.concurrency429},
        {QStringLiteral("rpm_429"), m.rpm429},
        {QStringLiteral("classified_unknown"), m.classifiedUnknown},
        {QStringLiteral("offered"), m.offered},
        {QStringLiteral("sent"), m.sent},
        {QStringLiteral("ok"), m.ok},
        {QStringLiteral("shed"), m.shed},
        {QStringLiteral("settle_s"), settle},
        {QStringLiteral("in_band"), m.inBand},
        {QStringLiteral("limit_changes"), m.limitChanges},
    };
}

} // namespace

int listStrategies()
{
    for (const QString &name : LearningPolicy::strategies())
        print(stdout, name + u'\t' + LearningPolicy::strategyDescription(name));
    return 0;
}

int simulate(const QString &scenarioPath, QStringList strategies, const QString &policyFile, std::optional<qint64> seed,
             bool json)
{
    Result<SimulationScenario> scenario = SimulationScenario::load(scenarioPath);
    if (!scenario)
        return refuse(QCoreApplication::translate("Cli", "cannot read the scenario %1: %2")
                          .arg(scenarioPath, describeFailure(scenario.error())));
    if (seed)
        scenario.value().seed = *seed;
    LearningPolicy policy;
    if (!policyFile.isEmpty()) {
        QFile file(policyFile);
        if (!file.open(QIODevice::ReadOnly) || file.size() > 1024 * 1024)
            return refuse(QCoreApplication::translate("Cli", "cannot read the policy %1: %2")
                              .arg(policyFile, Error::quoted(file.errorString())));
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll());
        Result<LearningPolicy> patched = doc.isObject() ? LearningPolicy::patched(policy, doc.object())
                                                        : Result<LearningPolicy>(Error::invalid({}, reason::dictType));
        if (!patched)
            return refuse(QCoreApplication::translate("Cli", "invalid policy %1: %2")
                              .arg(policyFile, describeFailure(patched.error())));
        policy = patched.value();
    }
    if (strategies.isEmpty())
        strategies = LearningPolicy::strategies();
    for (const QString &name : std::as_const(strategies)) {
        if (!LearningPolicy::strategies().contains(name))
            return refuse(QCoreApplication::translate("Cli", "unknown strategy \"%1\": use one of %2")
                              .arg(name, LearningPolicy::strategies().join(
                                             QCoreApplication::translate("Cli", ", ", "between the items of a list"))));
    }
    strategies.removeDuplicates();
    Result<QList<SimulationMetrics>> results = Simulator::compare(scenario.value(), strategies, policy);
    if (!results)
        return refuse(describeFailure(results.error()));
    const SimulationScenario &sc = scenario.value();
    if (json) {
        QJsonArray runs;
        for (const SimulationMetrics &m : results.value())
            runs.append(metricsJson(m));
        const QJsonObject out{{QStringLiteral("scenario"), sc.name},
                              {QStringLiteral("seed"), sc.seed},
                              {QStringLiteral("duration_s"), sc.durationS},
                              {QStringLiteral("results"), runs}};
        print(stdout, QString::fromUtf8(QJsonDocument(out).toJson(QJsonDocument::Compact)));
        return 0;
    }
    const QLocale locale;
    print(stdout, QCoreApplication::translate("Cli", "Scenario %1 (seed %2, %3 s): %4")
                      .arg(sc.name)
                      .arg(sc.seed)
                      .arg(sc.durationS)
                      .arg(sc.description));
    const QStringList headers{
        QCoreApplication::translate("Cli", "STRATEGY"),
        QCoreApplication::translate("Cli", "GOODPUT/ORACLE"),
        QCoreApplication::translate("Cli", "CONC. 429"),
        QCoreApplication::translate("Cli", "RPM 429"),
        QCoreApplication::translate("Cli", "UNKNOWN 429"),
        QCoreApplication::translate("Cli", "SHED %"),
        QCoreApplication::translate("Cli", "SETTLE S (PER LIMIT)"),
    };
    TextTable table(headers, {false, true, true, true, true, true, false});
    for (const SimulationMetrics &m : results.value()) {
        table.addRow({m.strategy, QString::number(m.goodputVsOracle, 'f', 3), QString::number(m.concurrency429),
                      QString::number(m.rpm429), QString::number(m.classifiedUnknown),
                      QString::number(m.offered > 0 ? 100.0 * double(m.shed) / double(m.offered) : 0.0, 'f', 1),
                      settleText(m.settleS)});
    }
    table.print(stdout);
    return 0;
}

} // namespace aether::app
