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
