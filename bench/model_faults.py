"""Wall time to the answer when the model server misbehaves, one fault at a time.

Each fault is a local stand-in server on 127.0.0.1 (``tests/llm/llm_fake_server.py``) that
answers every request the same broken way (or, for 429, once broken and then well). A
"turn" is what the teacher does per learner message with a model: the structured
classification call (json_schema, 200 tokens, no thinking) and then the streamed reply,
through ``OpenAICompatModel`` with the DEFAULT settings (timeouts, retries, deadline), and
inside the per-turn deadline where the code has one. Printed per fault: seconds until the
turn ended (answer or failure) and what the caller was given (the text's first characters,
or the failure sentence).

    python bench/model_faults.py                 # every fault, each capped at --cap seconds
    python bench/model_faults.py --only silent,stall
    python bench/model_faults.py --cap 600       # let the silent server run its course
    python bench/model_faults.py --code /tmp/old  # the same faults against another checkout's tutor/
                                                  # (before: git worktree add /tmp/old fb7bd5f)

Goal: no fault costs more than the turn deadline (TUTOR_TURN_DEADLINE) plus 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
# the stand-in servers are always this checkout's; the code measured is --code's (default: this one)
from tests.llm.llm_fake_server import (Reply, ScriptedServer, openai_error, openai_event,  # noqa: E402
                                       openai_stream)

if "--code" in sys.argv[:-1]:
    sys.path.insert(0, str(Path(sys.argv[sys.argv.index("--code") + 1]).resolve()))
from tutor.config import Settings  # noqa: E402
from tutor.llm import Message, ModelError  # noqa: E402
from tutor.llm.base import complete  # noqa: E402
from tutor.llm.openai_compat import OpenAICompatModel  # noqa: E402

try:  # the per-turn deadline (absent before issue 20)
    from tutor.llm.deadline import turn_deadline
except ImportError:  # pragma: no cover - measuring the old code
    turn_deadline = None

SCHEMA = {"type": "object", "properties": {"intent": {"type": "string"}}, "required": ["intent"],
          "additionalProperties": False, "title": "classification"}
ASK = [Message("system", "You are a tutor."), Message("user", "What is a KV cache?")]
HTML = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>"


def faults() -> dict[str, tuple[list[Reply], Reply | None]]:
    """name -> (scripted replies, the reply repeated after them)."""
    ok = openai_stream(content=['{"intent": "concept"}'])
    answer = openai_stream(content=["A KV cache keeps ", "past keys and values."])
    return {
        "silent": ([], Reply(hold=threading.Event())),
        "stall": ([], Reply(events=[openai_event(content=""), openai_event(content="A KV cache ")], stall_after=2)),
        "http500": ([], openai_error(500, "response_format json_schema is not supported")),
        "http501": ([], Reply(status=501, json_body=HTML)),
        "http429": ([openai_error(429, "slow down", headers={"Retry-After": "1"}), ok,
                     openai_error(429, "slow down", headers={"Retry-After": "1"}), answer], None),
        "refused": ([], None),
        "non_sse_200": ([], Reply(raw=b'{"id": "x", "object": "chat.completion", "choices": []}')),
        "invalid_utf8": ([], Reply(raw=b"data: {\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"caf\xe9 \xff\"}}]}\n\n",
                                   content_type="text/event-stream")),
        "reasoning_only": ([], openai_stream(reasoning=["Let me think. "] * 50)),
        "length_cut": ([], openai_stream(content=["word " * 40] * 50, finish="length")),
    }


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def turn(model) -> str:
    """Classification, then the reply; a failed classification does not stop the reply."""
    said = []
    scope = turn_deadline(Settings().turn_deadline) if turn_deadline else contextlib.nullcontext()
    with scope:
        for kwargs in ({"json_schema": SCHEMA, "temperature": 0, "thinking": False, "max_tokens": 200}, {}):
            try:
                reply = await complete(model, ASK, **kwargs)
                said.append(repr(reply.content[:40]) + (f" [{reply.finish}]" if getattr(reply, "finish", "") else ""))
            except ModelError as exc:
                said.append(f"ModelError: {str(exc)[:110]}")
            except Exception as exc:  # noqa: BLE001 - what the old code let through
                said.append(f"{type(exc).__name__}: {str(exc)[:80]}")
    return " | ".join(said)


async def measure(name: str, scripted: list[Reply], always: Reply | None, cap: float) -> tuple[float, str]:
    server = ScriptedServer().start() if name != "refused" else None
    url = server.url + "/v1" if server else f"http://127.0.0.1:{closed_port()}/v1"
    if server:
        server.script(*scripted)
        server.always = always
    model = OpenAICompatModel.from_settings(Settings(base_url=url), "openai-compatible", "m")
    start = time.perf_counter()
    try:
        said = await asyncio.wait_for(turn(model), cap)
    except asyncio.TimeoutError:
        said = f"(still waiting when the bench gave up at {cap:g}s)"
    elapsed = time.perf_counter() - start
    if server:
        server.stop()
    with contextlib.suppress(Exception):
        await model.aclose()
    return elapsed, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=90.0, help="give up on one fault after this many seconds")
    parser.add_argument("--only", default="", help="comma-separated fault names")
    parser.add_argument("--code", default=str(REPO), help="the checkout whose tutor/ is measured (read at import)")
    args = parser.parse_args()
    os.environ.pop("TUTOR_BASE_URL", None)
    wanted = [n for n in args.only.split(",") if n]
    import tutor

    print(f"code: {Path(tutor.__file__).parent.parent}; load average: {os.getloadavg()[0]:.2f}; deadline per turn: "
          f"{getattr(Settings(), 'turn_deadline', 'none')}")
    for name, (scripted, always) in faults().items():
        if wanted and name not in wanted:
            continue
        elapsed, said = asyncio.run(measure(name, scripted, always, args.cap))
        print(f"{name:15s} {elapsed:7.2f}s  {said}")


if __name__ == "__main__":
    main()
