"""The evaluator: statuses per TODO, what a report reveals, and bounded parsing of the result."""

from __future__ import annotations

import pytest

from tests.checks.conftest import requires_bwrap
from tutor.checks.evaluate import evaluate
from tutor.checks.results import find_result

pytestmark = requires_bwrap


def _one(lab, checks, code):
    [result] = evaluate(lab, checks, code=code).todos
    return result


def test_untouched_starter_is_not_started(tiny_lab, tiny_checks):
    [result] = evaluate(tiny_lab, tiny_checks).todos
    assert result.status == "not_started" and result.failed_checks == []


def test_right_attempt_passes_every_check(tiny_lab, tiny_checks):
    result = _one(tiny_lab, tiny_checks, "def add_one(x):\n    return x + 1\n")
    assert (result.status, result.passed, result.total) == ("passed", 3, 3)


def test_wrong_attempt_names_the_first_failing_check_with_expected_and_got(tiny_lab, tiny_checks):
    result = _one(tiny_lab, tiny_checks, "def add_one(x):\n    return x + 2\n")
    assert result.status == "failed" and result.check_id == "docstring_example"
    assert (result.expected, result.got) == ("2", "3")
    assert result.failed_checks == ["docstring_example", "uses_helper_scale", "hidden_property"]
    assert result.hint == "What does one more than x look like?" and result.section == "What you implement"


def test_reveal_false_never_shows_expected_or_got(tiny_lab, tiny_checks):
    result = _one(tiny_lab, tiny_checks, "def add_one(x):\n    return abs(x) + 1\n")
    assert result.check_id == "hidden_property" and result.expected is None and result.got is None


def test_an_exception_is_an_error_with_the_learner_frames_only(tiny_lab, tiny_checks):
    result = _one(tiny_lab, tiny_checks, "def add_one(x):\n    return x + 'one'\n")
    assert result.status == "error" and result.check_id == "docstring_example"
    assert "<pasted>, line 2, in add_one" in result.error and "TypeError" in result.error
    assert "check_harness" not in result.error


def test_an_import_error_is_reported_not_a_crash(tiny_lab, tiny_checks):
    (tiny_lab / "starter.py").write_text("import no_such_module_anywhere\n")
    evaluation = evaluate(tiny_lab, tiny_checks)
    assert "ModuleNotFoundError" in evaluation.import_error
    assert [t.status for t in evaluation.todos] == ["error"]


def test_result_parsing_is_bounded():
    nonce = "N:"
    assert find_result("N:" + "[" * 10_000 + "]" * 10_000, nonce) is None
    assert find_result("N:" + '{"checks": ' + '{"a": ' * 20 + "1" + "}" * 21, nonce) is None
    assert find_result("no result here\nM:{}", nonce) is None
    data = find_result('N:{"import": {"ok": true}, "checks": {"t": [{"id": "c", "outcome": "ok"}]}, "import_s": 0.1}', nonce)
    assert data["import_error"] is None and data["checks"]["t"][0]["outcome"] == "ok"


def test_data_subfolders_are_staged_without_following_links(tiny_lab, tiny_checks, tmp_path):
    from tutor.checks import evaluate as module

    (tiny_lab / "data" / "docs").mkdir(parents=True)
    (tiny_lab / "data" / "docs" / "a.txt").write_text("41")
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    (tiny_lab / "data" / "link.txt").symlink_to(secret)
    (tiny_lab / "data" / "linked_dir").symlink_to(tmp_path, target_is_directory=True)
    deep = tiny_lab / "data"
    for level in range(module.MAX_DEPTH + 1):
        deep = deep / f"d{level}"
    deep.mkdir(parents=True)
    (deep / "too_deep.txt").write_text("x")
    probe = ("import os\n"
             "def helper():\n"
             "    found = sorted(os.path.relpath(os.path.join(d, f)) for d, _, fs in os.walk('data') for f in fs)\n"
             "    assert found == ['data/docs/a.txt'], found\n"
             "    return int(open('data/docs/a.txt').read())\n"
             "def add_one(x):\n    return x + 1\n")
    result = _one(tiny_lab, tiny_checks, probe)
    assert result.status == "passed", result.error  # helper() read data/ (41 + 1) and saw no link, nothing too deep


def test_staging_never_waits_on_a_fifo_nor_follows_a_link_swapped_in_after_the_listing(tmp_path):
    """The listing said 'regular file'; by the time it is opened the name is a FIFO or a link
    (staging copies each listed file with fdtree's _copy_entry: this calls it as staging does)."""
    import os
    import threading

    from sandbox import fdtree

    lab = tmp_path / "lab"
    lab.mkdir()
    os.mkfifo(lab / "data.txt")
    secret = tmp_path / "secret.txt"
    secret.write_text("host only")
    (lab / "notes.txt").symlink_to(secret)
    out = tmp_path / "out"
    out.mkdir()
    copied = []
    fd, out_fd = os.open(lab, os.O_RDONLY | os.O_DIRECTORY), os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        worker = threading.Thread(target=lambda: copied.extend(
            fdtree._copy_entry(fd, n, out_fd, None, False, False, None) for n in ("data.txt", "notes.txt")),
            daemon=True)
        worker.start()
        worker.join(10)
        assert not worker.is_alive(), "staging blocked on a FIFO"
    finally:
        os.close(fd)
        os.close(out_fd)
    assert list(out.iterdir()) == [] and copied == [None, None]
