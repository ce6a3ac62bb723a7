"""Time from a pasted attempt to the rendered check report, per TODO of lessons 1, 7 and 9.

    python bench/check_latency.py [--repeats 5] [--lessons 1 7 9] [--backend auto]

Each pasted attempt (the lab's wrong attempts and its reference, from tests/course/) is run
through `tutor.checks.evaluate` in the sandbox, one TODO at a time, the way `tutor check
--paste` does; the first run per lab warms the page cache and is not counted. Splits: sandbox
(start-up and teardown around the harness), import (starter.py + the pasted code, inside) and
checks (inside). Goal: p50 <= 1.5 s. Not measured here: the conversation turn around it (the
chat node is not built yet). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tutor.checks.evaluate import evaluate  # noqa: E402
from tutor.checks.references import reference_code, wrong_attempts  # noqa: E402
from tutor.checks.report import text  # noqa: E402
from tutor.checks.spec import load_checks  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--lessons", type=int, nargs="+", default=[1, 7, 9])
    parser.add_argument("--backend", default="auto")
    args = parser.parse_args()
    out = {"load_average": os.getloadavg(), "lessons": {}, "missing": []}
    for lesson in args.lessons:
        lab = REPO / "curriculum" / "labs" / f"lesson_{lesson:02d}"
        checks, _ = load_checks(lab)
        reference = reference_code(lab, REPO)
        if checks is None or reference is None:
            out["missing"].append(f"lesson {lesson}: no checks.yaml or reference")
            continue
        pastes = [(a["todo"], a["code"]) for a in wrong_attempts(lab, REPO)] + [(t, reference) for t in checks.names]
        evaluate(lab, checks, code=reference, backend=args.backend)  # warm-up, not counted
        total, sandbox, imported, checked = [], [], [], []
        for _ in range(args.repeats):
            for todo, code in pastes:
                started = time.perf_counter()
                evaluation = evaluate(lab, checks, code=code, todo=todo, backend=args.backend)
                text(evaluation)
                total.append(time.perf_counter() - started)
                t = evaluation.timing
                imported.append(t.get("import_s", 0.0))
                checked.append(t.get("checks_s", 0.0))
                sandbox.append(t.get("sandbox_s", 0.0) - t.get("import_s", 0.0) - t.get("checks_s", 0.0))
        out["lessons"][lesson] = {
            "attempts": len(total),
            "p50_s": round(statistics.median(total), 3), "p95_s": round(pct(total, 0.95), 3),
            "p50_sandbox_s": round(statistics.median(sandbox), 3),
            "p50_import_s": round(statistics.median(imported), 3),
            "p50_checks_s": round(statistics.median(checked), 3),
        }
    everything = [v["p50_s"] for v in out["lessons"].values()]
    out["goal_p50_le_1_5_s"] = bool(everything) and max(everything) <= 1.5
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
