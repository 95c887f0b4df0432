#include "tlsconfig.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace aether::http {

namespace {

constexpr qint64 maxPemBytes = 1024 * 1024;

Result<QByteArray> readPem(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error::invalid({}, reason::invalidValue, {},
                              QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    const QByteArray pem = file.read(maxPemBytes + 1);
    if (pem.size() > maxPemBytes)
        return Error::invalid({}, reason::invalidValue, {}, QStringLiteral("%1 is too large for a PEM file").arg(path));
    return pem;
}

} // namespace

Result<QSslConfiguration> loadTlsConfiguration(const QString &certificateFile, const QString &keyFile)
{
    if (!QSslSocket::supportsSsl())
        return Error::invalid({}, reason::invalidValue, {},
                              QStringLiteral("TLS is not available: Qt found no TLS backend (%1)")
                                  .arg(QSslSocket::sslLibraryVersionString()));
    Result<QByteArray> certPem = readPem(certificateFile);
    if (!certPem)
        return certPem.error();
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem.value(), QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull())
        return Error::invalid({}, reason::invalidValue, {},
                              QStringLiteral("%1 holds no PEM certificate").arg(certificateFile));
    Result<QByteArray> keyPem = readPem(keyFile);
    if (!keyPem)
        return keyPem.error();
    QSslKey key;
    for (QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(keyPem.value(), algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull())
        return Error::invalid({}, reason::invalidValue, {},
                              QStringLiteral("%1 holds no unencrypted PEM private key").arg(keyFile));
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    return configuration;
}

} // namespace aether::http
