"""After a guard rewrite: no lead left dangling above "I held back part of that answer", and the
coaching step is a TODO of the current lesson's lab (the one the reply filled), not the lab of
another lesson the message only mentioned. In the app (streamed tokens) and in `tutor ask`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tutor.llm.replay import ReplayModel

REPO = Path(__file__).resolve().parents[2]
LEAD = "Here is the full solution:"
SOLUTION = (f"{LEAD}\n\n```python\ndef kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n"
            "    per_token = 2 * n_layers * n_kv_heads * d_head\n    return per_token * seq_len * bytes_per_element\n```\n")


async def test_the_lead_of_a_held_back_block_is_never_shown_above_the_rewrite(make_session, turn):
    session = make_session("le", 7, model=ReplayModel.from_texts(SOLUTION, piece=4))
    result, tokens, _ = await turn(session, "how does GQA change the cache formula?")
    shown = "".join(tokens)
    assert shown == result.reply and result.guard[0]["rule"] == "todo_stub_filled"
    assert LEAD not in shown and shown.startswith("I held back part of that answer")
    assert "per_token = 2" not in shown


async def test_the_coaching_step_after_a_rewrite_is_the_current_lessons_todo(make_session, turn):
    # on lesson 7, asking about lesson 9: the reply fills lesson 7's kv_cache_bytes
    session = make_session("cl", 7, model=ReplayModel.from_texts(SOLUTION))
    result, _, _ = await turn(session, "in lesson 9, how does top-p sampling work?")
    assert result.guard[0]["rule"] == "todo_stub_filled" and result.action == "coach"
    assert "`kv_cache_bytes`" in result.reply and "truncate_distribution" not in result.reply
    assert "[L9 §" not in result.reply


def test_tutor_ask_prints_no_dangling_lead_after_a_rewrite(agent_settings, tmp_path):
    agent_settings()  # this test's TUTOR_HOME, with the shared index linked in
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"content": SOLUTION}) + "\n")
    out = subprocess.run([sys.executable, "-m", "tutor", "--model", f"replay:{replay}", "ask",
                          "in lesson 9, how does top-p sampling work?", "--lesson", "7", "--json"],
                         capture_output=True, text=True, cwd=REPO, env={**os.environ, "TUTOR_COURSE": str(REPO)},
                         timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["reply"].startswith("I held back part of that answer") and LEAD not in result["reply"]
    assert "`kv_cache_bytes`" in result["reply"] and "truncate_distribution" not in result["reply"]


async def test_a_withheld_unfaithful_reply_that_also_leaks_code_is_a_guard_rewrite(make_session, turn):
    text = "That takes 777777 bytes, or 888888 with padding.\n" + SOLUTION
    session = make_session("uw", 7, model=ReplayModel.from_texts(text, piece=6))
    result, tokens, _ = await turn(session, "how does GQA change the cache formula?")
    shown = "".join(tokens)
    assert shown == result.reply and "777777" not in shown and "per_token = 2" not in shown
    assert result.guard[0]["rule"] == "todo_stub_filled" and result.action == "coach"
    assert [e["rule"] for e in session.store.contract_events("uw")] == ["todo_stub_filled"]
