#include "windowendpoint.h"

#include "tlsconfig.h"

namespace aether::app {

WindowEndpoint::WindowEndpoint(Database &db, KeyService &keys, TokenStore &tokens)
    : m_db(db)
    , m_keys(keys)
    , m_tokens(tokens)
{
}

WindowEndpoint::~WindowEndpoint()
{
    stop();
}

Result<quint16> WindowEndpoint::start(const gui::EndpointSettings &settings)
{
    if (m_endpoint)
        return Error::conflict().told(QT_TRANSLATE_NOOP("Error", "the HTTP API is running already"));
    QHostAddress address;
    if (!address.setAddress(settings.address))
        address = QHostAddress::LocalHost;
    auto endpoint = std::make_unique<HttpEndpoint>(m_db, m_keys, m_tokens);
    if (!settings.tlsCertificateFile.isEmpty()) {
        Result<QSslConfiguration> tls = http::loadTlsConfiguration(settings.tlsCertificateFile, settings.tlsKeyFile);
        if (!tls)
            return tls.error();
        endpoint->server().setTlsConfiguration(tls.value());
    }
    Result<quint16> port = endpoint->listen(address, settings.port);
    if (port)
        m_endpoint = std::move(endpoint);
    return port;
}

void WindowEndpoint::stop()
{
    if (!m_endpoint)
        return;
    m_endpoint->stopListening();
    m_endpoint.reset();
}

Status WindowEndpoint::checkTlsFiles(const QString &certificateFile, const QString &keyFile) const
{
    const Result<QSslConfiguration> tls = http::loadTlsConfiguration(certificateFile, keyFile);
    return tls ? Status(Done{}) : Status(tls.error());
}

} // namespace aether::app
