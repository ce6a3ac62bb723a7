"""Checks that run the learner's code: always through the sandbox, never in this process.

Runs write their records to a scratch directory, not into the learner's runs/, so grading
never changes the folder it grades (and so never changes its content hash).
"""

from __future__ import annotations

import re
import tempfile
from typing import Any

OPTION = re.compile(r"add_argument\(\s*[\"']--([a-z0-9-]+)[\"']")


def run_in_sandbox(ctx, command: list[str], timeout_s: float) -> dict[str, Any]:
    import sandbox

    with tempfile.TemporaryDirectory(prefix="tutor-grade-") as scratch:
        record = sandbox.run(ctx.submission.root, command, sandbox.Limits(timeout_s=timeout_s),
                             runs_dir=scratch, backend=ctx.sandbox_backend)
        return record.to_dict()


def replay_command(config: dict[str, Any], code: str) -> list[str]:
    """``python starter.py --key value ...`` for the config keys starter.py accepts."""
    accepted = set(OPTION.findall(code))
    command = ["python", "starter.py"]
    for key, value in sorted(config.items()):
        option = key.replace("_", "-")
        if option not in accepted or isinstance(value, (dict, list)) or value is None:
            continue
        if isinstance(value, bool):
            command.append(f"--{option}" if value else f"--no-{option}")
        else:
            command += [f"--{option}", str(value)]
    return command


def reproduce_run(ctx, metric: str, tolerance: float, timeout_s: float):
    runs = [r for r in ctx.submission.valid_runs if isinstance(r.metrics.get(metric), (int, float))]
    if not runs:
        return False, f"no logged run records {metric}", []
    run = runs[0]
    command = replay_command(run.config, ctx.submission.code)
    record = run_in_sandbox(ctx, command, timeout_s)
    again = (record.get("metrics") or {}).get(metric)
    if record.get("reason") != "ok" or not isinstance(again, (int, float)):
        return False, f"re-run of runs/{run.id} did not produce {metric} ({record.get('reason')})", []
    logged = float(run.metrics[metric])
    gap = abs(again - logged) / max(abs(logged), 1e-12)
    ok = gap <= tolerance
    return ok, (f"runs/{run.id}: {metric} logged {logged:g}, re-run {again:g} "
                f"(relative gap {gap:.3g}, tolerance {tolerance:g})"), [f"runs/{run.id}/metrics.json"]
