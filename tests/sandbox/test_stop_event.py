"""A run on a thread has no Ctrl-C: its stop event ends it the same way (the learner app's quit)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sandbox import run
from tests.sandbox.conftest import assert_no_process_left
from tests.sandbox.test_hostile_labs import BOTH, limits


@BOTH
def test_setting_the_stop_event_ends_the_run_at_once_and_still_records_it(make_lab, marker, backend):
    lab = make_lab("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    started = time.monotonic()
    record = run(lab, ["python", "main.py", marker], limits(timeout_s=60), backend=backend, stop=stop)
    assert time.monotonic() - started < 15, "the run went on after its stop event was set"
    assert record.reason == "killed" and "interrupt" in record.detail
    assert (Path(record.run_dir) / "run.json").exists()
    assert_no_process_left(marker)


@BOTH
def test_an_unset_stop_event_changes_nothing(make_lab, backend):
    lab = make_lab("print('done')\n")
    record = run(lab, ["python", "main.py"], limits(timeout_s=30), backend=backend, stop=threading.Event())
    assert record.reason == "ok" and record.exit_code == 0
