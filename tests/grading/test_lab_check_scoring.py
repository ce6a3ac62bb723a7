"""The implementation criterion comes from the lab's own checks: an untouched starter scores 0,
the reference full marks, a wrong attempt in between."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sandbox import host
from tutor.grading import grade_folder
from tutor.grading.scoring import deterministic_scores

REPO = Path(__file__).resolve().parents[2]
LABS = [p.parent.name for p in sorted((REPO / "curriculum" / "labs").glob("lesson_*/checks.yaml"))
        if (REPO / "tests" / "course" / "references" / f"{p.parent.name}.py").is_file()]
pytestmark = pytest.mark.skipif(host.bwrap_problem() is not None, reason=f"bubblewrap unusable: {host.bwrap_problem()}")


def _implementation(report) -> float:
    return next(c["score"] for c in report["criteria"] if c["id"] == "implementation")


def _lab(tmp_path, name, extra: str = "") -> Path:
    folder = tmp_path / name
    shutil.copytree(REPO / "curriculum" / "labs" / name, folder)
    if extra:
        starter = folder / "starter.py"
        source = starter.read_text()
        cut = source.rindex('\nif __name__ == "__main__":')
        starter.write_text(source[:cut] + "\n\n" + extra + "\n" + source[cut:])
    return folder


@pytest.mark.parametrize("name", LABS)
def test_untouched_starter_scores_0_and_reference_full_marks(tmp_path, settings, name):
    untouched = grade_folder(_lab(tmp_path / "a", name), settings=settings, use_judge=False, write=False)
    assert _implementation(untouched) == 0.0
    reference = (REPO / "tests" / "course" / "references" / f"{name}.py").read_text()
    solved = grade_folder(_lab(tmp_path / "b", name, reference), settings=settings, use_judge=False, write=False)
    todos = [c for c in solved["checks"] if c["kind"] == "lab_todo"]
    assert todos and all(c["credit"] == 1.0 for c in todos)
    other = [c for c in solved["checks"] if c["criterion"] == "implementation" and c["kind"] != "lab_todo"
             and not c.get("gate") and c["status"] != "skipped"]
    if all(c["status"] == "passed" for c in other):  # e.g. metrics_present needs logged runs
        assert _implementation(solved) == 1.0


def test_a_wrong_attempt_scores_in_between(tmp_path, settings):
    reference = (REPO / "tests" / "course" / "references" / "lesson_01.py").read_text()
    wrong_merge = "\n\ndef merge_pair(word, pair, new_id):\n    return tuple(word)\n"
    report = grade_folder(_lab(tmp_path, "lesson_01", reference + wrong_merge), settings=settings,
                          use_judge=False, write=False)
    assert 0.0 < _implementation(report) < 1.0


def test_gates_and_credit_in_the_deterministic_score():
    base = {"criterion": "implementation", "weight": 1.0}
    checks = [{**base, "status": "passed", "gate": True}, {**base, "status": "failed", "credit": 0.5},
              {**base, "status": "passed", "credit": 1.0}]
    assert deterministic_scores(checks)["implementation"] == 0.75
    checks[0]["status"] = "failed"
    assert deterministic_scores(checks)["implementation"] == 0.0


FORGERIES = {
    # patch the comparison wherever it lives, then return nothing useful
    "patched_comparison": ("import sys\nfor _m in list(sys.modules.values()):\n    for _n in ('same', 'close'):\n"
                           "        if hasattr(_m, _n):\n            setattr(_m, _n, lambda *a, **k: True)\n"
                           "def count_pairs(words):\n    return None\n"
                           "def merge_pair(word, pair, new_id):\n    return None\n"
                           "def encode(text, merges):\n    return None\n"),
    # find the result nonce on the stack and print a full-marks result line
    "printed_result": ("import sys as _s, json as _j, os as _o\n_f = _s._getframe()\n"
                       "while _f is not None and not isinstance(_f.f_locals.get('spec'), dict):\n    _f = _f.f_back\n"
                       "if _f is not None and 'nonce' in _f.f_locals['spec']:\n    _sp = _f.f_locals['spec']\n"
                       "    _r = {'import': {'ok': True}, 'checks': {t['name']: [{'id': c['id'], 'outcome': 'ok'} "
                       "for c in t['checks']] for t in _sp['todos']}}\n"
                       "    _o.write(1, (_sp['nonce'] + _j.dumps(_r) + '\\n').encode())\n    _o._exit(0)\n"),
}


@pytest.mark.parametrize("how", sorted(FORGERIES))
def test_starter_code_cannot_forge_implementation_credit(tmp_path, settings, how):
    report = grade_folder(_lab(tmp_path, "lesson_01", FORGERIES[how]), settings=settings, use_judge=False,
                          write=False)
    todos = [c for c in report["checks"] if c["kind"] == "lab_todo"]
    assert todos and not any(c["credit"] for c in todos), todos
    assert _implementation(report) == 0.0
