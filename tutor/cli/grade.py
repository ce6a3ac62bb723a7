"""``tutor grade PATH...``: grade lab folders against the lesson rubrics."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from tutor import untrusted
from tutor.cli.common import EXIT_OK, EXIT_PROBLEMS, check_learner, fail, print_json, settings
from tutor.run_backend import BACKEND_HELP, BackendChoiceError, resolve


EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)


def grade(
    paths: Optional[List[Path]] = typer.Argument(None, help="Lab folders, or directories holding one folder per learner."),
    lesson: Optional[int] = typer.Option(None, "--lesson", help="Lesson number (default: lab.toml, then lesson_NN in the folder name)."),
    no_judge: bool = typer.Option(False, "--no-judge", help="Deterministic checks only; do not call the model."),
    workers: int = typer.Option(4, "--workers", min=1, max=64, help="Folders graded at once."),
    as_json: bool = typer.Option(False, "--json", help="Print all reports as one JSON object on stdout."),
    junit: Optional[Path] = typer.Option(None, "--junit", help="Write JUnit XML for the batch to FILE."),
    output_format: Optional[str] = typer.Option(None, "--format", help="gradescope: also write results.json next to each report."),
    fail_under: Optional[float] = typer.Option(None, "--fail-under", min=0, help="Exit 1 when a total is below SCORE (0-1, or 0-100 as a percentage)."),
    force: bool = typer.Option(False, "--force", help="Regrade submissions whose content has not changed."),
    smoke: bool = typer.Option(False, "--smoke", help="Also run smoke_run and reproduce checks (code runs in the sandbox)."),
    calibrate: Optional[Path] = typer.Option(None, "--calibrate", help="Measure agreement with the instructor scores in DIR."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write reports under DIR/<submission>/ instead of <submission>/grading/."),
    samples: Optional[int] = typer.Option(None, "--samples", min=1, max=15, help="Judge samples per criterion (default: judge_samples setting, 3)."),
    learner: Optional[str] = typer.Option(None, "--learner", callback=check_learner, help="Record the grade under this learner (one folder; default: the folder name, or 'default' for labs/lesson_NN)."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP + " slurm: one job array, slurm_array_limit at once."),
) -> None:
    """Grade lab folders: deterministic checks, then an LLM judge per criterion when a model is configured."""
    from tutor.grading import rubrics

    cfg = settings()
    try:
        target = resolve(cfg, backend)
    except BackendChoiceError as exc:
        fail(str(exc))
    cfg = cfg.model_copy(update={"sandbox_backend": target.sandbox_backend})
    if output_format not in (None, "gradescope"):
        fail(f"unknown --format {output_format!r}; the one format is gradescope")
    if lesson is not None:
        try:
            rubrics.lesson_rubric(cfg.course_dir, lesson)
        except rubrics.RubricError as exc:
            fail(f"{exc}; pass one of those to --lesson")
    if calibrate is not None:
        _calibrate(cfg, calibrate, no_judge, workers, as_json)
        return
    if not paths:
        fail("no PATH given; pass a lab folder or a folder of submissions (or --calibrate DIR)")
    code = _grade_batch(cfg, paths, lesson=lesson, no_judge=no_judge, workers=workers, as_json=as_json, junit=junit,
                        gradescope=output_format == "gradescope", fail_under=fail_under, force=force, smoke=smoke,
                        out=out, samples=samples, target=target, learner=learner)
    raise typer.Exit(code)


def _grade_batch(cfg, paths, *, lesson, no_judge, workers, as_json, junit, gradescope, fail_under, force, smoke,
                 out, samples, target=None, learner=None) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tutor.grading import BadInput, formats, grade_many
    from tutor.grading.batch import discover, progress_store_hooks
    from tutor.grading.grader import resolve_judge
    from tutor.grading.report import output_dir
    from tutor.grading.slurm_batch import SlurmBatchError

    try:
        count = len(discover(list(paths)))
    except BadInput as exc:
        fail(f"{exc}; pass an existing lab folder or a folder of submissions")
    if learner and count > 1:
        fail(f"--learner names one learner, but {count} lab folders were found; grade one folder with --learner, "
             "or a folder of submissions (one per learner) without it")
    model, why_not = resolve_judge(cfg, None, not no_judge)
    err = Console(stderr=True)
    if model is None and not as_json:
        # why_not quotes settings (a model name, a replay path): shown as typed, never as markup
        err.print(f"[yellow]judge not run[/]: {untrusted.rich(why_not)}; criteria without checks are not scored",
                  soft_wrap=True)
    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("", total=count)

        def done(report: dict, skipped: bool) -> None:
            bar.update(task, advance=1, description=untrusted.rich(report["submission"]["name"]) + (" (unchanged)" if skipped else ""))

        hooks = progress_store_hooks(cfg)
        try:
            result = grade_many(list(paths), lesson=lesson, settings=cfg, judge=model, use_judge=model is not None,
                                smoke=smoke, out=out, force=force, workers=workers, samples=samples, on_done=done,
                                store=hooks.record, lookup=hooks.lookup, others=hooks.others, learner=learner,
                                scheduler=target.scheduler if target else "local", slurm=target.slurm if target else None)
        except SlurmBatchError as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            fail("interrupted; run the same command again to grade the rest (finished folders are skipped)",
                 EXIT_INTERRUPTED)
    reports = result.reports
    if gradescope:
        for folder, report in zip(result.folders, reports):
            try:  # next to the folder the grader was given, never a path read from a report
                formats.write_gradescope(output_dir(folder, out), report)
            except OSError as exc:
                err.print(f"tutor: cannot write results.json for {untrusted.terminal(report['submission']['name'])}: "
                          f"{untrusted.terminal(exc)}", markup=False, highlight=False)
    if junit:
        try:
            junit.write_text(formats.junit_xml(reports), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {junit}: {exc.strerror}; pick a writable path for --junit", EXIT_PROBLEMS)
    threshold = None if fail_under is None else (fail_under / 100 if fail_under > 1 else fail_under)
    below = [r for r in reports if r["gradable"] and threshold is not None and (r["total"] or 0.0) < threshold]
    broken = [r for r in reports if not r["gradable"]]
    if as_json:
        print_json({"graded": len(reports) - result.skipped, "skipped_unchanged": result.skipped,
                    "not_gradable": len(broken), "fail_under": threshold, "below_fail_under": len(below),
                    "submissions": reports})
    else:
        _print_table(reports, result.folders, out)
    for report in broken:
        err.print(f"tutor: {untrusted.terminal(report['submission']['name'])}: not gradable: "
                  f"{untrusted.terminal(report['reason'])}", markup=False, highlight=False, soft_wrap=True)
    return EXIT_PROBLEMS if broken or below else EXIT_OK


def _print_table(reports, folders, out) -> None:
    from rich.console import Console
    from rich.table import Table

    from tutor.grading.report import output_dir

    from rich.markup import escape

    table = Table("submission", "lesson", "total", "result", "flags", "report")
    for folder, r in zip(folders, reports):
        total = "—" if r.get("total") is None else f"{r['total'] * 100:.0f}%"
        result = "not gradable" if not r["gradable"] else (
            escape(f"incomplete, {r['incomplete']}") if r.get("incomplete")
            else "pass" if r.get("passed") else "below pass mark")
        flags = ", ".join(sorted({f["code"] for f in r["flags"]})) or ""
        where = output_dir(folder, out) / "report.md"
        table.add_row(untrusted.rich(r["submission"]["name"]), str(r.get("lesson") or "?"), total, result,
                      untrusted.rich(flags), untrusted.rich(where))
    Console().print(table)


def _calibrate(cfg, folder: Path, no_judge: bool, workers: int, as_json: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    from tutor.grading.calibration import CalibrationError, calibrate

    if not folder.is_dir():
        fail(f"no calibration folder {folder}; pass the folder holding scores.yaml")
    try:
        result = calibrate(folder, settings=cfg, use_judge=not no_judge, workers=workers)
    except CalibrationError as exc:
        fail(str(exc))
    if as_json:
        print_json(result)
    else:
        console = Console()
        if not result["judge_ran"]:
            console.print(f"[yellow]judge not run[/] ({untrusted.rich(result['judge_not_run_reason'])}): "
                          "agreement below is for the deterministic levels only")
        table = Table("criterion", "n", "quadratic kappa", "spearman", f"kappa >= {result['threshold']}")
        for criterion, stats in result["criteria"].items():
            fmt = lambda v: "—" if v is None else f"{v:.2f}"
            table.add_row(untrusted.rich(criterion), str(stats["n"]), fmt(stats["kappa"]), fmt(stats["spearman"]),
                          "yes" if stats["meets_threshold"] else "no")
        console.print(table)
        console.print(untrusted.rich(f"{result['grader']}: {result['summary']}"))
    raise typer.Exit(EXIT_PROBLEMS if result["judge_ran"] and result["below_threshold"] else EXIT_OK)
