"""Reference implementations stay in the test tree: no packaged file, no retrieval index entry
and no `tutor check` report contains one of their function bodies."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REFERENCES = sorted((REPO / "tests" / "course" / "references").glob("lesson_*.py"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def reference_bodies() -> list[str]:
    """Each reference function's body, whitespace removed (long enough to be a solution)."""
    bodies = []
    for path in REFERENCES:
        source = path.read_text()
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                body = "".join(ast.get_source_segment(source, stmt) or "" for stmt in node.body
                               if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)))
                if len(_squash(body)) >= 40:
                    bodies.append(_squash(body))
    return bodies


def _leaks(text: str, bodies: list[str]) -> list[str]:
    squashed = _squash(text)
    return [b[:60] for b in bodies if b in squashed]


def test_there_are_references_to_look_for():
    assert len(REFERENCES) >= 4 and len(reference_bodies()) >= 12


def test_the_leak_finder_finds_a_planted_body():
    body = reference_bodies()[0]
    assert _leaks("some text\n" + body + "\nmore", reference_bodies())


def test_no_retrieval_index_entry_contains_a_reference():
    from tutor.retrieval.chunking import chunk_course

    bodies = reference_bodies()
    chunks = chunk_course(REPO)
    assert chunks
    assert not [c for c in chunks if _leaks(c.text, bodies)]


def test_no_shipped_course_file_contains_a_reference():
    """rubrics/calibration holds solutions on purpose and is kept out of the wheel (below)."""
    bodies = reference_bodies()
    leaking = [str(p.relative_to(REPO)) for base in ("curriculum", "rubrics", "tutor", "sandbox")
               for p in (REPO / base).rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".yaml", ".toml", ".json")
               and "calibration" not in p.parts and _leaks(p.read_text(errors="replace"), bodies)]
    assert not leaking


@pytest.mark.slow
def test_the_wheel_contains_no_reference(tmp_path):
    pytest.importorskip("hatchling")
    tree = tmp_path / "checkout"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", ".pytest_cache",
                                                              "__pycache__", "dist", "build"))
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out)], check=True, capture_output=True)
    wheel = zipfile.ZipFile(next(out.glob("*.whl")))
    names = wheel.namelist()
    assert "sandbox/check_harness.py" in names and "tutor/_course/curriculum/labs/lesson_01/checks.yaml" in names
    assert not [n for n in names if n.startswith("tests/") or "/references/" in n or "wrong_attempts" in n]
    bodies = reference_bodies()
    assert not [n for n in names if _leaks(wheel.read(n).decode("utf-8", "replace"), bodies)]
