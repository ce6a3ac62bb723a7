"""Time to first paint and to the first offline reply of the learner app, headless.

Run: .venv/bin/python bench/tui_startup.py [--runs 5]
First paint: from process-level app construction (imports of tutor.tui included) to the
first screen refresh. First reply: from sending a question (model offline) to the reply text.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time

ONE_RUN = r"""
import asyncio, time
t0 = time.perf_counter()
from tutor.config import load_settings
from tutor.tui.app import TutorApp
from textual.widgets import Input, Markdown

async def main():
    app = TutorApp(load_settings(model="offline"))
    painted = {}
    async with app.run_test(size=(120, 40)) as pilot:
        painted["t"] = time.perf_counter() - t0
        while not app.ready:
            await pilot.pause(0.01)
        app.query_one("#prompt", Input).value = "what is byte pair encoding"
        t1 = time.perf_counter()
        await pilot.press("enter")
        while not any(m.source for m in app.query(".answer").results(Markdown)):
            await pilot.pause(0.01)
        print(painted["t"], time.perf_counter() - t1)

asyncio.run(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    paints, replies = [], []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "TUTOR_HOME": home, "HF_HUB_OFFLINE": "1"}
        for _ in range(args.runs):
            out = subprocess.run([sys.executable, "-c", ONE_RUN], env=env, capture_output=True, text=True, check=True)
            paint, reply = map(float, out.stdout.split()[-2:])
            paints.append(paint)
            replies.append(reply)
    print(f"first paint (new process, imports included): median {statistics.median(paints):.3f} s, max {max(paints):.3f} s over {args.runs} runs")
    print(f"first offline reply after enter: median {statistics.median(replies):.3f} s, max {max(replies):.3f} s")


if __name__ == "__main__":
    main()
