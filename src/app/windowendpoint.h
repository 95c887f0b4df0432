#pragma once

#include "httpendpoint.h"
#include "httpendpointservice.h"

#include <memory>

namespace aether::app {

// The HTTP endpoint as the window starts and stops it: an HttpEndpoint built on start and dropped on stop.
class WindowEndpoint : public gui::HttpEndpointService {
public:
    WindowEndpoint(Database &db, KeyService &keys, TokenStore &tokens);
    ~WindowEndpoint() override;

    Result<quint16> start(const gui::EndpointSettings &settings) override;
    void stop() override;
    bool isRunning() const override { return m_endpoint != nullptr; }
    bool isTls() const override { return m_endpoint && m_endpoint->server().isTls(); }
    Status checkTlsFiles(const QString &certificateFile, const QString &keyFile) const override;

private:
    Database &m_db;
    KeyService &m_keys;
    TokenStore &m_tokens;
    std::unique_ptr<HttpEndpoint> m_endpoint;
};

} // namespace aether::app
