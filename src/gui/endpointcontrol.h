#pragma once

#include "httpendpointservice.h"

#include <QObject>

class QAction;
class QLabel;
class QWidget;

namespace aether::gui {

class ConsoleSettings;

// The window's Start/Stop of its HTTP endpoint: the toolbar action, the status-bar label and the message when it
// cannot start, over the service the program provides (none: the action is disabled).
class EndpointControl : public QObject {
    Q_OBJECT
public:
    EndpointControl(HttpEndpointService *service, ConsoleSettings &settings, QAction *action, QLabel *status,
                    QWidget *dialogParent);

    // Starts on the configured address; false (and a message) when it cannot listen.
    bool start();
    void stop();
    // After the settings changed: a running endpoint starts again on the new address.
    void restartIfRunning();
    bool isRunning() const { return m_service && m_service->isRunning(); }
    quint16 port() const { return m_port; }
    // The action's text and the status label, in the current language.
    void updateStatus();

private:
    HttpEndpointService *m_service;
    ConsoleSettings &m_settings;
    QAction *m_action;
    QLabel *m_status;
    QWidget *m_dialogParent;
    quint16 m_port = 0;
};

} // namespace aether::gui
