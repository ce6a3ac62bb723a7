"""The descriptor-based tree helpers the runner uses on folders others control (audit F4, F5, F8):
the copy into the sandbox, scratch-folder removal and its lock file, Slurm's collect step."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sandbox import Limits, fdtree, locked_dirs, workspace
from sandbox.record import RunRecord
from tests.races import Listing

SECRET = "TOP-SECRET root-only"


def _deep(folder: Path, levels: int = 1100) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(levels):
        os.mkdir("a", dir_fd=fd)
        child = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(fd)


@pytest.fixture
def lab(tmp_path) -> Path:
    folder = tmp_path / "lab"
    folder.mkdir()
    (folder / "main.py").write_text("print('hi')\n")
    (folder / "notes.txt").write_text("learner notes")
    return folder


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    os.chmod(path, 0o600)
    return path


def test_a_file_swapped_for_a_link_while_the_lab_is_copied_in_is_copied_as_the_link(lab, secret, tmp_path,
                                                                                    monkeypatch):
    """F5: the copy decided 'file' from the listing, then opened the *path*: a learner exchanging
    the file for a link meanwhile got a root-only file copied into the sandbox. The exchange is
    made right after the lab folder is listed, every time."""
    real_scandir, lab_ino = os.scandir, os.stat(lab).st_ino
    os.symlink(secret, tmp_path / "swap")

    def scandir(where):
        with real_scandir(where) as listing:
            entries = Listing(listing)
        if os.stat(where).st_ino == lab_ino and os.path.lexists(tmp_path / "swap"):
            os.replace(tmp_path / "swap", lab / "notes.txt")   # the learner's rename(2), atomic
        return entries

    monkeypatch.setattr(os, "scandir", scandir)
    dest = tmp_path / "copy"
    workspace.copy_lab_tree(lab, dest)
    monkeypatch.undo()
    copied = [p for p in dest.rglob("*") if p.is_file() and not p.is_symlink()]
    assert all(SECRET not in p.read_text() for p in copied)
    assert os.readlink(dest / "notes.txt") == str(secret)   # a link stays a link: inside, it resolves in the sandbox
    assert (dest / "main.py").read_text() == "print('hi')\n"


def test_fifos_sockets_and_skipped_names_are_left_out_without_blocking(lab, tmp_path):
    os.mkfifo(lab / "pipe")
    (lab / "runs").mkdir()
    (lab / "runs" / "old.txt").write_text("an earlier run")
    (lab / "pkg" / "__pycache__").mkdir(parents=True)
    (lab / "pkg" / "mod.py").write_text("x = 1\n")
    os.chmod(lab / "main.py", 0o750)
    dest = tmp_path / "copy"
    workspace.copy_lab_tree(lab, dest)
    assert sorted(p.name for p in dest.iterdir()) == ["main.py", "notes.txt", "pkg"]
    assert [p.name for p in (dest / "pkg").iterdir()] == ["mod.py"]
    assert os.stat(dest / "main.py").st_mode & 0o777 == 0o750
    assert os.stat(dest / "main.py").st_mtime_ns == os.stat(lab / "main.py").st_mtime_ns


def test_a_sparse_file_counts_at_its_full_size_before_anything_is_copied(lab, tmp_path):
    """F8: the copy (the host-disk scratch, Slurm's job folder) wrote a sparse file out in full and
    only then compared sizes (Slurm) or never (the host-disk scratch)."""
    with open(lab / "data.bin", "wb") as handle:
        handle.truncate(300 * 2**20)
    dest = tmp_path / "copy"
    with pytest.raises(fdtree.TooBig):
        workspace.copy_lab_tree(lab, dest, max_bytes=16 * 2**20)
    assert not (dest / "data.bin").exists()
    assert workspace.tree_bytes(dest) < 2**20


def test_a_lab_nested_too_deep_is_refused(lab, tmp_path):
    _deep(lab, fdtree.MAX_DEPTH + 2)
    with pytest.raises(fdtree.TooBig, match="deeper"):
        workspace.copy_lab_tree(lab, tmp_path / "copy")


def test_a_deep_scratch_folder_is_removed_and_its_lock_let_go(tmp_path):
    """F4: shutil.rmtree recursed (RecursionError, which ignore_errors does not catch) and the
    folder, lock file already gone, was never swept."""
    root, lock_fd = locked_dirs.make("tutor-sandbox-", str(tmp_path))
    _deep(root)
    locked_dirs.release(root, lock_fd)
    assert not root.exists()
    with pytest.raises(OSError):
        os.fstat(lock_fd)   # closed


def test_an_abandoned_deep_folder_is_swept(tmp_path):
    root, lock_fd = locked_dirs.make("tutor-sandbox-", str(tmp_path))
    _deep(root)
    os.close(lock_fd)   # its owner was SIGKILLed
    assert locked_dirs.sweep_abandoned(tmp_path, "tutor-sandbox-") == [root.name]
    assert not root.exists()


def test_a_folder_that_cannot_be_emptied_keeps_its_lock_file_for_a_later_sweep(tmp_path, monkeypatch):
    """F4: the lock file goes last: a folder left half-removed is still known for one of ours."""
    root, lock_fd = locked_dirs.make("tutor-sandbox-", str(tmp_path))
    (root / "sub").mkdir()
    (root / "sub" / "stuck").write_text("")
    real_unlink = os.unlink

    def unlink(path, *args, **kwargs):
        if os.fspath(path) == "stuck":
            raise PermissionError(1, "Operation not permitted")
        return real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", unlink)
    locked_dirs.release(root, lock_fd)
    assert (root / locked_dirs.LOCK_NAME).exists() and (root / "sub" / "stuck").exists()
    monkeypatch.undo()
    assert locked_dirs.sweep_abandoned(tmp_path, "tutor-sandbox-") == [root.name]
    assert not root.exists()


def test_removal_never_follows_a_link(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "file").write_text("x")
    root, lock_fd = locked_dirs.make("tutor-sandbox-", str(tmp_path))
    os.symlink(keep, root / "link")
    locked_dirs.release(root, lock_fd)
    assert not root.exists() and (keep / "file").read_text() == "x"


def test_a_deep_run_folder_is_handed_back_with_its_too_deep_part_removed(tmp_path):
    top = tmp_path / "run"
    top.mkdir()
    _deep(top, 300)
    os.mkfifo(top / "pipe")
    os.symlink("/etc/shadow", top / "a" / "link")
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        note = workspace.hand_back(fd, None)
    finally:
        os.close(fd)
    assert "nested deeper than" in note
    assert not os.path.lexists(top / "pipe") and not os.path.lexists(top / "a" / "link")
    depth, folder = 0, top
    while (folder / "a").is_dir():
        depth, folder = depth + 1, folder / "a"
    assert depth == fdtree.MAX_DEPTH


def test_slurm_collect_copies_back_through_descriptors_and_keeps_the_run_id_a_plain_name(tmp_path):
    """F2 for Slurm's collect step: the local runs folder is the learner's; a run id read from
    the node's record names a folder here, so it must be one plain name."""
    from sandbox.slurm import job

    lab = tmp_path / "lab"
    lab.mkdir()
    job_dir = tmp_path / "job"
    node_run = job_dir / "runs" / "r1"
    node_run.mkdir(parents=True)
    record = RunRecord(run_id="../../escaped", command=["python"], lab_dir="", cwd="", run_dir="", seed=0,
                       limits={}, backend="bubblewrap", mechanisms={}, isolation={}, network="none", versions={},
                       gpu=None, started_at="")
    (node_run / "run.json").write_text(json.dumps(record.to_dict()))
    (node_run / "stdout.log").write_text("out")
    (node_run / "result.txt").write_text("result")
    os.symlink("/etc/hostname", node_run / "link")
    collected, fd = job._collect(job_dir, lab, ["python"], Limits(), "none", 0, "bubblewrap", lab / "runs", False)
    try:
        assert "/" not in collected.run_id and collected.run_id != "../../escaped"
        dest = Path(collected.run_dir)
        assert dest.parent == lab / "runs"
        assert (dest / "result.txt").read_text() == "result" and not os.path.lexists(dest / "link")
        assert collected.logs == {"stdout": str(dest / "stdout.log")}
    finally:
        os.close(fd)
    assert not (tmp_path / "escaped").exists()

