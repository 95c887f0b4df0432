#include "settingsdialog.h"

#include "dialogs.h"
#include "guiformat.h"
#include "httpendpointservice.h"
#include "storage/database.h"
#include "ui_settingsdialog.h"

#include <QApplication>
#include <QFileDialog>
#include <QHostAddress>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QThreadPool>

namespace aether::gui {

SettingsDialog::SettingsDialog(ConsoleSettings &settings, const DatabaseLocation &current,
                               const HttpEndpointService *endpoint, QWidget *parent)
    : QDialog(parent)
    , m_ui(std::make_unique<Ui::SettingsDialog>())
    , m_settings(settings)
    , m_endpoint(endpoint)
{
    m_ui->setupUi(this);
    m_ui->languageCombo->addItem(tr("System"), QStringLiteral("system"));
    m_ui->languageCombo->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    m_ui->languageCombo->addItem(QStringLiteral("English"), QStringLiteral("en"));

    if (current.isSqlite()) {
        m_ui->sqliteRadio->setChecked(true);
        m_ui->sqlitePathEdit->setText(current.path);
    } else {
        m_ui->postgresRadio->setChecked(true);
        m_ui->hostEdit->setText(current.host);
        m_ui->portSpin->setValue(current.port);
        m_ui->databaseNameEdit->setText(current.databaseName);
        m_ui->userEdit->setText(current.user);
        m_ui->passwordEdit->setText(current.password);
        m_ui->sqlitePathEdit->setText(DatabaseLocation::defaultLocation().path);
    }
    m_ui->addressEdit->setText(settings.httpAddress());
    m_ui->httpPortSpin->setValue(settings.httpPort());
    m_ui->tlsCertEdit->setText(settings.tlsCertificateFile());
    m_ui->tlsKeyEdit->setText(settings.tlsKeyFile());
    m_ui->autostartCheck->setChecked(settings.httpAutostart());
    m_ui->autoRefreshCheck->setChecked(settings.autoRefresh());
    m_ui->intervalSpin->setValue(settings.refreshSeconds());
    m_ui->retentionSpin->setValue(settings.retentionDays());
    m_ui->languageCombo->setCurrentIndex(std::max(0, m_ui->languageCombo->findData(settings.language())));

    connect(m_ui->sqliteRadio, &QRadioButton::toggled, this, &SettingsDialog::updateEnabled);
    connect(m_ui->autoRefreshCheck, &QCheckBox::toggled, this, &SettingsDialog::updateEnabled);
    connect(m_ui->testConnectionButton, &QPushButton::clicked, this, &SettingsDialog::testConnection);
    connect(m_ui->browseButton, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(
            this, tr("SQLite database file"), m_ui->sqlitePathEdit->text(),
            tr("SQLite databases (*.sqlite *.db);;All files (*)"), nullptr, QFileDialog::DontConfirmOverwrite);
        if (!file.isEmpty())
            m_ui->sqlitePathEdit->setText(file);
    });
    const auto browsePem = [this](QLineEdit *edit, const QString &title) {
        const QString file =
            QFileDialog::getOpenFileName(this, title, edit->text(), tr("PEM files (*.pem *.crt *.key);;All files (*)"));
        if (!file.isEmpty())
            edit->setText(file);
    };
    connect(m_ui->tlsCertBrowse, &QPushButton::clicked, this,
            [this, browsePem] { browsePem(m_ui->tlsCertEdit, tr("TLS certificate")); });
    connect(m_ui->tlsKeyBrowse, &QPushButton::clicked, this,
            [this, browsePem] { browsePem(m_ui->tlsKeyEdit, tr("TLS private key")); });
    updateEnabled();
}

SettingsDialog::~SettingsDialog() = default;

void SettingsDialog::updateEnabled()
{
    const bool sqlite = m_ui->sqliteRadio->isChecked();
    for (QWidget *w : {static_cast<QWidget *>(m_ui->sqlitePathEdit), static_cast<QWidget *>(m_ui->browseButton),
                       static_cast<QWidget *>(m_ui->sqlitePathLabel)})
        w->setEnabled(sqlite);
    for (QWidget *w : {static_cast<QWidget *>(m_ui->hostEdit), static_cast<QWidget *>(m_ui->portSpin),
                       static_cast<QWidget *>(m_ui->databaseNameEdit), static_cast<QWidget *>(m_ui->userEdit),
                       static_cast<QWidget *>(m_ui->passwordEdit), static_cast<QWidget *>(m_ui->hostLabel),
                       static_cast<QWidget *>(m_ui->portLabel), static_cast<QWidget *>(m_ui->databaseNameLabel),
                       static_cast<QWidget *>(m_ui->userLabel), static_cast<QWidget *>(m_ui->passwordLabel)})
        w->setEnabled(!sqlite);
    m_ui->intervalSpin->setEnabled(m_ui->autoRefreshCheck->isChecked());
}

namespace {

Error missing(const QString &field, const QString &said)
{
    Error error = Error::invalid(field, reason::missing);
    error.message = said;
    return error;
}

} // namespace

Result<DatabaseLocation> SettingsDialog::location() const
{
    DatabaseLocation loc;
    if (m_ui->sqliteRadio->isChecked()) {
        loc.kind = DatabaseLocation::Kind::Sqlite;
        loc.path = m_ui->sqlitePathEdit->text().trimmed();
        if (loc.path.isEmpty())
            return missing(QStringLiteral("file"), tr("Choose an SQLite file."));
        return loc;
    }
    loc.kind = DatabaseLocation::Kind::Postgres;
    loc.host = m_ui->hostEdit->text().trimmed();
    loc.port = m_ui->portSpin->value();
    loc.databaseName = m_ui->databaseNameEdit->text().trimmed();
    loc.user = m_ui->userEdit->text().trimmed();
    loc.password = m_ui->passwordEdit->text();
    loc.options = DatabaseLocation::postgresOptions(); // as a URL without options gets them
    if (loc.host.isEmpty() || loc.databaseName.isEmpty() || loc.user.isEmpty())
        return missing(QStringLiteral("postgres"), tr("Host, database and user are needed for PostgreSQL."));
    return loc;
}

void SettingsDialog::testConnection()
{
    const Result<DatabaseLocation> loc = location();
    if (!loc) {
        m_ui->testResultLabel->setText(loc.error().text());
        return;
    }
    // A server that does not answer takes up to its connect timeout (3 s unless the location says otherwise): the
    // attempt runs on the global thread pool, so the dialog stays usable and may close meanwhile; the application
    // waits for the pool when it ends.
    m_ui->testResultLabel->setText(tr("Connecting…"));
    m_ui->testConnectionButton->setEnabled(false);
    ++m_testsRunning;
    const DatabaseLocation where = loc.value();
    const QPointer<SettingsDialog> self(this);
    QThreadPool::globalInstance()->start([self, where] {
        Database db(where);
        const Status opened = db.open();
        const Status answered = opened ? db.ping() : opened;
        const QString said =
            answered ? tr("Connected to %1.").arg(where.displayName()) : describeError(answered.error());
        QMetaObject::invokeMethod(qApp, [self, said] {
            if (!self)
                return;
            self->m_ui->testResultLabel->setText(said);
            self->m_ui->testConnectionButton->setEnabled(--self->m_testsRunning == 0);
        });
    });
}

bool SettingsDialog::isTestingConnection() const
{
    return m_testsRunning > 0;
}

void SettingsDialog::accept()
{
    const Result<DatabaseLocation> loc = location();
    if (!loc) {
        dialogs::warning(this, windowTitle(), loc.error().text());
        return;
    }
    QHostAddress address;
    if (!address.setAddress(m_ui->addressEdit->text().trimmed())) {
        dialogs::warning(this, windowTitle(), tr("The HTTP address must be an IP address such as 127.0.0.1."));
        return;
    }
    const QString certificate = m_ui->tlsCertEdit->text().trimmed(), key = m_ui->tlsKeyEdit->text().trimmed();
    if (certificate.isEmpty() != key.isEmpty()) {
        dialogs::warning(this, windowTitle(), tr("HTTPS needs both a certificate and its private key."));
        return;
    }
    if (!certificate.isEmpty()) {
        if (const Status tls = m_endpoint ? m_endpoint->checkTlsFiles(certificate, key) : Status(Done{}); !tls) {
            dialogs::warning(this, windowTitle(), tr("The TLS files cannot be used: %1").arg(tls.error().text()));
            return;
        }
    }
    const DatabaseLocation defaults = DatabaseLocation::defaultLocation();
    m_settings.setDatabaseUrl(loc.value().isSqlite() && loc.value().path == defaults.path ? QString()
                                                                                          : loc.value().toUrl());
    m_settings.setHttpAddress(address.toString());
    m_settings.setHttpPort(m_ui->httpPortSpin->value());
    m_settings.setTlsFiles(certificate, key);
    m_settings.setHttpAutostart(m_ui->autostartCheck->isChecked());
    m_settings.setAutoRefresh(m_ui->autoRefreshCheck->isChecked());
    m_settings.setRefreshSeconds(m_ui->intervalSpin->value());
    m_settings.setRetentionDays(m_ui->retentionSpin->value());
    m_settings.setLanguage(m_ui->languageCombo->currentData().toString());
    QDialog::accept();
}

} // namespace aether::gui
