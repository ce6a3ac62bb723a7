"""A grading array task that fails like a broken node: for tests of the Slurm batch's retry.
A copy named fails_once fails its first attempt only; one named always_fails fails both."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tutor.grading import slurm_task

if __name__ == "__main__":
    manifest = Path(sys.argv[1])
    index = os.environ["SLURM_ARRAY_TASK_ID"]
    name = Path(json.loads(manifest.read_text())["items"][index]["copy"]).name
    tried = manifest.parent / f"tried-{name}"
    if name == "always_fails" or (name == "fails_once" and not tried.exists()):
        tried.touch()
        print("simulated node failure", file=sys.stderr)
        sys.exit(1)
    sys.exit(slurm_task.main(sys.argv[1:]))
