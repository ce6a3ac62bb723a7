"""Issue 13: untrusted names and judge text are escaped for where they go (tutor/untrusted.py)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

from typer.testing import CliRunner

from tutor.cli import app
from tutor.grading.report import markdown

from tests.grading.grading_support import copy_submission, need_lesson

HOSTILE = {
    "title": "lesson_01 \x1b]0;pwned\x07\x1b[2J",
    "markup": "lesson_01 [reverse][blink]loud",
    "control": "lesson_01 bell\x01",
    "heading": "lesson_01 x\n## All checks passed: 100%",
}


def test_hostile_folder_names_reach_terminal_xml_and_markdown_escaped(tmp_path):
    need_lesson(1)
    cohort = tmp_path / "cohort"
    first = copy_submission("lesson_01_weak", cohort / "seed")
    for name in HOSTILE.values():
        shutil.copytree(first, cohort / name)
    shutil.rmtree(first)
    junit = tmp_path / "junit.xml"
    result = CliRunner().invoke(app, ["grade", str(cohort), "--junit", str(junit), "--no-judge"], env={"COLUMNS": "400"})
    assert result.exit_code in (0, 1), result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\x01" not in result.output
    assert "[reverse][blink]" in result.output.replace("\n", "")
    suites = ET.fromstring(junit.read_bytes()).findall("testsuite")  # well-formed despite \x01
    assert len(suites) == 4
    md = (cohort / HOSTILE["heading"] / "grading" / "report.md").read_text()
    assert not any(line.startswith("## All checks passed") for line in md.splitlines())


def test_judge_rationale_and_evidence_carry_no_html_into_report_md(strong_lab):
    from tutor.grading import grade_folder

    report = grade_folder(strong_lab, use_judge=False, write=False)
    report["criteria"][0].update(rationale="fine <script>alert(1)</script>\n# Passed everything",
                                 evidence=['<img src=x onerror="alert(1)">', "\x1b[31mred"])
    md = markdown(report)
    assert "<script>" not in md and "<img" not in md and "\x1b" not in md
    assert "\n# Passed everything" not in md
    assert json.dumps(report)  # the report itself keeps the text as it was
