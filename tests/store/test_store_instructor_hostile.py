"""Issue 13 (findings 4 and 9): the instructor's cohort views flag duplicate submissions (a copy of
another learner's work is marked, never hidden), and learner-controlled strings (folder names,
notes, evidence) reach the terminal literally: no escape code acts, no Rich markup applies."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.store.store_support import make_settings, sample_report
from tutor.store import open_store

HOSTILE = "eve\x1b[2J\x1b]0;pwned\x07[reverse][blink]"


def tutor(*args):
    return subprocess.run([sys.executable, "-m", "tutor", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def cohort(tutor_home):
    store = open_store(make_settings(tutor_home))
    store.record_submission("alice", 3, "same", "/subs/alice", sample_report(name="alice", content_hash="same"))
    copied = sample_report(name="bob", content_hash="same")
    copied["submission"]["duplicate_of"] = ["alice"]
    store.record_submission("bob", 3, "same", "/subs/bob", copied)
    store.record_submission(HOSTILE, 3, "own", "/subs/eve", sample_report(name=HOSTILE, content_hash="own"))
    store.save_profile(HOSTILE, name="Eve \x1b[31m[bold]red[/bold]")
    return store


def test_the_cohort_matrix_marks_a_duplicate_submission(cohort):
    cells = {row["learner"]: row["cells"][3] for row in cohort.cohort_matrix()["rows"]}
    assert cells["bob"]["duplicate_of"] == ["alice"]
    assert cells["alice"]["duplicate_of"] == [] and cells[HOSTILE]["duplicate_of"] == []


def test_instructor_report_flags_the_copy_and_prints_hostile_names_literally(cohort):
    result = tutor("instructor", "report")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    bob = next(line for line in out.splitlines() if line.startswith("bob"))
    assert bob.rstrip().endswith("!"), bob
    assert "bob L3: same content as alice" in out
    assert "\x1b" not in out and "\x07" not in out
    assert "eve\\x1b[2J\\x1b]0;pwned\\x07[reverse][blink]" in out


def test_instructor_learner_view_shows_notes_and_names_literally(cohort):
    result = tutor("instructor", "learner", HOSTILE)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31m[bold]red[/bold]" in result.stdout
