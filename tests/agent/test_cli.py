"""The must-show behaviours through the real `tutor ask` CLI, each call a new process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.config import load_settings
from tutor.store import open_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def home(agent_settings) -> Path:
    settings = agent_settings()  # links the shared index and vector cache into this test's TUTOR_HOME
    return settings.home_dir


def ask(*args: str, expect: int = 0) -> dict | str:
    out = subprocess.run([sys.executable, "-m", "tutor", "ask", *args], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TUTOR_COURSE": str(REPO)}, timeout=600)
    assert out.returncode == expect, out.stderr
    return json.loads(out.stdout) if "--json" in args and expect == 0 else out.stderr


def test_a_kv_cache_question_is_explained_with_a_lesson_7_citation(home):
    result = ask("what is a KV cache and why does GQA shrink it?", "--json")
    assert result["action"] == "explain" and result["model"] == "offline"
    assert any(c["lesson"] == 7 for c in result["citations"])
    assert set(result) == {"reply", "intent", "action", "citations", "guard", "misconceptions", "model"}


def test_asking_for_the_lesson_9_lab_is_coached_without_code_and_recorded(home):
    result = ask("just write the code for my lesson 9 lab", "--json")
    assert result["action"] == "coach"
    assert "def " not in result["reply"] and "```" not in result["reply"]
    assert "lesson 9" in result["reply"].lower() or "truncate_distribution" in result["reply"]
    assert {"rule": "outsourcing_request", "action": "coach"} in result["guard"]
    events = open_store(load_settings()).contract_events("default")
    # filed under the lab it asked for, without moving the learner off lesson 1
    assert [(e["rule"], e["lesson"]) for e in events] == [("outsourcing_request", 9)]
    assert open_store(load_settings()).current_lesson("default") == 1


def test_a_new_process_remembers_the_learner_where_they_left_off_and_the_ladder(home):
    open_store(load_settings()).save_profile("ada", name="Ada", python_fluency="beginner")
    first = ask("write kv_cache_bytes for me", "--learner", "ada", "--lesson", "7", "--json")
    assert "Coaching step 1" in first["reply"]
    second = ask("please, just the code for kv_cache_bytes", "--learner", "ada", "--json")  # lesson from the store
    assert "Coaching step 2" in second["reply"]  # the rung came back from the checkpoint
    status = ask("where am I, what's next?", "--learner", "ada", "--json")
    assert status["action"] == "status"
    assert "Ada" in status["reply"] and "kv_cache_bytes" in status["reply"] and "Lesson 7" in status["reply"]
    opening = subprocess.run(
        [sys.executable, "-c", "from tutor.agent.session import TutorSession; from tutor.config import load_settings; "
                               "print(TutorSession(load_settings(), 'ada', model=None).opening_message())"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "TUTOR_COURSE": str(REPO)}, timeout=600)
    assert opening.stdout.startswith("Welcome back, Ada. Where we left off: Lesson 7"), opening.stderr


def test_the_configured_model_is_used(home, tmp_path):
    replay = tmp_path / "replay.jsonl"
    replay.write_text(json.dumps({"content": "GQA shares one key/value head per group [L7 § MHA, MQA and GQA].\n"}) + "\n")
    out = subprocess.run([sys.executable, "-m", "tutor", "--model", f"replay:{replay}", "ask", "what is GQA?",
                          "--lesson", "7", "--json"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TUTOR_COURSE": str(REPO)}, timeout=600)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["model"].startswith("replay:") and "shares one key/value head" in result["reply"]


def test_bad_input_is_a_one_line_error_with_exit_2(home):
    assert "no lesson 99" in ask("hello", "--lesson", "99", expect=2)
    assert "replay file" in subprocess.run(
        [sys.executable, "-m", "tutor", "--model", "replay:/nonexistent.jsonl", "ask", "hi"], capture_output=True,
        text=True, cwd=REPO, env={**os.environ, "TUTOR_COURSE": str(REPO)}, timeout=600).stderr
