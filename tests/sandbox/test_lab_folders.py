"""Lab folders as learners really have them."""

from __future__ import annotations

import os

import pytest

from sandbox import Limits, run
from tests.sandbox.conftest import requires_bwrap


@pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
def test_a_folder_private_to_its_owner_still_runs(make_lab, tmp_path, backend):
    """umask 077 leaves lab folders at 0700; the scratch copy must still be enterable."""
    lab = make_lab("print('ran')")
    os.chmod(lab, 0o700)
    record = run(lab, ["python", "main.py"], Limits(timeout_s=20), backend=backend, runs_dir=tmp_path / "runs")
    assert record.reason == "ok", record.detail
    assert open(record.logs["stdout"]).read().strip() == "ran"
    assert oct(os.stat(lab).st_mode & 0o777) == "0o700"  # the learner's folder is left as it was


@pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
def test_peak_memory_is_the_labs_own_not_the_runners(make_lab, tmp_path, backend):
    """A runner that has grown large (a test suite, the TUI with torch loaded) must not lend its
    peak RSS to a small lab: Linux carries it into the child's ru_maxrss across exec."""
    ballast = bytearray(400 * 2**20)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1  # touch every page so it is resident
    record = run(make_lab("print('small')"), ["python", "main.py"], Limits(timeout_s=20), backend=backend,
                 runs_dir=tmp_path / "runs")
    del ballast
    assert record.reason == "ok", record.detail
    assert record.peak_rss_mb is not None and record.peak_rss_mb < 200, record.peak_rss_mb


@pytest.mark.parametrize("backend", [pytest.param("bubblewrap", marks=requires_bwrap), "process"])
def test_a_runs_dir_that_cannot_be_made_is_an_error_and_runs_nothing(make_lab, tmp_path, marker, backend):
    """A runs_dir that cannot be made is a one-line SandboxError: nothing of the lab runs, no
    cgroup or process is left behind."""
    from sandbox.runner import SandboxError
    from tests.sandbox.conftest import assert_no_process_left

    lab = make_lab(f"open({str(tmp_path / 'ran')!r}, 'w').close()")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(SandboxError, match="cannot write the run record under .*not-a-folder"):
        run(lab, ["python", "main.py", marker], Limits(timeout_s=20), backend=backend, runs_dir=blocker)
    assert not (tmp_path / "ran").exists() and not (lab / "runs").exists()
    assert_no_process_left(marker)
    from pathlib import Path

    mine = f".{os.getpid()}."        # a group's name carries its runner's pid (sandbox/cgroups.py)
    assert not [p for p in Path("/sys/fs/cgroup").glob("**/tutor-sandbox-*") if mine in p.name]
