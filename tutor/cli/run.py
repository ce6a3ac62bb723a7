"""``tutor run LAB_DIR -- CMD...``: run lab code in the sandbox and write runs/<id>/run.json."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from tutor import untrusted
from tutor.run_backend import BACKEND_HELP, BackendChoiceError, resolve
from tutor.cli.common import EXIT_OK, EXIT_PROBLEMS, check_learner, fail, print_json, settings


def register(app: typer.Typer) -> None:
    app.command("run")(run_lab)


def run_lab(
    lab_dir: Path = typer.Argument(..., help="The lab folder (copied into a scratch sandbox unless --in-place)."),
    command: Optional[List[str]] = typer.Argument(None, help="The command, after `--`, e.g. -- python starter.py --smoke."),
    gpu: bool = typer.Option(False, "--gpu", help="Pass the NVIDIA GPUs through and check CUDA is visible inside."),
    timeout: float = typer.Option(600.0, "--timeout", min=0.1, help="Wall-clock seconds before the whole run is killed."),
    memory: int = typer.Option(4096, "--memory", min=16, help="Memory limit in MiB."),
    network: str = typer.Option("none", "--network", help="none, or model: reach only the configured model endpoint."),
    in_place: bool = typer.Option(False, "--in-place", help="Run in the lab folder itself instead of a scratch copy."),
    seed: int = typer.Option(0, "--seed", help="Passed to the lab as SEED and PYTHONHASHSEED."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP),
    learner: str = typer.Option("default", "--learner", callback=check_learner, help="Learner id for the progress record."),
    as_json: bool = typer.Option(False, "--json", help="Print the run record as JSON (logs stay in files)."),
) -> None:
    """Run lab code in the sandbox: no network, read-only system, limits; every run leaves a record."""
    import sandbox

    command = list(command or [])
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        fail("no command given; put it after `--`, e.g. tutor run LAB -- python starter.py --smoke")
    if network not in ("none", "model"):
        fail(f"unknown --network {network!r}; use none or model")
    cfg = settings()
    try:
        target = resolve(cfg, backend)
    except BackendChoiceError as exc:
        fail(str(exc))
    model_url = cfg.base_url if network == "model" else None
    limits = sandbox.Limits(timeout_s=timeout, memory_mb=memory)

    def stream(name: str, text: str) -> None:
        (sys.stdout if name == "stdout" else sys.stderr).write(text)

    try:
        record = sandbox.run(lab_dir, list(command), limits, gpu=gpu, network=network, in_place=in_place,
                             seed=seed, on_output=None if as_json else stream, backend=target.sandbox_backend,
                             model_url=model_url, model_name=cfg.model_name or None,
                             scheduler=target.scheduler, slurm=target.slurm)
    except sandbox.SandboxError as exc:
        fail(str(exc) if target.scheduler == "slurm" else f"{exc}; check the lab path and the command")
    if record.backend == "process":
        typer.echo("tutor: WARNING: process backend: no filesystem, network or user isolation "
                   "(install bubblewrap for the real sandbox)", err=True)
    stored = _store(cfg, learner, Path(record.lab_dir), record.to_dict())
    if as_json:
        print_json({**record.to_dict(), "stored": stored})
    else:
        typer.echo(untrusted.terminal(_summary(record)), err=True)  # the folder name and detail are the lab's
    raise typer.Exit(EXIT_OK if record.ok else EXIT_PROBLEMS)


def _summary(record) -> str:
    how = f"exit {record.exit_code}" if record.signal is None else f"signal {record.signal}"
    why = f" ({record.detail})" if record.detail else ""
    where = ""
    if record.scheduler:
        wait = record.scheduler.get("queue_wait_s")
        where = (f" on {record.scheduler.get('node') or '?'} (Slurm job {record.scheduler.get('job_id')}, "
                 f"queued {'?' if wait is None else f'{wait:.0f}'} s)")
    return (f"run {record.run_id}: {record.reason}{where} in {record.duration_s:.2f} s, {how}{why}; "
            f"record: {Path(record.run_dir) / 'run.json'}")


LAB_TOML_CAP = 64 * 1024


def _lesson_of(lab_dir: Path) -> int | None:
    """``lesson = N`` from <lab>/lab.toml, read through a descriptor of the lab folder with
    O_NOFOLLOW | O_NONBLOCK, regular files only, at most LAB_TOML_CAP bytes. A missing file is
    None; a link, FIFO, oversized or unparsable one is None with one line on stderr."""
    import os
    import tomllib

    from sandbox import safe_files

    def ignored(why: str) -> None:
        typer.echo(untrusted.terminal(f"tutor: {lab_dir / 'lab.toml'} ignored: {why}"), err=True)

    try:
        folder = os.open(lab_dir, os.O_RDONLY | os.O_DIRECTORY)  # the folder the user named
    except OSError:
        return None
    try:
        data, truncated = safe_files.read_capped(folder, "lab.toml", LAB_TOML_CAP)
    except FileNotFoundError:
        return None
    except safe_files.UnsafeFile as exc:
        ignored(str(exc).removeprefix("lab.toml "))
        return None
    except OSError as exc:
        ignored(f"cannot be read ({exc.strerror or exc})")
        return None
    finally:
        os.close(folder)
    if truncated:
        ignored(f"larger than {LAB_TOML_CAP // 1024} KiB")
        return None
    try:
        value = tomllib.loads(data.decode("utf-8")).get("lesson")
    except UnicodeDecodeError as exc:
        ignored(f"not UTF-8 (byte {exc.start})")
        return None
    except tomllib.TOMLDecodeError as exc:
        ignored(f"not valid TOML ({exc})")
        return None
    return value if isinstance(value, int) else None


def _store(cfg, learner: str, lab_dir: Path, record: dict) -> bool:
    """Write the run to the progress store when that API exists; a missing store is not an error."""
    try:
        from tutor.store import open_store
    except ImportError:
        return False
    try:
        store = open_store(cfg)
        if not hasattr(store, "record_run"):
            return False
        store.record_run(learner, _lesson_of(lab_dir), record)
        return True
    except Exception as exc:  # the run happened and its record is on disk; say why the DB missed it
        typer.echo(f"tutor: the run was not stored in the progress DB ({exc}); run.json is on disk", err=True)
        return False
