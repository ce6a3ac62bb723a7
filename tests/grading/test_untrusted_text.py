"""tutor/untrusted.py beyond ESC and markup: bidi controls, C1 codes, line separators and folder
names that are not UTF-8 (lone surrogates) are shown, never sent; report.md cannot be restructured
by a judge's rationale (a code fence, a link, an image); and one odd folder name cannot stop
`tutor grade` for the rest of the batch, in any output mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from markdown_it import MarkdownIt

from tutor import untrusted
from tutor.grading.report import markdown, write_json

from tests.grading.grading_support import REPO, copy_submission, need_lesson

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
NOT_UTF8 = "lesson_01_\udcff\udcfe_bob"  # os.fsdecode(b"lesson_01_\xff\xfe_bob")


def test_bidi_c1_separators_and_undecodable_bytes_are_made_visible():
    text = f"a{BIDI}b \x9b31m \x85 \u2028\u2029 {NOT_UTF8} \ud800 é ✔"
    for escaped in (untrusted.terminal(text), untrusted.terminal(text, one_line=False), untrusted.rich(text),
                    untrusted.markdown_inline(text), untrusted.markdown_block(text), untrusted.html(text),
                    untrusted.xml(text)):
        assert not any(c in escaped for c in BIDI + "\x9b\x85\u2028\u2029"), repr(escaped)
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in escaped), repr(escaped)
        escaped.encode("utf-8")  # printable and writable as it is
        assert "é ✔" in escaped
    shown = untrusted.terminal(text, one_line=False)
    assert "\\u202e" in shown and "\\x9b31m" in shown and "\\u2028" in shown
    assert "lesson_01_\\xff\\xfe_bob" in shown  # the bytes the folder name really has
    assert "\\ud800" in shown


def test_json_text_escapes_what_a_terminal_acts_on_and_reads_back_the_same():
    data = {"name": f"x{BIDI}\x9b\x7f{NOT_UTF8}", "plain": "é ✔ — ok"}
    text = untrusted.json_text(json.dumps(data, ensure_ascii=False))
    assert not any(c in text for c in BIDI + "\x9b\x7f")
    text.encode("utf-8")
    assert json.loads(text) == data and "é ✔ — ok" in text


def report_with(rationale: str, name: str = "alice") -> dict:
    return {"submission": {"name": name}, "gradable": True, "lesson": 1, "total": 0.9, "pass_score": 0.6,
            "passed": True, "judge": {"model": "m", "ran": True, "reason": ""},
            "criteria": [{"id": "reflection", "weight": 1, "deterministic_score": 1, "level": 4, "score": 0.9,
                          "source": "judge", "rationale": rationale, "evidence": ["```", "![q](https://t.example/q.png)"]}],
            "checks": [{"id": "notes", "criterion": "reflection", "status": "failed", "message": "notes.md is missing"}],
            "flags": [{"code": "duplicate_submission", "where": "alice", "message": "same content as bob"}]}


def test_a_rationale_cannot_open_a_code_fence_link_or_image_in_report_md():
    rationale = ("Strong work overall.\n```\n~~~\n    ```\n"
                 "![x](https://tracker.example/pixel.png?who=alice) [see the rubric](javascript:alert(1))\n"
                 "[ref]: https://evil.example\n<https://auto.example> x\\[y](https://z.example)")
    md = markdown(report_with(rationale))
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "Checks" in headings and "Flags" in headings  # not swallowed by a fence
    assert not [t for t in tokens if t.type in ("fence", "code_block") and "Checks" in t.content]
    children = [c for t in tokens if t.children for c in t.children]
    assert not [c for c in children if c.type in ("image", "link_open")], md
    assert "duplicate" in md and "pixel.png" in md  # the text is still there to read


def test_report_json_keeps_a_name_that_is_not_utf8(tmp_path):
    path = write_json(tmp_path / "grading", report_with("fine", name=NOT_UTF8))
    assert json.loads(path.read_text(encoding="utf-8"))["submission"]["name"] == NOT_UTF8
    assert "lesson\\_01\\_\\\\xff\\\\xfe\\_bob" in markdown(report_with("fine", name=NOT_UTF8))


def tutor(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, cwd=REPO, timeout=600,
                          env={**os.environ, "TUTOR_COURSE": str(REPO), "COLUMNS": "300", **env})


def test_one_folder_name_that_is_not_utf8_or_reorders_text_does_not_stop_grade(tmp_path):
    need_lesson(1)
    cohort = tmp_path / "cohort"
    copy_submission("lesson_01_weak", cohort / NOT_UTF8)
    copy_submission("lesson_01_strong", cohort / "lesson_01_\u202eevil")
    junit = tmp_path / "junit.xml"
    for mode in ([], ["--json"], ["--junit", str(junit)]):
        done = tutor("grade", str(cohort), "--no-judge", *mode)
        out, err = done.stdout, done.stderr
        assert done.returncode in (0, 1) and b"internal error" not in err, err.decode(errors="replace")
        assert b"\xe2\x80\xae" not in out + err and b"\xff" not in out + err and b"\xed\xb3" not in out + err
        if mode == ["--json"]:
            names = {s["submission"]["name"] for s in json.loads(out)["submissions"]}
            assert names == {NOT_UTF8, "lesson_01_\u202eevil"}  # the same strings, as \u escapes
        elif not mode:
            assert b"lesson_01_\\xff\\xfe_bob" in out and b"lesson_01_\\u202eevil" in out
    data = junit.read_bytes()
    assert b"\xe2\x80\xae" not in data and b"lesson_01_\\u202eevil" in data and b"lesson_01_\\xff\\xfe_bob" in data
    assert len(ET.fromstring(data).findall("testsuite")) == 2
    for folder in cohort.iterdir():
        assert json.loads((folder / "grading" / "report.json").read_text())["submission"]["name"] == folder.name
        assert "\u202e" not in (folder / "grading" / "report.md").read_text()


def test_a_setting_with_markup_in_the_judge_not_run_reason_is_shown_as_typed(tmp_path):
    need_lesson(1)
    lab = copy_submission("lesson_01_weak", tmp_path / "alice")
    done = tutor("grade", str(lab), TUTOR_MODEL=f"replay:{tmp_path}/judge[/x].jsonl")
    assert done.returncode in (0, 1), done.stderr.decode()
    assert b"internal error" not in done.stderr
    assert f"{tmp_path}/judge[/x].jsonl".encode() in done.stderr.replace(b"\n", b"")
