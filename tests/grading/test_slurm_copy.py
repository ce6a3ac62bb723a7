"""The Slurm backend's copy of a submission into the shared directory (F5): made through
descriptors, so a file swapped for a link while the copy runs is copied as the link, never as
what it points to; no Slurm needed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.races import Listing
from tutor.grading import safe_io, slurm_batch


@pytest.fixture
def lab(tmp_path) -> Path:
    root = tmp_path / "learner"
    (root / "runs" / "r1").mkdir(parents=True)
    (root / "notes.md").write_text("learner notes")
    (root / "runs" / "r1" / "config.json").write_text('{"seed": 1}')
    (root / "grading").mkdir()
    (root / "grading" / "report.json").write_text("{}")
    return root


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "root_only.txt"
    path.write_text("TOP-SECRET")
    return path


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def test_f5_a_file_swapped_for_a_link_after_the_listing_is_not_copied_through_it(lab, secret, tmp_path, monkeypatch):
    real, swapped = os.scandir, []

    def racing(path="."):
        with real(path) as entries:
            listed = Listing(entries)
        if not swapped:  # the learner's swap lands after the listing, before the file is opened
            os.rename(lab / "notes.md", tmp_path / "notes_moved")
            os.symlink(secret, lab / "notes.md")
            swapped.append(path)
        return listed

    dest = tmp_path / "shared" / "subs" / "0" / "learner"
    monkeypatch.setattr(os, "scandir", racing)
    why = slurm_batch._copy_submission(lab, dest)
    monkeypatch.undo()
    assert swapped and why is None
    assert b"TOP-SECRET" not in _all_bytes(dest)
    assert (dest / "notes.md").is_symlink()  # a link stays a link: the grader flags it
    assert (dest / "runs" / "r1" / "config.json").read_text() == '{"seed": 1}'
    assert not (dest / "grading").exists()


def test_a_file_swapped_between_its_stat_and_its_open_is_left_out(lab, secret, tmp_path, monkeypatch):
    real = safe_io.open_file

    def racing(dir_fd, name, label):
        if name == "notes.md":
            os.rename(lab / "notes.md", tmp_path / "notes_moved")
            os.symlink(secret, lab / "notes.md")
        return real(dir_fd, name, label)

    monkeypatch.setattr(safe_io, "open_file", racing)
    dest = tmp_path / "copy"
    assert slurm_batch._copy_submission(lab, dest) is None
    assert not os.path.lexists(dest / "notes.md") and b"TOP-SECRET" not in _all_bytes(dest)


def test_fifos_are_left_out_without_blocking_and_a_links_target_is_kept(lab, secret, tmp_path):
    os.mkfifo(lab / "pipe")
    os.symlink(secret, lab / "leak")
    dest = tmp_path / "copy"
    assert slurm_batch._copy_submission(lab, dest) is None
    assert not os.path.lexists(dest / "pipe")
    assert os.readlink(dest / "leak") == str(secret)
    assert (dest / "notes.md").read_text() == "learner notes"


def test_an_oversized_submission_is_refused_and_its_partial_copy_removed(lab, tmp_path, monkeypatch):
    (lab / "runs" / "r1" / "big.bin").write_bytes(b"b" * 4096)
    monkeypatch.setattr(slurm_batch, "COPY_MAX_BYTES", 2048)
    dest = tmp_path / "copy"
    why = slurm_batch._copy_submission(lab, dest)
    assert why and "could not be copied" in why
    assert not os.path.lexists(dest)  # else the next run would take the half copy for a finished one


def test_a_sparse_file_counts_at_its_size(lab, tmp_path, monkeypatch):
    with open(lab / "sparse.bin", "wb") as handle:
        handle.truncate(64 * 2**20)
    monkeypatch.setattr(slurm_batch, "COPY_MAX_BYTES", 2**20)
    assert "over 1 MiB" in slurm_batch._copy_submission(lab, tmp_path / "copy")
