"""Checks that run the learner's code: always through the sandbox, never in this process.

Runs write their records to a scratch directory, not into the learner's runs/, so grading
never changes the folder it grades (and so never changes its content hash).
"""

from __future__ import annotations

import ast
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


def accepted_options(code: str) -> set[str]:
    """The ``--options`` starter.py declares (without dashes), including the implicit ``no-x``
    of ``action=argparse.BooleanOptionalAction``."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(OPTION.findall(code))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            continue
        flags = [a.value[2:] for a in node.args
                 if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value.startswith("--")]
        found.update(flags)
        action = next((k.value for k in node.keywords if k.arg == "action"), None)
        if action is not None and "BooleanOptionalAction" in ast.unparse(action):
            found.update(f"no-{flag}" for flag in flags)
    return found


def replay_command(config: dict[str, Any], code: str) -> list[str]:
    """``python starter.py --key value ...`` for the config keys starter.py accepts."""
    accepted = accepted_options(code)
    command = ["python", "starter.py"]
    for key, value in sorted(config.items()):
        option = key.replace("_", "-")
        if option not in accepted or isinstance(value, (dict, list)) or value is None:
            continue
        if isinstance(value, bool):
            # a store_true flag left off is False; --no-x only where the starter declares it
            if value:
                command.append(f"--{option}")
            elif f"no-{option}" in accepted:
                command.append(f"--no-{option}")
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
