"""`tutor instructor`: the instructor screen, and its views without the app."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tutor.cli.common import EXIT_OK, fail, print_json, settings
from tutor.cli.progress import open_store_or_fail, unknown_learner
from tutor.untrusted import terminal

STATUS_MARK = {"not_started": ".", "in_progress": "~", "submitted": "S", "passed": "P"}

instructor_app = typer.Typer(
    name="instructor", no_args_is_help=False, add_completion=False,
    help="Cohort progress, grades, misconceptions and contract events; CSV/JSON export.")


def register(app: typer.Typer) -> None:
    app.add_typer(instructor_app, name="instructor")


@instructor_app.callback(invoke_without_command=True)
def instructor(ctx: typer.Context) -> None:
    """With no subcommand, open the instructor screen."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = settings()
    open_store_or_fail(cfg)  # a DB that cannot be opened fails here, in one line, not inside the app
    from tutor.tui.instructor import run_instructor

    run_instructor(cfg)


@instructor_app.command("report")
def report(as_json: bool = typer.Option(False, "--json", help="Print the report as JSON.")) -> None:
    """The cohort: learners x lessons (status, latest grade), frequent misconceptions, contract events."""
    from tutor.store.export import _jsonable

    store = open_store_or_fail(settings())
    matrix = store.cohort_matrix()
    data = {"learners": len(matrix["rows"]), "cohort": _jsonable(matrix),
            "frequent_misconceptions": store.frequent_misconceptions(limit=5),
            "contract_events": store.contract_event_counts()}
    if as_json:
        print_json(data)
        return
    if not matrix["rows"]:
        typer.echo(f"No learners recorded yet in {store.path}.")
        return
    typer.echo("\n".join(terminal(line) for line in _report_lines(matrix, data)))


def _report_lines(matrix: dict, data: dict) -> list[str]:
    width = max(7, *(len(r["learner"]) for r in matrix["rows"]))
    count = len(matrix["rows"])
    lines = [f"Cohort: {count} learner{'' if count == 1 else 's'}; cell = status (. not started, ~ in progress, "
             "S submitted, P passed) and latest grade, ! = the same content as another learner's", "",
             f"{'learner':<{width}}" + "".join(f"{'L' + str(n):>8}" for n in matrix["lessons"])]
    copies = []
    for row in matrix["rows"]:
        cells = "".join(f"{_cell(c):>8}" for c in row["cells"].values())
        lines.append(f"{row['learner']:<{width}}{cells}")
        copies += [f"  {row['learner']} L{n}: same content as {', '.join(c['duplicate_of'])}"
                   for n, c in row["cells"].items() if c.get("duplicate_of")]
    if copies:
        lines += ["", "Duplicate submissions (graded and flagged, check for plagiarism):", *copies]
    if data["frequent_misconceptions"]:
        lines += ["", "Most frequent misconceptions:"]
        lines += [f"  lesson {m['lesson']}: {m['misconception_id']} x{m['count']} ({m['open']} open, "
                  f"{m['learners']} learners)" for m in data["frequent_misconceptions"]]
    events = [c for c in data["contract_events"] if c["total"]]
    if events:
        lines += ["", "Contract events (refusals / rewrites / total):"]
        lines += [f"  {c['learner']}: {c['refusals']} / {c['rewrites']} / {c['total']}" for c in events]
    return lines


def _cell(cell: dict) -> str:
    from tutor.store.overview import pct

    grade = "" if cell["grade"] is None else " " + pct(cell["grade"])
    return STATUS_MARK.get(cell["status"], "?") + grade + ("!" if cell.get("duplicate_of") else "")


@instructor_app.command("learner")
def learner(learner_id: str = typer.Argument(..., metavar="ID", help="The learner id."),
            as_json: bool = typer.Option(False, "--json", help="Print everything recorded as JSON.")) -> None:
    """One learner: profile, lessons, grades, open misconceptions, contract events and timeline."""
    from tutor.store.overview import learner_overview, overview_lines

    store = open_store_or_fail(settings())
    if not store.has_learner(learner_id):
        unknown_learner(store, learner_id)
    view = learner_overview(store, learner_id, instructor=True)
    if as_json:
        print_json(view)
        return
    lines = overview_lines(view) + ["", "Timeline:"]
    for event in view["timeline"]:
        lesson = "-" if event["lesson"] is None else f"L{event['lesson']}"
        lines.append(f"  {event['time'][:19].replace('T', ' ')}  {event['kind']:<14} {lesson:>4}  {event['summary']}")
    typer.echo("\n".join(terminal(line) for line in lines))  # names, notes, evidence: the learners' text


@instructor_app.command("export")
def export(csv_file: Optional[Path] = typer.Option(None, "--csv", metavar="FILE", help="Learner x lesson table as CSV."),
           json_file: Optional[Path] = typer.Option(None, "--json", metavar="FILE", help="Everything aggregated, as JSON.")) -> None:
    """Write the cohort's progress for a spreadsheet (CSV) or another program (JSON); no conversation text."""
    from tutor.store import export as exporting

    if csv_file is None and json_file is None:
        fail("nothing to export; give --csv FILE and/or --json FILE")
    for target in (csv_file, json_file):
        if target is not None and not target.parent.is_dir():
            fail(f"cannot write {target}: folder {target.parent} does not exist; create it or pick another path")
        if target is not None and target.is_dir():
            fail(f"cannot write {target}: it is a folder; give a file name")
    store = open_store_or_fail(settings())
    try:
        if csv_file is not None:
            count = exporting.write_csv(store, csv_file)
            typer.echo(f"wrote {count} learner x lesson rows to {csv_file}", err=True)
        if json_file is not None:
            data = exporting.write_json(store, json_file)
            typer.echo(f"wrote {len(data['learners'])} learners to {json_file}", err=True)
    except OSError as exc:
        fail(f"cannot write the export ({exc.strerror}: {exc.filename}); check the path and permissions")
    raise typer.Exit(EXIT_OK)
