#include "apiserver.h"

#include "keys/changewriter.h"
#include "storage/database.h"
#include "jsonwriter.h"
#include "keys/keyservice.h"
#include "modebody.h"
#include "responses.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <limits>
#include <memory>

namespace aether::http {

using StatusCode = QHttpServerResponder::StatusCode;

ApiServer::ApiServer(Database &db, KeyService &keys, TokenStore &tokens, ChangeWriter &writer, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_keys(keys)
    , m_tokens(tokens)
    , m_writer(writer)
{
    addRoutes();
}

void ApiServer::addRoutes()
{
    // Every path answers every method: a wrong method is a 405 with Allow, decided before authentication.
    const QString base = QStringLiteral("/api/admin/adaptive");
    m_server.route(base + u"/keys", [this](const QHttpServerRequest &r) { return listKeys(r); });
    const auto deferred = [this](Prepared (ApiServer::*prepare)(const QString &, const QHttpServerRequest &)) {
        return [this, prepare](const QString &id, const QHttpServerRequest &r, QHttpServerResponder &&responder) {
            submit((this->*prepare)(id, r), r, std::move(responder));
        };
    };
    m_server.route(base + u"/keys/<arg>/mode", deferred(&ApiServer::prepareSetMode));
    m_server.route(base + u"/keys/<arg>/stats",
                   [this](const QString &id, const QHttpServerRequest &r) { return stats(id, r); });
    m_server.route(base + u"/keys/<arg>/learning", deferred(&ApiServer::prepareReset));
    m_server.route(base + u"/keys/<arg>/limit",
                   [this](const QString &id, const QHttpServerRequest &r, QHttpServerResponder &&responder) {
                       if (r.method() == Method::Get)
                           enforcedLimit(id, r).write(std::move(responder));
                       else
                           submit(prepareSetLimit(id, r), r, std::move(responder));
                   });
    m_server.route(base + u"/keys/<arg>/events",
                   [this](const QString &id, const QHttpServerRequest &r, QHttpServerResponder &&responder) {
                       postEvent(id, r, std::move(responder));
                   });
    m_server.route(base + u"/events", [this](const QHttpServerRequest &r, QHttpServerResponder &&responder) {
        postEvents(r, std::move(responder));
    });
    m_server.route(base + u"/policy", [this](const QHttpServerRequest &r) { return policy(r); });
    m_server.route(base + u"/summary", [this](const QHttpServerRequest &r) { return summary(r); });
    m_server.route(QStringLiteral("/healthz"), [this](const QHttpServerRequest &r) { return health(r); });
    m_server.route(QStringLiteral("/version"), [](const QHttpServerRequest &r) { return version(r); });
    m_server.setMissingHandler([](const QHttpServerRequest &, QHttpServerResponder &&responder) {
        detail("Not Found", StatusCode::NotFound).write(std::move(responder));
    });
}

Result<quint16> ApiServer::listen(const QHostAddress &address, quint16 port)
{
    if (!address.isLoopback()) {
        const qsizetype envLength = m_tokens.environmentTokenLength();
        if (envLength > 0 && envLength < TokenStore::minRemoteTokenLength)
            return Error::conflict(QStringLiteral("refusing to listen on %1: AETHER_CONSOLE_TOKEN has %2 characters, "
                                                  "at least %3 are needed beyond loopback")
                                       .arg(address.toString())
                                       .arg(envLength)
                                       .arg(TokenStore::minRemoteTokenLength));
        Result<bool> anyToken = m_tokens.hasAnyToken();
        if (!anyToken)
            return anyToken.error();
        if (!anyToken.value())
            return Error::conflict(QStringLiteral("refusing to listen on %1 without any API token: create one with "
                                                  "--create-token NAME or set AETHER_CONSOLE_TOKEN")
                                       .arg(address.toString()));
    }
    auto *guard = new ConnectionGuard(m_guardLimits, &ApiServer::bodyLimitFor);
    if (m_tls)
        guard->setTlsConfiguration(*m_tls);
    if (!guard->listen(address, port)) {
        const QString why = guard->errorString();
        delete guard;
        return Error::unavailable(
            QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(why));
    }
    m_server.bind(guard);
    return guard->serverPort();
}

qsizetype ApiServer::bodyLimitFor(const RequestHead &head)
{
    if (head.method == "POST" && head.path() == "/api/admin/adaptive/events")
        return maxBatchBodyBytes;
    return maxBodyBytes;
}

void ApiServer::stopListening()
{
    for (QTcpServer *server : m_server.servers())
        server->close();
}

namespace {

// The guard sets this header on a request whose body was over the route's limit and was not read.
bool bodyOverLimit(const QHttpServerRequest &request, qsizetype maxBody)
{
    return request.body().size() > maxBody || !request.value(ConnectionGuard::bodyOverLimitHeader).isEmpty();
}

} // namespace

std::optional<QHttpServerResponse> ApiServer::admit(const QHttpServerRequest &request, Method expected, Access access,
                                                    std::optional<Caller> *caller, const QList<Method> &pathMethods,
                                                    qsizetype maxBody)
{
    const auto language = [&request] { return languageOf(request); }; // only errors need it
    if (request.method() != expected)
        return methodNotAllowed(pathMethods.isEmpty() ? QList<Method>{expected} : pathMethods);
    const QByteArray authorization = headerValue(request, QByteArrayLiteral("Authorization")).trimmed();
    const qsizetype space = authorization.indexOf(' ');
    if (space <= 0 || authorization.left(space).compare("bearer", Qt::CaseInsensitive) != 0 ||
        authorization.mid(space + 1).trimmed().isEmpty())
        return errorBody("http_error", text(Message::MissingCredentials, language()), StatusCode::Unauthorized);
    if (const std::optional<int> wait = m_throttle.blockedFor(request.remoteAddress())) {
        QHttpServerResponse refused =
            errorBody("http_error", text(Message::TooManyAuthFailures, language()), StatusCode::TooManyRequests);
        refused.setHeader(QByteArrayLiteral("Retry-After"), QByteArray::number(*wait));
        return refused;
    }
    const QString secret = QString::fromUtf8(authorization.mid(space + 1).trimmed());
    Result<std::optional<Caller>> found = m_tokens.authenticate(secret);
    if (!found)
        return errorResponse(found.error(), language());
    if (!found.value()) {
        m_throttle.recordFailure(request.remoteAddress());
        return errorBody("http_error", text(Message::InvalidToken, language()), StatusCode::Unauthorized);
    }
    const Role role = found.value()->role;
    bool permitted = role == Role::Admin;
    switch (access) {
    case Access::Read:
        permitted = role != Role::Gateway;
        break;
    case Access::Write:
        break;
    case Access::Report:
        permitted = permitted || role == Role::Gateway;
        break;
    case Access::Enforce:
        permitted = true;
        break;
    }
    if (!permitted)
        return errorBody("http_error", text(Message::AdminRequired, language()), StatusCode::Forbidden);
    if (bodyOverLimit(request, maxBody))
        return errorBody("http_error", text(Message::BodyTooLarge, language()), StatusCode::PayloadTooLarge);
    *caller = found.value();
    return std::nullopt;
}

std::optional<QHttpServerResponse> ApiServer::admitOpen(const QHttpServerRequest &request)
{
    if (request.method() != Method::Get)
        return methodNotAllowed({Method::Get});
    if (bodyOverLimit(request, maxBodyBytes))
        return errorBody("http_error", text(Message::BodyTooLarge, languageOf(request)), StatusCode::PayloadTooLarge);
    return std::nullopt;
}

std::pair<StatusCode, QJsonObject> ApiServer::errorParts(const Error &error, Language language) const
{
    const auto body = [](const char *type, const QString &message) {
        return QJsonObject{{QStringLiteral("type"), QLatin1StringView(type)}, {QStringLiteral("message"), message}};
    };
    switch (error.code) {
    case ErrorCode::NotFound:
        return {StatusCode::NotFound, body("http_error", text(Message::KeyNotFound, language))};
    case ErrorCode::InvalidInput: {
        if (error.reason == reason::emptyBody)
            return {StatusCode::BadRequest, body("http_error", text(Message::EmptyBody, language))};
        if (error.reason == reason::invalidJson)
            return {StatusCode::BadRequest, body("http_error", text(Message::InvalidJson, language))};
        if (error.reason == reason::requiredWhenFixed)
            return {StatusCode::BadRequest, body("http_error", text(Message::FixedLimitRequired, language))};
        const QString why = validationReason(error.reason, error.bound, language);
        return {StatusCode::BadRequest,
                body("invalid_request", error.field.isEmpty() ? why : fieldLabel(error.field, language) + u": " + why)};
    }
    case ErrorCode::StorageFailure:
        if (!error.reason.isEmpty()) {
            // The data or the disk is broken: retrying will not help. The log has the details under a reference.
            const QString reference = m_storageLog.failed(error);
            return {StatusCode::InternalServerError,
                    body("system_error", text(Message::StorageBroken, language).arg(reference))};
        }
        break;
    case ErrorCode::StorageUnavailable:
    case ErrorCode::Conflict:
        break;
    }
    m_storageLog.failed(error);
    return {StatusCode::ServiceUnavailable, body("system_error", text(Message::DatabaseError, language))};
}

QHttpServerResponse ApiServer::rejectBody(const QString &keyId, const Error &problem, Language language)
{
    // The seed looks the key up before it reads the body: a missing key wins over a bad body.
    Result<bool> exists = m_keys.keyExists(keyId);
    if (!exists)
        return errorResponse(exists.error(), language);
    if (!exists.value())
        return errorResponse(Error::notFound(keyId), language);
    return errorResponse(problem, language);
}

QHttpServerResponse ApiServer::errorResponse(const Error &error, Language language) const
{
    const auto [status, body] = errorParts(error, language);
    QHttpServerResponse response = json(QJsonObject{{QStringLiteral("error"), body}}, status);
    if (status == StatusCode::ServiceUnavailable)
        response.setHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
    return response;
}

QHttpServerResponse ApiServer::listKeys(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Get, Access::Read, &caller))
        return std::move(*refused);
    const QString endpointId = request.query().queryItemValue(QStringLiteral("endpoint_id"), QUrl::FullyDecoded);
    const std::optional<QByteArray> revision = m_keys.dataRevision();
    if (revision && m_keysCache && m_keysCache->revision == *revision && m_keysCache->endpointId == endpointId)
        return QHttpServerResponse(jsonMime, m_keysCache->body);
    Result<QList<KeyListItem>> keys = m_keys.listAdaptiveKeys(endpointId);
    if (!keys)
        return errorResponse(keys.error(), languageOf(request));
    JsonWriter out(keys.value().size() * 280 + 2);
    out.beginArray();
    for (const KeyListItem &key : keys.value()) {
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
    out.endArray();
    QByteArray body = out.take();
    if (revision)
        m_keysCache = RenderedKeys{*revision, endpointId, body};
    return QHttpServerResponse(jsonMime, std::move(body));
}

ApiServer::Prepared ApiServer::prepareSetMode(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Patch, Access::Write, &caller))
        return std::move(*refused);
    const auto parsed = parseModeBody(request.body());
    if (const auto *problem = std::get_if<BodyProblem>(&parsed)) {
        switch (problem->kind) {
        case BodyProblem::Kind::Empty:
            return rejectBody(keyId, Error::invalid({}, reason::emptyBody), languageOf(request));
        case BodyProblem::Kind::InvalidJson:
            return rejectBody(keyId, Error::invalid({}, reason::invalidJson), languageOf(request));
        case BodyProblem::Kind::Field:
            return rejectBody(keyId, Error::invalid(problem->field, problem->reason), languageOf(request));
        }
    }
    const ModeRequest &body = std::get<ModeRequest>(parsed);
    KeyChange change;
    change.kind = KeyChange::Kind::SetMode;
    change.keyId = keyId;
    change.adaptive = body.enabled;
    if (body.fixedLimit)
        change.limit = int(
            qBound(qint64(std::numeric_limits<int>::min()), *body.fixedLimit, qint64(std::numeric_limits<int>::max())));
    change.actor = Actor{u"token:" + caller->name};
    return change;
}

QHttpServerResponse ApiServer::stats(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Get, Access::Read, &caller))
        return std::move(*refused);
    const std::optional<QByteArray> revision = m_keys.cheapDataRevision();
    if (revision) {
        if (const RenderedStats *cached = m_statsCache.object(keyId); cached && cached->revision == *revision)
            return QHttpServerResponse(jsonMime, cached->body);
    }
    Result<KeyStats> result = m_keys.stats(keyId);
    if (!result)
        return errorResponse(result.error(), languageOf(request));
    const KeyStats &s = result.value();
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
    QByteArray body = out.take();
    if (revision)
        m_statsCache.insert(keyId, new RenderedStats{*revision, body});
    return QHttpServerResponse(jsonMime, std::move(body));
}

ApiServer::Prepared ApiServer::prepareReset(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Delete, Access::Write, &caller))
        return std::move(*refused);
    KeyChange change;
    change.kind = KeyChange::Kind::ResetLearning;
    change.keyId = keyId;
    change.actor = Actor{u"token:" + caller->name};
    return change;
}

ApiServer::Prepared ApiServer::prepareSetLimit(const QString &keyId, const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Patch, Access::Write, &caller, {Method::Get, Method::Patch}))
        return std::move(*refused);
    // FastAPI validates the query before the handler runs: 422 comes before the key lookup.
    const QUrlQuery query = request.query();
    if (!query.hasQueryItem(QStringLiteral("limit")))
        return queryError("missing", "Field required", QJsonValue::Null);
    const QStringList values = query.allQueryItemValues(QStringLiteral("limit"), QUrl::FullyDecoded);
    const QString raw = values.isEmpty() ? QString() : values.last();
    const std::optional<qint64> limit = parseIntegerString(raw);
    if (!limit)
        return queryError("int_parsing", "Input should be a valid integer, unable to parse string as an integer", raw);
    if (*limit < KeyService::minFixedLimit)
        return queryError("greater_than_equal", "Input should be greater than or equal to 1", raw,
                          {{QStringLiteral("ge"), KeyService::minFixedLimit}});
    if (*limit > KeyService::maxFixedLimit)
        return queryError("less_than_equal", "Input should be less than or equal to 100", raw,
                          {{QStringLiteral("le"), KeyService::maxFixedLimit}});
    KeyChange change;
    change.kind = KeyChange::Kind::SetLimit;
    change.keyId = keyId;
    change.limit = int(*limit);
    change.actor = Actor{u"token:" + caller->name};
    return change;
}

void ApiServer::submit(Prepared prepared, const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    if (auto *response = std::get_if<QHttpServerResponse>(&prepared)) {
        response->write(std::move(responder));
        return;
    }
    const Language language = languageOf(request);
    submitChanges(
        {std::get<KeyChange>(std::move(prepared))},
        [this, language](const Outcomes &outcomes) { return renderChange(outcomes.constFirst(), language); },
        std::move(responder));
}

void ApiServer::submitChanges(QList<KeyChange> changes, Render render, QHttpServerResponder &&responder)
{
    // The changes of one pass of the event loop go to the writer as one group; the writer commits every group waiting
    // for it in one transaction (group commit), and each request is answered once that commit is done. A socket that
    // went away meanwhile gets no answer.
    QPointer<QTcpSocket> socket(responder.socket());
    m_pending.push_back({std::move(changes), std::move(render), socket, std::move(responder)});
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        QTimer::singleShot(0, this, &ApiServer::flushChanges);
    }
}

void ApiServer::flushChanges()
{
    m_flushScheduled = false;
    auto group = std::make_shared<std::vector<PendingChange>>();
    group->swap(m_pending);
    QList<KeyChange> changes;
    changes.reserve(qsizetype(group->size()));
    for (const PendingChange &p : *group)
        changes += p.changes;
    m_writer.apply(std::move(changes), [this, group](const Outcomes &outcomes) {
        const bool stored = std::any_of(outcomes.begin(), outcomes.end(), [](const Result<KeyChangeOutcome> &o) {
            return o.ok() ||
                   (o.error().code != ErrorCode::StorageUnavailable && o.error().code != ErrorCode::StorageFailure);
        });
        if (stored)
            m_storageLog.succeeded();
        qsizetype offset = 0;
        for (PendingChange &p : *group) {
            const qsizetype count = p.changes.size();
            if (p.socket && p.socket->isOpen())
                p.render(outcomes.mid(offset, count)).write(std::move(p.responder));
            offset += count;
        }
    });
}

QHttpServerResponse ApiServer::renderChange(const Result<KeyChangeOutcome> &outcome, Language language) const
{
    if (!outcome)
        return errorResponse(outcome.error(), language);
    JsonWriter out(256);
    out.beginObject();
    if (const auto *c = std::get_if<ModeChange>(&outcome.value())) {
        out.key("message"), out.string(c->isAdaptive ? text(Message::SwitchedToAdaptive, language)
                                                     : text(Message::SwitchedToFixed, language).arg(*c->maxConcurrent));
        out.key("key_id"), out.string(c->keyId);
        out.key("is_adaptive"), out.boolean(c->isAdaptive);
        out.key("max_concurrent"), out.optionalNumber(c->maxConcurrent);
        out.key("effective_limit"), out.optionalNumber(c->effectiveLimit);
    } else if (const auto *c = std::get_if<LimitChange>(&outcome.value())) {
        out.key("message"), out.string(text(Message::SetFixedLimit, language).arg(c->maxConcurrent));
        out.key("key_id"), out.string(c->keyId);
        out.key("is_adaptive"), out.boolean(false);
        out.key("max_concurrent"), out.number(c->maxConcurrent);
        out.key("previous_mode"), out.string(c->wasAdaptive ? u"adaptive" : u"fixed");
    } else if (const auto *c = std::get_if<LearningReset>(&outcome.value())) {
        out.key("message"), out.string(text(Message::LearningReset, language));
        out.key("key_id"), out.string(c->keyId);
    } else {
        return json(eventAnswer(std::get<EventOutcome>(outcome.value())));
    }
    out.endObject();
    return QHttpServerResponse(jsonMime, out.take());
}

QHttpServerResponse ApiServer::summary(const QHttpServerRequest &request)
{
    std::optional<Caller> caller;
    if (auto refused = admit(request, Method::Get, Access::Read, &caller))
        return std::move(*refused);
    Result<Summary> result = m_keys.summary();
    if (!result)
        return errorResponse(result.error(), languageOf(request));
    const Summary &s = result.value();
    QJsonArray recent;
    for (const RecentAdjustment &item : s.recentAdjustments) {
        // {"key_id", "key_name", **record}: the record's own fields win, as in the seed.
        QJsonObject merged{{QStringLiteral("key_id"), item.keyId},
                           {QStringLiteral("key_name"), optionalJson(item.keyName)}};
        for (auto it = item.record.begin(); it != item.record.end(); ++it)
            merged.insert(it.key(), it.value());
        recent.append(merged);
    }
    return json(QJsonObject{{QStringLiteral("total_adaptive_keys"), s.totalAdaptiveKeys},
                            {QStringLiteral("total_concurrent_429_errors"), s.totalConcurrent429Errors},
                            {QStringLiteral("total_rpm_429_errors"), s.totalRpm429Errors},
                            {QStringLiteral("total_adjustments"), s.totalAdjustments},
                            {QStringLiteral("recent_adjustments"), recent}});
}

QHttpServerResponse ApiServer::version(const QHttpServerRequest &request)
{
    // A constant answer that touches no database: the ceiling the benchmark compares the other routes with.
    if (auto refused = admitOpen(request))
        return std::move(*refused);
    static const QByteArray body =
        QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("aether-console")},
                                  {QStringLiteral("version"), QStringLiteral(AETHER_CONSOLE_VERSION)}})
            .toJson(QJsonDocument::Compact);
    return QHttpServerResponse(jsonMime, body);
}

QHttpServerResponse ApiServer::health(const QHttpServerRequest &request)
{
    if (auto refused = admitOpen(request))
        return std::move(*refused);
    const Status ping = m_db.ping();
    if (!ping) {
        m_storageLog.failed(ping.error());
        QHttpServerResponse response = json(QJsonObject{{QStringLiteral("status"), QStringLiteral("degraded")},
                                                        {QStringLiteral("database"), QStringLiteral("unavailable")}},
                                            StatusCode::ServiceUnavailable);
        response.setHeader(QByteArrayLiteral("Retry-After"), QByteArrayLiteral("1"));
        return response;
    }
    // The database answers, but a recent change failed for a reason retrying will not cure (disk full, corrupt or
    // read-only file): say so, with the reason.
    if (const std::optional<QString> broken = m_storageLog.recentBreakage())
        return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("degraded")},
                                {QStringLiteral("database"), QStringLiteral("degraded")},
                                {QStringLiteral("reason"), *broken}},
                    StatusCode::ServiceUnavailable);
    return json(QJsonObject{{QStringLiteral("status"), QStringLiteral("ok")},
                            {QStringLiteral("database"), QStringLiteral("ok")}});
}

} // namespace aether::http
