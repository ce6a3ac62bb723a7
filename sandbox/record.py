"""The run record: everything needed to understand and reproduce one lab run (run.json)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sandbox import safe_files

SCHEMA_VERSION = 1
# preempted / node_failure: only a scheduler (the Slurm backend) ends a run that way.
REASONS = ("ok", "timeout", "memory", "killed", "error", "preempted", "node_failure")

# A URL's credentials on the command line (--server http://user:PASS@host/v1, ?api_key=...) are
# not written to run.json. The rules of tutor.redact, restated: the sandbox imports nothing from
# tutor/ (tests/sandbox/test_run_json_redaction.py keeps the two in step).
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>\S*)")
_PARAM = re.compile(r"(?P<lead>[?#&])(?P<name>[^=&#?\s]*)=(?P<value>[^&#\s]*)")
_SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|sig|signature|auth|credential", re.IGNORECASE)


@dataclass
class RunRecord:
    run_id: str
    command: list[str]
    lab_dir: str                      # the learner's folder on the host
    cwd: str                          # working directory as the lab saw it
    run_dir: str                      # where run.json, the logs and the lab's outputs are
    seed: int
    limits: dict[str, Any]
    backend: str                      # bubblewrap | process
    mechanisms: dict[str, str]        # limit name -> what enforced it on this host
    isolation: dict[str, Any]         # what the backend isolates, and warnings when it is weak
    network: str                      # none | model | model-unavailable | host
    versions: dict[str, Any]
    gpu: dict[str, Any] | None
    started_at: str
    ended_at: str = ""
    duration_s: float = 0.0
    exit_code: int | None = None
    signal: int | None = None
    reason: str = "error"             # one of REASONS
    detail: str = ""                  # one line saying why, when reason is not ok
    limit_hit: str | None = None      # which limit stopped the run, when one did
    peak_rss_mb: float | None = None
    peak_gpu_memory_mb: float | None = None
    peak_processes: int | None = None     # sampled every 0.1 s (or the pids cgroup's own peak)
    logs: dict[str, str] = field(default_factory=dict)
    truncated: dict[str, bool] = field(default_factory=dict)
    output_bytes: dict[str, int] = field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    leftover_processes_killed: int = 0
    env_keys: list[str] = field(default_factory=list)
    # Where a scheduler ran it (Slurm backend): job_id, node, queue_wait_s, state, ...; None: here.
    scheduler: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunRecord":
        """A record read back (run.json written by a runner elsewhere): unknown keys are dropped."""
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def write(self, path: Path, dir_fd: int | None = None) -> Path:
        """Write run.json atomically: a reader never sees half a record, and a name the lab
        planted in its run directory (run.json or a temp name as a symlink) is never followed.
        Not fsynced (1-2 ms a run): a killed runner still leaves the whole record; a power cut
        right after a run may lose that run's record (run.json missing or empty, which readers
        report as unreadable), never mix two. No run needs its record to survive a power cut.
        ``dir_fd``: the run folder as its maker holds it (safe_files.write_in); path.parent is
        then only a name.
        """
        path = Path(path)
        # A shallow view, not to_dict(): json.dumps walks the nested values anyway, and asdict's
        # deep copy of them costs ~0.08 ms a run.
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        fields["command"] = [redact_arg(str(arg)) for arg in self.command]
        data = (json.dumps(fields, indent=2, default=str) + "\n").encode()
        return safe_files.write_in(path.parent, path.name, data, durable=False, dir_fd=dir_fd)


def redact_arg(arg: str) -> str:
    """One command-line argument with any URL's userinfo (up to the authority's last @) shown as
    ``***`` and the values of secret-looking query/fragment parameters as ``***``."""
    return _URL.sub(_redact_url, arg) if "://" in arg else arg


def _redact_url(m: re.Match) -> str:
    rest = m.group("rest")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    if at >= 0:
        rest = "***" + rest[at:]
    start = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return m.group("scheme") + rest[:start] + _PARAM.sub(_mask_param, rest[start:])


def _mask_param(m: re.Match) -> str:
    if m.group("value") and _SECRET_PARAM.search(m.group("name")):
        return f"{m.group('lead')}{m.group('name')}=***"
    return m.group(0)
