"""What a lab run may use. One frozen dataclass so a record can say exactly what applied."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 600.0          # wall clock; the whole process tree is killed after it
    cpu_s: int | None = None          # CPU seconds per process (RLIMIT_CPU); None: 2 x timeout
    memory_mb: int = 4096             # address space (CPU runs) or resident memory (GPU runs)
    max_procs: int = 256              # processes and threads of the lab at once
    file_size_mb: int = 1024          # largest single file the lab may write (RLIMIT_FSIZE)
    disk_mb: int = 2048               # total the lab's scratch copy may grow to
    tmp_mb: int = 256                 # the private /tmp inside the sandbox
    output_bytes: int = 2 * 1024 * 1024  # per stream kept in the logs; the rest is counted, not kept
    grace_s: float = 1.0              # between SIGTERM and SIGKILL when a run is stopped

    def effective_cpu_s(self) -> int:
        return int(self.cpu_s if self.cpu_s is not None else max(1, 2 * self.timeout_s))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["cpu_s"] = self.effective_cpu_s()
        return data
