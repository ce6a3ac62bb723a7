"""Inside the Slurm job: ``python -m sandbox.slurm.inner JOB_DIR/spec.json``.

The same runner as the local backend (bubblewrap, limits, run record) runs the lab copy that the
submitter left in the shared directory; its output goes to the job's own stdout/stderr (which
`tutor run` reads as it grows) and its record to JOB_DIR/runs/<run_id>/run.json. SIGTERM (scancel,
Slurm's time limit, preemption) ends the run through the runner's stop event, so the process tree
is killed and a record is still written; a submitter that went silent (killed `tutor run`: its
heartbeat file stops changing) ends it the same way.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sys
import threading
import time
from pathlib import Path

from sandbox.limits import Limits
from sandbox.runner import SandboxError, run
from sandbox.slurm.options import HEARTBEAT, STARTED


def _watch_heartbeat(path: Path, stale_s: float, stop: threading.Event, orphaned: threading.Event) -> None:
    while not stop.wait(1.0):
        try:
            age = time.time() - path.stat().st_mtime
        except OSError:
            continue
        if age > stale_s:
            print(f"[tutor: the submitting `tutor run` went silent {age:.0f} s ago; ending the run]",
                  file=sys.stderr, flush=True)
            orphaned.set()
            stop.set()


def main(argv: list[str]) -> int:
    spec_path = Path(argv[0])
    spec = json.loads(spec_path.read_text())
    job_dir = spec_path.parent
    started = {"node": socket.gethostname(), "at": time.time(), "pid": os.getpid(),
               "job_id": os.environ.get("SLURM_JOB_ID")}
    (job_dir / STARTED).write_text(json.dumps(started))
    stop, orphaned = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if spec.get("heartbeat_s"):
        threading.Thread(target=_watch_heartbeat, args=(job_dir / HEARTBEAT, spec["heartbeat_s"], stop, orphaned),
                         daemon=True).start()

    def stream(name: str, text: str) -> None:
        out = sys.stdout if name == "stdout" else sys.stderr
        out.write(text)
        out.flush()

    try:
        record = run(job_dir / "lab", spec["command"], Limits(**spec["limits"]), gpu=spec["gpu"],
                     network=spec["network"], seed=spec["seed"], runs_dir=job_dir / "runs", on_output=stream,
                     backend=spec["backend"], model_url=spec.get("model_url"), model_name=spec.get("model_name"),
                     stop=stop)
    except SandboxError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    if orphaned.is_set():  # nobody will collect the record: leave nothing in the shared directory
        shutil.rmtree(job_dir, ignore_errors=True)
    return 0 if record.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
