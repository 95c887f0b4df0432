#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace aether::app {

// --list-strategies: one strategy a line, the recommended one first, a tab, a one-line description.
int listStrategies();

// --simulate SCENARIO.json: runs each strategy (all when none is given) and the oracle over the scenario and prints
// the metrics, as an aligned table or (json) as one JSON object. `policyFile`: a JSON object of policy values over
// the defaults; `seed` replaces the scenario's.
int simulate(const QString &scenarioPath, QStringList strategies, const QString &policyFile, std::optional<qint64> seed,
             bool json);

} // namespace aether::app
