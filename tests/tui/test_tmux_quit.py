"""Quitting the installed app while it embeds the course, as a person would (ctrl+q), as a
system does (SIGTERM) and as a closed terminal does (SIGHUP): exit status 0, nothing on the
terminal but the app, no process left, and a usable index and progress DB afterwards.

Before the fix, ctrl+q during the first index build ended in "terminate called without an
active exception" and SIGABRT (exit 134): a daemon thread was inside torch when the
interpreter finalised. The whole course is embedded here on purpose (a small course is built
before anyone could quit); the three interrupted starts then one full `tutor index` take a
minute or two on two cores. The embedding model is a copy of the packaged one at another path,
so the vectors shipped for the packaged model do not apply and there is real embedding to stop.
"""

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import shutil

import pytest

from sandbox.proctree import pids_with_marker
from tests.tui.test_tmux_e2e import tutor_command
from tutor.config import load_settings
from tutor.retrieval.seed import packaged_model_path
from tutor.store import open_store

REPO = Path(__file__).resolve().parents[2]
TMUX = ["tmux", "-L", f"tutor-quit-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
# Between tmux and the app, as a login shell would be: it passes a hangup on to its job (a
# terminal that closes hangs up its shell), and records the app's pid and exit status.
WRAPPER = textwrap.dedent("""\
    import signal, subprocess, sys
    app = subprocess.Popen(sys.argv[2:])
    signal.signal(signal.SIGHUP, lambda *_: app.send_signal(signal.SIGHUP))
    open(sys.argv[1] + ".pid", "w").write(str(app.pid))
    status = app.wait()
    open(sys.argv[1] + ".exit", "w").write(str(status))
""")


def screen(session: str) -> str:
    return subprocess.run([*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout


def wait_for_screen(session: str, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in screen(session):
        assert time.monotonic() < deadline, f"{text!r} never on screen:\n{screen(session)}"
        time.sleep(0.2)


def wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path.name} not written within {timeout} s: the app did not exit"
        time.sleep(0.2)
    return path.read_text()


def integrity(db: Path) -> str:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("pragma integrity_check").fetchone()[0]


@pytest.mark.slow
@pytest.mark.skipif(subprocess.run(["which", "tmux"], capture_output=True).returncode != 0, reason="tmux not installed")
@pytest.mark.skipif(tutor_command() is None, reason="tutor command not installed")
def test_quitting_while_the_index_builds_exits_cleanly_by_key_term_and_hangup(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    wrapper = tmp_path / "wrapper.py"
    wrapper.write_text(WRAPPER)
    marker = f"tutor-quit-test-{uuid.uuid4().hex}"
    model = shutil.copytree(packaged_model_path(), tmp_path / "model")  # not the seeded path
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    env.update(TUTOR_HOME=str(home), TUTOR_COURSE=str(REPO), TUTOR_MODEL="offline", TUTOR_QUIT_TEST=marker,
               TUTOR_CONFIG=os.devnull, TERM="xterm-256color", HF_HUB_OFFLINE="1",
               TUTOR_EMBEDDER=str(model))
    settings = load_settings(home=home, course=REPO)  # only the profile is written with it
    open_store(settings).save_profile("default", name="Ada")  # straight to the chat, no onboarding

    try:
        for how in ("ctrl+q", "SIGTERM", "SIGHUP"):
            session, record = f"quit-{how.replace('+', '')}", tmp_path / how
            subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", "140", "-y", "40",
                            sys.executable, str(wrapper), str(record), tutor_command(), "chat", "--lesson", "7"],
                           env=env, check=True, cwd=tmp_path)
            subprocess.run([*TMUX, "set-option", "-t", session, "remain-on-exit", "on"], capture_output=True)
            wait_for_screen(session, "building: embedding", timeout=180)
            pid = int(wait_for_file(record.with_suffix(".pid"), 10))
            if how == "ctrl+q":
                subprocess.run([*TMUX, "send-keys", "-t", session, "C-q"], check=True)
            elif how == "SIGTERM":
                os.kill(pid, 15)
            else:  # the terminal goes away: tmux hangs up the pane's shell
                subprocess.run([*TMUX, "kill-session", "-t", session], check=True)
            status = wait_for_file(record.with_suffix(".exit"), 60)
            shown = screen(session) if how != "SIGHUP" else ""
            subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)
            assert status == "0", f"{how}: exit status {status} (134 is the abort)\n{shown}"
            assert "terminate called" not in shown and "Traceback" not in shown, shown
            deadline = time.monotonic() + 10
            while pids_with_marker(marker) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert pids_with_marker(marker) == set(), f"{how}: processes left running"
            assert not (home / "index" / "manifest.json").exists()  # stopped before anything was written
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)

    run_env = {k: v for k, v in env.items() if k != "TUTOR_QUIT_TEST"}
    built = subprocess.run([tutor_command(), "index"], env=run_env, capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    found = subprocess.run([tutor_command(), "search", "what does the KV cache store", "--json"],
                           env=run_env, capture_output=True, text=True, timeout=300)
    assert found.returncode == 0 and '"lesson": 7' in found.stdout, found.stderr
    progress = subprocess.run([tutor_command(), "progress"], env=run_env, capture_output=True, text=True, timeout=120)
    assert progress.returncode == 0 and "Traceback" not in progress.stderr, progress.stderr
    assert integrity(home / "progress.db") == "ok"
    assert integrity(home / "index" / "chroma" / "chroma.sqlite3") == "ok"
