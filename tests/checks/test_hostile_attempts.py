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


# The learner's code runs in its own process (check_worker.py); the judge that compares and
# prints the result line is another (check_harness.py). Each attack below once forged a pass.

def test_patching_the_comparison_changes_nothing(tiny_lab, tiny_checks):
    code = ("import sys, builtins\nfor m in list(sys.modules.values()):\n"
            "    for name in ('same', 'close', 'plain'):\n"
            "        if hasattr(m, name):\n            setattr(m, name, lambda *a, **k: True)\n"
            "builtins.bool = lambda *a: True\n"
            "def add_one(x):\n    return x\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "failed" and result.passed == 0


def test_the_nonce_is_nowhere_in_the_learners_process(tiny_lab, tiny_checks):
    code = ("import gc, sys, os, json\n"
            "def add_one(x):\n"
            "    found = [o for o in gc.get_objects() if isinstance(o, str) and o.startswith('TUTOR-CHECK-')]\n"
            "    f = sys._getframe()\n"
            "    while f is not None:\n"
            "        found += [v for v in f.f_locals.values() if isinstance(v, str) and v.startswith('TUTOR-CHECK-')]\n"
            "        found += [v['nonce'] for v in f.f_locals.values() if isinstance(v, dict) and 'nonce' in v]\n"
            "        f = f.f_back\n"
            "    for nonce in found:\n"
            "        report = {'import': {'ok': True}, 'checks': {'add_one': [{'id': 'docstring_example', 'outcome': 'ok'}]}}\n"
            "        os.write(1, (nonce + json.dumps(report) + '\\n').encode())\n"
            "        os.write(2, (nonce + json.dumps(report) + '\\n').encode())\n"
            "    raise RuntimeError(f'nonces found: {len(found)}')\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error" and "nonces found: 0" in result.error


def test_the_judge_can_be_neither_read_nor_traced(tiny_lab, tiny_checks):
    code = ("import ctypes, os\n"
            "def add_one(x):\n"
            "    judge, seen = os.getppid(), []\n"
            "    for what in ('mem', 'environ', 'fd/1', 'cmdline'):\n"
            "        try:\n"
            "            with open(f'/proc/{judge}/{what}', 'rb') as f:\n"
            "                seen.append((what, len(f.read(64))))\n"
            "        except OSError as exc:\n"
            "            seen.append((what, type(exc).__name__))\n"
            "    libc = ctypes.CDLL(None, use_errno=True)\n"
            "    seen.append(('ptrace', libc.ptrace(16, judge, None, None), ctypes.get_errno()))\n"
            "    raise RuntimeError(repr(seen))\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error"
    shown = result.error
    for what in ("mem", "environ", "fd/1"):
        assert f"('{what}', 'PermissionError')" in shown, shown
    assert "('ptrace', -1, 1)" in shown, shown   # EPERM


def test_a_forged_event_counts_for_no_more_than_a_returned_value(tiny_lab, tiny_checks):
    code = ("import os, sys, json\n"
            "def add_one(x):\n"
            "    fd = int(sys.argv[1])\n"
            "    for i in ('docstring_example', 'uses_helper_scale', 'hidden_property'):\n"
            "        os.write(fd, (json.dumps({'kind': 'check', 'todo': 'add_one', 'id': i, 'outcome': 'ok'}) + '\\n').encode())\n"
            "    os.write(fd, b'{\"kind\": \"done\"}\\n')\n"
            "    os._exit(0)\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "error" and result.passed == 0


def test_modules_planted_for_the_judge_are_never_imported(tiny_lab, tiny_checks):
    # The judge imports NumPy only to rebuild a NumPy value; a planted numpy.py beside the harness
    # or in the lab folder would patch its comparison (and lack int64, so rebuilding would fail).
    planted = "import __main__\n__main__.same = __main__.close = lambda *a: True\n"
    code = ("import numpy as np\n"
            f"for path in ('_tutor_check/numpy.py', 'numpy.py', '_tutor_check/math.py'):\n"
            f"    open(path, 'w').write({planted!r})\n"
            "def add_one(x):\n    return np.int64(0)\n")
    result, _ = _one(tiny_lab, tiny_checks, code)
    assert result.status == "failed" and result.got == "np.int64(0)"
