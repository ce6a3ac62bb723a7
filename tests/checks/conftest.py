"""A tiny lab with one TODO and its checks, written into a tmp dir."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sandbox import host
from tutor.checks.spec import load_checks

BWRAP_PROBLEM = host.bwrap_problem()
requires_bwrap = pytest.mark.skipif(BWRAP_PROBLEM is not None, reason=f"bubblewrap unusable here: {BWRAP_PROBLEM}")

STARTER = '''
"""A tiny lab."""
LESSON = 1


def add_one(x):
    """TODO: return x + 1. Check: add_one(1) == 2"""
    raise NotImplementedError("TODO: add_one")


def helper():
    return 41
'''

CHECKS = '''
timeout_s: 2
todos:
  - name: add_one
    section: "What you implement"
    checks:
      - id: docstring_example
        call: "add_one(1)"
        expect: "2"
        hint: "What does one more than x look like?"
      - id: uses_helper_scale
        call: "add_one(helper())"
        expect: "42"
        hint: "Does it work for larger numbers?"
      - id: hidden_property
        call: "add_one(-1)"
        property: "result == 0"
        reveal: false
        hint: "Try a negative number."
'''


@pytest.fixture
def tiny_lab(tmp_path) -> Path:
    lab = tmp_path / "labs" / "lesson_01"
    lab.mkdir(parents=True)
    (lab / "starter.py").write_text(textwrap.dedent(STARTER))
    (lab / "checks.yaml").write_text(CHECKS)
    (lab / "lab.toml").write_text("lesson = 1\n")
    return lab


@pytest.fixture
def tiny_checks(tiny_lab):
    checks, problems = load_checks(tiny_lab)
    assert not problems
    return checks
