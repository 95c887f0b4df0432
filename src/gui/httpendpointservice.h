#pragma once

#include "base/error.h"

#include <QString>

namespace aether::gui {

// Where and how the window's HTTP endpoint is to listen (from the settings).
struct EndpointSettings {
    QString address; // an IP address; anything else means 127.0.0.1
    quint16 port = 0;
    QString tlsCertificateFile; // both empty: plain HTTP
    QString tlsKeyFile;
};

// The console's HTTP endpoint as the window sees it: start and stop. The program builds it (src/app) and owns the
// API server and the writer behind it; the window never sees the HTTP layer.
class HttpEndpointService {
public:
    virtual ~HttpEndpointService() = default;
    // Starts listening; the bound port, or why it cannot (the detail says what happened).
    virtual Result<quint16> start(const EndpointSettings &settings) = 0;
    virtual void stop() = 0;
    virtual bool isRunning() const = 0;
    virtual bool isTls() const = 0;
    // Whether a certificate and key file can serve HTTPS (the error's detail says what is wrong with which file).
    virtual Status checkTlsFiles(const QString &certificateFile, const QString &keyFile) const = 0;
};

} // namespace aether::gui
