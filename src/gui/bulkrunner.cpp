#include "bulkrunner.h"

#include "keys/keyservice.h"
#include "keys/keytable.h"
#include "storage/database.h"

#include <QEventLoop>
#include <QPointer>
#include <QProgressDialog>
#include <QThread>

#include <atomic>
#include <memory>

namespace aether::gui {

namespace {

Result<BulkResult> applyOn(Database &db, const BulkRequest &request, const BulkChange::Progress &progress)
{
    KeyService keys(db);
    KeyTable table(db);
    return BulkChange(keys, table).apply(request, progress);
}

} // namespace

BulkRunner::BulkRunner(DatabaseLocation location, QWidget *parent)
    : m_location(std::move(location))
    , m_parent(parent)
{
}

Result<BulkResult> BulkRunner::run(const BulkRequest &request, const QString &label)
{
    QProgressDialog progress(label, QProgressDialog::tr("Cancel"), 0, 0, m_parent);
    progress.setWindowModality(Qt::WindowModal);
    progress.setAutoClose(false);
    progress.setAutoReset(false);
    auto canceled = std::make_shared<std::atomic<bool>>(false);
    QObject::connect(&progress, &QProgressDialog::canceled, &progress, [canceled] { *canceled = true; });
    QPointer<QProgressDialog> shown(&progress);
    const BulkChange::Progress report = [canceled, shown](qint64 done, qint64 total) {
        QMetaObject::invokeMethod(
            shown.data(),
            [shown, done, total] {
                if (!shown)
                    return;
                shown->setMaximum(int(std::min<qint64>(total, INT_MAX)));
                shown->setValue(int(std::min<qint64>(done, INT_MAX)));
            },
            Qt::QueuedConnection);
        return !*canceled;
    };

    // An in-memory SQLite database exists only on the window's own connection: written in place there.
    if (m_location.isSqlite() && m_location.path == u":memory:")
        return Result<BulkResult>(
            Error::failure({}).told(QT_TRANSLATE_NOOP("Error", "bulk changes need a database file or server")));

    std::optional<Result<BulkResult>> result;
    QEventLoop loop;
    std::unique_ptr<QThread> worker(QThread::create([&] {
        Database db(m_location);
        result = applyOn(db, request, report);
    }));
    QObject::connect(worker.get(), &QThread::finished, &loop, &QEventLoop::quit);
    worker->start();
    // One chunk takes a moment: the window only repaints meanwhile. More shows the progress at once (modal to the
    // window, so nothing else can be started) with its Cancel button.
    const bool large = !request.keyIds || request.keyIds->size() > BulkChange::chunkSize;
    if (large)
        progress.show();
    loop.exec(large ? QEventLoop::AllEvents : QEventLoop::ExcludeUserInputEvents);
    worker->wait();
    progress.close();
    return *result;
}

} // namespace aether::gui
