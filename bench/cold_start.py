"""Cold-start wall times of the commands a new user types, each in a new process.

Run:  .venv/bin/python bench/cold_start.py [--runs 3] [--fresh-runs 1] [--own-index]

Each figure is the wall time from spawning the process to its exit (or, for the app, to the
mark named), in seconds and as a ratio to ``python -c "import tutor"`` measured in the same
run (the interpreter's own start-up: the ratios are what survive a busy machine):

  tutor --help                      the command line alone
  tutor ask (offline), index built   one turn in a TUTOR_HOME used before (`tutor index` run in
                                    it: for the unchanged shipped course that builds nothing, the
                                    index shipped with the package serves; --own-index runs
                                    `tutor index --rebuild` instead, the path of an edited course
                                    or another embedder: Chroma plus its snapshot)
  tutor ask (offline), fresh home    the first question of a new install (empty TUTOR_HOME)
  tutor search (hybrid), index built
  tutor search (hybrid), fresh home
  app first paint, fresh home       from spawn to the first screen refresh
  app first reply, fresh home       from pressing enter on the first question, asked the
                                    moment the app accepts questions (it may wait for the index)

Goals on an idle 2-core machine: ask <= 3 s, search <= 1.5 s, first reply in the app on a
fresh install <= 5 s after the question. The machine may be shared: the load average is
printed at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tui_startup import ONE_RUN, seed_profile  # noqa: E402  (the app's timed run, reused)

QUESTION = "why does BPE merge the most frequent pair first?"


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"bench command failed ({' '.join(argv)}):\n{done.stderr[-2000:]}")
    return seconds


def app_run(env: dict) -> tuple[float, float]:
    spawned = time.time()
    out = subprocess.run([sys.executable, "-c", ONE_RUN], env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"app run failed:\n{out.stderr[-2000:]}")
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    return marks["paint"] - spawned, marks["first_reply"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each warm-home command (median shown)")
    parser.add_argument("--fresh-runs", type=int, default=1, help="runs of each fresh-home measurement")
    parser.add_argument("--own-index", action="store_true",
                        help="build the warm home's own index (tutor index --rebuild) instead of using the shipped one")
    args = parser.parse_args()
    tutor = [sys.executable, "-m", "tutor"]
    print(f"cold-start bench: {os.cpu_count()} CPUs, load average {loadavg()} at the start")
    with tempfile.TemporaryDirectory() as scratch:
        base = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TUTOR_MODEL": "offline",
                "TUTOR_CONFIG": os.devnull}
        base.pop("TUTOR_COURSE", None)
        counter = iter(range(10_000))

        def fresh_home() -> dict:
            home = Path(scratch) / f"home{next(counter)}"
            home.mkdir()
            return {**base, "TUTOR_HOME": str(home)}

        warm = fresh_home()
        built = timed([*tutor, "index", *(["--rebuild"] if args.own_index else [])], warm)
        print(f"(`tutor index{' --rebuild' if args.own_index else ''}` once for the warm-home rows: {built:.1f} s)")
        rows: dict[str, list[float]] = {}

        def measure(name: str, argv: list[str], env_of, runs: int) -> None:
            rows[name] = [timed(argv, env_of()) for _ in range(runs)]

        measure('python -c "import tutor"', [sys.executable, "-c", "import tutor"], lambda: warm, args.runs)
        measure("tutor --help", [*tutor, "--help"], lambda: warm, args.runs)
        measure("tutor ask (offline), index built", [*tutor, "ask", QUESTION], lambda: warm, args.runs)
        measure("tutor search (hybrid), index built", [*tutor, "search", QUESTION], lambda: warm, args.runs)
        measure("tutor ask (offline), fresh home", [*tutor, "ask", QUESTION], fresh_home, args.fresh_runs)
        measure("tutor search (hybrid), fresh home", [*tutor, "search", QUESTION], fresh_home, args.fresh_runs)
        paints, replies = [], []
        for _ in range(args.fresh_runs):
            env = fresh_home()
            seed_profile(env)
            paint, reply = app_run(env)
            paints.append(paint)
            replies.append(reply)
        rows["app first paint, fresh home"] = paints
        rows["app first reply (after enter), fresh home"] = replies

    unit = statistics.median(rows['python -c "import tutor"'])
    print(f"load average {loadavg()} at the end\n")
    print(f"{'':<44} {'median s':>9} {'max s':>7} {'x import':>9}")
    for name, values in rows.items():
        median = statistics.median(values)
        print(f"{name:<44} {median:>9.2f} {max(values):>7.2f} {median / unit:>9.1f}")


if __name__ == "__main__":
    main()
