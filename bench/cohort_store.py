"""A cohort on one database: N learner processes writing turns at once, an instructor report
every second and a grading batch writing grades, on SQLite and on PostgreSQL side by side.

    python bench/cohort_store.py [--learners 50] [--turns 40] [--grades 40] [--pg URL] [--json]

Each learner is a spawned process (as the TUI runs one per learner) that records ``--turns``
turns straight into the store (no model, no retrieval: this measures the store). On PostgreSQL
each learner connects with its own role (``tutor db grant-learner``, row security on) and the
instructor and the grader with an instructor role. The instructor process runs
cohort_matrix() + progress_rows() every second until the learners are done; the grader records
``--grades`` submissions meanwhile. Reported per backend: turns written vs sent (read back by
the owner), errors (``database is locked`` or any other), p50/p95 turn-record latency, p50/p95
report latency. ``--pg`` is an owner/superuser URL (default: $TUTOR_TEST_DATABASE_URL); a fresh
database is made on it and dropped after. Without one only SQLite runs. SQLite goes to a temp dir.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from store import _percentile, _turn  # noqa: E402  (bench/store.py: the same turn as the store bench)

from tutor.config import load_settings  # noqa: E402
from tutor.store import open_store  # noqa: E402


def _open(home: str, url: str | None):
    return open_store(load_settings(home=home, database_url=url))


def learner(home, url, name, turns, barrier, out) -> None:
    latencies, errors = [], []
    store = _open(home, url)
    store.ensure_learner(name)
    barrier.wait(timeout=300)
    for i in range(turns):
        t0 = time.perf_counter()
        try:
            _turn(store, name, i)
        except Exception as exc:  # counted, not hidden
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        latencies.append(time.perf_counter() - t0)
    out.put(("turns", latencies, errors))


def instructor(home, url, barrier, done, out) -> None:
    store = _open(home, url)
    latencies, errors = [], []
    barrier.wait(timeout=300)
    while not done.is_set():
        t0 = time.perf_counter()
        try:
            store.cohort_matrix()
            store.progress_rows()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        latencies.append(time.perf_counter() - t0)
        done.wait(max(0.0, 1.0 - (time.perf_counter() - t0)))
    out.put(("reports", latencies, errors))


def grader(home, url, learners, grades, barrier, out) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.store.store_support import sample_report

    store = _open(home, url)
    latencies, errors = [], []
    barrier.wait(timeout=300)
    for i in range(grades):
        name = learners[i % len(learners)]
        t0 = time.perf_counter()
        try:
            store.record_submission(name, 3, f"h-{i}", f"/subs/{name}-{i}", sample_report(name=name, content_hash=f"h-{i}"))
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        latencies.append(time.perf_counter() - t0)
    out.put(("grades", latencies, errors))


def run(backend: str, home: str, owner_url: str | None, n: int, turns: int, grades: int) -> dict:
    names = [f"learner{i:03d}" for i in range(n)]
    owner = _open(home, owner_url)  # migrates
    urls = {name: owner_url for name in names}
    staff = owner_url
    if owner_url:
        import sqlalchemy

        from tutor.store import cohort

        with owner.engine.begin() as conn:
            for name in names:
                role, password = cohort.grant(conn, "learner", name)
                urls[name] = sqlalchemy.engine.make_url(owner_url).set(
                    username=role, password=password).render_as_string(hide_password=False)
            role, password = cohort.grant(conn, "instructor", "bench")
        staff = sqlalchemy.engine.make_url(owner_url).set(username=role, password=password).render_as_string(
            hide_password=False)
    spawn = multiprocessing.get_context("spawn")
    barrier, out, done = spawn.Barrier(n + 2), spawn.Queue(), spawn.Event()
    procs = [spawn.Process(target=learner, args=(home, urls[name], name, turns, barrier, out)) for name in names]
    procs.append(spawn.Process(target=grader, args=(home, staff, names, grades, barrier, out)))
    reporter = spawn.Process(target=instructor, args=(home, staff, barrier, done, out))
    for p in procs + [reporter]:
        p.start()
    results = {"turns": [], "grades": [], "reports": []}
    errors: list[str] = []
    started = None
    for _ in range(len(procs)):
        kind, latencies, errs = out.get(timeout=1800)
        started = started or time.perf_counter()
        results[kind] += latencies
        errors += errs
    done.set()
    kind, latencies, errs = out.get(timeout=60)
    results[kind] += latencies
    errors += errs
    for p in procs + [reporter]:
        p.join(60)
    with owner.engine.connect() as conn:
        written = conn.exec_driver_sql("SELECT COUNT(*) FROM turns").scalar()
        graded = conn.exec_driver_sql("SELECT COUNT(*) FROM submissions").scalar()
    ms = lambda xs, q: round(1000 * _percentile(xs, q), 1) if xs else None  # noqa: E731
    return {"backend": backend, "learners": n, "turns_sent": n * turns, "turns_written": written,
            "grades_sent": grades, "grades_written": graded, "errors": len(errors), "first_errors": errors[:3],
            "locked_errors": sum("database is locked" in e for e in errors),
            "turn_p50_ms": ms(results["turns"], 0.5), "turn_p95_ms": ms(results["turns"], 0.95),
            "grade_p50_ms": ms(results["grades"], 0.5), "reports": len(results["reports"]),
            "report_p50_ms": ms(results["reports"], 0.5), "report_p95_ms": ms(results["reports"], 0.95)}


def fresh_pg(admin_url: str):
    import sqlalchemy

    name = f"tutor_bench_{secrets.token_hex(4)}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return sqlalchemy.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--grades", type=int, default=40)
    parser.add_argument("--pg", default=os.environ.get("TUTOR_TEST_DATABASE_URL"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.pop("TUTOR_DATABASE_URL", None)
    rows = []
    with tempfile.TemporaryDirectory() as home:
        rows.append(run("sqlite", home, None, args.learners, args.turns, args.grades))
        if args.pg:
            url, drop = fresh_pg(args.pg)
            try:
                rows.append(run("postgresql", home, url, args.learners, args.turns, args.grades))
            finally:
                from tutor.store import open as opening

                for engine in opening._ENGINES.values():
                    engine.dispose()
                drop()
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"rows": rows, "loadavg": load}, indent=2))
        return
    keys = [k for k in rows[0] if k != "first_errors"]
    print(f"{'':16}" + "".join(f"{r['backend']:>14}" for r in rows))
    for key in keys[1:]:
        print(f"{key:16}" + "".join(f"{str(r[key]):>14}" for r in rows))
    for r in rows:
        for e in r["first_errors"]:
            print(f"{r['backend']} error: {e}")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
