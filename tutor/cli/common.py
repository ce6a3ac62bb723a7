"""Helpers every subcommand shares: settings with CLI overrides, one-line failures."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

STATE: dict[str, Any] = {}

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr saying what happened and what to do, then exit."""
    typer.echo(f"tutor: {message}", err=True)
    raise typer.Exit(code)


def settings(**overrides: Any):
    from pydantic import ValidationError

    from tutor.config import load_settings

    merged = {**STATE, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return load_settings(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        fail(f"bad configuration ({where}): {first['msg']}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
