"""``tutor index [--rebuild]`` and ``tutor search QUERY``: the retrieval index and retrieval alone."""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("index")(index)
    app.command("search")(search)


@contextlib.contextmanager
def _progress_bar(transient: bool = False) -> Iterator:
    """A rich progress bar on stderr, fed by the retriever's progress(done, total, label)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=transient,
    ) as bar:
        task = bar.add_task("reading the course", total=None)

        def report(done: int, total: int, label: str) -> None:
            if label == "done":
                done = total = max(total, 1)
            bar.update(task, completed=done, total=total or None, description=label)

        yield report


def _retriever():
    from tutor.cli.common import fail, settings
    from tutor.retrieval import get_retriever

    cfg = settings()
    if not (cfg.course_dir / "curriculum" / "lessons").is_dir():
        fail(f"no course at {cfg.course_dir}: set TUTOR_COURSE to a folder with curriculum/lessons/")
    return get_retriever(cfg)


def _run_or_fail(action):
    from tutor.cli.common import fail
    from tutor.retrieval import EmbedderError

    try:
        return action()
    except EmbedderError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the index ({exc}); check that TUTOR_HOME is writable")


def index(
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and build it again from nothing."),
) -> None:
    """Build or refresh the retrieval index (only what changed, unless --rebuild)."""
    retriever = _retriever()
    if not rebuild and retriever.index_ready():
        if retriever.index.serves_shipped():
            typer.echo("index is up to date: the course is unchanged, so the index shipped with the package serves it")
        else:
            typer.echo(f"index is up to date ({retriever.index.index_dir})")
        return
    with _progress_bar() as report:
        stats = _run_or_fail(lambda: retriever.refresh(report, rebuild=rebuild))
    typer.echo(
        f"indexed {stats.chunks} chunks from {stats.files} files in {stats.seconds:.1f}s: "
        f"{stats.embedded} embedded, {stats.reused} reused, {stats.removed} removed "
        f"({retriever.index.index_dir})"
    )


def search(
    query: str = typer.Argument(..., help="What to look for, in your own words."),
    k: int = typer.Option(5, "--k", min=1, max=50, help="How many results."),
    lesson: Optional[int] = typer.Option(None, "--lesson", help="Only this lesson."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid | dense | bm25"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: query and results with citations."),
) -> None:
    """Search the course; the index is built first if it is missing or stale."""
    from tutor.cli.common import fail, print_json, require_lesson, settings
    from tutor.retrieval import MODES

    if not query.strip():
        fail("the query is empty: say what to look for, e.g. tutor search \"why divide by sqrt(d_k)\"")
    if mode not in MODES:
        fail(f"unknown --mode '{mode}': use one of {', '.join(MODES)}")
    retriever = _retriever()
    require_lesson(settings(), lesson)
    if not retriever.index_ready():
        with _progress_bar(transient=True) as report:
            _run_or_fail(lambda: retriever.ensure_index(report))
    hits = _run_or_fail(lambda: retriever.search(query, k=k, lesson=lesson, mode=mode))
    if as_json:
        print_json({"query": query, "results": [hit.to_dict() for hit in hits]})
        return
    if not hits:
        typer.echo("no results")
        return
    for rank, hit in enumerate(hits, 1):
        start, end = hit.lines
        typer.echo(f"{rank}. lesson {hit.lesson} · {hit.section} [{hit.kind}]  score {hit.score:.4f}")
        typer.echo(f"   {hit.file}:{start}-{end}")
        snippet = " ".join(hit.text.split())
        typer.echo(f"   {snippet[:200]}{'…' if len(snippet) > 200 else ''}")
