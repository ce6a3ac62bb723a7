"""Progress store speed: turn writes (one process, and N processes at once) and the
instructor queries on a synthetic cohort.

    python bench/store.py [--turns 1000] [--procs 8] [--turns-each 200] [--learners 200] [--lessons 18] [--json]

1. Single process: ``--turns`` record_turn calls in a row; turns per second and per-call
   latency (p50, p99). Each call is its own transaction (BEGIN IMMEDIATE ... COMMIT).
2. Concurrent: ``--procs`` spawned processes start together on one barrier and each writes
   ``--turns-each`` turns; total turns per second over the wall time from the barrier to the
   last finish, and the slowest single call (time spent waiting for the write lock).
3. Cohort: ``--learners`` x ``--lessons`` progress rows, a graded submission for half the
   cells, a few misconceptions and contract events each; the median of 5 calls of
   cohort_matrix(), and of the other instructor queries.
Everything goes to a temp dir (``--dir`` to keep it); nothing touches TUTOR_HOME.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tutor.config import load_settings  # noqa: E402
from tutor.store import open_store  # noqa: E402
from tutor.store.engine import SYNCHRONOUS  # noqa: E402

CITATIONS = [{"lesson": 7, "anchor": "kv-cache", "title": "The KV cache"}]


def _store(home: str):
    return open_store(load_settings(home=home))


def _turn(store, learner: str, i: int) -> None:
    store.record_turn(learner, 1 + i % 18, message=f"question {i} about the KV cache " * 4,
                      reply=f"answer {i}, with a probe question " * 12, intent="concept", action="explain",
                      citations=CITATIONS)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def single_process(home: str, turns: int) -> dict:
    store = _store(home)
    latencies = []
    started = time.perf_counter()
    for i in range(turns):
        t0 = time.perf_counter()
        _turn(store, "solo", i)
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    return {"turns": turns, "seconds": round(elapsed, 3), "turns_per_s": round(turns / elapsed, 1),
            "p50_ms": round(_percentile(latencies, 0.5) * 1000, 2), "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2)}


def _writer(home: str, worker: int, count: int, barrier, results) -> None:
    store = _store(home)
    store.ensure_learner(f"p{worker}")
    barrier.wait()
    started = time.time()
    slowest = 0.0
    for i in range(count):
        t0 = time.perf_counter()
        _turn(store, f"p{worker}", i)
        slowest = max(slowest, time.perf_counter() - t0)
    results.put((started, time.time(), slowest))


def concurrent(home: str, procs: int, each: int) -> dict:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(procs), ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(home, w, each, barrier, results)) for w in range(procs)]
    for p in workers:
        p.start()
    got = [results.get(timeout=600) for _ in workers]
    for p in workers:
        p.join()
    if any(p.exitcode for p in workers):
        raise SystemExit("a writer process failed")
    wall = max(end for _, end, _ in got) - min(start for start, _, _ in got)
    store = _store(home)
    stored = sum(len(store.recent_turns(f"p{w}", limit=each + 1)) for w in range(procs))
    return {"processes": procs, "turns": procs * each, "stored": stored, "seconds": round(wall, 3),
            "turns_per_s": round(procs * each / wall, 1),
            "slowest_call_ms": round(max(s for _, _, s in got) * 1000, 1), "integrity": store.integrity_check()}


def _report(learner: str, lesson: int, total: float) -> dict:
    criteria = [{"id": c, "weight": 0.2, "deterministic_score": total, "level": round(4 * total), "score": total,
                 "source": "deterministic", "judged": False, "not_judged_reason": "", "rationale": "",
                 "evidence": [], "samples": [], "disagreement": False}
                for c in ("conceptual_clarity", "implementation", "measurement_quality", "reproducibility", "reflection")]
    return {"schema_version": 1, "status": "complete", "graded_at": "2025-03-01T10:00:00+00:00",
            "submission": {"name": learner, "path": f"/cohort/{learner}", "content_hash": f"{learner}-{lesson}"},
            "lesson": lesson, "gradable": True, "checks": [], "criteria": criteria,
            "judge": {"ran": False, "model": None}, "flags": [], "total": total, "pass_score": 0.6,
            "passed": total >= 0.6}


def cohort(home: str, learners: int, lessons: int) -> dict:
    store = _store(home)
    started = time.perf_counter()
    for n in range(learners):
        learner = f"learner_{n:03d}"
        for lesson in range(1, lessons + 1):
            if (n + lesson) % 2:
                store.record_submission(learner, lesson, f"{learner}-{lesson}", f"/cohort/{learner}",
                                        _report(learner, lesson, ((n * 7 + lesson) % 10) / 10))
            else:
                store.set_lesson_status(learner, lesson, "in_progress" if lesson < 12 else "not_started")
        for k in range(3):
            store.record_misconception(learner, 1 + (n + k) % lessons, f"misconception_{(n * k) % 7}", "evidence")
        store.record_contract_event(learner, 1 + n % lessons, "outsourcing_request", "coach")
    populate = time.perf_counter() - started

    def median_ms(call) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        return round(statistics.median(times) * 1000, 2)

    matrix = store.cohort_matrix()
    assert len(matrix["rows"]) == learners and len(matrix["lessons"]) == lessons
    return {"learners": learners, "lessons": lessons, "populate_s": round(populate, 2),
            "cohort_matrix_ms": median_ms(store.cohort_matrix),
            "frequent_misconceptions_ms": median_ms(store.frequent_misconceptions),
            "contract_event_counts_ms": median_ms(store.contract_event_counts),
            "progress_rows_ms": median_ms(store.progress_rows),
            "timeline_one_learner_ms": median_ms(lambda: store.timeline("learner_000"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--procs", type=int, default=8)
    parser.add_argument("--turns-each", type=int, default=200)
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--lessons", type=int, default=18)
    parser.add_argument("--dir", type=Path, default=None, help="keep the databases here (default: a temp dir)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        root = args.dir or Path(tmp)
        homes = {name: str(root / name) for name in ("single", "concurrent", "cohort")}
        results = {"synchronous": SYNCHRONOUS,
                   "single_process": single_process(homes["single"], args.turns),
                   "concurrent": concurrent(homes["concurrent"], args.procs, args.turns_each),
                   "cohort": cohort(homes["cohort"], args.learners, args.lessons)}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    s, c, k = results["single_process"], results["concurrent"], results["cohort"]
    print(f"single process: {s['turns']} turns in {s['seconds']} s = {s['turns_per_s']} turns/s "
          f"(p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms per turn); synchronous={SYNCHRONOUS}")
    print(f"{c['processes']} processes: {c['turns']} turns ({c['stored']} stored) in {c['seconds']} s = "
          f"{c['turns_per_s']} turns/s; slowest call {c['slowest_call_ms']} ms; integrity {c['integrity']}")
    print(f"cohort {k['learners']} x {k['lessons']} (populated in {k['populate_s']} s): cohort_matrix "
          f"{k['cohort_matrix_ms']} ms, frequent_misconceptions {k['frequent_misconceptions_ms']} ms, "
          f"contract_event_counts {k['contract_event_counts_ms']} ms, progress_rows {k['progress_rows_ms']} ms, "
          f"timeline(1 learner) {k['timeline_one_learner_ms']} ms (median of 5)")


if __name__ == "__main__":
    main()
