#include "dialogs.h"

#include <QAbstractButton>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>

#include <deque>
#include <optional>

namespace aether::gui::dialogs {

namespace {

struct TestAnswers {
    bool on = false;
    std::deque<Answer> queue;
    std::deque<int> numbers;   // the values of accepted askInt() answers
    std::deque<QString> texts; // the values of accepted askText() answers
    int unexpected = 0;
    QString lastMessage;
    QString lastQuestion;
};

TestAnswers &testAnswers()
{
    static TestAnswers answers; // GUI thread only
    return answers;
}

// The queued answer when tests answer dialogs; std::nullopt when the dialog is to be shown.
std::optional<Answer> takeAnswer()
{
    TestAnswers &t = testAnswers();
    if (!t.on)
        return std::nullopt;
    if (t.queue.empty()) {
        ++t.unexpected;
        qWarning("aether-console: a dialog was not expected by the test; answered with Cancel");
        return Answer::Reject;
    }
    const Answer answer = t.queue.front();
    t.queue.pop_front();
    return answer;
}

void message(QWidget *parent, QMessageBox::Icon icon, const QString &title, const QString &text)
{
    testAnswers().lastMessage = title + u'\n' + text;
    if (testAnswers().on)
        return; // a message only informs: nothing to answer
    QMessageBox box(icon, title, text, QMessageBox::Ok, parent);
    box.exec();
}

} // namespace

bool confirm(QMessageBox &box, const QObject *accept)
{
    testAnswers().lastQuestion = box.text() + u'\n' + box.informativeText();
    if (const std::optional<Answer> answer = takeAnswer())
        return *answer == Answer::Accept;
    box.exec();
    return box.clickedButton() == accept;
}

std::optional<int> askInt(QWidget *parent, const QString &title, const QString &label, int value, int minimum,
                          int maximum)
{
    testAnswers().lastQuestion = label;
    if (const std::optional<Answer> answer = takeAnswer()) {
        if (*answer == Answer::Reject || testAnswers().numbers.empty())
            return std::nullopt;
        const int number = testAnswers().numbers.front();
        testAnswers().numbers.pop_front();
        return number;
    }
    bool ok = false;
    const int chosen = QInputDialog::getInt(parent, title, label, value, minimum, maximum, 1, &ok);
    return ok ? std::optional<int>(chosen) : std::nullopt;
}

std::optional<QString> askText(QWidget *parent, const QString &title, const QString &label, const QString &value)
{
    testAnswers().lastQuestion = label;
    if (const std::optional<Answer> answer = takeAnswer()) {
        if (*answer == Answer::Reject || testAnswers().texts.empty())
            return std::nullopt;
        const QString text = testAnswers().texts.front();
        testAnswers().texts.pop_front();
        return text;
    }
    bool ok = false;
    const QString chosen = QInputDialog::getText(parent, title, label, QLineEdit::Normal, value, &ok);
    return ok ? std::optional<QString>(chosen) : std::nullopt;
}

bool askYesNo(QWidget *parent, const QString &title, const QString &text, bool cancelInsteadOfNo, bool yesIsDefault)
{
    testAnswers().lastQuestion = text;
    if (const std::optional<Answer> answer = takeAnswer())
        return *answer == Answer::Accept;
    const QMessageBox::StandardButton no = cancelInsteadOfNo ? QMessageBox::Cancel : QMessageBox::No;
    return QMessageBox::question(parent, title, text, QMessageBox::Yes | no, yesIsDefault ? QMessageBox::Yes : no) ==
           QMessageBox::Yes;
}

void warning(QWidget *parent, const QString &title, const QString &text)
{
    message(parent, QMessageBox::Warning, title, text);
}

void critical(QWidget *parent, const QString &title, const QString &text)
{
    message(parent, QMessageBox::Critical, title, text);
}

void enableTestAnswers()
{
    testAnswers().on = true;
}

void setNextAnswer(Answer answer)
{
    testAnswers().on = true;
    testAnswers().queue.push_back(answer);
}

void setNextNumber(int value)
{
    setNextAnswer(Answer::Accept);
    testAnswers().numbers.push_back(value);
}

void setNextText(const QString &value)
{
    setNextAnswer(Answer::Accept);
    testAnswers().texts.push_back(value);
}

QString lastQuestion()
{
    return testAnswers().lastQuestion;
}

int pendingAnswers()
{
    return int(testAnswers().queue.size());
}

int unexpectedDialogs()
{
    return testAnswers().unexpected;
}

QString lastMessage()
{
    return testAnswers().lastMessage;
}

void resetTestAnswers()
{
    testAnswers() = TestAnswers();
}

} // namespace aether::gui::dialogs
