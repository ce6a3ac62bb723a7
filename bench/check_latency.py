"""Time from a pasted attempt to the reply, per TODO of lessons 1, 7 and 9.

    python bench/check_latency.py [--repeats 5] [--lessons 1 7 9] [--backend auto] [--no-chat]

Each pasted attempt (the lab's wrong attempts and its reference, from tests/course/) is run
through `tutor.checks.evaluate` in the sandbox, one TODO at a time, the way `tutor check
--paste` does; the first run per lab warms the page cache and is not counted. Splits: sandbox
(start-up and teardown around the harness), import (starter.py + the pasted code, inside) and
checks (inside). Goal: p50 <= 1.5 s.

``chat`` (unless --no-chat) times the same pastes as a conversation turn: "is my TODO right?"
and the code, through ``TutorSession.turn`` (the graph: classify, the check_code node, the
reply, the guard, the record in the store), offline model, a fresh TUTOR_HOME and a working
directory without labs/ (so the paste is checked on the shipped starter). The same splits come
from the check node's own run; ``graph_s`` is the rest of the turn. The first turn per lesson
(course and agent loading) is reported as ``first_turn_s`` and not counted. Prints JSON.
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
    parser.add_argument("--no-chat", action="store_true", help="skip the conversation-turn measurement")
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
    if not args.no_chat:
        out["chat"] = chat_turns(args)
    everything = [v["p50_s"] for v in out["lessons"].values()] + [v["p50_s"] for v in out.get("chat", {}).values()]
    out["goal_p50_le_1_5_s"] = bool(everything) and max(everything) <= 1.5
    print(json.dumps(out, indent=2))
    return 0


def chat_turns(args) -> dict:
    """Pasted attempt -> guarded reply through the graph, per lesson."""
    import asyncio
    import tempfile

    import tutor.agent.nodes.check as node
    from tutor.agent.code_check import pasted_code
    from tutor.agent.session import DoneEvent, TutorSession
    from tutor.config import load_settings

    runs: list[tuple[float, dict]] = []
    real = node.run_check

    def timed(ctx, request):
        started = time.perf_counter()
        outcome = real(ctx, request)
        runs.append((time.perf_counter() - started, dict(outcome.get("timing") or {})))
        return outcome

    node.run_check = timed
    results = {}
    with tempfile.TemporaryDirectory(prefix="tutor-bench-") as scratch:
        os.environ["TUTOR_HOME"] = str(Path(scratch) / "home")
        os.chdir(scratch)  # no labs/ here
        settings = load_settings(course=REPO, model="offline", sandbox_backend=args.backend)

        async def one(session, message: str) -> str:
            async for event in session.turn(message):
                if isinstance(event, DoneEvent):
                    return event.result.reply
            return ""

        for lesson in args.lessons:
            lab = REPO / "curriculum" / "labs" / f"lesson_{lesson:02d}"
            checks, _ = load_checks(lab)
            reference = reference_code(lab, REPO)
            if checks is None or reference is None:
                continue
            # the functions as a learner pastes them (the file's docstring says "reference implementations")
            functions = pasted_code(reference) or reference
            pastes = [(a["todo"], a["code"]) for a in wrong_attempts(lab, REPO)] + [(t, functions) for t in checks.names]
            session = TutorSession(settings, learner_id="bench", lesson=lesson, model=None)
            started = time.perf_counter()
            asyncio.run(one(session, f"is my {pastes[0][0]} right?\n{pastes[0][1]}"))  # warm-up, not counted
            first = time.perf_counter() - started
            total, node_s, sandbox, imported, checked, named = [], [], [], [], [], 0
            for _ in range(args.repeats):
                for todo, code in pastes:
                    runs.clear()
                    started = time.perf_counter()
                    reply = asyncio.run(one(session, f"is my {todo} right?\n{code}"))
                    total.append(time.perf_counter() - started)
                    named += "the first that does not is" in reply or "checks pass" in reply
                    wall, t = runs[-1] if runs else (0.0, {})
                    node_s.append(wall)
                    imported.append(t.get("import_s", 0.0))
                    checked.append(t.get("checks_s", 0.0))
                    sandbox.append(t.get("sandbox_s", 0.0) - t.get("import_s", 0.0) - t.get("checks_s", 0.0))
            results[lesson] = {
                "turns": len(total), "replies_with_a_check_result": named, "first_turn_s": round(first, 3),
                "p50_s": round(statistics.median(total), 3), "p95_s": round(pct(total, 0.95), 3),
                "p50_sandbox_s": round(statistics.median(sandbox), 3),
                "p50_import_s": round(statistics.median(imported), 3),
                "p50_checks_s": round(statistics.median(checked), 3),
                "p50_graph_s": round(statistics.median([a - b for a, b in zip(total, node_s)]), 3),
            }
    node.run_check = real
    return results


if __name__ == "__main__":
    sys.exit(main())
