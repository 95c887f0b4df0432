#include "bulkbody.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>

namespace aether::http {

namespace {

// An integer written as a JSON number without a fraction.
Result<int> intField(const QJsonObject &object, const QString &field)
{
    const QJsonValue value = object.value(field);
    if (value.isUndefined() || value.isNull())
        return Error::invalid(field, reason::missing);
    const double number = value.toDouble();
    if (!value.isDouble() || std::trunc(number) != number || std::abs(number) > 1e9)
        return Error::invalid(field, reason::intType);
    return int(number);
}

Result<bool> boolField(const QJsonObject &object, const QString &field)
{
    const QJsonValue value = object.value(field);
    if (value.isUndefined() || value.isNull())
        return Error::invalid(field, reason::missing);
    if (!value.isBool())
        return Error::invalid(field, QStringLiteral("bool_type"));
    return value.toBool();
}

Result<QStringList> keyIds(const QJsonValue &value)
{
    if (!value.isArray())
        return Error::invalid(QStringLiteral("key_ids"), reason::listType);
    const QJsonArray array = value.toArray();
    if (array.size() > maxBulkKeyIds)
        return Error::invalid(QStringLiteral("key_ids"), reason::tooLong, maxBulkKeyIds);
    QStringList ids;
    ids.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (!array.at(i).isString())
            return Error::invalid(QStringLiteral("key_ids.%1").arg(i), reason::stringType);
        ids << array.at(i).toString();
    }
    return ids;
}

Result<KeyFilter> filter(const QJsonValue &value)
{
    if (!value.isObject())
        return Error::invalid(QStringLiteral("filter"), reason::dictType, QStringLiteral("KeyFilter"));
    const QJsonObject object = value.toObject();
    KeyFilter filter;
    const auto text = [&object](const char *name, QString *into) -> Status {
        const QJsonValue v = object.value(QLatin1StringView(name));
        if (v.isUndefined() || v.isNull())
            return Done{};
        if (!v.isString())
            return Error::invalid(u"filter." + QLatin1StringView(name), reason::stringType);
        *into = v.toString();
        return Done{};
    };
    for (const auto &[name, into] :
         {std::pair("endpoint_id", &filter.endpointId), std::pair("provider_id", &filter.providerId),
          std::pair("name_contains", &filter.text)}) {
        if (const Status read = text(name, into); !read)
            return read.error();
    }
    QString mode;
    if (const Status read = text("mode", &mode); !read)
        return read.error();
    if (mode == u"adaptive")
        filter.mode = KeyFilter::Mode::Adaptive;
    else if (mode == u"fixed")
        filter.mode = KeyFilter::Mode::Fixed;
    else if (!mode.isEmpty())
        return Error::invalid(QStringLiteral("filter.mode"), reason::literalError,
                              QStringLiteral("'adaptive' or 'fixed'"));
    return filter;
}

// The action and its own fields.
Status readAction(const QJsonObject &object, BulkRequest *request)
{
    const QJsonValue action = object.value(QLatin1StringView("action"));
    if (action.isUndefined() || action.isNull())
        return Error::invalid(QStringLiteral("action"), reason::missing);
    const QString name = action.toString();
    if (name == u"set_limit") {
        request->action = BulkRequest::Action::SetLimit;
        Result<int> limit = intField(object, QStringLiteral("limit"));
        if (!limit)
            return limit.error();
        request->limit = limit.value();
    } else if (name == u"set_mode") {
        request->action = BulkRequest::Action::SetMode;
        Result<bool> enabled = boolField(object, QStringLiteral("enabled"));
        if (!enabled)
            return enabled.error();
        request->adaptive = enabled.value();
        if (object.contains(QLatin1StringView("fixed_limit")) &&
            !object.value(QLatin1StringView("fixed_limit")).isNull()) {
            Result<int> fixed = intField(object, QStringLiteral("fixed_limit"));
            if (!fixed)
                return fixed.error();
            request->fixedLimit = fixed.value();
        }
    } else if (name == u"reset_learning") {
        request->action = BulkRequest::Action::ResetLearning;
    } else {
        return Error::invalid(QStringLiteral("action"), reason::literalError,
                              QStringLiteral("'set_limit', 'set_mode' or 'reset_learning'"));
    }
    return Done{};
}

} // namespace

Result<BulkRequest> parseBulkBody(const QJsonValue &body)
{
    if (!body.isObject())
        return Error::invalid({}, reason::dictType, QStringLiteral("BulkRequest"));
    const QJsonObject object = body.toObject();
    BulkRequest request;
    if (const Status read = readAction(object, &request); !read)
        return read.error();
    const bool hasIds = object.contains(QLatin1StringView("key_ids"));
    const bool hasFilter = object.contains(QLatin1StringView("filter"));
    if (hasIds && hasFilter) // exactly one of them
        return Error::invalid(QStringLiteral("filter"), reason::extraForbidden);
    if (!hasIds && !hasFilter)
        return Error::invalid(QStringLiteral("key_ids"), reason::missing);
    if (hasIds) {
        Result<QStringList> ids = keyIds(object.value(QLatin1StringView("key_ids")));
        if (!ids)
            return ids.error();
        request.keyIds = ids.takeValue();
    } else {
        Result<KeyFilter> chosen = filter(object.value(QLatin1StringView("filter")));
        if (!chosen)
            return chosen.error();
        request.filter = chosen.takeValue();
    }
    return request;
}

} // namespace aether::http
