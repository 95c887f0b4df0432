#include "simulation/learnerpeer.h"

#include "storage/migrations.h"

#include <QJsonDocument>

namespace aether {

const QString LearnerPeer::keyId = QStringLiteral("sim-key");

namespace {

// The simulator's name for why the limit moved, from the reason of the history record.
QString simulatorReason(const QJsonObject &record)
{
    const QString reason = record.value(QLatin1StringView("reason")).toString();
    if (reason == u"concurrent_429")
        return QStringLiteral("dec_concurrent");
    if (reason == u"unknown_429")
        return QStringLiteral("dec_unknown");
    if (reason == u"high_utilization")
        return QStringLiteral("inc_util");
    if (reason == u"probe_increase")
        return QStringLiteral("inc_probe");
    return reason;
}

QByteArray errorLine(const QString &message)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("error"), message}}).toJson(QJsonDocument::Compact);
}

} // namespace

LearnerPeer::LearnerPeer(QString strategy)
    : m_strategy(std::move(strategy))
{
}

LearnerPeer::~LearnerPeer() = default;

Status LearnerPeer::open()
{
    DatabaseLocation location;
    location.kind = DatabaseLocation::Kind::Sqlite;
    location.path = QStringLiteral(":memory:");
    m_db = std::make_unique<Database>(location);
    if (const Status opened = m_db->open(); !opened)
        return opened;
    if (const Status migrated = Migrations(*m_db).run(); !migrated)
        return migrated;
    const QStringList rows{
        QStringLiteral("INSERT INTO providers (id, name, display_name) VALUES ('sim', 'simulated', 'Simulated')"),
        QStringLiteral("INSERT INTO provider_endpoints (id, provider_id, api_format, base_url) "
                       "VALUES ('sim-endpoint', 'sim', 'CLAUDE', 'http://sim.invalid')"),
        QStringLiteral("INSERT INTO provider_api_keys (id, endpoint_id, name) VALUES ('%1', 'sim-endpoint', 'sim')")
            .arg(keyId),
    };
    for (const QString &sql : rows) {
        if (const Status inserted = m_db->execRaw(sql); !inserted)
            return inserted;
    }
    m_keys = std::make_unique<KeyService>(*m_db);
    Result<LearningPolicy> policy =
        m_keys->updateLearningPolicy({{QStringLiteral("strategy"), m_strategy}}, Actor{QStringLiteral("peer")});
    if (!policy)
        return policy.error();
    m_gate.reset();
    return Done{};
}

Status LearnerPeer::reset()
{
    Result<LearningReset> reset = m_keys->resetLearning(keyId, Actor{QStringLiteral("peer")});
    if (!reset)
        return reset.error();
    m_gate.reset();
    return Done{};
}

Result<EventOutcome> LearnerPeer::apply(const QJsonObject &body, qint64 t)
{
    // The body a gateway would post to POST /keys/{id}/events, read by the endpoint's own parser.
    Result<LearningEvent> event = parseLearningEvent(body, keyId, Timestamp::fromMicroseconds(t));
    if (!event)
        return event.error();
    Result<EventOutcome> outcome = m_keys->applyEvent(event.takeValue());
    if (outcome)
        m_gate = outcome.value().effectiveLimit;
    return outcome;
}

Result<EventOutcome> LearnerPeer::success(qint64 t, int currentConcurrent, std::optional<double> tpotMs)
{
    QJsonObject body{{QStringLiteral("outcome"), QStringLiteral("success")},
                     {QStringLiteral("current_concurrent"), currentConcurrent}};
    if (tpotMs)
        body.insert(QStringLiteral("tpot_ms"), *tpotMs);
    return apply(body, t);
}

Result<EventOutcome> LearnerPeer::rateLimited(qint64 t, const QString &kind, std::optional<int> currentConcurrent)
{
    return apply({{QStringLiteral("outcome"), QStringLiteral("rate_limited")},
                  {QStringLiteral("kind"), kind},
                  {QStringLiteral("current_concurrent"),
                   currentConcurrent ? QJsonValue(*currentConcurrent) : QJsonValue(QJsonValue::Null)}},
                 t);
}

QByteArray LearnerPeer::handleLine(const QByteArray &line)
{
    QJsonParseError parseError;
    const QJsonObject message = QJsonDocument::fromJson(line, &parseError).object();
    if (parseError.error != QJsonParseError::NoError)
        return errorLine(parseError.errorString());
    const QString op = message.value(QLatin1StringView("op")).toString();
    const qint64 t = message.value(QLatin1StringView("t")).toInteger();
    const QJsonValue cc = message.value(QLatin1StringView("cc"));
    const std::optional<int> count = cc.isDouble() ? std::optional<int>(cc.toInt()) : std::nullopt;
    QJsonObject reply;
    if (op == u"reset") {
        if (const Status done = reset(); !done)
            return errorLine(done.error().detail);
    } else if (op == u"ok" || op == u"429") {
        // The simulator's rtt is the time per output token in seconds.
        const QJsonValue rtt = message.value(QLatin1StringView("rtt"));
        const std::optional<double> tpotMs =
            rtt.isDouble() ? std::optional<double>(rtt.toDouble() * 1000.0) : std::nullopt;
        Result<EventOutcome> outcome = op == u"ok"
                                           ? success(t, count.value_or(0), tpotMs)
                                           : rateLimited(t, message.value(QLatin1StringView("k")).toString(), count);
        if (!outcome)
            return errorLine(outcome.error().field + u' ' + outcome.error().reason + u' ' + outcome.error().detail);
        if (outcome.value().adjusted)
            reply.insert(QStringLiteral("r"), simulatorReason(outcome.value().adjustment));
    } else if (op != u"gate") {
        return errorLine(QStringLiteral("unknown op: ") + op);
    }
    reply.insert(QStringLiteral("gate"), m_gate ? QJsonValue(*m_gate) : QJsonValue(QJsonValue::Null));
    return QJsonDocument(reply).toJson(QJsonDocument::Compact);
}

} // namespace aether
