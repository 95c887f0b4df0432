#include "bodies.h"

#include "jsonwriter.h"
#include "responses.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace aether::http {

namespace {

QJsonValue optionalInt(std::optional<int> value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

void writeModeChange(JsonWriter &out, const ModeChange &c, Language language)
{
    out.key("message"), out.string(c.isAdaptive ? text(Message::SwitchedToAdaptive, language)
                                                : text(Message::SwitchedToFixed, language).arg(*c.maxConcurrent));
    out.key("key_id"), out.string(c.keyId);
    out.key("is_adaptive"), out.boolean(c.isAdaptive);
    out.key("max_concurrent"), out.optionalNumber(c.maxConcurrent);
    out.key("effective_limit"), out.optionalNumber(c.effectiveLimit);
}

void writeEvent(JsonWriter &out, const EventOutcome &outcome)
{
    out.beginObject();
    out.key("key_id"), out.string(outcome.keyId);
    out.key("classification");
    outcome.classification ? out.string(rateLimitKindName(*outcome.classification)) : out.null();
    out.key("learned_max_concurrent"), out.optionalNumber(outcome.learned);
    out.key("effective_limit"), out.optionalNumber(outcome.effectiveLimit);
    out.key("adjusted"), out.boolean(outcome.adjusted);
    out.key("adjustment");
    outcome.adjusted ? out.raw(QJsonDocument(outcome.adjustment).toJson(QJsonDocument::Compact)) : out.null();
    out.endObject();
}

void writeLimitChange(JsonWriter &out, const LimitChange &c, Language language)
{
    out.key("message"), out.string(text(Message::SetFixedLimit, language).arg(c.maxConcurrent));
    out.key("key_id"), out.string(c.keyId);
    out.key("is_adaptive"), out.boolean(false);
    out.key("max_concurrent"), out.number(c.maxConcurrent);
    out.key("previous_mode"), out.string(c.wasAdaptive ? u"adaptive" : u"fixed");
}

} // namespace

QByteArray keyListBody(const QList<KeyListItem> &keys)
{
    return '[' + keyListItems(keys, true) + ']';
}

QByteArray keyListItems(const QList<KeyListItem> &keys, bool first)
{
    JsonWriter out(keys.size() * 280 + 2);
    out.beginArray(); // for the writer's commas; the bracket is cut off below
    if (!first && !keys.isEmpty())
        out.raw(QByteArray()); // a comma before the first item
    for (const KeyListItem &key : keys) {
        out.beginObject();
        out.key("id"), out.string(key.id);
        out.key("name"), out.optionalString(key.name);
        out.key("endpoint_id"), out.string(key.endpointId);
        out.key("is_adaptive"), out.boolean(key.isAdaptive());
        out.key("max_concurrent"), out.optionalNumber(key.maxConcurrent);
        out.key("effective_limit"), out.optionalNumber(key.effectiveLimit());
        out.key("learned_max_concurrent"), out.optionalNumber(key.learnedMaxConcurrent);
        out.key("concurrent_429_count"), out.number(key.concurrent429Count);
        out.key("rpm_429_count"), out.number(key.rpm429Count);
        out.endObject();
    }
    return out.take().mid(1);
}

QByteArray statsBody(const KeyStats &s)
{
    JsonWriter out(512);
    out.beginObject();
    out.key("adaptive_mode"), out.boolean(s.adaptiveMode);
    out.key("max_concurrent"), out.optionalNumber(s.maxConcurrent);
    out.key("effective_limit"), out.number(s.effectiveLimit);
    out.key("learned_limit"), out.optionalNumber(s.learnedLimit);
    out.key("concurrent_429_count"), out.number(s.concurrent429Count);
    out.key("rpm_429_count"), out.number(s.rpm429Count);
    out.key("last_429_at"), s.last429At ? out.string(s.last429At->toIsoString()) : out.null();
    out.key("last_429_type"), out.optionalString(s.last429Type);
    out.key("adjustment_count"), out.number(s.adjustmentCount);
    out.key("recent_adjustments"), out.raw(s.recentAdjustmentsJson);
    out.endObject();
    return out.take();
}

QByteArray changeBody(const KeyChangeOutcome &outcome, Language language)
{
    if (const auto *event = std::get_if<EventOutcome>(&outcome))
        return eventBody(*event);
    JsonWriter out(256);
    out.beginObject();
    if (const auto *c = std::get_if<ModeChange>(&outcome)) {
        writeModeChange(out, *c, language);
    } else if (const auto *c = std::get_if<LimitChange>(&outcome)) {
        writeLimitChange(out, *c, language);
    } else if (const auto *c = std::get_if<LearningReset>(&outcome)) {
        out.key("message"), out.string(text(Message::LearningReset, language));
        out.key("key_id"), out.string(c->keyId);
    }
    out.endObject();
    return out.take();
}

QByteArray eventBody(const EventOutcome &outcome)
{
    JsonWriter out(256);
    writeEvent(out, outcome);
    return out.take();
}

EventResultsBody::EventResultsBody(qsizetype entries)
    : m_out(entries * 160 + 16)
{
    m_out.beginObject();
    m_out.key("results");
    m_out.beginArray();
}

void EventResultsBody::addOutcome(const EventOutcome &outcome)
{
    writeEvent(m_out, outcome);
}

void EventResultsBody::addEntry(const QJsonObject &entry)
{
    m_out.raw(QJsonDocument(entry).toJson(QJsonDocument::Compact));
}

QByteArray EventResultsBody::take()
{
    m_out.endArray();
    m_out.endObject();
    return m_out.take();
}

QJsonObject summaryBody(const Summary &s)
{
    QJsonArray recent;
    for (const RecentAdjustment &item : s.recentAdjustments) {
        // {"key_id", "key_name", **record}: the record's own fields win, as in the original service.
        QJsonObject merged{{QStringLiteral("key_id"), item.keyId},
                           {QStringLiteral("key_name"), optionalJson(item.keyName)}};
        for (auto it = item.record.begin(); it != item.record.end(); ++it)
            merged.insert(it.key(), it.value());
        recent.append(merged);
    }
    return QJsonObject{{QStringLiteral("total_adaptive_keys"), s.totalAdaptiveKeys},
                       {QStringLiteral("total_concurrent_429_errors"), s.totalConcurrent429Errors},
                       {QStringLiteral("total_rpm_429_errors"), s.totalRpm429Errors},
                       {QStringLiteral("total_adjustments"), s.totalAdjustments},
                       {QStringLiteral("recent_adjustments"), recent}};
}

QJsonObject enforcedLimitBody(const EnforcedLimit &limit)
{
    return QJsonObject{
        {QStringLiteral("key_id"), limit.keyId},
        {QStringLiteral("mode"), limit.adaptive ? QStringLiteral("adaptive") : QStringLiteral("fixed")},
        {QStringLiteral("limit"), optionalInt(limit.limit)},
    };
}

const QByteArray &versionBody()
{
    static const QByteArray body =
        QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("aether-console")},
                                  {QStringLiteral("version"), QStringLiteral(AETHER_CONSOLE_VERSION)}})
            .toJson(QJsonDocument::Compact);
    return body;
}

} // namespace aether::http
