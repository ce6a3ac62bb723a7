"""``tutor doctor``: what is configured and what is reachable."""

from __future__ import annotations

import typer

from tutor.cli.common import EXIT_OK, EXIT_PROBLEMS, print_json, settings


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(as_json: bool = typer.Option(False, "--json", help="Print machine-readable output.")) -> None:
    """Show the effective configuration (no secrets) and check config file, data folder, model, GPU,
    sandbox, index and DB; exit 1 when a check fails."""
    from tutor.diagnostics import run_checks

    cfg = settings()
    checks = run_checks(cfg)
    code = EXIT_PROBLEMS if any(c.status == "fail" for c in checks) else EXIT_OK
    if as_json:
        print_json({"config": cfg.public_view(), "checks": [c.__dict__ for c in checks]})
        raise typer.Exit(code)
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    conf = Table(title="configuration", show_header=False, box=None)
    for key, value in cfg.public_view().items():
        conf.add_row(key, escape(str(value)))
    console.print(conf)
    table = Table(title="checks")
    for col in ("check", "status", "detail"):
        table.add_column(col)
    colours = {"ok": "green", "warn": "yellow", "fail": "red", "n/a": "dim"}
    for c in checks:
        table.add_row(c.name, f"[{colours.get(c.status, 'white')}]{c.status}[/]", escape(c.detail))
    console.print(table)
    raise typer.Exit(code)
