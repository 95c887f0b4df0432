#pragma once

#include "base/error.h"

#include <QSslConfiguration>
#include <QString>

namespace aether::http {

// The server side of HTTPS from a PEM certificate (with its chain) and a PEM private key (RSA, EC or DSA). Whether the
// two belong together shows at the first handshake. The error's detail names the file and what is wrong with it.
Result<QSslConfiguration> loadTlsConfiguration(const QString &certificateFile, const QString &keyFile);

} // namespace aether::http
