"""Where a sandboxed run's time goes, phase by phase (used by sandbox_overhead.py --phases).

Wraps the runner's own steps with timers for the length of one measurement (nothing in sandbox/
changes): the scratch (a host folder only where one is needed), the plan (/etc, bwrap argv), the
launch (spawn, the run's cgroups made while the chain starts, its first gate, capture threads),
the wait until the sandbox is built (bwrap, its own tmpfs at /lab) and says "ready" from inside,
the tmpfs's limits (fspick) and the lab copy, the lab process from its release to reaped (the
command, after setpriv where the runner has no user namespace, plus the sandbox's teardown), the sweep after it, the
record, and cleanup. Phases that overlap the chain's own work (cgroups, captures) still count.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections import defaultdict

from sandbox import cgroups, launch, run_plan, runner, supervise, workspace

# (owner, attribute, label); classmethods are wrapped through their function.
PHASES = [
    (workspace.Workspace, "create", "scratch (a folder only where needed)"),
    (run_plan, "build", "plan: /etc, env, bwrap argv"),
    (runner, "_launch", "launch: spawn, cgroups, first gate, captures"),
    (cgroups.RunCgroups, "create", "  of which cgroups: make (and sweep stale)"),
    (launch.Chain, "ready", "wait: sandbox built, says ready"),
    (workspace.Workspace, "attach", "tmpfs: limits (fspick) and owner"),
    (workspace.Workspace, "copy_lab", "lab copy into scratch"),
    (runner, "_execute", "execute: release, supervise, classify"),
    (supervise.Supervisor, "_loop", "  of which the lab process until reaped"),
    (supervise.Supervisor, "sweep", "  of which the sweep after exit"),
    (runner, "_finish", "record: copy back, metrics, run.json"),
    (cgroups.RunCgroups, "remove", "cgroup: remove"),
    (workspace.Workspace, "cleanup", "scratch: close the tmpfs, folder"),
]


@contextlib.contextmanager
def timed_phases():
    """Yields {label: [seconds, ...]} filled while the block runs; originals restored after."""
    samples: dict[str, list[float]] = defaultdict(list)
    saved = []
    for owner, name, label in PHASES:
        raw = owner.__dict__[name]
        is_classmethod = isinstance(raw, classmethod)
        func = raw.__func__ if is_classmethod else raw

        def timer(*args, _func=func, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _func(*args, **kwargs)
            finally:
                samples[_label].append(time.perf_counter() - start)

        saved.append((owner, name, raw))
        setattr(owner, name, classmethod(timer) if is_classmethod else timer)
    try:
        yield samples
    finally:
        for owner, name, raw in saved:
            setattr(owner, name, raw)


def report(samples: dict[str, list[float]], runs: int) -> list[tuple[str, float]]:
    """(label, median ms per run); a phase that ran k times a run counts k times."""
    rows = []
    for _, _, label in PHASES:
        values = samples.get(label, [])
        if values:
            per_run = len(values) / runs
            rows.append((label, round(statistics.median(values) * per_run * 1000, 2)))
    return rows
