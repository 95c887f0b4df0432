#include "tlsconfig.h"

#include <QFile>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>

namespace aether::http {

namespace {

constexpr qint64 maxPemBytes = 1024 * 1024;

Error invalidFile()
{
    return Error::invalid({}, reason::invalidValue);
}

Result<QByteArray> readPem(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return invalidFile().told(QT_TRANSLATE_NOOP("Error", "%1 cannot be read: %2"),
                                  {path, Error::quoted(file.errorString())});
    const QByteArray pem = file.read(maxPemBytes + 1);
    if (pem.size() > maxPemBytes)
        return invalidFile().told(QT_TRANSLATE_NOOP("Error", "%1 is too large for a PEM file"), {path});
    return pem;
}

} // namespace

Result<QSslConfiguration> loadTlsConfiguration(const QString &certificateFile, const QString &keyFile)
{
    if (!QSslSocket::supportsSsl())
        return invalidFile().told(QT_TRANSLATE_NOOP("Error", "TLS is not available: Qt found no TLS backend (%1)"),
                                  {QSslSocket::sslLibraryVersionString()});
    Result<QByteArray> certPem = readPem(certificateFile);
    if (!certPem)
        return certPem.error();
    const QList<QSslCertificate> chain = QSslCertificate::fromData(certPem.value(), QSsl::Pem);
    if (chain.isEmpty() || chain.constFirst().isNull())
        return invalidFile().told(QT_TRANSLATE_NOOP("Error", "%1 holds no PEM certificate"), {certificateFile});
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
        return invalidFile().told(QT_TRANSLATE_NOOP("Error", "%1 holds no unencrypted PEM private key"), {keyFile});
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    return configuration;
}

} // namespace aether::http
