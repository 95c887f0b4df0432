#pragma once

#include <QString>

#include <optional>

class QMessageBox;
class QObject;
class QWidget;

namespace aether::gui::dialogs {

// Every modal question and message of the window goes through here, so that tests answer them with a queue of
// answers (setNextAnswer) instead of clicking into a modal loop from a timer. With answers queued by a test, no
// dialog is shown: the next answer is taken. A dialog that a test did not expect (queue empty while test answers
// are on) is not shown either: it is counted as unexpected and answered with Cancel, so the test fails instead of
// hanging; an answer left over means an expected dialog never came.

enum class Answer { Accept, Reject };

// Shows `box` (built by the caller, with its buttons) and returns whether `accept` was clicked.
bool confirm(QMessageBox &box, const QObject *accept);
// Yes/No (or Yes/Cancel) question; true for Yes.
bool askYesNo(QWidget *parent, const QString &title, const QString &text, bool cancelInsteadOfNo = false,
              bool yesIsDefault = false);
// A number in [minimum, maximum], starting at `value`; std::nullopt when cancelled.
std::optional<int> askInt(QWidget *parent, const QString &title, const QString &label, int value, int minimum,
                          int maximum);
// A line of text, starting at `value`; std::nullopt when cancelled.
std::optional<QString> askText(QWidget *parent, const QString &title, const QString &label, const QString &value = {});
void warning(QWidget *parent, const QString &title, const QString &text);
void critical(QWidget *parent, const QString &title, const QString &text);

// Tests: answer dialogs from a queue instead of showing them, from now on (setNextAnswer turns this on too).
void enableTestAnswers();
void setNextAnswer(Answer answer);
// The next askInt() is answered with `value`.
void setNextNumber(int value);
// The next askText() is answered with `value`.
void setNextText(const QString &value);
// The text of the last question asked (confirm, askYesNo, askInt, askText), whether shown or answered.
QString lastQuestion();
// Answers queued and not taken yet.
int pendingAnswers();
// Dialogs shown while test answers were on, with no answer queued (questions) — each one a test failure.
int unexpectedDialogs();
// The title and text of the last warning or error message, whether shown or answered (tests check what was said).
QString lastMessage();
// Back to showing dialogs; forgets queued answers and counts.
void resetTestAnswers();

} // namespace aether::gui::dialogs
