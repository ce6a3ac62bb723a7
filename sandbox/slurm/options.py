"""Where and how lab runs go to Slurm: settings, never code. Read from TUTOR_SLURM_* when the
caller passes none (the sandbox imports nothing from tutor/)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields

# Files in a job's directory: written by the job when the runner starts / touched by the submitter.
STARTED, HEARTBEAT = "started.json", "heartbeat"


@dataclass(frozen=True)
class SlurmOptions:
    shared_dir: str | None = None     # a directory this machine and every node see at the same path
    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    array_limit: int = 4              # array tasks of one grading batch running at once (%N)
    cpus: int = 1                     # --cpus-per-task of a run
    gpus: int = 1                     # --gres=gpu:N when the run asks for the GPU
    time_margin_s: float = 60.0       # the job's --time above the tutor's own timeout
    memory_margin_mb: int = 512       # --mem above the lab's limit: the runner itself on the node
    poll_s: float = 0.5               # how often squeue/scontrol is asked and the log is read
    heartbeat_s: float = 30.0         # a job whose `tutor run` went silent this long cancels itself

    @classmethod
    def from_env(cls, env=None) -> "SlurmOptions":
        env = os.environ if env is None else env
        values = {}
        for spec in fields(cls):
            raw = env.get(f"TUTOR_SLURM_{spec.name.upper()}")
            if raw in (None, ""):
                continue
            kind = spec.type if isinstance(spec.type, type) else str(spec.type)
            values[spec.name] = (int(raw) if "int" in str(kind) else float(raw) if "float" in str(kind) else raw)
        return cls(**values)

    def time_minutes(self, timeout_s: float) -> int:
        """Slurm's --time is whole minutes: the tutor's timeout plus the margin, rounded up. The
        tutor's own (shorter) timeout is still enforced inside the job by the runner."""
        return max(1, math.ceil((timeout_s + self.time_margin_s) / 60))

    def placement_args(self) -> list[str]:
        args = []
        for flag, value in (("--partition", self.partition), ("--account", self.account), ("--qos", self.qos)):
            if value:
                args.append(f"{flag}={value}")
        return args
