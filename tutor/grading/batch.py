"""Grade many folders: discovery, skipping unchanged ones by content hash, parallel workers.

A submission this learner already had graded with the same content hash, lesson and judge
mode (a complete report in the grader's own progress store, never a report.json inside the
submission) is skipped unless ``force``; so a batch that was interrupted and started again
only grades what is left. A submission identical to another learner's is graded all the same
and flagged ``duplicate_submission``. Each folder is graded inside its own try: one broken
folder yields a not-gradable report and the batch goes on.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

from tutor.grading import report as report_io
from tutor.grading.grader import duplicate_flag, grade_folder, not_gradable, resolve_judge, write_report
from tutor.grading.submission import NotGradable, looks_like_submission, open_submission, safe_io


class BadInput(Exception):
    """A PATH that does not exist or is not a folder: bad usage, exit 2."""


def discover(paths: list[Path]) -> list[Path]:
    """Each PATH is a submission, or a directory whose subfolders are submissions."""
    found: list[Path] = []
    for path in paths:
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise BadInput(f"no such path: {path}") from None
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise BadInput(f"{path} is not a folder (symlinks are not followed)")
        if looks_like_submission(path) or not any(True for _ in os.scandir(path)):
            found.append(path)
            continue
        children = [Path(entry.path) for entry in sorted(os.scandir(path), key=lambda e: e.name)
                    if not entry.name.startswith(".") and entry.name != "grading"
                    # Folders and links both count: a link becomes a not-gradable report, not a silent skip.
                    and (entry.is_dir(follow_symlinks=False) or entry.is_symlink())]
        if not children:
            raise BadInput(f"{path} is neither a lab folder (notes.md, starter.py, runs/ or lab.toml) "
                           "nor a folder of submissions")
        found += children
    return list(dict.fromkeys(found))


@dataclass
class BatchResult:
    reports: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    folders: list[Path] = field(default_factory=list)   # reports[i] is folders[i]: write next to these


def _judge_mode(model) -> str | None:
    return model.name if model is not None else None


def _reusable(existing: dict | None, content_hash: str, lesson: int | None, judge_name: str | None) -> bool:
    if not existing or existing.get("status") != "complete" or not existing.get("gradable") or existing.get("incomplete"):
        return False
    if existing.get("schema_version") != report_io.SCHEMA_VERSION:
        return False
    same_lesson = lesson is None or existing.get("lesson") == lesson
    return (existing.get("submission", {}).get("content_hash") == content_hash and same_lesson
            and (existing.get("judge") or {}).get("model") == judge_name)


def _stored_report(found: Any) -> dict | None:
    """The report inside whatever find_submission returns (a row object, a dict, or the report)."""
    if found is None:
        return None
    report = getattr(found, "report", None) if not isinstance(found, dict) else found.get("report", found)
    if isinstance(report, str):
        try:
            report = json.loads(report)
        except ValueError:
            return None
    return report if isinstance(report, dict) else None


def _with_duplicates(report: dict, others: list[str]) -> dict:
    """The report with its duplicate flag matching `others` (added, updated or dropped)."""
    flags = [f for f in report.get("flags") or [] if f.get("code") != "duplicate_submission"]
    report["flags"] = flags + ([duplicate_flag(others)] if others else [])
    report.setdefault("submission", {})["duplicate_of"] = sorted(others)
    return report


def grade_one(path: Path, *, lesson, settings, model, smoke, out, force, samples, store=None,
              lookup=None, others: list[str] | None = None, opened=None) -> tuple[dict, bool]:
    """(report, was_skipped). Nothing under the submission (its grading/ included) is read as the
    grader's state: a grade is reused only from the grader's own store, for this learner and
    this content hash, and its files are then rewritten from there (which repairs a report a
    kill or the learner changed). `others`: learners whose submission has the same content."""
    try:
        sub, content_hash = opened or _open(path)
    except NotGradable as exc:
        return not_gradable(path, str(exc), out, True), False
    others = sorted(set(others or []) - {path.name})
    if not force and lookup is not None:
        stored = _reuse(path, sub, content_hash, lesson, model, out, store, lookup, others)
        if stored is not None:
            return stored, True
    try:
        report = grade_folder(path, lesson=lesson, settings=settings, judge=model, smoke=smoke,
                              use_judge=model is not None, out=out, samples=samples, submission=sub,
                              content_hash=content_hash, duplicate_of=others)
    except Exception as exc:  # the last line of defence: one folder never stops the batch
        return not_gradable(path, f"internal error while grading: {type(exc).__name__}: {exc}", out, True,
                            content_hash), False
    if store is not None:
        store(report)  # after the files: a kill before this row is repaired by regrading
    return report, False


def _reuse(path, sub, content_hash, lesson, model, out, store, lookup, others) -> dict | None:
    """The stored grade of this content, rewritten next to the folder; None when there is none."""
    found = lesson if lesson is not None else sub.lesson_from_folder()[0]
    stored = _stored_report(lookup(content_hash, found, path.name)) if found is not None else None
    if not _reusable(stored, content_hash, lesson, _judge_mode(model)):
        return None
    stored = copy.deepcopy(stored)
    stored["submission"].update(name=path.name, path=str(path.absolute()))
    changed = stored["submission"].get("duplicate_of", []) != others
    _with_duplicates(stored, others)
    write_report(path, out, stored, final=True)
    if changed and store is not None:
        store(stored)
    return stored


def _open(path: Path):
    sub = open_submission(path)
    return sub, safe_io.content_hash(sub.root, sub.files)


def grade_many(paths: list[Path], *, lesson=None, settings=None, judge=None, use_judge=True, smoke=False,
               out: Path | None = None, force=False, workers=1, samples=None,
               on_done: Callable[[dict, bool], None] | None = None, store=None, lookup=None,
               others=None, scheduler: str = "local", slurm=None, slurm_minutes: int = 30) -> BatchResult:
    """`store`, `lookup`, `others`: the progress-store hooks (progress_store_hooks); when none is
    given the grader opens its own store, so reuse never rests on files inside a submission.
    ``scheduler="slurm"``: the folders left to grade go to Slurm as one job array (``slurm``:
    SlurmOptions; tutor/grading/slurm_batch.py)."""
    if settings is None:
        from tutor.config import load_settings
        settings = load_settings()
    if store is None and lookup is None:
        store, lookup, others = progress_store_hooks(settings)
    model, _ = resolve_judge(settings, judge, use_judge)
    folders = discover(paths)
    result = BatchResult(folders=folders)
    by_path: dict[Path, dict] = {}
    if scheduler == "slurm":
        _grade_on_slurm(result, by_path, folders, lesson=lesson, settings=settings, model=model, smoke=smoke, out=out,
                        force=force, samples=samples, on_done=on_done, store=store, lookup=lookup, others=others,
                        options=slurm, minutes=slurm_minutes)
        result.reports = [by_path[f] for f in folders]
        return result
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade")
    try:
        opened = dict(zip(folders, pool.map(_open_or_error, folders)))
        same = _same_content(opened, lesson, others)
        futures = {pool.submit(grade_one, folder, lesson=lesson, settings=settings, model=model, smoke=smoke,
                               out=out, force=force, samples=samples, store=store, lookup=lookup,
                               others=same.get(folder), opened=opened[folder]): folder for folder in folders}
        for future in as_completed(futures):
            report, skipped = future.result()
            by_path[futures[future]] = report
            result.skipped += skipped
            if on_done:
                on_done(report, skipped)
    except BaseException:
        # Interrupted: drop the queue. Finished folders are in the store, so a rerun skips them.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    result.reports = [by_path[f] for f in folders]
    return result


def _grade_on_slurm(result, by_path, folders, *, lesson, settings, model, smoke, out, force, samples, on_done,
                    store, lookup, others, options, minutes) -> None:
    """What needs no code run (unopenable folders, stored grades) is done here; the rest is one array."""
    from tutor.grading.slurm_batch import grade_on_slurm

    opened = {folder: _open_or_error(folder) for folder in folders}
    same = _same_content(opened, lesson, others)

    def finish(folder: Path, report: dict, skipped: bool = False) -> None:
        by_path[folder] = report
        result.skipped += skipped
        if store is not None and not skipped:
            store(report)
        if on_done:
            on_done(report, skipped)

    todo = []
    for folder in folders:
        if opened[folder] is None:
            finish(folder, grade_one(folder, lesson=lesson, settings=settings, model=model, smoke=smoke, out=out,
                                     force=force, samples=samples, opened=None)[0])
            continue
        sub, content_hash = opened[folder]
        others_here = sorted(set(same.get(folder) or []) - {folder.name})
        stored = None if force or lookup is None else _reuse(folder, sub, content_hash, lesson, model, out, store,
                                                             lookup, others_here)
        if stored is not None:
            finish(folder, stored, skipped=True)
        else:
            todo.append(folder)
    if todo:
        grade_on_slurm(folders, opened, same, todo=todo, lesson=lesson, model=model, smoke=smoke, out=out,
                       samples=samples, options=options, minutes=minutes, finish=finish,
                       settings={"course": str(settings.course_dir), "sandbox_backend": settings.sandbox_backend})


def _open_or_error(path: Path):
    try:
        return _open(path)
    except NotGradable:
        return None  # grade_one opens it again and writes the not-gradable report


def _same_content(opened: dict, lesson, others) -> dict[Path, list[str]]:
    """folder -> the other learners (in this batch or in the store) with identical content."""
    groups: dict[tuple, list[Path]] = {}
    for folder, item in opened.items():
        if item is not None:
            sub, content_hash = item
            found = lesson if lesson is not None else sub.lesson_from_folder()[0]
            groups.setdefault((content_hash, found), []).append(folder)
    same: dict[Path, list[str]] = {}
    for (content_hash, found), members in groups.items():
        stored = others(content_hash, found) if others is not None and found is not None else []
        names = {m.name for m in members} | set(stored)
        for folder in members:
            same[folder] = sorted(names - {folder.name})
    return same


def _open_store(settings):
    try:
        from tutor.store import open_store
    except ImportError:  # the progress store is built by another part; grading works without it
        return None
    try:
        return open_store(settings)
    except Exception:
        return None


class StoreHooks(NamedTuple):
    record: Callable[[dict], None] | None
    lookup: Callable[[str, int, str], Any] | None        # (content_hash, lesson, learner) -> stored report
    others: Callable[[str, int], list[str]] | None       # (content_hash, lesson) -> learners with it


def progress_store_hooks(settings) -> StoreHooks:
    """Callbacks for the progress store, the grader's own state; all None when there is none."""
    store = _open_store(settings)
    if store is None:
        return StoreHooks(None, None, None)
    lock = threading.Lock()  # one SQLite connection, many grading threads

    def lookup(content_hash: str, lesson: int | None, learner: str):
        if lesson is None:
            return None
        try:
            with lock:
                return store.find_submission(content_hash, lesson, learner_id=learner)
        except Exception:
            return None

    def others(content_hash: str, lesson: int) -> list[str]:
        try:
            with lock:
                return store.learners_with(content_hash, lesson)
        except Exception:
            return []

    def record(report: dict) -> None:
        if not report.get("gradable") or report.get("lesson") is None:
            return
        try:
            with lock:
                store.record_submission(report["submission"]["name"], report["lesson"],
                                        report["submission"]["content_hash"], report["submission"]["path"], report)
        except Exception as exc:  # the store is a convenience; grading results are already on disk
            report["flags"].append({"code": "store_not_written", "message": str(exc)[:200], "where": "progress store"})

    return StoreHooks(record, lookup, others)
