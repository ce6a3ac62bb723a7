"""The grader reads a learner's folder through descriptors: a folder swapped for a symlink while
it is being read is never followed (F6), runs/ and listings are bounded (F7, walk, content_hash).
Races are made deterministic by doing the swap from a hook that runs between the listing or the
check and the read."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.races import Listing
from tutor.grading import safe_io, submission
from tutor.grading.judge_prompt import build_materials
from tutor.grading.submission import open_submission


def _run(folder: Path, config: dict, metrics: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "metrics.json").write_text(json.dumps(metrics))


@pytest.fixture
def lab(tmp_path) -> Path:
    root = tmp_path / "lesson_01_learner"
    root.mkdir()
    (root / "notes.md").write_text("## What I expected\nthings\n")
    _run(root / "runs" / "r1", {"seed": 1, "who": "learner"}, {"loss": 0.5})
    return root


@pytest.fixture
def secret(tmp_path) -> Path:
    """A root-only folder shaped like a run: nothing of it may reach the grade."""
    folder = tmp_path / "secret_run"
    _run(folder, {"seed": 9, "who": "ROOT-ONLY"}, {"ROOT-ONLY": 1})
    (folder / "SECRET-NAME.txt").write_text("ROOT-ONLY")
    return folder


def _swap_for_link(folder: Path, target: Path, moved: Path) -> None:
    os.rename(folder, moved)
    os.symlink(target, folder)


def test_f6_a_run_folder_swapped_for_a_link_before_its_files_are_read_is_not_followed(lab, secret, tmp_path, monkeypatch):
    sub = open_submission(lab)
    real, swapped = safe_io.read_bytes, []

    def racing(where, cap):  # the learner's swap lands between the listing and the open
        if not swapped:
            _swap_for_link(lab / "runs" / "r1", secret, tmp_path / "r1_moved")
            swapped.append(where)
        return real(where, cap)

    monkeypatch.setattr(safe_io, "read_bytes", racing)
    runs = sub.runs
    monkeypatch.undo()
    assert swapped and (lab / "runs" / "r1").is_symlink()
    assert "ROOT-ONLY" not in repr(runs)
    assert "ROOT-ONLY" not in build_materials(sub, [sub.name]).runs_summary
    assert runs[0].config == {"seed": 1, "who": "learner"}  # what the folder held when it was opened


def test_a_run_folder_replaced_by_a_link_after_listing_is_a_problem_not_a_read(lab, secret, tmp_path):
    sub = open_submission(lab)
    _swap_for_link(lab / "runs" / "r1", secret, tmp_path / "r1_moved")
    runs = sub.runs
    assert "ROOT-ONLY" not in repr(runs)
    assert [r.id for r in runs] == ["r1"] and not runs[0].valid and "symlink" in runs[0].problems[0]


def test_a_submission_folder_replaced_after_it_was_opened_is_not_read(lab, tmp_path):
    sub = open_submission(lab)
    os.rename(lab, tmp_path / "moved")
    lab.mkdir()
    (lab / "notes.md").write_text("## What I expected\nIMPOSTER\n")
    assert "IMPOSTER" not in repr(sub.notes) and "replaced" in sub.notes.error
    assert sub.runs == []


def test_walk_never_lists_a_folder_swapped_for_a_link_after_its_parent_was_listed(lab, secret, tmp_path, monkeypatch):
    (lab / "sub").mkdir()
    (lab / "sub" / "mine.txt").write_text("mine")
    real, swapped = os.scandir, []

    def racing(path="."):
        with real(path) as entries:
            listed = Listing(entries)
        if not swapped:  # after the root is listed, before sub/ is entered
            _swap_for_link(lab / "sub", secret, tmp_path / "sub_moved")
            swapped.append(path)
        return listed

    monkeypatch.setattr(os, "scandir", racing)
    listing = safe_io.walk(lab)
    monkeypatch.undo()
    assert swapped
    assert not any("SECRET" in f or f.startswith("sub/") for f in listing.files)
    assert any(s.startswith("sub: symlink") for s in listing.skipped)


def test_inside_refuses_a_link_above_the_last_component(lab, secret):
    os.symlink(secret, lab / "linked")
    with pytest.raises(safe_io.UnsafePath, match="symlink"):
        safe_io.inside(lab, "linked/config.json")
    with pytest.raises(safe_io.UnsafePath, match="symlink"):
        open_submission(lab).text("linked/config.json")


def test_a_fifo_where_a_run_file_should_be_is_refused_without_blocking(lab):
    os.unlink(lab / "runs" / "r1" / "config.json")
    os.mkfifo(lab / "runs" / "r1" / "config.json")
    run = open_submission(lab).runs[0]
    assert not run.valid and "not a regular file" in run.problems[0]


# -- F7: bounded runs/ -------------------------------------------------------------------------
def test_f7_only_the_first_runs_by_name_are_read_and_the_rest_reported(lab):
    cap = getattr(submission, "MAX_RUNS", 50)
    for i in range(2, cap + 11):
        _run(lab / "runs" / f"r{i:03d}", {"seed": i}, {"loss": 1.0})
    sub = open_submission(lab)
    assert len(sub.runs) == cap
    assert sub.runs[0].id == "r002" and sub.runs[-1].id == f"r{cap + 1:03d}"
    note = [s for s in sub.skipped if s.startswith("runs:")]
    assert note and f"only the first {cap} by name" in note[0] and "symlink" not in note[0]


def test_f7_the_bytes_read_for_all_runs_together_are_capped(lab, monkeypatch):
    for i in range(2, 7):
        _run(lab / "runs" / f"r{i}", {"seed": i, "pad": "x" * 1000}, {"loss": 1.0, "pad": "y" * 1000})
    monkeypatch.setattr(submission, "RUNS_BYTES_CAP", 3000, raising=False)
    real, read = safe_io.read_bytes, []

    def counting(where, cap):
        data = real(where, cap)
        read.append(len(data[0]))
        return data

    monkeypatch.setattr(safe_io, "read_bytes", counting)
    runs = open_submission(lab).runs
    assert sum(read) <= 3000 + 2 * 1100  # the cap, plus the run that crossed it
    assert len(runs) == 6 and any("not read" in p for r in runs for p in r.problems)


# -- bounded listings and hashing ---------------------------------------------------------------
def test_walk_lists_at_most_max_listed_entries_and_says_so(lab, monkeypatch):
    for i in range(50):
        (lab / f"f{i:02d}.txt").write_text("x")
    monkeypatch.setattr(safe_io, "MAX_LISTED", 20, raising=False)
    listing = safe_io.walk(lab)
    assert len(listing.files) <= 20
    assert any("more than 20 entries" in s for s in listing.skipped)


def test_content_hash_reads_at_most_the_total_cap(lab, monkeypatch):
    for i in range(5):
        (lab / f"big{i}.bin").write_bytes(b"z" * 800)
    files = safe_io.walk(lab).files
    monkeypatch.setattr(safe_io, "HASH_TOTAL_CAP", 1000, raising=False)
    real, read = safe_io.read_bytes, []

    def counting(where, cap):
        data = real(where, cap)
        read.append(len(data[0]))
        return data

    monkeypatch.setattr(safe_io, "read_bytes", counting)
    before = safe_io.content_hash(lab, files)
    assert sum(read) <= 1000
    (lab / "big4.bin").write_bytes(b"z" * 801)  # past the cap, a size change still changes the hash
    assert safe_io.content_hash(lab, files) != before
