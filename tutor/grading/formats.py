"""Batch outputs for other systems: JUnit XML for CI, Gradescope's results.json."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any


def junit_xml(reports: list[dict[str, Any]]) -> str:
    """One <testsuite> per submission; one <testcase> per check and per criterion."""
    from tutor.untrusted import xml

    def sub(parent, tag, **attrs):  # every attribute passes through xml(): one control character
        return ET.SubElement(parent, tag, **{k: xml(v) for k, v in attrs.items()})  # breaks the file

    root = ET.Element("testsuites", name="tutor grade")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for report in reports:
        name = report["submission"]["name"]
        suite = sub(root, "testsuite", name=name)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        classname = f"{name}.lesson_{report['lesson']:02d}" if report.get("lesson") else name
        if not report["gradable"]:
            case = sub(suite, "testcase", classname=classname, name="gradable", time="0")
            sub(case, "error", message=report["reason"], type="not_gradable").text = xml(report["reason"])
            counts["tests"] += 1
            counts["errors"] += 1
        for check in report["checks"]:
            case = sub(suite, "testcase", classname=f"{classname}.checks", name=check["id"],
                       time=f"{check.get('duration_s', 0):.4f}")
            counts["tests"] += 1
            if check["status"] == "failed":
                sub(case, "failure", message=check["message"], type=check["kind"]).text = xml(check["message"])
                counts["failures"] += 1
            elif check["status"] == "error":
                sub(case, "error", message=check["message"], type=check["kind"]).text = xml(check["message"])
                counts["errors"] += 1
            elif check["status"] == "skipped":
                sub(case, "skipped", message=check["message"])
                counts["skipped"] += 1
        for criterion in report["criteria"]:
            case = sub(suite, "testcase", classname=f"{classname}.criteria", name=criterion["id"], time="0")
            counts["tests"] += 1
            score = criterion.get("score")
            text = (f"level {criterion['level']} score {score:.2f} ({criterion['source']})" if score is not None
                    else f"not scored: {criterion.get('not_judged_reason') or 'no checks and no judge'}")
            if score is None:
                sub(case, "skipped", message=text)
                counts["skipped"] += 1
            elif score < report.get("pass_score", 0.6):
                sub(case, "failure", message=text, type="below_pass_score").text = xml(text)
                counts["failures"] += 1
            sub(case, "system-out").text = xml(criterion.get("rationale") or text)
        if report.get("incomplete"):  # the judge failed: the grade is not complete, whatever the rest says
            case = sub(suite, "testcase", classname=classname, name="judge", time="0")
            text = xml(f"incomplete, {report['incomplete']}")
            sub(case, "error", message=text, type="judge_failed").text = text
            counts["tests"] += 1
            counts["errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def gradescope(report: dict[str, Any], points: float = 100.0) -> dict[str, Any]:
    """Gradescope autograder results.json: criteria as scored tests, checks as 0-point tests."""
    if not report["gradable"]:
        return {"score": 0.0, "output": f"Not gradable: {report['reason']}", "visibility": "visible",
                "stdout_visibility": "hidden", "tests": []}
    tests = []
    basis = set(report.get("total_basis") or [])
    weight_sum = sum(c["weight"] for c in report["criteria"] if c["id"] in basis) or 1.0
    for c in report["criteria"]:
        max_score = round(points * c["weight"] / weight_sum, 4) if c["id"] in basis else 0.0
        score = round(max_score * (c["score"] or 0.0), 4)
        output = c.get("rationale") or (f"{c['source']} score" if c["score"] is not None
                                        else f"not scored: {c.get('not_judged_reason')}")
        tests.append({"name": f"criterion: {c['id']}", "score": score, "max_score": max_score,
                      "output": output, "visibility": "visible"})
    for check in report["checks"]:
        tests.append({"name": f"check: {check['id']}", "score": 0.0, "max_score": 0.0, "output": check["message"],
                      "visibility": "visible", "status": "passed" if check["status"] in ("passed", "skipped") else "failed"})
    total = report.get("total") or 0.0
    if report.get("incomplete"):  # no score over part of the weight: 0 until it is graded again
        return {"score": 0.0, "output": f"Lesson {report['lesson']}: incomplete, {report['incomplete']}; "
                f"grade again once the judge works (partial total {total * 100:.0f}%)",
                "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
    return {"score": round(points * total, 4), "output": f"Lesson {report['lesson']}: total {total * 100:.0f}%",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def write_gradescope(folder: Path, report: dict[str, Any]) -> Path:
    """folder is where the grader put the report (never a path read from the report itself)."""
    from tutor.grading.report import write_file

    return write_file(folder, "results.json", json.dumps(gradescope(report), indent=2))
