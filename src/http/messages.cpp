#include "messages.h"

#include <QList>

namespace aether::http {

Language languageFromAcceptLanguage(const QByteArray &header)
{
    // The tag with the highest q wins; among equals the first one.
    QByteArray best;
    double bestQ = -1;
    for (const QByteArray &part : header.split(',')) {
        const QList<QByteArray> pieces = part.split(';');
        const QByteArray tag = pieces.first().trimmed();
        if (tag.isEmpty())
            continue;
        double q = 1.0;
        for (qsizetype i = 1; i < pieces.size(); ++i) {
            const QByteArray param = pieces.at(i).trimmed();
            if (param.startsWith("q=")) {
                bool ok = false;
                q = param.mid(2).toDouble(&ok);
                if (!ok)
                    q = 0;
            }
        }
        if (q > 0 && q > bestQ) { // q=0 means "not acceptable"
            bestQ = q;
            best = tag;
        }
    }
    return best.toLower().startsWith("en") ? Language::English : Language::Chinese;
}

QString text(Message message, Language language)
{
    const bool en = language == Language::English;
    switch (message) {
    case Message::MissingCredentials:
        return en ? QStringLiteral("Missing admin credentials") : QStringLiteral("缺少管理员凭证");
    case Message::InvalidToken:
        return en ? QStringLiteral("Invalid token") : QStringLiteral("无效的Token");
    case Message::AdminRequired:
        return en ? QStringLiteral("Admin privileges required") : QStringLiteral("需要管理员权限");
    case Message::KeyNotFound:
        return QStringLiteral("Key not found");
    case Message::EmptyBody:
        return en ? QStringLiteral("Request body must not be empty") : QStringLiteral("请求体不能为空");
    case Message::InvalidJson:
        return en ? QStringLiteral("Request body must be valid JSON") : QStringLiteral("请求体必须是合法的JSON");
    case Message::BodyTooLarge:
        return en ? QStringLiteral("Request body too large") : QStringLiteral("请求体过大");
    case Message::FixedLimitRequired:
        return en ? QStringLiteral("fixed_limit is required when disabling adaptive mode")
                  : QStringLiteral("禁用自适应模式时必须提供 fixed_limit 参数");
    case Message::DatabaseError:
        return en ? QStringLiteral("Database connection error, retrying...")
                  : QStringLiteral("数据库连接异常，正在重试...");
    case Message::SwitchedToAdaptive:
        return en ? QStringLiteral("Switched to adaptive mode; the concurrency limit will be learned and adjusted "
                                   "automatically")
                  : QStringLiteral("已切换为自适应模式，系统将自动学习并调整并发限制");
    case Message::SwitchedToFixed:
        return en ? QStringLiteral("Switched to fixed-limit mode; concurrency limit set to %1")
                  : QStringLiteral("已切换为固定限制模式，并发限制设为 %1");
    case Message::SetFixedLimit:
        return en ? QStringLiteral("Set to fixed-limit mode with a concurrency limit of %1")
                  : QStringLiteral("已设置为固定限制模式，并发限制为 %1");
    case Message::LearningReset:
        return en ? QStringLiteral("Learning state reset") : QStringLiteral("学习状态已重置");
    }
    return {};
}

QString fieldLabel(const QString &field, Language language)
{
    if (language == Language::English)
        return field;
    if (field == u"enabled")
        return QStringLiteral("启用状态");
    if (field == u"fixed_limit")
        return QStringLiteral("固定限制");
    return field;
}

QString validationReason(const QString &reason, const QVariant &bound, Language language)
{
    const bool en = language == Language::English;
    if (reason == u"missing")
        return en ? QStringLiteral("Field required") : QStringLiteral("此字段为必填项");
    if (reason == u"bool_type")
        return en ? QStringLiteral("Input should be a valid boolean") : QStringLiteral("输入应为布尔值");
    if (reason == u"bool_parsing")
        return en ? QStringLiteral("Input should be a valid boolean, unable to interpret input")
                  : QStringLiteral("输入应为布尔值, unable to interpret input");
    if (reason == u"int_type")
        return en ? QStringLiteral("Input should be a valid integer") : QStringLiteral("输入应为有效的整数");
    if (reason == u"int_parsing")
        return en ? QStringLiteral("Input should be a valid integer, unable to parse string as an integer")
                  : QStringLiteral("输入应为有效的整数, unable to parse string as an integer");
    if (reason == u"int_from_float")
        return en ? QStringLiteral("Input should be a valid integer, got a number with a fractional part")
                  : QStringLiteral("输入应为有效的整数, got a number with a fractional part");
    if (reason == u"greater_than_equal")
        return (en ? QStringLiteral("Input should be greater than or equal to %1")
                   : QStringLiteral("数值应大于或等于 %1"))
            .arg(bound.toString());
    if (reason == u"less_than_equal")
        return (en ? QStringLiteral("Input should be less than or equal to %1") : QStringLiteral("数值应小于或等于 %1"))
            .arg(bound.toString());
    if (reason == u"dict_type")
        return en ? QStringLiteral("Input should be a valid dictionary or instance of EnableAdaptiveRequest")
                  : QStringLiteral("输入应为有效的字典 or instance of EnableAdaptiveRequest");
    return reason;
}

} // namespace aether::http
