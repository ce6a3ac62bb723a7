"""The check node: run the lab's checks on the learner's code (``code_check.run_check``).

The sandbox run blocks for a fraction of a second to seconds, so it runs in a worker thread:
the TUI's event loop (which drives the graph) keeps drawing and taking keys meanwhile.
"""

from __future__ import annotations

import asyncio

from tutor.agent.code_check import run_check
from tutor.agent.nodes.common import context_of


async def check_code(state, runtime) -> dict:
    ctx = context_of(runtime)
    request = state.get("check_request") or {"lesson": state.get("focus"), "todos": [], "code": None}
    try:
        outcome = await asyncio.to_thread(run_check, ctx, request)
    except Exception as error:  # noqa: BLE001 - a sandbox that cannot start is a sentence, not a crash
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        outcome = {"lesson": request.get("lesson"), "problem": "sandbox", "detail": reason}
    return {"check": outcome}
