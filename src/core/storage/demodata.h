#pragma once

#include "base/error.h"
#include "storage/database.h"

class QRandomGenerator;

namespace aether {

struct DemoSize {
    int providers = 3;
    int endpoints = 5;
    int keys = 40;
};

// Fills an empty console database with a realistic, reproducible demo: providers, endpoints and keys in both modes,
// with 429 counters and adjustment histories spread over the last seven days. Refuses a database that holds keys
// already or whose tables belong to a gateway.
class DemoData {
public:
    explicit DemoData(Database &db)
        : m_db(db)
    {
    }
    Result<DemoSize> fill(int keyCount = 40, quint32 seed = 20261126);

private:
    Status insertEndpoints(const QString &created); // and their providers
    Status insertKeys(int keyCount, QRandomGenerator &rng, qint64 nowUs, const QString &created);

    Database &m_db;
};

} // namespace aether
