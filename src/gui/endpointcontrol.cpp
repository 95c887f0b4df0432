#include "endpointcontrol.h"

#include "consolesettings.h"
#include "dialogs.h"
#include "guiformat.h"

#include <QAction>
#include <QHostAddress>
#include <QLabel>

namespace aether::gui {

EndpointControl::EndpointControl(HttpEndpointService *service, ConsoleSettings &settings, QAction *action,
                                 QLabel *status, QWidget *dialogParent)
    : QObject(action)
    , m_service(service)
    , m_settings(settings)
    , m_action(action)
    , m_status(status)
    , m_dialogParent(dialogParent)
{
    m_action->setEnabled(m_service != nullptr);
    connect(m_action, &QAction::triggered, this, [this](bool on) {
        if (on)
            start();
        else
            stop();
    });
}

bool EndpointControl::start()
{
    if (!m_service)
        return false;
    if (m_service->isRunning())
        return true;
    EndpointSettings settings;
    settings.address = m_settings.httpAddress();
    settings.port = quint16(m_settings.httpPort());
    settings.tlsCertificateFile = m_settings.tlsCertificateFile();
    settings.tlsKeyFile = m_settings.tlsKeyFile();
    const Result<quint16> port = m_service->start(settings);
    if (!port) {
        QHostAddress address;
        if (!address.setAddress(settings.address))
            address = QHostAddress::LocalHost;
        updateStatus();
        dialogs::warning(m_dialogParent, tr("HTTP API"),
                         tr("The HTTP API could not start on %1:%2.\n%3")
                             .arg(address.toString())
                             .arg(settings.port)
                             .arg(port.error().text()));
        return false;
    }
    m_port = port.value();
    updateStatus();
    return true;
}

void EndpointControl::stop()
{
    if (!isRunning())
        return;
    m_service->stop();
    m_port = 0;
    updateStatus();
}

void EndpointControl::restartIfRunning()
{
    if (!isRunning())
        return;
    stop();
    start();
}

void EndpointControl::updateStatus()
{
    const bool running = isRunning();
    if (running)
        m_status->setText(
            tr("HTTP API: %1://%2:%3")
                .arg(m_service->isTls() ? QStringLiteral("https") : QStringLiteral("http"), m_settings.httpAddress())
                .arg(m_port));
    else
        m_status->setText(tr("HTTP API: off"));
    m_action->setChecked(running);
    m_action->setText(running ? tr("Stop HTTP &API") : tr("Start HTTP &API"));
    m_action->setIconText(toolbarText(m_action->text()));
}

} // namespace aether::gui
