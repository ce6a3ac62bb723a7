"""End to end, as a person would: the installed `tutor` in tmux, onboarding filled in from the
keyboard, a question typed, the reply read from the screen, then ctrl+q.

The two-lesson course copy keeps the index small; its index and vector cache are the shared
ones of this test session (linked into a fresh TUTOR_HOME), so the app still loads the real
agent and the embedding model after its first paint.
"""

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tutor.config import load_settings
from tutor.store import open_store

TUTOR = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "tutor"
# A tmux server of this test's own: a session started on a server that is already running (the
# developer's own tmux) gets that server's environment, not TUTOR_HOME and the rest set below.
TMUX = ["tmux", "-L", f"tutor-e2e-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]


def tutor_command() -> str | None:
    if TUTOR.exists():
        return str(TUTOR)
    return shutil.which("tutor")


def screen(session: str) -> str:
    return subprocess.run([*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for(session: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = screen(session)
        if text in shown:
            return shown
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} not on screen before the deadline:\n{shown}")
        subprocess.run([*TMUX, "wait-for", "-S", "nothing"], capture_output=True)  # cheap yield


def keys(session: str, *names: str) -> None:
    subprocess.run([*TMUX, "send-keys", "-t", session, *names], check=True)


def type_and_see(session: str, text: str) -> None:
    """Type into the focused field and wait until the screen shows it, as a person would."""
    keys(session, "-l", text)
    wait_for(session, text, timeout=20)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
@pytest.mark.skipif(tutor_command() is None, reason="tutor command not installed")
def test_installed_tutor_onboards_answers_a_question_and_saves_on_quit(small_course, shared_home, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    for name in ("index", "cache"):
        (home / name).symlink_to(shared_home / name, target_is_directory=True)
    session = f"tutor-e2e-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    env.update(TUTOR_HOME=str(home), TUTOR_COURSE=str(small_course), TUTOR_MODEL="offline",
               TUTOR_CONFIG=os.devnull, TERM="xterm-256color", HF_HUB_OFFLINE="1")
    subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", "140", "-y", "40", tutor_command()],
                   env=env, check=True, cwd=tmp_path)
    try:
        # the form says which step has the keyboard; a person waits for that before typing on
        wait_for(session, "Step 1 of 6: Your name", timeout=120)
        type_and_see(session, "Ada Lovelace")
        keys(session, "Tab")
        wait_for(session, "Step 2 of 6")
        type_and_see(session, "measure tokenizers")
        keys(session, "Enter")
        wait_for(session, "Step 3 of 6")
        type_and_see(session, "two years of numpy")
        keys(session, "Tab", "Tab", "Tab")  # the two choices keep their defaults
        wait_for(session, "Step 6 of 6: Start")
        keys(session, "Enter")
        wait_for(session, "Welcome, Ada Lovelace")
        wait_for(session, "index: ready", timeout=180)
        keys(session, "-l", "what is byte pair encoding")
        keys(session, "Enter")
        shown = wait_for(session, "[L1]", timeout=120)  # the reply's first citation, from lesson 1
        assert "> what is byte pair encoding" in shown
        keys(session, "C-q")
        deadline = time.monotonic() + 30
        while subprocess.run([*TMUX, "has-session", "-t", session], capture_output=True).returncode == 0:
            assert time.monotonic() < deadline, "tutor did not quit on ctrl+q"
            subprocess.run([*TMUX, "wait-for", "-S", "nothing"], capture_output=True)
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    store = open_store(load_settings(home=home, course=small_course))
    assert store.get_profile("default")["name"] == "Ada Lovelace"
    assert store.get_profile("default")["experience"] == "two years of numpy"
    assert store.latest_summary("default") is not None  # quitting ended the session
    assert list(tmp_path.iterdir()) == [home]  # nothing written into the current directory
