#include "scriptcommands.h"

#include "base/catalogue.h"
#include "bodies.h"
#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "learning/learningpolicy.h"
#include "terminaltable.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QSysInfo>

#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace aether::app {

namespace {

// The command line's texts share the catalogue context "Cli" with the options of main.cpp.
struct Cli {
    Q_DECLARE_TR_FUNCTIONS(Cli)
};

int usage(const QString &text)
{
    printLine(stderr, QStringLiteral("aether-console: ") + text);
    return ExitUsage;
}

// The one line on stderr for an error of a core operation on a key, and its exit status.
int report(const Error &error, const QString &keyId = {})
{
    QString text;
    if (error.code == ErrorCode::NotFound && error.message.isEmpty())
        text = Cli::tr("key %1 not found").arg(keyId);
    else if (error.code == ErrorCode::InvalidInput && error.reason == reason::requiredWhenFixed)
        text = Cli::tr("a fixed limit is needed: add --limit N");
    else if (error.code == ErrorCode::InvalidInput && error.reason == reason::extraForbidden)
        text = Cli::tr("%1 is not a setting of the learning policy").arg(error.field);
    else
        text = describeFailure(error);
    printLine(stderr, QStringLiteral("aether-console: ") + text);
    const bool storage = error.code == ErrorCode::StorageUnavailable || error.code == ErrorCode::StorageFailure;
    return storage ? ExitUnavailable : ExitRefused;
}

Language language()
{
    return Catalogue::resolve(QStringLiteral("system"));
}

void printJson(const QByteArray &body)
{
    std::fwrite(body.constData(), 1, size_t(body.size()), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void printJson(const QJsonObject &body)
{
    printJson(QJsonDocument(body).toJson(QJsonDocument::Compact));
}

Actor cliActor()
{
    const QString user = qEnvironmentVariable("USER", qEnvironmentVariable("LOGNAME", QStringLiteral("unknown")));
    return Actor{QStringLiteral("cli:%1@%2").arg(user, QSysInfo::machineHostName())};
}

QString optional(const std::optional<int> &value)
{
    return value ? QString::number(*value) : QStringLiteral("-");
}

QString modeText(bool adaptive)
{
    return adaptive ? Cli::tr("adaptive") : Cli::tr("fixed");
}

// Asks on the terminal; without a terminal the caller must have said --yes.
std::optional<int> confirm(const QString &question, bool yes)
{
    if (yes)
        return std::nullopt;
    if (!isatty(STDIN_FILENO))
        return usage(Cli::tr("this asks for confirmation: add --yes when no one can answer"));
    std::fputs(qUtf8Printable(question + u' ' + Cli::tr("[y/N]") + u' '), stderr);
    std::fflush(stderr);
    std::string answer;
    std::getline(std::cin, answer);
    const QString reply = QString::fromStdString(answer).trimmed().toLower();
    if (reply == u"y" || reply == u"yes" || reply == Cli::tr("y") || reply == Cli::tr("yes"))
        return std::nullopt;
    printLine(stderr, Cli::tr("Nothing was changed."));
    return ExitRefused;
}

std::optional<int> parseInt(const QString &text)
{
    bool ok = false;
    const int value = text.trimmed().toInt(&ok);
    return ok ? std::optional<int>(value) : std::nullopt;
}

int listKeys(const ScriptOptions &options, const QCommandLineParser &parser, KeyService &keys, KeyTable &table)
{
    const QString endpointId = parser.value(options.endpoint);
    const bool all = parser.isSet(options.all);
    if (parser.isSet(options.json)) {
        Result<QList<KeyListItem>> list = all ? keys.listAllKeys(endpointId) : keys.listAdaptiveKeys(endpointId);
        if (!list)
            return report(list.error());
        printJson(http::keyListBody(list.value()));
        return ExitOk;
    }
    KeyFilter filter;
    filter.mode = all ? KeyFilter::Mode::All : KeyFilter::Mode::Adaptive;
    filter.endpointId = endpointId;
    TextTable out({Cli::tr("ID"), Cli::tr("NAME"), Cli::tr("PROVIDER"), Cli::tr("ENDPOINT"), Cli::tr("MODE"),
                   Cli::tr("LIMIT"), Cli::tr("LEARNED"), Cli::tr("CONC. 429"), Cli::tr("RPM 429")},
                  {false, false, false, false, false, true, true, true, true});
    const Status scanned = table.scan(filter, KeyColumn::Provider, [&](const KeyRow &key) {
        out.addRow({key.id, key.name, key.provider, key.apiFormat, modeText(key.adaptive()), optional(key.effective),
                    optional(key.learned), QString::number(key.concurrent429), QString::number(key.rpm429)});
    });
    if (!scanned)
        return report(scanned.error());
    out.print(stdout);
    return ExitOk;
}

int showKey(const QString &keyId, bool json, KeyService &keys)
{
    Result<KeyStats> stats = keys.stats(keyId);
    if (!stats)
        return report(stats.error(), keyId);
    if (json) {
        printJson(http::statsBody(stats.value()));
        return ExitOk;
    }
    const KeyStats &s = stats.value();
    const QString last429 = s.last429At
                                ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(s.last429At->microseconds() / 1000),
                                                     QLocale::ShortFormat) +
                                      (s.last429Type ? QStringLiteral(" (%1)").arg(*s.last429Type) : QString())
                                : Cli::tr("never", "no 429 yet");
    TextTable fields({Cli::tr("KEY"), keyId});
    fields.addRow({Cli::tr("Mode"), modeText(s.adaptiveMode)});
    fields.addRow({Cli::tr("Fixed limit"), optional(s.maxConcurrent)});
    fields.addRow({Cli::tr("Effective limit"), QString::number(s.effectiveLimit)});
    fields.addRow({Cli::tr("Learned limit"), optional(s.learnedLimit)});
    fields.addRow({Cli::tr("Concurrency 429s"), QString::number(s.concurrent429Count)});
    fields.addRow({Cli::tr("RPM 429s"), QString::number(s.rpm429Count)});
    fields.addRow({Cli::tr("Last 429"), last429});
    fields.addRow({Cli::tr("Adjustments"), QString::number(s.adjustmentCount)});
    fields.print(stdout);
    if (s.recentAdjustments.isEmpty())
        return ExitOk;
    printLine(stdout, QString());
    TextTable history({Cli::tr("TIME"), Cli::tr("OLD"), Cli::tr("NEW"), Cli::tr("REASON")}, {false, true, true, false});
    for (const QJsonValue &value : s.recentAdjustments) {
        const QJsonObject record = value.toObject();
        history.addRow({record.value(QStringLiteral("timestamp")).toString(),
                        record.value(QStringLiteral("old_limit")).toVariant().toString(),
                        record.value(QStringLiteral("new_limit")).toVariant().toString(),
                        record.value(QStringLiteral("reason")).toString()});
    }
    history.print(stdout);
    return ExitOk;
}

// set-limit, set-mode and reset: one change through the core's one door.
int change(const KeyChange &request, bool json, KeyService &keys)
{
    Result<KeyChangeOutcome> outcome = keys.apply(request);
    if (!outcome)
        return report(outcome.error(), request.keyId);
    if (json) {
        printJson(http::changeBody(outcome.value(), language()));
        return ExitOk;
    }
    QString text;
    if (const auto *limit = std::get_if<LimitChange>(&outcome.value())) {
        text = limit->wasAdaptive ? Cli::tr("Key %1: fixed limit %2 (it was adaptive).")
                                  : Cli::tr("Key %1: fixed limit %2.");
        text = text.arg(limit->keyId).arg(limit->maxConcurrent);
    } else if (const auto *mode = std::get_if<ModeChange>(&outcome.value())) {
        text = mode->isAdaptive
                   ? Cli::tr("Key %1: adaptive mode; its limit is learned.").arg(mode->keyId)
                   : Cli::tr("Key %1: fixed limit %2.").arg(mode->keyId).arg(mode->maxConcurrent.value_or(0));
    } else if (const auto *reset = std::get_if<LearningReset>(&outcome.value())) {
        text = Cli::tr("Key %1: what was learned is reset.").arg(reset->keyId);
    }
    printLine(stdout, text);
    return ExitOk;
}

int summary(bool json, KeyService &keys)
{
    Result<Summary> result = keys.summary();
    if (!result)
        return report(result.error());
    if (json) {
        printJson(http::summaryBody(result.value()));
        return ExitOk;
    }
    const Summary &s = result.value();
    TextTable totals({Cli::tr("Adaptive keys"), QString::number(s.totalAdaptiveKeys)}, {false, true});
    totals.addRow({Cli::tr("Keys with a fixed limit"), QString::number(s.totalFixedKeys)});
    totals.addRow({Cli::tr("Concurrency 429s"), QString::number(s.totalConcurrent429Errors)});
    totals.addRow({Cli::tr("RPM 429s"), QString::number(s.totalRpm429Errors)});
    totals.addRow({Cli::tr("Adjustments"), QString::number(s.totalAdjustments)});
    totals.print(stdout);
    if (s.recentAdjustments.isEmpty())
        return ExitOk;
    printLine(stdout, QString());
    TextTable recent({Cli::tr("TIME"), Cli::tr("KEY"), Cli::tr("OLD"), Cli::tr("NEW"), Cli::tr("REASON")},
                     {false, false, true, true, false});
    for (const RecentAdjustment &r : s.recentAdjustments) {
        recent.addRow({r.record.value(QStringLiteral("timestamp")).toString(), r.keyName.value_or(r.keyId),
                       r.record.value(QStringLiteral("old_limit")).toVariant().toString(),
                       r.record.value(QStringLiteral("new_limit")).toVariant().toString(),
                       r.record.value(QStringLiteral("reason")).toString()});
    }
    recent.print(stdout);
    return ExitOk;
}

void printPolicy(const LearningPolicy &policy, bool json)
{
    const QJsonObject values = policy.toJson();
    if (json) {
        printJson(values);
        return;
    }
    TextTable out({Cli::tr("SETTING"), Cli::tr("VALUE")});
    for (auto it = values.constBegin(); it != values.constEnd(); ++it) {
        const QJsonValue v = it.value();
        out.addRow({it.key(), v.isString() ? v.toString() : v.toVariant().toString()});
    }
    out.print(stdout);
}

// KEY=VALUE: the value as JSON when it reads as JSON (numbers, true, false, null, "text"), else as a string.
std::optional<QJsonObject> policyPatch(const QStringList &assignments, QString *bad)
{
    QJsonObject patch;
    for (const QString &assignment : assignments) {
        const qsizetype equals = assignment.indexOf(u'=');
        if (equals <= 0) {
            *bad = assignment;
            return std::nullopt;
        }
        const QString value = assignment.mid(equals + 1).trimmed();
        const QJsonDocument parsed = QJsonDocument::fromJson(QByteArray('[' + value.toUtf8() + ']'));
        patch.insert(assignment.left(equals).trimmed(),
                     parsed.isArray() && parsed.array().size() == 1 ? parsed.array().at(0) : QJsonValue(value));
    }
    return patch;
}

int policy(const QStringList &arguments, const ScriptOptions &options, const QCommandLineParser &parser,
           KeyService &keys)
{
    const QString action = arguments.value(1, QStringLiteral("get"));
    const bool json = parser.isSet(options.json);
    Result<LearningPolicy> result = LearningPolicy{};
    if (action == u"get") {
        if (arguments.size() > 2)
            return usage(Cli::tr("policy get takes no arguments"));
        result = keys.learningPolicy();
    } else if (action == u"set") {
        if (arguments.size() < 3)
            return usage(Cli::tr("policy set needs KEY=VALUE arguments"));
        QString bad;
        const std::optional<QJsonObject> patch = policyPatch(arguments.mid(2), &bad);
        if (!patch)
            return usage(Cli::tr("\"%1\" is not KEY=VALUE").arg(bad));
        result = keys.updateLearningPolicy(*patch, cliActor());
    } else if (action == u"reset") {
        if (arguments.size() > 2)
            return usage(Cli::tr("policy reset takes no arguments"));
        if (const std::optional<int> stop = confirm(
                Cli::tr("Return the learning policy to its defaults for every key?"), parser.isSet(options.yes)))
            return *stop;
        result = keys.resetLearningPolicy(cliActor());
    } else {
        return usage(Cli::tr("unknown policy action \"%1\": use get, set or reset").arg(action));
    }
    if (!result)
        return report(result.error());
    printPolicy(result.value(), json);
    return ExitOk;
}

} // namespace

QString describeFailure(const Error &error)
{
    if (!error.message.isEmpty())
        return error.message;
    switch (error.code) {
    case ErrorCode::InvalidInput:
        return describeInvalidInput(error);
    case ErrorCode::NotFound:
        return Cli::tr("not found: %1").arg(error.text());
    case ErrorCode::Conflict:
        return Cli::tr("refused: %1").arg(error.text());
    case ErrorCode::StorageUnavailable:
        return Cli::tr("the database is unavailable: %1").arg(error.text());
    case ErrorCode::StorageFailure:
        break;
    }
    return Cli::tr("the database reported an error: %1").arg(error.text());
}

void ScriptOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions({endpoint, all, limit, yes, json});
    parser.setApplicationDescription(parser.applicationDescription() + QStringLiteral("\n\n") + synopsis());
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QCoreApplication::translate("Cli", "keys, key, set-limit, set-mode, reset, summary or "
                                                                    "policy, with its arguments (see above)."),
                                 // Like the options' value names, placeholders stay ASCII in every language: Qt aligns
                                 // --help by characters, not by display width, so a Chinese name would shift the
                                 // description beside it.
                                 QStringLiteral("[command [arguments]]"));
}

QString ScriptOptions::synopsis()
{
    return QCoreApplication::translate(
        "Cli", "Commands for scripts, instead of the window:\n"
               "  keys [--endpoint ID] [--all]     the adaptive keys (--all: every key)\n"
               "  key ID                           a key's statistics\n"
               "  set-limit ID N                   a fixed limit of N (1 to 100)\n"
               "  set-mode ID adaptive|fixed [--limit N]\n"
               "  reset ID [--yes]                 forget what was learned for the key\n"
               "  summary                          totals over the adaptive keys\n"
               "  policy [get | set KEY=VALUE... | reset [--yes]]\n"
               "Add --json for the HTTP API's answer. Exit status: 0 done, 1 refused, 2 usage error, 3 database "
               "unavailable.");
}

bool isScriptCommand(const QString &name)
{
    static const QStringList names{QStringLiteral("keys"),     QStringLiteral("key"),   QStringLiteral("set-limit"),
                                   QStringLiteral("set-mode"), QStringLiteral("reset"), QStringLiteral("summary"),
                                   QStringLiteral("policy")};
    return names.contains(name);
}

int runScriptCommand(const QStringList &arguments, const ScriptOptions &options, const QCommandLineParser &parser,
                     KeyService &keys, KeyTable &table)
{
    const QString command = arguments.value(0);
    const bool json = parser.isSet(options.json);
    const auto expect = [&](qsizetype count, const QString &form) -> std::optional<int> {
        if (arguments.size() != count)
            return usage(Cli::tr("usage: aether-console %1").arg(form));
        return std::nullopt;
    };
    if (command == u"keys") {
        if (auto bad = expect(1, QStringLiteral("keys [--endpoint ID] [--all] [--json]")))
            return *bad;
        return listKeys(options, parser, keys, table);
    }
    if (command == u"key") {
        if (auto bad = expect(2, QStringLiteral("key ID [--json]")))
            return *bad;
        return showKey(arguments.at(1), json, keys);
    }
    if (command == u"set-limit") {
        if (auto bad = expect(3, QStringLiteral("set-limit ID N [--json]")))
            return *bad;
        const std::optional<int> limit = parseInt(arguments.at(2));
        if (!limit)
            return usage(Cli::tr("the limit must be a whole number, not \"%1\"").arg(arguments.at(2)));
        return change(KeyChange::setLimit(arguments.at(1), *limit, cliActor()), json, keys);
    }
    if (command == u"set-mode") {
        if (auto bad = expect(3, QStringLiteral("set-mode ID adaptive|fixed [--limit N] [--json]")))
            return *bad;
        const QString mode = arguments.at(2);
        if (mode != u"adaptive" && mode != u"fixed")
            return usage(Cli::tr("the mode must be adaptive or fixed, not \"%1\"").arg(mode));
        std::optional<int> limit;
        if (parser.isSet(options.limit)) {
            limit = parseInt(parser.value(options.limit));
            if (!limit)
                return usage(Cli::tr("the limit must be a whole number, not \"%1\"").arg(parser.value(options.limit)));
        }
        return change(KeyChange::setMode(arguments.at(1), mode == u"adaptive", limit, cliActor()), json, keys);
    }
    if (command == u"reset") {
        if (auto bad = expect(2, QStringLiteral("reset ID [--yes] [--json]")))
            return *bad;
        Result<bool> exists = keys.keyExists(arguments.at(1));
        if (!exists)
            return report(exists.error(), arguments.at(1));
        if (!exists.value())
            return report(Error::notFound(), arguments.at(1));
        if (const std::optional<int> stop =
                confirm(Cli::tr("Reset what was learned for key %1?").arg(arguments.at(1)), parser.isSet(options.yes)))
            return *stop;
        return change(KeyChange::resetLearning(arguments.at(1), cliActor()), json, keys);
    }
    if (command == u"summary") {
        if (auto bad = expect(1, QStringLiteral("summary [--json]")))
            return *bad;
        return summary(json, keys);
    }
    if (command == u"policy")
        return policy(arguments, options, parser, keys);
    return usage(Cli::tr("unknown command \"%1\"; see --help").arg(command));
}

} // namespace aether::app
