"""The command line's public surface and what the wheel ships."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor import __version__, paths
from tutor.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"tutor {__version__}"


def test_help_lists_the_subcommands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("doctor", "curriculum"):
        assert command in result.stdout


def test_unknown_subcommand_is_a_usage_error():
    result = CliRunner().invoke(app, ["frobnicate"])
    assert result.exit_code == 2


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from tutor.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'chromadb', 'langgraph', 'textual') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


def test_course_root_prefers_explicit_then_env(tmp_path, monkeypatch):
    assert paths.course_root(tmp_path) == tmp_path.resolve()
    monkeypatch.setenv("TUTOR_COURSE", str(tmp_path))
    assert paths.course_root() == tmp_path.resolve()


def test_installed_package_falls_back_to_its_shipped_copy(tmp_path, monkeypatch):
    fake_pkg = tmp_path / "site-packages" / "tutor"
    (fake_pkg / "_course").mkdir(parents=True)
    monkeypatch.setattr(paths, "PACKAGE_DIR", fake_pkg)
    assert paths.shipped_course_root() == fake_pkg / "_course"


@pytest.mark.slow
def test_wheel_ships_course_rubrics_contract_and_sandbox(tmp_path):
    pytest.importorskip("hatchling")
    # built from a copy of the checkout in which a learner has run lab 1 in place
    tree = tmp_path / "checkout"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(".git", ".venv", "*.egg-info", ".pytest_cache",
                                                              "__pycache__", "dist", "build"))
    learner_run = tree / "curriculum" / "labs" / "lesson_01" / "runs" / "20260101-000000-abcdef"
    learner_run.mkdir(parents=True, exist_ok=True)
    (learner_run / "run.json").write_text("{}")
    out = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(tree), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True, capture_output=True,
    )
    wheel = next(out.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "tutor/_course/AGENTS.md" in names
    assert "tutor/_course/rubrics/default.yaml" in names
    assert any(n.startswith("tutor/_course/curriculum/lessons/lesson_") for n in names)
    assert "sandbox/__init__.py" in names
    # learners' run records never ship; nor does the calibration set, whose strong submissions
    # are full solutions (it is used from a checkout)
    assert not any("/runs/" in n or "__pycache__" in n for n in names)
    assert not any(n.startswith("tutor/_course/rubrics/calibration/") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tutor = tutor.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
