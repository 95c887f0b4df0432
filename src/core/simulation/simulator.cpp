#include "simulation/simulator.h"

#include "learning/learner.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <deque>
#include <limits>
#include <queue>
#include <random>

namespace aether {

namespace {

constexpr qint64 us = 1000000;
constexpr double band = 0.15; // settled: within ±15 % of L …
constexpr int holdS = 120;    // … for 120 s

// The simulator's random streams: mt19937_64 (its sequence is fixed by the C++ standard) and distributions written
// out here, so that every platform draws the same numbers. They differ from Python's, so single runs differ from
// sim.py's; the model and the metrics are the same.
class Random {
public:
    explicit Random(qint64 seed)
        : m_engine(quint64(seed))
    {
    }
    double uniform() { return double(m_engine() >> 11) * 0x1.0p-53; }
    double exponential(double rate) { return -std::log(1.0 - uniform()) / rate; }
    double normal()
    {
        const double u1 = 1.0 - uniform(); // (0, 1]
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
    }
    double logNormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }
    int between(int low, int high) { return low + int(std::floor(uniform() * double(high - low + 1))); }

private:
    std::mt19937_64 m_engine;
};

template <typename T> T stepAt(const std::vector<std::pair<double, T>> &schedule, double tS)
{
    T value = schedule.front().second;
    for (const auto &[at, v] : schedule) {
        if (at <= tS)
            value = v;
    }
    return value;
}

Error invalidField(const QString &field, const QString &reason, const QVariant &bound = {})
{
    return Error::invalid(field, reason, bound);
}

Result<double> number(const QJsonObject &o, const char *field, std::optional<double> fallback)
{
    const QJsonValue v = o.value(QLatin1StringView(field));
    if (v.isUndefined() || v.isNull()) {
        if (fallback)
            return *fallback;
        return invalidField(QLatin1StringView(field), reason::missing);
    }
    if (!v.isDouble() || !std::isfinite(v.toDouble()))
        return invalidField(QLatin1StringView(field), reason::floatType);
    return v.toDouble();
}

// [[t_s, value], …] with t_s ascending from 0; `nullable`: a value may be null (no cap).
Result<std::vector<std::pair<double, std::optional<double>>>> schedule(const QJsonObject &o, const char *field,
                                                                       bool nullable, double minimum)
{
    const QString name = QLatin1StringView(field);
    const QJsonValue v = o.value(name);
    if (!v.isArray() || v.toArray().isEmpty())
        return invalidField(name, v.isUndefined() ? reason::missing : reason::listType);
    std::vector<std::pair<double, std::optional<double>>> out;
    double last = -1;
    for (const QJsonValue &entry : v.toArray()) {
        const QJsonArray pair = entry.toArray();
        if (pair.size() != 2 || !pair.at(0).isDouble() || pair.at(0).toDouble() < 0 || pair.at(0).toDouble() < last)
            return invalidField(name, reason::invalidValue);
        last = pair.at(0).toDouble();
        if (pair.at(1).isNull() && nullable) {
            out.emplace_back(last, std::nullopt);
            continue;
        }
        if (!pair.at(1).isDouble() || pair.at(1).toDouble() < minimum || pair.at(1).toDouble() > 1e6)
            return invalidField(name, reason::invalidValue);
        out.emplace_back(last, pair.at(1).toDouble());
    }
    if (out.front().first != 0)
        return invalidField(name, reason::invalidValue);
    return out;
}

// The learner of one run: the console's Learner on an in-memory key, or the oracle.
class RunLearner {
public:
    RunLearner(const QString &strategy, const LearningPolicy &policy)
        : m_oracle(strategy == Simulator::oracle())
        , m_learner([&] {
            LearningPolicy p = policy;
            if (!m_oracle)
                p.strategy = strategy;
            return p;
        }())
    {
    }
    bool isOracle() const { return m_oracle; }
    std::optional<int> gate() const { return m_state.learned; }
    void success(qint64 t, int cc, double rttS)
    {
        m_learner.handleSuccess(m_state, cc, Timestamp::fromMicroseconds(t), rttS * 1000.0);
    }
    void rejected(qint64 t, RateLimitKind kind, int cc)
    {
        m_learner.handle429(m_state, kind, cc, Timestamp::fromMicroseconds(t));
    }

private:
    bool m_oracle;
    Learner m_learner;
    LearningState m_state;
};

struct Event {
    qint64 t;
    qint64 seq;
    enum Kind { Limit, Rpm, Background, Arrival, Success, Rejection } kind;
    int id = 0;         // arrival: tokens; success/rejection: cc
    double value = 0.0; // arrival: noise; success: rtt; L/rpm/bg: the value (rpm: < 0 none)
    bool rpmCause = false;
    bool operator>(const Event &o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

} // namespace

Result<SimulationScenario> SimulationScenario::fromJson(const QJsonObject &o)
{
    SimulationScenario s;
    s.raw = o;
    s.name = o.value(QLatin1StringView("name")).toString();
    if (s.name.isEmpty())
        return invalidField(QStringLiteral("name"), reason::missing);
    s.description = o.value(QLatin1StringView("description")).toString();
    const QJsonValue seed = o.value(QLatin1StringView("seed"));
    s.seed = seed.isDouble() ? qint64(seed.toDouble()) : 1;
    Result<double> duration = number(o, "duration_s", std::nullopt);
    if (!duration)
        return duration.error();
    // Up to a week of virtual time: enough for any schedule, bounded in work and memory.
    if (duration.value() < 1 || duration.value() > 7 * 86400)
        return invalidField(QStringLiteral("duration_s"), reason::invalidValue);
    s.durationS = int(duration.value());
    const QJsonObject lat = o.value(QLatin1StringView("latency")).toObject();
    Latency &l = s.latency;
    const std::pair<const char *, double *> latencyFields[] = {{"ttft_s", &l.ttftS},
                                                               {"tpot_s", &l.tpotS},
                                                               {"tokens_median", &l.tokensMedian},
                                                               {"tokens_sigma", &l.tokensSigma},
                                                               {"noise_sigma", &l.noiseSigma},
                                                               {"load_gain", &l.loadGain},
                                                               {"reject_s", &l.rejectS}};
    for (const auto &[field, target] : latencyFields) {
        Result<double> v = number(lat, field, *target);
        if (!v || v.value() < 0 || v.value() > 1e5)
            return invalidField(QStringLiteral("latency.") + QLatin1StringView(field), reason::invalidValue);
        *target = v.value();
    }
    Result<double> tokensMax = number(lat, "tokens_max", double(l.tokensMax));
    if (!tokensMax || tokensMax.value() < 1 || tokensMax.value() > 1e6)
        return invalidField(QStringLiteral("latency.tokens_max"), reason::invalidValue);
    l.tokensMax = int(tokensMax.value());
    if (l.tokensMedian < 1 || l.ttftS + l.tpotS <= 0)
        return invalidField(QStringLiteral("latency"), reason::invalidValue);

    auto limits = schedule(o, "limit", false, 1);
    if (!limits)
        return limits.error();
    for (const auto &[t, v] : limits.value())
        s.limit.emplace_back(t, int(*v));
    if (o.contains(QLatin1StringView("rpm"))) {
        auto rpm = schedule(o, "rpm", true, 1);
        if (!rpm)
            return rpm.error();
        for (const auto &[t, v] : rpm.value())
            s.rpm.emplace_back(t, v ? std::optional<int>(int(*v)) : std::nullopt);
    } else {
        s.rpm.emplace_back(0, std::nullopt);
    }
    s.rateLimitHeaders = o.value(QLatin1StringView("rate_limit_headers")).toBool(true);
    const QJsonValue sine = o.value(QLatin1StringView("demand_sine"));
    if (sine.isArray()) {
        const QJsonArray a = sine.toArray();
        if (a.size() != 3 || !a.at(0).isDouble() || !a.at(1).isDouble() || !a.at(2).isDouble() ||
            a.at(0).toDouble() < 0 || a.at(1).toDouble() <= 0 || a.at(1).toDouble() > 1e5 || a.at(2).toDouble() <= 0)
            return invalidField(QStringLiteral("demand_sine"), reason::invalidValue);
        s.demandSine = std::array<double, 3>{a.at(0).toDouble(), a.at(1).toDouble(), a.at(2).toDouble()};
    } else {
        auto demand = schedule(o, "demand", false, 0);
        if (!demand)
            return demand.error();
        for (const auto &[t, v] : demand.value())
            s.demand.emplace_back(t, *v);
        double highest = 0;
        for (const auto &[t, v] : s.demand)
            highest = std::max(highest, v);
        if (highest <= 0 || highest > 1e5)
            return invalidField(QStringLiteral("demand"), reason::invalidValue);
        const QJsonValue repeat = o.value(QLatin1StringView("demand_repeat_s"));
        if (repeat.isDouble() && repeat.toDouble() > 0)
            s.demandRepeatS = repeat.toDouble();
    }
    const QJsonValue bg = o.value(QLatin1StringView("background"));
    if (bg.isObject()) {
        const QJsonObject b = bg.toObject();
        Background background;
        background.max = b.value(QLatin1StringView("max")).toInt(-1);
        background.min = b.value(QLatin1StringView("min")).toInt(0);
        background.periodS = b.value(QLatin1StringView("period_s")).toInt(0);
        background.fromS = b.value(QLatin1StringView("from_s")).toInt(0);
        if (b.value(QLatin1StringView("to_s")).isDouble())
            background.toS = b.value(QLatin1StringView("to_s")).toInt();
        if (background.max < background.min || background.min < 0 || background.periodS < 1 || background.fromS < 0)
            return invalidField(QStringLiteral("background"), reason::invalidValue);
        s.background = background;
    }
    s.inSuite = o.value(QLatin1StringView("suite")).toBool(true);
    return s;
}

Result<SimulationScenario> SimulationScenario::fromFile(const QString &path)
{
    QFile file(path);
    const Error invalid = Error::invalid(QStringLiteral("scenario"), reason::invalidValue);
    if (!file.open(QIODevice::ReadOnly))
        return invalid.told(QT_TRANSLATE_NOOP("Error", "the file cannot be opened: %1"),
                            {Error::quoted(file.errorString())});
    if (file.size() > 1024 * 1024)
        return invalid.told(QT_TRANSLATE_NOOP("Error", "the file is larger than 1 MiB"));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return invalid.told(QT_TRANSLATE_NOOP("Error", "the file is not valid JSON: %1 at byte %2"),
                            {Error::quoted(parseError.errorString()), QString::number(parseError.offset)});
    if (!doc.isObject())
        return invalid.told(QT_TRANSLATE_NOOP("Error", "the file holds no JSON object"));
    return fromJson(doc.object());
}

QStringList SimulationScenario::builtInNames()
{
    QStringList names;
    for (const QString &file :
         QDir(QStringLiteral(":/scenarios")).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        names << file.chopped(5);
    return names;
}

Result<SimulationScenario> SimulationScenario::load(const QString &nameOrPath)
{
    if (builtInNames().contains(nameOrPath))
        return fromFile(QStringLiteral(":/scenarios/%1.json").arg(nameOrPath));
    return fromFile(nameOrPath);
}

double SimulationScenario::demandAt(double tS) const
{
    if (demandSine) {
        const auto [low, high, period] = *demandSine;
        return low + (high - low) * (1 - std::cos(2 * M_PI * tS / period)) / 2;
    }
    if (demandRepeatS)
        tS = std::fmod(tS, *demandRepeatS);
    return stepAt(demand, tS);
}

int SimulationScenario::limitAt(double tS) const
{
    return stepAt(limit, tS);
}

std::vector<std::pair<int, int>> SimulationScenario::backgroundSchedule() const
{
    if (!background)
        return {{0, 0}};
    Random random(seed + 7919);
    const Background &b = *background;
    const int from = b.fromS;
    const int to = b.toS.value_or(durationS);
    std::vector<std::pair<int, int>> out;
    if (from > 0)
        out.emplace_back(0, 0);
    for (int t = from; t < to; t += b.periodS)
        out.emplace_back(t, random.between(b.min, b.max));
    if (to < durationS)
        out.emplace_back(to, 0);
    if (out.empty())
        out.emplace_back(0, 0);
    return out;
}

Result<SimulationMetrics> Simulator::run(const SimulationScenario &sc, const QString &strategy,
                                         const LearningPolicy &policy, const std::function<bool(double)> &progress)
{
    if (strategy != oracle() && !LearningPolicy::strategies().contains(strategy))
        return Error::invalid(QStringLiteral("strategy"), reason::literalError,
                              QString(u'\'' + LearningPolicy::strategies().join(QStringLiteral("' or '")) + u'\''));
    const SimulationScenario::Latency &la = sc.latency;
    RunLearner learner(strategy, policy);
    std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue;
    qint64 seq = 0;
    const auto push = [&](Event e) {
        e.seq = seq++;
        queue.push(e);
    };
    for (const auto &[t, v] : sc.limit)
        push({qint64(t * us), 0, Event::Limit, 0, double(v)});
    for (const auto &[t, v] : sc.rpm)
        push({qint64(t * us), 0, Event::Rpm, 0, v ? double(*v) : -1.0});
    const std::vector<std::pair<int, int>> background = sc.backgroundSchedule();
    if (sc.background) {
        for (const auto &[t, v] : background)
            push({qint64(t) * us, 0, Event::Background, 0, double(v)});
    }
    // Arrivals: a non-homogeneous Poisson process by thinning; four draws a candidate keep the stream stable.
    {
        Random random(sc.seed);
        const double meanLatency =
            la.ttftS + la.tpotS * la.tokensMedian * std::exp(la.tokensSigma * la.tokensSigma / 2);
        const double maxDemand = sc.demandSine ? (*sc.demandSine)[1] : [&] {
            double m = 0;
            for (const auto &[t, v] : sc.demand)
                m = std::max(m, v);
            return m;
        }();
        const double rateMax = maxDemand / meanLatency;
        double t = 0;
        while (true) {
            t += random.exponential(rateMax);
            const double u = random.uniform();
            const int tokens =
                std::min(std::max(1, int(std::llround(random.logNormal(std::log(la.tokensMedian), la.tokensSigma)))),
                         la.tokensMax);
            const double noise = random.logNormal(0.0, la.noiseSigma);
            if (t >= sc.durationS)
                break;
            if (u * rateMax < sc.demandAt(t) / meanLatency)
                push({qint64(t * us), 0, Event::Arrival, tokens, noise});
        }
    }

    SimulationMetrics m;
    m.strategy = strategy;
    int providerL = sc.limit.front().second;
    std::optional<int> rpmCap;
    int bg = 0;
    int providerInflight = 0;
    int gatewayInflight = 0;
    std::deque<qint64> accepted; // the provider's accepted requests of the last 60 s
    qint64 lastT = 0;
    double busyArea = 0.0;
    const qint64 end = qint64(sc.durationS) * us;
    qint64 now = 0;
    const auto rpmFull = [&]() {
        while (!accepted.empty() && accepted.front() <= now - 60 * us)
            accepted.pop_front();
        return rpmCap && qint64(accepted.size()) >= *rpmCap;
    };
    const auto gate = [&]() -> std::optional<int> {
        if (learner.isOracle())
            return rpmFull() ? 0 : providerL - bg;
        return learner.gate();
    };
    m.gate.emplace_back(0, gate());
    qint64 processed = 0;
    while (!queue.empty()) {
        const Event e = queue.top();
        queue.pop();
        busyArea += double(providerInflight) * double(std::max<qint64>(0, std::min(e.t, end) - std::min(lastT, end)));
        lastT = now = e.t;
        if (progress && (processed++ & 1023) == 0 && !progress(std::min(1.0, double(e.t) / double(end))))
            return Error::conflict(QStringLiteral("cancelled"));
        switch (e.kind) {
        case Event::Limit:
            providerL = int(e.value);
            break;
        case Event::Rpm:
            rpmCap = e.value < 0 ? std::nullopt : std::optional<int>(int(e.value));
            break;
        case Event::Background:
            bg = int(e.value);
            break;
        case Event::Arrival: {
            ++m.offered;
            const std::optional<int> g = gate();
            if (g && gatewayInflight >= *g) {
                ++m.shed;
                continue;
            }
            const int cc = ++gatewayInflight;
            ++m.sent;
            const bool rpm = rpmFull();
            if (rpm || providerInflight + 1 + bg > providerL) {
                push({e.t + qint64(la.rejectS * us), 0, Event::Rejection, cc, 0.0, rpm});
            } else {
                ++providerInflight;
                accepted.push_back(e.t);
                const double load = double(providerInflight + bg) / double(providerL);
                const double mult = 1 + la.loadGain * load * load;
                const double latency = (la.ttftS + la.tpotS * e.id) * mult * e.value;
                push({e.t + std::max<qint64>(1, std::llround(latency * us)), 0, Event::Success, cc,
                      la.tpotS * mult * e.value});
            }
            break;
        }
        case Event::Success:
            --gatewayInflight;
            --providerInflight;
            ++m.ok;
            learner.success(e.t, e.id, e.value);
            break;
        case Event::Rejection: {
            --gatewayInflight;
            // The gateway's classification (Aether's detector): remaining == 0 → RPM; else cc ≥ 2 → concurrency.
            RateLimitKind kind = RateLimitKind::Unknown;
            if (sc.rateLimitHeaders && e.rpmCause)
                kind = RateLimitKind::Rpm;
            else if (e.id >= 2)
                kind = RateLimitKind::Concurrent;
            if (e.rpmCause) {
                ++m.rpm429;
            } else {
                ++m.concurrency429;
                m.rejections.emplace_back(e.t, e.id);
            }
            if (kind == RateLimitKind::Unknown)
                ++m.classifiedUnknown;
            learner.rejected(e.t, kind, e.id);
            break;
        }
        }
        const std::optional<int> g = gate();
        if (g != m.gate.back().second)
            m.gate.emplace_back(e.t, g);
    }

    // The gate on a one-second grid (none: unlimited).
    const int duration = sc.durationS;
    std::vector<double> grid(size_t(duration), 0.0);
    size_t j = 0;
    for (int k = 0; k < duration; ++k) {
        while (j + 1 < m.gate.size() && m.gate[j + 1].first <= qint64(k) * us)
            ++j;
        grid[size_t(k)] = m.gate[j].second ? double(*m.gate[j].second) : std::numeric_limits<double>::infinity();
    }
    double capacityArea = 0;
    for (int k = 0; k < duration; ++k) {
        int b = background.front().second;
        for (const auto &[at, v] : background) {
            if (at <= k)
                b = v;
        }
        capacityArea += double(sc.limitAt(k) - b);
    }
    capacityArea *= double(us);
    int inBand = 0;
    for (size_t i = 0; i < sc.limit.size(); ++i) {
        const int t0 = int(sc.limit[i].first);
        const int t1 = i + 1 < sc.limit.size() ? int(sc.limit[i + 1].first) : duration;
        const double L = sc.limit[i].second;
        std::optional<int> first;
        int run = 0;
        for (int idx = t1 - t0 - 1; idx >= 0; --idx) {
            const bool ok = t0 + idx < duration && std::abs(grid[size_t(t0 + idx)] - L) <= band * L;
            inBand += ok ? 1 : 0;
            run = ok ? run + 1 : 0;
            if (ok && run >= std::min(holdS, t1 - t0 - idx))
                first = idx;
        }
        m.settleS.push_back(first);
    }
    m.goodputUtil = capacityArea > 0 ? busyArea / capacityArea : 0.0;
    m.inBand = duration > 0 ? double(inBand) / double(duration) : 0.0;
    m.limitChanges = int(m.gate.size()) - 1;
    return m;
}

Result<QList<SimulationMetrics>> Simulator::compare(const SimulationScenario &scenario, const QStringList &strategies,
                                                    const LearningPolicy &policy,
                                                    const std::function<bool(double)> &progress)
{
    QList<SimulationMetrics> out;
    const QStringList runs = QStringList(strategies) << oracle();
    for (qsizetype i = 0; i < runs.size(); ++i) {
        const auto part = [&](double share) {
            return !progress || progress((double(i) + share) / double(runs.size()));
        };
        Result<SimulationMetrics> metrics = run(scenario, runs.at(i), policy, part);
        if (!metrics)
            return metrics.error();
        out.append(metrics.takeValue());
    }
    const double oracleUtil = out.last().goodputUtil;
    for (SimulationMetrics &m : out)
        m.goodputVsOracle = oracleUtil > 0 ? m.goodputUtil / oracleUtil : 0.0;
    return out;
}

} // namespace aether
