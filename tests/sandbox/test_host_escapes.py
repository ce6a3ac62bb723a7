"""The host side of a run never writes, reads or chowns through a name the lab or the learner can
change: its run folder, the lab's own run folder, runs/ itself, the logs (audit findings F1-F4,
F9, F11, F13). Each link or swap is planted from inside the lab, or from the runner's own output
callback (which the runner waits for before it copies anything back): no race, no flakiness.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from sandbox import Limits, SandboxError, run
from tests.sandbox.conftest import requires_bwrap

BOTH = pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
MODES = pytest.mark.parametrize("in_place", [False, True], ids=["copy", "in-place"])
SMALL = dict(timeout_s=20, memory_mb=512, max_procs=32, disk_mb=16, tmp_mb=8, file_size_mb=64, grace_s=0.3)
AS_ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="only a root runner hands a run folder to another uid")
SECRET = "TOP-SECRET host data"


def limits(**overrides) -> Limits:
    return Limits(**{**SMALL, **overrides})


@pytest.fixture
def secret_dir(tmp_path) -> Path:
    folder = tmp_path / "secret"
    folder.mkdir(mode=0o700)
    (folder / "secret.txt").write_text(SECRET)
    os.chmod(folder / "secret.txt", 0o600)
    os.symlink("/etc/hostname", folder / "a-link")
    return folder


@pytest.fixture(autouse=True)
def own_scratch(tmp_path, monkeypatch) -> Path:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("SANDBOX_SCRATCH", str(scratch))
    return scratch


def _all_text(folder: Path) -> str:
    """Every regular file's text under folder, links not followed."""
    found = []
    for directory, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(directory, name)
            if not os.path.islink(path) and os.path.isfile(path):
                found.append(Path(path).read_text(errors="replace"))
    return "\n".join(found)


@BOTH
def test_the_copy_back_never_follows_a_link_the_lab_put_at_its_run_folder(make_lab, secret_dir, backend):
    """F1: /lab/runs/<id> is the lab's; replaced by a link to a host folder, the host used to walk
    the link in its own namespace and copy that folder into the learner's runs/<id>/ as root."""
    lab = make_lab(f"""
        import os, shutil
        run_dir = os.environ["TUTOR_RUN_DIR"]
        shutil.rmtree(run_dir)
        os.symlink({str(secret_dir)!r}, run_dir)
    """)
    record = run(lab, ["python", "main.py"], limits(), backend=backend)
    assert record.reason == "ok", record.detail
    run_dir = Path(record.run_dir)
    assert not (run_dir / "secret.txt").exists() and SECRET not in _all_text(run_dir)
    assert "no output copied back" in record.detail and "not following" in record.detail
    assert json.loads((run_dir / "run.json").read_text())["run_id"] == record.run_id


@BOTH
def test_the_in_place_hand_back_never_walks_a_link_the_lab_put_at_its_run_folder(make_lab, tmp_path, backend):
    """F11: in place, a lab that may write runs/ (a learner made it 0777) swaps its run folder for
    a link; dropping links and chowning the folder used to walk through it: the host's tree lost
    its symlinks and, as root, became the learner's."""
    victim = tmp_path / "victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "shadow").write_text("root only")
    os.chmod(victim / "shadow", 0o600)
    os.symlink("/etc/hostname", victim / "sub" / "link")
    lab = make_lab(f"""
        import os
        run_dir = os.environ["TUTOR_RUN_DIR"]
        os.rename(run_dir, run_dir + ".orig")
        os.symlink({str(victim)!r}, run_dir)
    """)
    (lab / "runs").mkdir()
    os.chmod(lab / "runs", 0o777)
    before = {p: os.lstat(p).st_uid for p in [victim, victim / "shadow", victim / "sub", victim / "sub" / "link"]}
    record = _run_or_error(lab, backend)
    assert os.path.islink(victim / "sub" / "link"), "a symlink of the host's tree was dropped"
    assert {p: os.lstat(p).st_uid for p in before} == before, "the host's tree was chowned"
    assert not isinstance(record, Exception) and record.reason == "ok", record
    original = Path(record.run_dir + ".orig")
    assert json.loads((original / "run.json").read_text())["run_id"] == record.run_id  # the runner's own folder


@AS_ROOT
@requires_bwrap
def test_an_in_place_run_folder_swapped_for_a_link_leaves_a_root_tree_roots(make_lab, tmp_path):
    """F11 as root (the chown half): the lab's uid is not the learner's, so the hand-back chowns."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "shadow").write_text("root only")
    lab = make_lab(f"""
        import os
        run_dir = os.environ["TUTOR_RUN_DIR"]
        os.rename(run_dir, run_dir + ".orig")
        os.symlink({str(victim)!r}, run_dir)
        print("swapped")
    """)
    os.chown(lab, 65534, 65534)
    (lab / "runs").mkdir()
    os.chmod(lab / "runs", 0o777)
    record = _run_or_error(lab, "bubblewrap")
    assert os.lstat(victim).st_uid == 0 and os.lstat(victim / "shadow").st_uid == 0
    assert not isinstance(record, Exception) and record.reason == "ok", record
    original = Path(record.run_dir + ".orig")
    assert os.lstat(original).st_uid == os.lstat(original / "stdout.log").st_uid == 65534   # handed back all the same


def _run_or_error(lab: Path, backend: str):
    """The record of an in-place run, or what it raised: the host's tree is checked either way."""
    try:
        return run(lab, ["python", "main.py"], limits(), backend=backend, in_place=True)
    except Exception as exc:  # the runner refusing the link at the very end (run.json) came too late
        return exc


@BOTH
def test_a_learner_swapping_the_run_folder_mid_run_redirects_no_host_write(make_lab, tmp_path, backend):
    """F2: <lab>/runs is the learner's; they rename the runner's fresh runs/<id> away and put a
    folder of theirs there, holding links at the names the runner writes. The runner writes
    through the descriptor it made the folder with: into its own folder, wherever it went."""
    victim = tmp_path / "victim"
    victim.mkdir()
    lab = make_lab("""
        import os, time
        with open(os.path.join(os.environ["TUTOR_RUN_DIR"], "result.txt"), "w") as out:
            out.write("* * * * * root echo pwned")
        print("swap now", flush=True)
        time.sleep(0.3)
    """)
    swapped = []

    def learner(stream, text):   # the capture thread; the runner joins it before copying back
        if "swap now" in text and not swapped:
            run_dir = next((lab / "runs").iterdir())
            os.rename(run_dir, f"{run_dir}.orig")
            run_dir.mkdir()
            for name in ["result.txt", "metrics.json", "run.json", "stdout.log"]:
                os.symlink(victim / name, run_dir / name)
            swapped.append(run_dir)

    record = run(lab, ["python", "main.py"], limits(), backend=backend, on_output=learner)
    assert swapped and record.reason == "ok", record.detail
    assert list(victim.iterdir()) == [], "the runner wrote through the learner's links"
    original = Path(f"{swapped[0]}.orig")
    assert (original / "result.txt").read_text().startswith("* * * * *")
    assert json.loads((original / "run.json").read_text())["run_id"] == record.run_id


def test_a_log_file_is_never_opened_through_a_link(tmp_path):
    """F2 (capture.py): the log was opened by path, "wb": a link at its name was followed and its
    target truncated."""
    import io

    from sandbox.capture import StreamCapture

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.symlink(victim, tmp_path / "stdout.log")
    with pytest.raises(OSError):
        capture = StreamCapture("stdout", io.BufferedReader(io.BytesIO(b"lab output\n")), tmp_path / "stdout.log",
                                1000, None)
        capture.run()
    assert victim.read_text() == "keep me"


@BOTH
@MODES
def test_a_runs_folder_that_is_a_link_is_refused(make_lab, tmp_path, backend, in_place):
    """F9: <lab>/runs as a link: the runner made its run folder through it, wrote the logs and
    run.json there and (in place) chowned it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lab = make_lab(f"open({str(tmp_path / 'ran')!r}, 'w').close()")
    os.symlink(elsewhere, lab / "runs")
    with pytest.raises(SandboxError, match="symlink"):
        run(lab, ["python", "main.py"], limits(), backend=backend, in_place=in_place)
    assert list(elsewhere.iterdir()) == [] and not (tmp_path / "ran").exists()


@BOTH
def test_a_fifo_at_the_in_place_stderr_log_does_not_hang_the_host(make_lab, backend):
    """F3: in place the run folder is the lab's; the runner read the stderr log back by path
    (blocking open) to classify the run: a FIFO there hung it for ever. The tail is the
    capture's own now."""
    lab = make_lab("""
        import os, sys
        path = os.path.join(os.environ["TUTOR_RUN_DIR"], "stderr.log")
        os.unlink(path)
        os.mkfifo(path)
        print("MemoryError", file=sys.stderr)
        sys.exit(1)
    """)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(run(lab, ["python", "main.py"], limits(),
                                                               backend=backend, in_place=True)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():   # unblock the stuck reader, then fail
        for fifo in (lab / "runs").glob("*/stderr.log"):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("the runner hung on the lab's FIFO")
    record = done[0]
    assert record.reason == "memory", record.detail   # classified from the capture's own tail
    assert not os.path.lexists(Path(record.run_dir) / "stderr.log")   # the FIFO was dropped at hand-back


@BOTH
@MODES
def test_a_tree_deeper_than_any_walk_still_leaves_a_record(make_lab, backend, in_place, own_scratch):
    """F4: Python 3.11's os.walk and shutil.rmtree recurse: a 1100-level tree in the run folder
    made the copy back (or the in-place hand-back) raise RecursionError: no run.json."""
    lab = make_lab("""
        import os
        os.chdir(os.environ["TUTOR_RUN_DIR"])
        for _ in range(1100):
            os.mkdir("a")
            os.chdir("a")
        print("deep")
    """)
    record = run(lab, ["python", "main.py"], limits(), backend=backend, in_place=in_place)
    assert "RecursionError" not in record.detail
    assert json.loads((Path(record.run_dir) / "run.json").read_text())["run_id"] == record.run_id
    assert "nested deeper than" in record.detail, record.detail
    assert list(own_scratch.iterdir()) == []
    if in_place:
        depth, folder = 0, Path(record.run_dir)
        while (folder / "a").is_dir():
            depth, folder = depth + 1, folder / "a"
        assert depth <= 128


def test_the_disk_watchdog_survives_a_deep_tree_and_counts_it_over_the_limit(make_lab, own_scratch):
    """F4b: the host-disk watchdog's tree_bytes (os.walk) raised RecursionError inside the
    supervisor, and the scratch folder was left behind. What no walk can measure is over."""
    lab = make_lab("""
        import os, time
        for _ in range(1100):
            os.mkdir("a")
            os.chdir("a")
        print("deep", flush=True)
        time.sleep(30)
    """)
    record = run(lab, ["python", "main.py"], limits(timeout_s=15), backend="process")
    assert record.reason == "killed" and record.limit_hit == "disk", record.detail
    assert "cannot be measured" in record.detail
    assert list(own_scratch.iterdir()) == []


@pytest.mark.parametrize("depth, reason", [(32, None), (33, "nested deeper than 32 levels"), (600, "nested deeper")])
def test_json_depth_is_capped_without_recursion(depth, reason):
    from sandbox import safe_files

    value, problem = safe_files.load_json(('{"a":' * depth + "1" + "}" * depth).encode())
    if reason:
        assert value is None and problem.startswith(reason)
    else:
        assert value is not None and problem == ""


def test_metrics_nested_past_the_cap_are_a_reason_and_the_record_stays_usable(make_lab):
    """F13: 600 levels passed the parser, then record.to_dict() (dataclasses.asdict) raised."""
    lab = make_lab("""
        import os
        with open(os.path.join(os.environ["TUTOR_RUN_DIR"], "metrics.json"), "w") as f:
            f.write('{"a":' * 600 + '1' + '}' * 600)
    """)
    record = run(lab, ["python", "main.py"], limits(), backend="process")
    assert record.metrics == {"_error": "metrics.json is nested deeper than 32 levels"}
    assert record.to_dict()["metrics"] == record.metrics


def test_a_sparse_file_over_the_disk_limit_is_refused_before_it_is_copied(make_lab, own_scratch):
    """F8: the host-disk copy (and Slurm's) wrote a sparse file out in full before any check."""
    lab = make_lab("print('never')")
    with open(lab / "data.bin", "wb") as handle:
        handle.truncate(256 * 2**20)
    record = run(lab, ["python", "main.py"], limits(disk_mb=16), backend="process")
    assert record.reason == "error" and "could not be copied" in record.detail, record.detail
    assert list(own_scratch.iterdir()) == []
