"""Helpers every subcommand shares: settings with CLI overrides, one-line failures."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

STATE: dict[str, Any] = {}
_WARNED: list[bool] = []  # the config file's unknown keys are told once per process

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


MAX_LEARNER = 200  # the progress store's limit on a learner id


def check_learner(value):
    """typer callback for --learner: a usage error (one line, exit 2) for an id the store refuses."""
    if value is None or not isinstance(value, str):  # None: the option's own default applies
        return value
    if not value.strip():
        raise typer.BadParameter("the learner id is empty; name the learner, e.g. --learner ada")
    if len(value.strip()) > MAX_LEARNER:
        raise typer.BadParameter(f"the learner id is longer than {MAX_LEARNER} characters")
    return value.strip()


MAX_MESSAGE = 600  # a message quoting a 20 KB value keeps its head and the fix at its end


def one_line(message: str) -> str:
    """``message`` on one line, at most MAX_MESSAGE characters, printable in any terminal."""
    from tutor.untrusted import terminal

    # ESC, BEL, bidi controls and lone surrogates (argv, a folder name) are shown, not sent
    line = terminal(" ".join(str(message).split()))
    if len(line) > MAX_MESSAGE:
        line = f"{line[:MAX_MESSAGE // 2]} … {line[-(MAX_MESSAGE // 2 - 3):]}"
    return line


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr saying what happened and what to do, then exit."""
    typer.echo(f"tutor: {one_line(message)}", err=True)
    raise typer.Exit(code)


def settings(**overrides: Any):
    """The settings, with the command line's overrides; a bad config is one ``tutor:`` line,
    an unknown key in the config file a warning (once per process) naming the closest key."""
    from pydantic import ValidationError

    from tutor.config import ConfigError, load_settings, read_config_file

    merged = {**STATE, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        cfg = load_settings(**merged)
    except ConfigError as exc:
        fail(str(exc))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        fail(f"bad configuration ({where}): {first['msg']}")
    if not _WARNED:
        _WARNED.append(True)
        for warning in read_config_file().warnings():
            typer.echo(f"tutor: warning: {one_line(warning)}", err=True)
    return cfg


def print_json(data: Any) -> None:
    """UTF-8 text stays readable; C1 and bidi controls and lone surrogates are \\u escapes (the
    same strings to a JSON reader, nothing a terminal acts on, nothing that fails to encode)."""
    from tutor.untrusted import json_text

    sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False, default=str)) + "\n")


def require_lesson(cfg, lesson: int | None) -> None:
    """Fail (exit 2) unless ``lesson`` is None or a lesson file of the configured course."""
    if lesson is None:
        return
    from tutor.course.loader import LESSON_FILE

    folder = cfg.course_dir / "curriculum" / "lessons"
    known = sorted(int(m.group(1)) for p in (folder.iterdir() if folder.is_dir() else ())
                   if (m := LESSON_FILE.match(p.name)))
    if lesson not in known:
        fail(f"no lesson {lesson} in this course (lessons: {', '.join(map(str, known)) or 'none'}); "
             "pass one of those to --lesson")
