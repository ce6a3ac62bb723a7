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
