"""The ``tutor`` command. Each subcommand lives in its own module with ``register(app)``;
heavy imports stay inside the command functions so ``tutor --help`` is instant."""

from __future__ import annotations

import importlib
from typing import Optional

import typer

from tutor import __version__
from tutor.cli.common import STATE
from tutor.cli.errors import TutorGroup

app = typer.Typer(
    cls=TutorGroup,  # one place for failures (one `tutor:` line), plain metavars, --model anywhere
    name="tutor",
    help="A course tutor that explains, coaches and assesses, and never does your lab for you.",
    add_completion=False,
    no_args_is_help=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

# One line per command module; each module defines register(app).
COMMAND_MODULES = [
    "tutor.cli.doctor",
    "tutor.cli.curriculum",
    "tutor.cli.run",
    "tutor.cli.check",
    "tutor.cli.serve_model",
    "tutor.cli.grade",
    "tutor.cli.chat",
    "tutor.cli.ask",
    "tutor.cli.progress",
    "tutor.cli.instructor",
    "tutor.cli.index",
    "tutor.cli.db",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tutor {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    model: Optional[str] = typer.Option(None, "--model", help="Chat model, e.g. offline, vllm:nvidia/..., openai:gpt-4o, replay:FILE."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Run with no command to open the learner app (same as `tutor chat`)."""
    STATE.pop("model", None)  # one invocation's --model never outlives it (many run in one test process)
    if model:
        STATE["model"] = model
    if ctx.invoked_subcommand is None:
        chat = app_command("chat")
        if chat is None:
            typer.echo(ctx.get_help())
            raise typer.Exit()
        ctx.invoke(chat)


def app_command(name: str):
    for info in app.registered_commands:
        if (info.name or info.callback.__name__) == name:
            return info.callback
    return None


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    app()
