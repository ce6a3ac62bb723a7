"""Start-up and first-reply times of the learner app, headless, each run in a new process.

Run:  .venv/bin/python bench/tui_startup.py [--runs 5] [--home DIR] [--course DIR]

Per run, timed from just before the process is spawned (interpreter start and imports
included):
  first paint   the first screen refresh (status bar, sidebar frame, prompt)
  ready         the agent's session is loaded (course, store, graph): questions are accepted
  index ready   the retrieval index is current and the embedding model is loaded
and, timed from pressing enter, with the offline model:
  first reply   a question sent the moment the app is ready (so it may wait for the index)
  next reply    a second question once the first has finished

Then the installed `tutor` command is started in tmux (when both are there) and timed until
its status bar shows: the first paint a person sees, the command line included.

The learner has a profile (no onboarding). Without --home a temporary TUTOR_HOME is used and
the course index is built once before the runs (its time is printed: it is a first-use cost).
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

ONE_RUN = r"""
import asyncio, json, sys, time

from tutor.config import load_settings
from tutor.tui.app import TutorApp

marks = {}


class Timed(TutorApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(lambda: marks.setdefault("paint", time.time()))


async def main():
    app = Timed(load_settings(model="offline"))
    async with app.run_test(size=(120, 40)) as pilot:
        async def until(predicate, name):
            while not predicate():
                await pilot.pause(0.005)
            marks.setdefault(name, time.time())

        async def ask(question, name):
            app.prompt.value = question
            start = time.time()
            await pilot.press("enter")
            while app.reply_worker is None or app.reply_worker.is_running or not app.query(".answer"):
                await pilot.pause(0.005)
            marks[name] = time.time() - start
            marks[name + "_text"] = app.query(".answer").last().source[:80]

        await until(lambda: "paint" in marks, "paint_seen")
        await until(lambda: app.ready, "ready")
        await ask("what is byte pair encoding?", "first_reply")
        await until(lambda: app.index_state == "ready", "index")
        await ask("why does BPE merge the most frequent pair first?", "next_reply")
    print(json.dumps(marks))

asyncio.run(main())
"""


def build_index(env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tutor", "index"], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def seed_profile(env: dict) -> None:
    code = ("from tutor.config import load_settings; from tutor.store import open_store; "
            "open_store(load_settings()).save_profile('default', name='Bench')")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def one_run(env: dict) -> dict:
    spawned = time.time()
    out = subprocess.run([sys.executable, "-c", ONE_RUN], env=env, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        raise SystemExit(f"bench run failed:\n{out.stderr[-2000:]}")
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    return {"first paint": marks["paint"] - spawned, "ready": marks["ready"] - spawned,
            "index ready": marks["index"] - spawned, "first reply": marks["first_reply"],
            "next reply": marks["next_reply"], "reply text": marks["first_reply_text"]}


def tmux_paint(env: dict, cwd: str) -> float | None:
    """Seconds from spawning the installed `tutor` in tmux until its status bar is on screen."""
    import shutil
    import uuid

    tutor = Path(sys.executable).with_name("tutor")
    if shutil.which("tmux") is None or not tutor.exists():
        return None
    session = f"tutor-bench-{uuid.uuid4().hex[:8]}"
    # a server of its own, so the session gets this env (a running server would give its own)
    tmux = ["tmux", "-L", session, "-f", "/dev/null"]
    env = {k: v for k, v in env.items() if not k.startswith("TMUX")}
    start = time.perf_counter()
    started = subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "120", "-y", "40", str(tutor)],
                             env={**env, "TERM": "xterm-256color"}, cwd=cwd, capture_output=True, text=True)
    if started.returncode != 0:
        print(f"  (tmux could not start a session: {started.stderr.strip()})")
        return None
    try:
        while time.perf_counter() - start < 60:
            shown = subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if "replies come from the course text" in shown:
                return time.perf_counter() - start
        return None
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--home", type=Path, help="a TUTOR_HOME to use (its index is refreshed if stale)")
    parser.add_argument("--course", type=Path, help="course root (default: the shipped course)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        home = args.home or Path(scratch)
        env = {**os.environ, "TUTOR_HOME": str(home), "HF_HUB_OFFLINE": "1", "TUTOR_MODEL": "offline",
               "TUTOR_CONFIG": os.devnull}
        if args.course:
            env["TUTOR_COURSE"] = str(args.course)
        seconds = build_index(env)
        print(f"index build or check before the runs: {seconds:.1f} s (a first-use cost, not part of the runs)")
        seed_profile(env)
        runs = [one_run(env) for _ in range(args.runs)]
        painted = [tmux_paint(env, scratch) for _ in range(args.runs)]
    print(f"{args.runs} runs, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end")
    for name in ("first paint", "ready", "index ready"):
        values = [r[name] for r in runs]
        print(f"  {name:<12} from spawn: median {statistics.median(values):.2f} s, max {max(values):.2f} s")
    painted = [p for p in painted if p is not None]
    if painted:
        print(f"  {'first paint':<12} of the installed `tutor` in tmux (CLI included): median "
              f"{statistics.median(painted):.2f} s, max {max(painted):.2f} s")
    for name in ("first reply", "next reply"):
        values = [r[name] for r in runs]
        print(f"  {name:<12} after enter: median {statistics.median(values):.2f} s, max {max(values):.2f} s")
    print(f"  first reply began: {runs[0]['reply text']!r}")


if __name__ == "__main__":
    main()
