"""End to end, as a person would: the installed `tutor` in tmux, a question typed, the reply read."""

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

TUTOR = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tutor"


def tutor_command() -> str | None:
    if TUTOR.exists():
        return str(TUTOR)
    return shutil.which("tutor")


def screen(session: str) -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = screen(session)
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not on screen before the deadline:\n{shown}")
        subprocess.run(["tmux", "wait-for", "-S", "nothing"], capture_output=True)  # cheap yield


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
@pytest.mark.skipif(tutor_command() is None, reason="tutor command not installed")
def test_installed_tutor_answers_a_question_in_tmux(tmp_path):
    session = f"tutor-e2e-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    env.update(TUTOR_HOME=str(tmp_path / "home"), TUTOR_MODEL="offline", TERM="xterm-256color")
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "140", "-y", "40", tutor_command()],
        env=env, check=True, cwd=Path(__file__).resolve().parents[2],
    )
    try:
        wait_for(session, "index: ready")
        subprocess.run(["tmux", "send-keys", "-t", session, "what is byte pair encoding", "Enter"], check=True)
        shown = wait_for(session, "From lesson")
        assert "byte pair encoding" in shown
        subprocess.run(["tmux", "send-keys", "-t", session, "C-q"], check=True)
        deadline = time.monotonic() + 15
        while subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "tutor did not quit on ctrl+q"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
