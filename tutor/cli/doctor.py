"""``tutor doctor``: what is configured and what is reachable."""

from __future__ import annotations

import typer

from tutor.cli.common import print_json, settings


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(as_json: bool = typer.Option(False, "--json", help="Print machine-readable output.")) -> None:
    """Show the effective configuration (no secrets) and check model, GPU, sandbox, index and DB."""
    from tutor.diagnostics import run_checks

    cfg = settings()
    checks = run_checks(cfg)
    if as_json:
        print_json({"config": cfg.public_view(), "checks": [c.__dict__ for c in checks]})
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    conf = Table(title="configuration", show_header=False, box=None)
    for key, value in cfg.public_view().items():
        conf.add_row(key, str(value))
    console.print(conf)
    table = Table(title="checks")
    for col in ("check", "status", "detail"):
        table.add_column(col)
    colours = {"ok": "green", "warn": "yellow", "fail": "red", "n/a": "dim"}
    for c in checks:
        table.add_row(c.name, f"[{colours.get(c.status, 'white')}]{c.status}[/]", c.detail)
    console.print(table)
