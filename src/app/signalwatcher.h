#pragma once

#include <QObject>

class QSocketNotifier;

namespace aether {

// Turns SIGINT and SIGTERM into a Qt signal, delivered in the event loop (self-pipe trick), so the program can stop
// its server cleanly.
class SignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminationRequested(int signalNumber);

private:
    static void handle(int signalNumber);
    void readSignal();

    QSocketNotifier *m_notifier = nullptr;
};

} // namespace aether
