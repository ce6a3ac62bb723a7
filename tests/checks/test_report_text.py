"""`tutor check` text: what the learner's code raised or returned (and its TODO names) is shown
with its escape codes visible, never sent to the terminal (a window title, an OSC 52 clipboard
write, a bidi override)."""

from __future__ import annotations

from tutor.checks.evaluate import Evaluation
from tutor.checks.report import text, todo_line
from tutor.checks.results import TodoResult

EVIL = "boom \x1b]0;PWNED-TITLE\x07 \x1b]52;c;cHduZWQ=\x07 \u202eevil \x9b31m"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def clean(shown: str) -> bool:
    return not any(code in shown for code in RAW)


def test_the_learner_codes_exception_and_value_are_shown_not_sent():
    error = TodoResult(todo="count_pairs", status="error", section="BPE", total=4, check_id="docstring_example",
                       error=f'starter.py, line 3, in count_pairs\nValueError: {EVIL}', hint="count again")
    failed = TodoResult(todo="merge_pair\x1b[2J", status="failed", section="BPE \x1b[H", total=4,
                        check_id="docstring_example", expected="(9, 3, 9)", got="R\x1b]0;REPR\x07")
    lines = todo_line(error)
    assert clean(lines) and "ValueError: boom \\x1b]0;PWNED-TITLE\\x07" in lines and "\\u202eevil" in lines
    assert lines.splitlines()[1].startswith("        starter.py, line 3")  # its lines are kept
    assert clean(todo_line(failed)) and "got      R\\x1b]0;REPR\\x07" in todo_line(failed)
    whole = text(Evaluation(todos=[error, failed], sandbox={"reason": "error", "detail": EVIL},
                            import_error=f"SyntaxError: {EVIL}"))
    assert clean(whole) and "sandbox: error (boom \\x1b]0;PWNED-TITLE" in whole
