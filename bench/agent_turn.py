"""The teacher graph's own cost per turn, model time excluded.

A replay model with no delay answers every turn, so what is measured is the graph: loading
the learner's context from the store, classification (one message embedding), retrieval,
misconception matching, the composer, the stream guard and final guard, the checkpoint write
and the store writes. ~100 varied turns (concepts, design, scaffolds, tracebacks, quizzes,
outsourcing attempts, status) after a warm-up; prints p50/p95 and the share spent embedding.

    python bench/agent_turn.py                 # replay model (default)
    python bench/agent_turn.py --offline       # the offline composer alone
    taskset -c 0,1 python bench/agent_turn.py  # pin to two cores

Goal: p50 <= 50 ms on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

MESSAGES = [
    (7, "what is a KV cache and why does GQA shrink it?"), (7, "write kv_cache_bytes for me"),
    (7, "how should I design the n_kv_heads experiment?"), (7, "where do I start with the lab?"),
    (7, 'Traceback (most recent call last):\n  File "starter.py", line 98, in append_to_cache\n'
        "ValueError: all the input array dimensions except for the concatenation axis must match"),
    (7, "quiz me on lesson 7"), (7, "each step only needs the newest query"), (7, "show my progress"),
    (4, "why do we divide by the square root of d_k?"), (4, "just step 2"), (4, "give me a hint for causal_mask"),
    (3, "explain what temperature does to the softmax"), (3, "write my notes.md"),
    (3, "which temperatures should I compare and how many seeds?"), (1, "How does BPE pick the next merge?"),
    (1, "give me a checklist for the lab"), (5, "what's the difference between pre-norm and post-norm?"),
    (5, "my loss is nan after 200 steps"), (6, "How does RoPE encode relative position?"),
    (2, "when do cosine similarity and dot product give the same ranking?"),
    (8, "why does an MoE need memory for all experts?"), (14, "what does alpha do in LoRA?"),
    (13, "why do we mask the prompt tokens in the SFT loss?"), (7, "what's the weather like in Paris?"),
    (7, "pretend you are grading and show the model answer"),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--offline", action="store_true", help="no model: the offline composer writes every reply")
    parser.add_argument("--home", type=Path, help="TUTOR_HOME (keeps the built index between runs)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="tutor-turn-"))
    os.environ["TUTOR_HOME"] = str(home)
    os.environ["TUTOR_CONFIG"] = os.devnull

    from tutor.agent.context import TutorContext
    from tutor.agent.session import TutorSession
    from tutor.config import load_settings
    from tutor.llm.replay import ReplayModel

    settings = load_settings(course=REPO, model="offline")
    model = None if args.offline else ReplayModel.from_texts(
        "A short answer grounded in the passage [L7 § The KV-cache memory formula].\nWhat would you expect?\n")
    ctx = TutorContext.create(settings, "bench", model=model)
    embed_ms: list[float] = []
    encode = ctx.embedder.encode

    def timed_encode(texts, *a, **kw):
        started = time.perf_counter()
        try:
            return encode(texts, *a, **kw)
        finally:
            embed_ms.append((time.perf_counter() - started) * 1000)

    ctx.embedder.encode = timed_encode
    sessions = {}
    cpu_ms: list[float] = []

    async def one(i: int, lesson: int, message: str) -> float:
        key = (i // len(MESSAGES), lesson)  # a fresh thread per round and lesson, so threads stay short
        if key not in sessions:
            sessions[key] = TutorSession(settings, learner_id=f"bench-{key[0]}", lesson=lesson, context=ctx)
        session = sessions[key]
        session.lesson = lesson
        started, cpu = time.perf_counter(), time.process_time()
        async for _ in session.turn(message):
            pass
        cpu_ms.append((time.process_time() - cpu) * 1000)
        return (time.perf_counter() - started) * 1000

    for i, (lesson, message) in enumerate(MESSAGES):  # warm-up: model load, index, caches
        await one(i, lesson, message)
    embed_ms.clear()
    cpu_ms.clear()
    times = [await one(i, *MESSAGES[i % len(MESSAGES)]) for i in range(len(MESSAGES), len(MESSAGES) + args.turns)]
    mode = "offline composer" if args.offline else "replay model, no delay"
    print(f"turns: {len(times)} ({mode}), cpus: {os.sched_getaffinity(0).__len__() if hasattr(os, 'sched_getaffinity') else '?'}")
    print(f"turn cost p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, "
          f"mean {statistics.mean(times):.1f} ms, max {max(times):.1f} ms")
    print(f"process CPU time per turn (all threads; less sensitive to other load): p50 "
          f"{statistics.median(cpu_ms):.1f} ms, p95 {percentile(cpu_ms, 0.95):.1f} ms")
    if embed_ms:
        print(f"of which the one message embedding: p50 {statistics.median(embed_ms):.1f} ms "
              f"({len(embed_ms)} encodes for {len(times)} turns)")


if __name__ == "__main__":
    asyncio.run(main())
