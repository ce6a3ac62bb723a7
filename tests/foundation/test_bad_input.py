"""No input ends in a traceback: every subcommand, driven with hostile values.

The commands come from the CLI's own tree (``typer.main.get_command(app)``), so a subcommand
added later is fuzzed without touching this file. Each case gives one parameter a bad value
(empty, huge, binary, not UTF-8, a missing or unreadable path, out-of-range numbers) and fills
the other required arguments with a plain word. The outcome must be an exit code of 0, 1 or 2,
no traceback, a ``tutor: ...`` line naming what to fix on exit 2, and an untouched progress
DB when the input was rejected. The app itself never opens (``TutorApp.run`` is replaced).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tutor.cli import app

HUGE = "def f(x): return x + 1 " * 600  # one line of ~14 KB: the output guard's old MemoryError
BINARY = "\x00\x01\x02PK\x03\x04\xff"
NOT_UTF8 = "caf\udce9"  # how Python hands over a Latin-1 byte in argv (surrogateescape)
MISSING = "/nonexistent/tutor-fuzz/file"


def leaf_commands(command=None, path=()) -> list[tuple[tuple[str, ...], object]]:
    command = command or typer.main.get_command(app)
    subs = getattr(command, "commands", None)
    if not subs:
        return [(path, command)]
    return [leaf for name, sub in sorted(subs.items()) for leaf in leaf_commands(sub, (*path, name))]


def hostile_values(param) -> list[str]:
    kind = param.bare_type() if hasattr(param, "bare_type") else "str"
    if kind.startswith("list["):
        kind = kind[5:-1]
    if kind in ("int", "float"):
        return ["", "-1", "0", "99999999999999999999", "nan", "x"]
    if kind == "Path":
        return ["", MISSING, "/dev/null", "/proc/self/mem", BINARY]
    return ["", HUGE, BINARY, NOT_UTF8, MISSING]


def cases():
    out = []
    for path, command in leaf_commands():
        params = [p for p in command.params if p.name not in ("help",)]
        args = [p for p in params if p.param_type_name == "argument"]
        options = [p for p in params if p.param_type_name == "option" and not p.is_flag and not p.count]
        fill = ["hi" for p in args if p.required]
        name = " ".join(path)
        out.append(pytest.param([*path, "--bogus-option", *fill], id=f"{name}:unknown-option"))
        for i, arg in enumerate(args):
            for v, value in enumerate(hostile_values(arg)):
                argv = [*path, *fill[:i], value, *fill[i + 1:]] if arg.required else [*path, *fill, value]
                out.append(pytest.param(argv, id=f"{name}:{arg.name}#{v}"))
        for option in options:
            flag = max(option.opts, key=len)
            for v, value in enumerate(hostile_values(option)):
                out.append(pytest.param([*path, flag, value, *fill], id=f"{name}:{flag}#{v}"))
            out.append(pytest.param([*path, *fill, flag], id=f"{name}:{flag}-without-value"))
    return out


def db_state(home: Path) -> list[str]:
    """The progress DB's rows (creating an empty DB with its schema and version stamp is no change)."""
    db = home / "progress.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return [line for line in conn.iterdump()
                if line.startswith("INSERT") and not line.startswith('INSERT INTO "alembic_version"')]


@pytest.fixture
def no_app(monkeypatch):
    opened = []
    monkeypatch.setattr("tutor.tui.app.TutorApp.run", lambda self, *a, **k: opened.append(self))
    monkeypatch.setattr("tutor.tui.shutdown.exit_now_if_stuck", lambda *a, **k: None)
    return opened


def test_every_subcommand_is_fuzzed():
    names = {" ".join(path) for path, _ in leaf_commands()}
    assert {"ask", "search", "grade", "doctor", "chat", "curriculum check", "instructor export"} <= names


@pytest.mark.parametrize("argv", cases())
def test_hostile_input_never_ends_in_a_traceback(argv, no_app, linked_index_home, monkeypatch):
    home = linked_index_home  # the session's full index linked in: no case builds one of its own
    monkeypatch.chdir(home)  # nothing a command writes lands in the checkout
    before = db_state(home)
    result = CliRunner().invoke(app, argv)
    output = result.output
    assert "Traceback" not in output and "internal error" not in output, output[-3000:]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1, 2), (result.exit_code, output[-2000:])
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and lines[-1].startswith("tutor: "), result.stderr[-2000:]
        assert len(lines[-1]) < 2000, "the message repeats the hostile value instead of naming the fix"
        assert db_state(home) == before, "rejected input changed the progress DB"
