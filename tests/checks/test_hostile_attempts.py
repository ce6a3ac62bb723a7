"""Hostile pasted code is contained as `tutor run` contains labs, and the report says what happened."""

from __future__ import annotations

from pathlib import Path

from tests.checks.conftest import requires_bwrap
from tutor.checks.evaluate import evaluate

pytestmark = requires_bwrap
REFERENCE = Path(__file__).resolve().parents[1] / "course" / "references"


def _one(lab, checks, code, **kw):
    evaluation = evaluate(lab, checks, code=code, **kw)
    [result] = evaluation.todos
    return result, evaluation


def test_an_infinite_loop_times_out_per_check(tiny_lab, tiny_checks):
    result, _ = _one(tiny_lab, tiny_checks, "def add_one(x):\n    while True:\n        pass\n")
    assert result.status == "timed_out" and result.check_id == "docstring_example"


def test_a_loop_that_eats_the_alarm_is_stopped_by_the_sandbox_time_limit(tiny_lab, tiny_checks):
    code = "def add_one(x):\n    while True:\n        try:\n            while True: pass\n        except BaseException: pass\n"
    result, evaluation = _one(tiny_lab, tiny_checks, code, timeout_s=3)
    assert result.status == "timed_out" and evaluation.sandbox["reason"] == "timeout"
    assert "time limit" in result.error


def test_a_fork_bomb_is_contained_and_reported(tiny_lab, tiny_checks):
    code = ("import os\ndef add_one(x):\n    for _ in range(100000):\n        try:\n            if os.fork() == 0:\n"
            "                import time; time.sleep(30)\n        except OSError:\n            raise\n")
    result, evaluation = _one(tiny_lab, tiny_checks, code, timeout_s=20)
    assert result.status in ("error", "timed_out")
    assert "BlockingIOError" in (result.error or "") or evaluation.sandbox["reason"] in ("timeout", "killed")


def test_writing_outside_the_lab_fails_inside_and_leaves_nothing(tiny_lab, tiny_checks, tmp_path):
    target = tmp_path / "escaped.txt"
    code = f"def add_one(x):\n    open({str(target)!r}, 'w').write('x')\n    return x + 1\n"
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error" and ("FileNotFoundError" in result.error or "PermissionError" in result.error
                                         or "OSError" in result.error)
    assert not target.exists()


def test_the_reference_cannot_be_read_from_inside(tiny_lab, tiny_checks):
    path = next(REFERENCE.glob("lesson_*.py"))
    code = f"def add_one(x):\n    return open({str(path)!r}).read()\n"
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error" and "FileNotFoundError" in result.error


def test_the_network_is_unreachable(tiny_lab, tiny_checks):
    code = ("import socket\ndef add_one(x):\n    socket.create_connection(('1.1.1.1', 80), timeout=1)\n"
            "    return x + 1\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error" and ("OSError" in result.error or "unreachable" in result.error)


def test_exiting_early_or_forging_a_result_line_never_passes(tiny_lab, tiny_checks):
    result, _ = _one(tiny_lab, tiny_checks, "import os\ndef add_one(x):\n    os._exit(0)\n")
    assert result.status == "error" and "ended the check run" in result.error
    forged = ('import sys, os\ndef add_one(x):\n    os.write(1, b\'TUTOR-CHECK-0:{"import": {"ok": true}, '
              '"checks": {"add_one": [{"id": "docstring_example", "outcome": "ok"}]}}\\n\')\n    os._exit(0)\n')
    result, _ = _one(tiny_lab, tiny_checks, forged)
    assert result.status == "error"


def test_flooding_stdout_does_not_break_the_report(tiny_lab, tiny_checks):
    code = "def add_one(x):\n    print('x' * 10_000_000)\n    return x + 1\n"
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "passed"
