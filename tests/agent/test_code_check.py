""""Check my code" in the conversation: a pasted TODO function or "is my count_pairs right?"
runs the lab's checks in the sandbox (the graph's check_code node); the reply names the first
failing check, asks about that case and cites the section, and never holds corrected code."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import host
from tests.agent.near_misses import first_attempt, functions, learner_lab, near_misses, reference_functions
from tutor.agent.code_check import check_request, pasted_code
from tutor.checks.spec import load_checks

REPO = Path(__file__).resolve().parents[2]
needs_bwrap = pytest.mark.skipif(host.bwrap_problem() is not None,
                                 reason=f"bubblewrap unusable here: {host.bwrap_problem()}")
NEAR = [a for n in range(1, 19) for a in near_misses(n, max_tokens=3)]
NEAR_LESSONS = sorted({a["lesson"] for a in NEAR})


def one_token_mutants() -> list[dict]:
    """Lesson 1 references with one token changed (the attempts there are further away)."""
    refs = reference_functions(1)
    swaps = [("merge_pair", "i += 2", "i += 1"), ("count_pairs", "counts[pair] += freq", "counts[pair] += 1"),
             ("merge_pair", "while i < len(word):", "while i < len(word) - 1:")]
    out = []
    for todo, old, new in swaps:
        assert old in refs[todo], (todo, old)
        out.append({"todo": todo, "lesson": 1, "why": f"{old!r} -> {new!r}",
                    "function": refs[todo].replace(old, new, 1), "reference": refs[todo],
                    "code": refs[todo].replace(old, new, 1)})
    return out


def check_ids(lesson: int, todo: str) -> set[str]:
    checks, _ = load_checks(REPO / "curriculum" / "labs" / f"lesson_{lesson:02d}")
    return {c.id for c in checks.todo(todo).checks}


def fixes_in(reply: str, case: dict) -> list[str]:
    """Lines of the reference that the attempt lacks (the correction) found in the reply, and
    any reference line at all inside a code block or after a ``def``."""
    mine = {line.strip() for line in case["code"].splitlines()}
    leaked = [line.strip() for line in case["reference"].splitlines()
              if len(line.strip()) >= 6 and line.strip() not in mine and line.strip() in reply]
    if "```" in reply or re.search(rf"\bdef\s+{case['todo']}\b", reply):
        leaked.append("a code block or a def of the TODO")
    return leaked


# -- which turns ask for a check (no sandbox) -----------------------------------------------------
def test_a_pasted_todo_function_or_a_named_question_asks_for_a_check(view):
    code = "def merge_pair(word, pair, new_id):\n    return word\n"
    assert check_request(f"is my merge_pair right? {code}", view, 7) == {"lesson": 1, "todos": ["merge_pair"],
                                                                        "code": code}
    fenced = check_request(f"here:\n```python\nimport numpy as np\n{code}```\nthanks", view, 1)
    assert fenced["code"].startswith("import numpy as np\ndef merge_pair") and "thanks" not in fenced["code"]
    assert check_request("is my count_pairs right?", view, 7) == {"lesson": 1, "todos": ["count_pairs"], "code": None}
    assert check_request("does my kv_cache_bytes work?", view, 7)["todos"] == ["kv_cache_bytes"]
    assert check_request("check my code", view, 9) == {"lesson": 9, "todos": [], "code": None}
    assert check_request("can you run the checks on my lab?", view, 4)["todos"] == []
    for message in ("is my answer right?", "check my understanding of GQA", "what does merge_pair return?",
                    "why do we divide by the square root of d_k?", "test me on lesson 3"):
        assert check_request(message, view, 1) is None, message


def test_pasted_code_drops_the_prose_around_it():
    message = "is my merge_pair right? def merge_pair(w, p, n):\n    return w\n\nit fails on the last pair I think"
    assert pasted_code(message) == "def merge_pair(w, p, n):\n    return w\n"
    assert pasted_code("no code here, just a question about merge_pair") is None


# -- the reply (sandbox) --------------------------------------------------------------------------
@needs_bwrap
@pytest.mark.parametrize("lesson", [1, *[n for n in NEAR_LESSONS if n != 1]])
async def test_a_near_miss_gets_its_failing_check_a_question_and_a_section_but_no_fix(make_session, turn, lesson,
                                                                                     tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no labs/ here: the paste is checked on top of the shipped starter
    cases = [a for a in NEAR if a["lesson"] == lesson] + (one_token_mutants() if lesson == 1 else [])
    assert cases
    session = make_session("nm", lesson)
    for case in cases:
        result, tokens, _ = await turn(session, f"is my {case['todo']} right?\n\n{case['code']}")
        reply = result.reply
        assert result.intent == "code_check" and result.action == "check", (case["why"], reply)
        named = re.findall(r"the first that does not is \*\*(\w+)\*\*", reply)
        assert named and named[0] in check_ids(lesson, case["todo"]), (case["why"], reply)
        assert f"`{case['todo']}`: all" not in reply, (case["why"], reply)
        assert "A question about that case:" in reply and "?" in reply.split("A question about that case:")[1]
        assert result.citations and re.search(r"\[L\d+ § [^\]]+\]", reply), reply
        assert not fixes_in(reply, case), (case["why"], fixes_in(reply, case))
        assert "".join(tokens) == reply  # what was streamed is the reply


@needs_bwrap
async def test_the_right_functions_pass_all_their_checks_and_get_the_next_step(make_session, turn, tmp_path,
                                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    refs = reference_functions(1)
    session = make_session("ok", 1)
    result, _, _ = await turn(session, "check my code\n```python\n" + refs["merge_pair"] + "\n```")
    assert "`merge_pair`: all 4 checks pass." in result.reply
    assert "Next step: TODO 3, `encode`" in result.reply
    assert "```" not in result.reply and "def merge_pair" not in result.reply
    everything = "\n\n".join(refs.values())
    result, _, _ = await turn(session, "is my code right?\n" + everything)
    for name in refs:
        assert f"`{name}`: all 4 checks pass." in result.reply
    assert "every TODO of the lab passes its checks" in result.reply


@needs_bwrap
async def test_check_my_code_runs_the_learners_lab_folder_and_records_the_attempts(make_session, turn, tmp_path,
                                                                                  monkeypatch):
    learner_lab(tmp_path, first_attempt(1, "count_pairs")["code"])
    monkeypatch.chdir(tmp_path)
    session = make_session("lab", 1)
    result, _, _ = await turn(session, "check my code")
    assert "on `labs/lesson_01`" in result.reply
    assert "`count_pairs`: 2 of 4 checks pass; the first that does not is **docstring_example**" in result.reply
    assert "Not started (still raising NotImplementedError): `merge_pair`, `encode`." in result.reply
    named, _, _ = await turn(session, "is my count_pairs right?")
    assert "count_pairs" in named.reply and "merge_pair" not in named.reply
    history = session.store.check_attempts("lab", 1)
    # two tries of count_pairs (the untouched TODOs were not tried, so they are not attempts)
    assert [(h["todo"], h["status"], h["check_id"]) for h in history] == [("count_pairs", "failed", "docstring_example")] * 2


async def test_without_a_lab_folder_the_reply_says_where_it_looked(make_session, turn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result, _, _ = await turn(make_session("none", 7), "check my code")
    assert result.action == "check"
    assert "`labs/lesson_07`" in result.reply and "Paste the function" in result.reply


async def test_the_sandbox_call_does_not_block_the_event_loop(make_session, turn, monkeypatch):
    import tutor.agent.nodes.check as node

    def slow_check(ctx, request):
        time.sleep(0.6)  # a slow sandbox run, in the worker thread
        return {"lesson": 1, "problem": "input", "detail": "slow on purpose"}

    monkeypatch.setattr(node, "run_check", slow_check)
    ticks = []

    async def ticker():
        while True:
            ticks.append(time.perf_counter())
            await asyncio.sleep(0.01)

    session = make_session("loop", 1)
    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    result, _, _ = await turn(session, "check my code")
    task.cancel()
    assert "slow on purpose" in result.reply
    during = [t for t in ticks if started + 0.1 < t < started + 0.6]
    assert len(during) >= 15, f"the loop ran {len(during)} times in the 0.5 s of the check"


@needs_bwrap
async def test_with_a_model_it_only_rephrases_and_the_guard_keeps_the_fix_out(make_session, turn, tmp_path,
                                                                             monkeypatch):
    from tutor.llm.replay import ReplayModel

    monkeypatch.chdir(tmp_path)
    case = one_token_mutants()[0]
    fix = f"Your check failed. Here is the corrected version:\n\n```python\n{case['reference']}\n```\n"
    model = ReplayModel([{"content": fix}])
    session = make_session("model", 1, model=model)
    result, _, _ = await turn(session, f"is my merge_pair right?\n{case['code']}")
    assert not fixes_in(result.reply, case), result.reply
    assert re.search(r"the first that does not is \*\*\w+\*\*", result.reply)  # the report, as composed
    assert result.guard  # the guard saw the model's code
    prompt = "\n".join(m.content for m in model.calls[-1])
    assert "i += 1" not in prompt and "the first that does not is" in prompt  # the report, not the learner's code

    kind = ReplayModel([{"content": "Nearly there! The check overlapping_pairs fails: in (a, a, a), how many "
                                    "merges can share a symbol? [L1 § Byte-pair encoding, step by step]\n"}])
    session = make_session("model2", 1, model=kind)
    result, _, _ = await turn(session, f"is my merge_pair right?\n{case['code']}")
    assert result.model.startswith("replay") and "Nearly there!" in result.reply and not result.guard


# -- through the CLI, in a fresh TUTOR_HOME --------------------------------------------------------
def _ask(*args: str, stdin: str | None = None) -> dict:
    out = subprocess.run([sys.executable, "-m", "tutor", "ask", *args, "--json"], capture_output=True, text=True,
                         cwd=REPO, input=stdin, env={**os.environ, "TUTOR_COURSE": str(REPO)}, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@needs_bwrap
def test_tutor_ask_with_a_pasted_attempt_names_the_failing_check_and_passes_a_right_one(agent_settings):
    agent_settings()  # this test's fresh TUTOR_HOME, with the shared index linked in
    wrong = one_token_mutants()[2]
    result = _ask(f"is my merge_pair right? {wrong['code']}")
    assert result["action"] == "check" and result["model"] == "offline"
    named = re.findall(r"`merge_pair`: \d of 4 checks pass; the first that does not is \*\*(\w+)\*\*", result["reply"])
    assert named and named[0] in check_ids(1, "merge_pair"), result["reply"]
    assert not fixes_in(result["reply"], wrong)
    right = reference_functions(1)["merge_pair"]
    via_stdin = _ask("-", stdin=f"is my merge_pair right?\n{right}")
    assert "`merge_pair`: all 4 checks pass." in via_stdin["reply"]
    assert functions(right)["merge_pair"] not in via_stdin["reply"]
