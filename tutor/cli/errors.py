"""The one place where a failure becomes a ``tutor: ...`` line and an exit code.

Every command runs inside ``TutorGroup`` (the root ``typer.Typer(cls=TutorGroup)``), so a
command added with ``register(app)`` gets all of this without doing anything:

- a usage error (unknown option, bad value, missing argument) is one line naming the
  command and what to fix, exit 2, instead of click's boxed usage panel;
- an *expected* exception (``EXPECTED`` below: ``UserError``, a bad config file, a store,
  model, course, grading or sandbox error, a file that cannot be read or written) is its
  message on one line, exit 2;
- anything else is a bug: one line saying so, exit 1 (``TUTOR_DEBUG=1`` re-raises it so
  the traceback shows);
- help shows plain metavars (``--lesson N``, ``MESSAGE``, ``PATHS...``; flags show none).

A new kind of expected failure: raise ``tutor.cli.common.UserError`` (or call ``fail()``),
or append ``("module", "ClassName")`` to ``EXPECTED``; its ``str()`` is the message.
Classes are matched through ``sys.modules``, so nothing is imported to check them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

try:  # typer >= 0.2x vendors click as typer._click
    from typer._click import exceptions as click_exceptions
except ImportError:  # pragma: no cover - older typer uses click itself
    from click import exceptions as click_exceptions

EXIT_USAGE, EXIT_BUG, EXIT_PIPE = 2, 1, 141  # 141: what a shell reports for SIGPIPE

EXPECTED: list[tuple[str, str]] = [
    ("tutor.cli.common", "UserError"),
    ("tutor.config", "ConfigError"),
    ("tutor.store.store", "StoreError"),
    ("tutor.llm.base", "ModelError"),
    ("tutor.course.errors", "CourseError"),
    ("tutor.retrieval.embedder", "EmbedderError"),
    ("tutor.grading.batch", "BadInput"),
    ("tutor.grading.rubrics", "RubricError"),
    ("tutor.grading.calibration", "CalibrationError"),
    ("sandbox.runner", "SandboxError"),
]

_NOT_WRITABLE = ("readonly database", "read-only file system", "attempt to write a readonly")


def _one_line(text: str) -> str:
    from tutor.cli.common import one_line

    return one_line(text)


def _home() -> str:
    from tutor import paths

    try:
        return str(paths.tutor_home())
    except Exception:  # noqa: BLE001 - only for wording
        return "TUTOR_HOME"


def explain(exc: BaseException) -> str | None:
    """The one-line message for an expected failure, None for a bug."""
    for module, name in EXPECTED:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and isinstance(exc, cls):
            text = str(exc).strip()
            return _one_line(text.splitlines()[0] if text else name)
    text = str(exc).lower()
    if any(marker in text for marker in _NOT_WRITABLE) or (
            isinstance(exc, OSError) and exc.errno == errno.EROFS):
        return (f"cannot write to the data folder {_home()} ({_one_line(exc)}); "
                "make it writable or point TUTOR_HOME at a writable folder")
    if isinstance(exc, UnicodeDecodeError):
        return f"input is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR,
                                                  errno.EISDIR, errno.ENOSPC, errno.ELOOP):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use{where}: {exc.strerror or exc}; check the path and its permissions"
    return None


def _usage_line(error: Any) -> str:
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path if ctx is not None else "tutor"
    command = "tutor" + command[command.index(" "):] if " " in command else "tutor"
    return f"{_one_line(error.format_message())} (see `{command} --help`)"


_PLAIN_TYPES = {"int": "N", "float": "NUMBER", "Path": "PATH", "str": "TEXT", "bool": "yes|no"}


def _plain_type(param: Any) -> str:
    desc = getattr(param, "type_descriptor", None)
    if desc is not None and getattr(desc, "is_choice", False):
        return "|".join(str(getattr(c, "value", c)) for c in desc.choices or ())
    bare = param.bare_type() if hasattr(param, "bare_type") else "str"
    if bare.startswith("list[") and bare.endswith("]"):
        bare = bare[5:-1]
    return _PLAIN_TYPES.get(bare, "TEXT")


def _plain(param: Any) -> None:
    """Plain metavars in help: MESSAGE / PATHS..., --lesson N, no type for flags."""
    if getattr(param, "_tutor_plain", False):
        return
    param._tutor_plain = True
    if isinstance(param, TyperArgument):
        name = (param.metavar or param.name or "arg").upper()
        many = param.nargs != 1
        param.metavar = name + ("..." if many else "")
        param.display_type_rich = lambda ctx=None: None
        usage = name if param.required else f"[{name}]"
        param._usage_display_name = lambda: usage + ("..." if many else "")
    elif isinstance(param, TyperOption):
        if param.is_flag or param.count:
            param.display_type_rich = lambda ctx=None: None
        elif param.metavar is None:
            param.metavar = _plain_type(param)


def _plain_tree(command: Any) -> None:
    for param in getattr(command, "params", []):
        _plain(param)
    if not getattr(command, "_tutor_plain_help", False) and hasattr(command, "get_help_option"):
        command._tutor_plain_help = True
        original = command.get_help_option

        def help_option(ctx, original=original):
            option = original(ctx)
            if option is not None:
                option.display_type_rich = lambda ctx=None: None
            return option

        command.get_help_option = help_option
    for sub in getattr(command, "commands", {}).values():
        _plain_tree(sub)


def hoist_root_options(group: Any, args: list[str]) -> list[str]:
    """``tutor ask hi --model X`` as ``tutor --model X ask hi``: a root option typed after the
    subcommand moves in front of it, unless that subcommand has an option of the same name.
    Nothing after ``--`` moves (it belongs to the lab command of ``tutor run``)."""
    names = {n: p for p in group.params if isinstance(p, TyperOption) and not p.is_flag for n in p.opts}
    command_at = next((i for i, a in enumerate(args) if a in group.commands), None)
    if command_at is None or not names:
        return args
    sub = group.commands[args[command_at]]
    taken = {n for p in getattr(sub, "params", []) for n in getattr(p, "opts", [])}
    head, rest, moved, i = args[:command_at], [], [], command_at
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        name = arg.split("=", 1)[0]
        if i > command_at and name in names and name not in taken:
            if "=" in arg:
                moved.append(arg)
            elif i + 1 < len(args):
                moved += [arg, args[i + 1]]
                i += 1
            else:
                rest.append(arg)  # no value: let the parser say so
            i += 1
            continue
        rest.append(arg)
        i += 1
    return head + moved + rest


def _not_utf8(arg: Any) -> bool:
    """An argv byte that is not UTF-8 reaches Python as a lone surrogate (surrogateescape)."""
    try:
        str(arg).encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


class TutorGroup(TyperGroup):
    """The root command: every subcommand runs inside ``invoke`` below."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        _plain_tree(self)
        args = list(sys.argv[1:] if args is None else args)
        ours = args[:args.index("--")] if "--" in args else args  # after --: the lab's own command
        not_text = next((a for a in ours if _not_utf8(a)), None)
        if not_text is not None:
            typer.echo(f"tutor: an argument is not UTF-8 text ({_one_line(ascii(not_text))}); type it as UTF-8",
                       err=True)
            sys.exit(EXIT_USAGE)
        return super().main(hoist_root_options(self, args), *rest, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any):
        try:
            return super().make_context(*args, **kwargs)
        except click_exceptions.NoArgsIsHelpError:
            raise
        except click_exceptions.UsageError as error:
            typer.echo(f"tutor: {_usage_line(error)}", err=True)
            raise typer.Exit(EXIT_USAGE) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click_exceptions.NoArgsIsHelpError, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # `tutor search ... | head`: the reader left, nothing to say
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_PIPE) from None
        except click_exceptions.UsageError as error:
            typer.echo(f"tutor: {_usage_line(error)}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:  # noqa: BLE001 - this is the one place that decides
            exit_code = getattr(exc, "exit_code", None)
            if isinstance(exc, click_exceptions.ClickException) or type(exc).__name__ == "Exit" and exit_code is not None:
                raise
            message = explain(exc)
            if message is not None:
                typer.echo(f"tutor: {message}", err=True)
                raise typer.Exit(getattr(exc, "tutor_exit_code", EXIT_USAGE)) from None
            if os.environ.get("TUTOR_DEBUG"):
                raise
            typer.echo(f"tutor: internal error: {type(exc).__name__}: {_one_line(exc)}; this is a bug, please "
                       "report it (TUTOR_DEBUG=1 shows the traceback)", err=True)
            raise typer.Exit(EXIT_BUG) from None
