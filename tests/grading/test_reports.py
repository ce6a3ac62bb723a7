"""report.json against its schema, JUnit XML structure, Gradescope's results.json shape."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from tutor.grading import formats, grade_folder
from tutor.llm.replay import ReplayModel

from tests.grading.grading_support import judge_reply


def test_the_schema_is_a_valid_json_schema_and_versioned(schema):
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"] == {"const": 1}


def test_offline_judged_and_broken_reports_validate(strong_lab, settings, schema, tmp_path):
    offline = grade_folder(strong_lab, settings=settings)
    judged = grade_folder(strong_lab, settings=settings, samples=2,
                          judge=ReplayModel.from_texts(judge_reply(3, ["2.436 at 800"]), "nonsense"))
    empty = tmp_path / "empty"
    empty.mkdir()
    broken = grade_folder(empty, settings=settings)
    for report in (offline, judged, broken):
        jsonschema.validate(report, schema)
    on_disk = json.loads((strong_lab / "grading" / "report.json").read_text())
    jsonschema.validate(on_disk, schema)
    assert on_disk["status"] == "complete"


def test_a_report_that_breaks_the_schema_is_caught(strong_lab, settings, schema):
    report = grade_folder(strong_lab, settings=settings, write=False)
    report["criteria"][0]["level"] = 7
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema)


def test_report_md_names_the_total_checks_and_criteria(strong_lab, settings):
    grade_folder(strong_lab, settings=settings)
    text = (strong_lab / "grading" / "report.md").read_text()
    assert "Lesson 1" in text and "| merges-varied |" in text and "| reflection |" in text


def validate_junit(xml_text: str) -> ET.Element:
    """The structure JUnit consumers (Jenkins, GitLab, GitHub reporters) read."""
    root = ET.fromstring(xml_text)
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite" and suite.get("name")
        cases = list(suite)
        assert all(c.tag == "testcase" and c.get("name") and c.get("classname") for c in cases)
        counted = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
        for case in cases:
            children = [child.tag for child in case]
            outcome = [t for t in children if t in ("failure", "error", "skipped")]
            assert len(outcome) <= 1 and set(children) <= {"failure", "error", "skipped", "system-out"}
            for tag in outcome:
                counted[{"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]] += 1
            float(case.get("time"))
        assert {k: int(suite.get(k)) for k in counted} == counted
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in root)
    return root


def test_junit_has_one_suite_per_submission_and_a_case_per_check_and_criterion(strong_lab, weak_lab, settings, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    reports = [grade_folder(p, settings=settings) for p in (strong_lab, weak_lab, empty)]
    root = validate_junit(formats.junit_xml(reports))
    suites = {s.get("name"): s for s in root}
    assert set(suites) == {"lesson_01_strong", "lesson_01_weak", "empty"}
    assert int(suites["lesson_01_strong"].get("tests")) == 9 + 3 + 5  # rubric checks, lab TODOs, criteria
    assert int(suites["lesson_01_weak"].get("failures")) > 0
    assert suites["empty"].find("testcase/error") is not None


def test_junit_validation_rejects_wrong_counts():
    bad = '<testsuites tests="1"><testsuite name="x" tests="2" failures="0" errors="0" skipped="0">' \
          '<testcase classname="x" name="a" time="0"/></testsuite></testsuites>'
    with pytest.raises(AssertionError):
        validate_junit(bad)


def test_gradescope_results_have_the_autograder_shape(strong_lab, weak_lab, settings):
    for lab in (strong_lab, weak_lab):
        report = grade_folder(lab, settings=settings)
        results = formats.gradescope(report)
        assert set(results) >= {"score", "tests", "output", "visibility"}
        for test in results["tests"]:
            assert set(test) >= {"name", "score", "max_score", "output", "visibility"}
            assert 0 <= test["score"] <= test["max_score"] or test["max_score"] == 0
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]), abs=1e-3)
        assert results["score"] == pytest.approx(100 * report["total"], abs=1e-3)
