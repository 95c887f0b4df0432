#pragma once

#include "base/error.h"
#include "learning/learningpolicy.h"

#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace aether {

// A scenario of the learning simulator, in the JSON format of ../shared/sim/scenarios (sim/README.md, "Model"): a
// provider that hides a concurrency limit L(t) (and optionally an RPM cap, and other users of the key), open-loop
// Poisson traffic, and LLM-like latency.
struct SimulationScenario {
    struct Latency {
        double ttftS = 0.5;
        double tpotS = 0.025;
        double tokensMedian = 600;
        double tokensSigma = 0.8;
        int tokensMax = 4000;
        double noiseSigma = 0.1;
        double loadGain = 0.5;
        double rejectS = 0.3;
    };
    struct Background { // in-flight requests of other clients, redrawn every period
        int min = 0;
        int max = 0;
        int periodS = 60;
        int fromS = 0;
        std::optional<int> toS;
    };

    QString name;
    QString description;
    qint64 seed = 1;
    int durationS = 0;
    Latency latency;
    std::vector<std::pair<double, int>> limit;              // [t_s, L]
    std::vector<std::pair<double, std::optional<int>>> rpm; // [t_s, cap or none]
    bool rateLimitHeaders = true;
    std::vector<std::pair<double, double>> demand; // [t_s, offered concurrency]
    std::optional<double> demandRepeatS;
    std::optional<std::array<double, 3>> demandSine; // low, high, period
    std::optional<Background> background;
    bool inSuite = true;
    QJsonObject raw;

    // Field problems come back as ErrorCode::InvalidInput with the field's name.
    static Result<SimulationScenario> fromJson(const QJsonObject &object);
    static Result<SimulationScenario> fromFile(const QString &path);
    // The scenarios built into the program (resources/scenarios), by name, sorted.
    static QStringList builtInNames();
    // A built-in scenario by name, or a file by path.
    static Result<SimulationScenario> load(const QString &nameOrPath);

    double demandAt(double tS) const;
    int limitAt(double tS) const;
    // [(t_s, B)]: the background schedule, drawn from the scenario's seed.
    std::vector<std::pair<int, int>> backgroundSchedule() const;
};

// What one run measured (sim/README.md, "Metrics").
struct SimulationMetrics {
    QString strategy;
    qint64 offered = 0;
    qint64 sent = 0;
    qint64 ok = 0;
    qint64 shed = 0;
    qint64 concurrency429 = 0; // 429s whose true cause was concurrency: the learner's own cost
    qint64 rpm429 = 0;
    qint64 classifiedUnknown = 0;            // 429s the gateway classified as unknown
    double goodputUtil = 0.0;                // ∫ provider in-flight (successful) dt / ∫ (L − background) dt
    double goodputVsOracle = 0.0;            // filled by runScenario: goodputUtil / the oracle's
    std::vector<std::optional<int>> settleS; // per phase of L: seconds to within ±15 % for 120 s; none = never
    double inBand = 0.0;
    int limitChanges = 0;
    // For charts: the gate after each change (none = no limit), and each concurrency 429 (time, cc).
    std::vector<std::pair<qint64, std::optional<int>>> gate;
    std::vector<std::pair<qint64, int>> rejections;
};

// The simulator: deterministic (the same scenario, strategy, policy and seed give the same metrics), on a virtual clock
// in integer microseconds, with the console's learner in memory. "oracle" is a strategy that knows L(t).
class Simulator {
public:
    static QString oracle() { return QStringLiteral("oracle"); }

    // `progress` is called now and then with the share done (0..1); returning false cancels (ErrorCode::Conflict).
    static Result<SimulationMetrics> run(const SimulationScenario &scenario, const QString &strategy,
                                         const LearningPolicy &policy,
                                         const std::function<bool(double)> &progress = {});
    // Every strategy and the oracle, the goodput ratios filled in. The oracle's metrics come last.
    static Result<QList<SimulationMetrics>> compare(const SimulationScenario &scenario, const QStringList &strategies,
                                                    const LearningPolicy &policy,
                                                    const std::function<bool(double)> &progress = {});
};

} // namespace aether
