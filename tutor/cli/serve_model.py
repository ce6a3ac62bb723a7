"""``tutor serve-model``: print (or start) the recommended vLLM command for Nemotron 3 Nano."""

from __future__ import annotations

import shlex
from typing import Optional

import typer

from tutor.cli.common import EXIT_PROBLEMS, fail, print_json


def register(app: typer.Typer) -> None:
    app.command("serve-model")(serve_model)


def serve_model(
    variant: str = typer.Option("bf16", "--variant", help="bf16 (about 60 GB of GPU memory) or fp8 (about 32 GB)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address vLLM listens on."),
    port: int = typer.Option(8000, "--port", help="Port vLLM listens on."),
    max_model_len: Optional[int] = typer.Option(None, "--max-model-len", help="Context length (default 32768)."),
    served_name: Optional[str] = typer.Option(None, "--served-model-name", help="Name clients use (default: the model id)."),
    builtin_parser: bool = typer.Option(False, "--builtin-parser", help="Use vLLM's built-in nemotron_v3 parser (newer vLLM) instead of the plugin file."),
    launch: bool = typer.Option(False, "--launch", help="Start vLLM and wait until it serves the model."),
    wait: float = typer.Option(900.0, "--wait", min=1, help="Seconds to wait for /health and /v1/models with --launch."),
    as_json: bool = typer.Option(False, "--json", help="Print the command and its provenance as JSON."),
) -> None:
    """The vLLM flags for Nemotron 3 Nano (from the vLLM recipe), printed or launched."""
    from sandbox.model_server import NEMOTRON_3_NANO, PARSER_PLUGIN_URL, serve_command

    try:
        command = serve_command(variant, host, port, max_model_len, served_name, builtin_parser)
    except ValueError as exc:
        fail(f"{exc}")
    env_prefix = " ".join(f"{k}={v}" for k, v in command.env.items())
    line = (env_prefix + " " if env_prefix else "") + shlex.join(command.argv)
    if as_json and not launch:
        print_json({"command": command.argv, "env": command.env, "model": command.model,
                    "base_url": command.base_url, "checked_against_vllm": NEMOTRON_3_NANO["checked_against_vllm"],
                    "source": NEMOTRON_3_NANO["source"], "parser_plugin_url": None if builtin_parser else PARSER_PLUGIN_URL})
        return
    if not launch:
        versions = ", ".join(NEMOTRON_3_NANO["checked_against_vllm"])
        typer.echo(f"# vLLM command for {command.model} (flags checked against vLLM {versions})")
        if not builtin_parser:
            typer.echo(f"# first, next to where you run it: wget {PARSER_PLUGIN_URL}")
        typer.echo(line)
        typer.echo(f"# then: export TUTOR_MODEL=vllm:{command.model} TUTOR_BASE_URL={command.base_url}")
        return
    _launch(command, wait)


def _launch(command, wait: float) -> None:
    import os
    import shutil
    import subprocess

    from sandbox.model_server import ServerNotReady, wait_until_ready

    if not shutil.which(command.argv[0]):
        fail("vllm is not installed here; install it on the GPU host (pip install 'vllm>=0.12') or run the printed command there")
    typer.echo(f"starting: {shlex.join(command.argv)}", err=True)
    process = subprocess.Popen(command.argv, env={**os.environ, **command.env})
    try:
        names = wait_until_ready(command.base_url, wait, process=process)
    except ServerNotReady as exc:
        if process.poll() is None:
            process.terminate()
        fail(f"{exc}; see vLLM's output above", EXIT_PROBLEMS)
    except KeyboardInterrupt:
        process.terminate()
        raise typer.Exit(130)
    typer.echo(f"serving {', '.join(names)} at {command.base_url}")
    typer.echo(f"export TUTOR_MODEL=vllm:{names[0]} TUTOR_BASE_URL={command.base_url}")
    try:
        raise typer.Exit(process.wait())
    except KeyboardInterrupt:
        process.terminate()
        raise typer.Exit(process.wait())
