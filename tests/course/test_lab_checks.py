"""For every lab with checks.yaml: the shipped starter reports every TODO not started, the
reference (tests/course/references) passes every check, and each wrong attempt
(tests/course/wrong_attempts, >= 2 per TODO) fails the check it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import host
from tutor.checks.verify import verify_lab

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted(p.parent for p in (ROOT / "curriculum" / "labs").glob("lesson_*/checks.yaml"))


@pytest.mark.skipif(host.bwrap_problem() is not None, reason=f"bubblewrap unusable: {host.bwrap_problem()}")
@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_lab_checks_hold(lab):
    cases = verify_lab(lab, course_root=ROOT)
    failing = [f"{c.name}: {c.detail}" for c in cases if not c.ok]
    assert not failing, "\n".join(failing)
    names = {c.name for c in cases}
    assert {"starter", "reference"} <= names and any(n.startswith("attempt ") for n in names)


def test_every_lab_with_todos_has_checks():
    from tutor.course.loader import todo_stubs

    missing = [p.name for p in sorted((ROOT / "curriculum" / "labs").glob("lesson_*"))
               if todo_stubs((p / "starter.py").read_text()) and not (p / "checks.yaml").is_file()]
    assert not missing, f"labs with TODOs but no checks.yaml: {missing}"


def test_every_check_cites_a_section_its_lesson_has():
    """The chat's code check cites the section of the failing check: it must exist."""
    from tutor.checks.spec import load_checks
    from tutor.course.markdown import find_section, sections

    missing = []
    for lab in LABS:
        checks, problems = load_checks(lab)
        assert not problems, problems
        lesson = ROOT / "curriculum" / "lessons" / f"{lab.name}.md"
        secs = sections(lesson.read_text(encoding="utf-8"))
        missing += [f"{lab.name} {t.name}: {t.section!r}" for t in checks.todos if find_section(secs, t.section) is None]
    assert not missing, missing


def test_lesson_7_formula_and_measured_cache_agree_for_a_right_formula(tmp_path):
    """The README says they must agree: the decode loop caches final_len - 1 positions, the
    length the starter passes to the formula (the first decode step once cached a duplicate)."""
    import json
    import subprocess
    import sys

    source = (ROOT / "curriculum" / "labs" / "lesson_07" / "starter.py").read_text()
    reference = (ROOT / "tests" / "course" / "references" / "lesson_07.py").read_text()
    cut = source.index('if __name__ == "__main__":')
    (tmp_path / "starter.py").write_text(source[:cut] + reference + "\n\n" + source[cut:])
    for args in (["--smoke"], ["--n-kv-heads", "1", "--prompt-len", "5", "--new-tokens", "3"]):
        out = subprocess.run([sys.executable, "starter.py", *args, "--json", "--runs-dir", str(tmp_path / "runs")],
                             cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        metrics = json.loads(out.stdout.strip().splitlines()[-1])
        assert metrics["kv_cache_bytes_formula"] == metrics["kv_cache_bytes_measured"] > 0, (args, metrics)
