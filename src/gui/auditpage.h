#pragma once

#include "keys/auditlog.h"

#include <QList>
#include <QTimer>
#include <QWidget>

#include <functional>
#include <optional>

class QComboBox;
class QIODevice;
class QLabel;
class QLineEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;

namespace aether::gui {

// Who changed what: the audit log as a page, newest first, 200 entries a page (Newer / Older), filtered by key,
// actor, action and period; double-click an entry to open its key; export what the filter selects as CSV.
class AuditPage : public QWidget {
    Q_OBJECT
public:
    static constexpr int pageSize = 200;

    explicit AuditPage(Database &db, QWidget *parent = nullptr);

    // Reads the current page again (from the newest page when the filter changed); false (and failed()) when the
    // database failed.
    bool reload();
    // Shows the entries of one key (empty: of every key), from the newest.
    void showKey(const QString &keyId);
    AuditQuery query() const;
    QStandardItemModel *model() const { return m_model; }
    void retranslate();

    // Writes every entry `query` selects as CSV (id, time, actor, action, key id, key name, before, after as JSON),
    // newest first, reading pages of AuditQuery::maxLimit; `progress` gets the rows written so far and may cancel.
    struct Written {
        int rows = 0;
        bool canceled = false;
    };
    static Result<Written> writeCsv(AuditLog &log, AuditQuery query, QIODevice &out,
                                    const std::function<bool(int rows)> &progress = {});

signals:
    void keyActivated(const QString &keyId);
    void failed(const aether::Error &error);

private:
    void buildFilters();
    void showPage(const AuditLog::Page &page);
    void restart();
    void exportCsv();
    void updatePager();

    AuditLog m_log;
    QLineEdit *m_keyEdit;
    QLineEdit *m_actorEdit;
    QComboBox *m_actionCombo;
    QComboBox *m_periodCombo;
    QPushButton *m_exportButton;
    QTableView *m_view;
    QStandardItemModel *m_model;
    QPushButton *m_newerButton;
    QPushButton *m_olderButton;
    QLabel *m_pageLabel;
    QLabel *m_keyLabel, *m_actorLabel, *m_actionLabel, *m_periodLabel;
    QTimer m_filterDelay;
    QList<std::optional<qint64>> m_cursors{std::nullopt}; // the cursor of each page up to the current one
    std::optional<qint64> m_nextCursor;
    int m_shown = 0;
    bool m_columnsSized = false;
};

// An audit action as a label for people; unknown actions as they are.
QString actionLabel(const QString &action);
// `before` → `after` of an entry as one line, field by field ("max_concurrent: adaptive → 8").
QString formatAuditChange(const QJsonObject &before, const QJsonObject &after);

} // namespace aether::gui
