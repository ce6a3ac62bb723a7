"""Grade many folders: discovery, skipping unchanged ones by content hash, parallel workers.

A submission already graded with the same content hash, lesson and judge mode (its
report.json is complete) is skipped unless ``force``; so a batch that was interrupted and
started again only grades what is left. Each folder is graded inside its own try: one broken
folder yields a not-gradable report and the batch goes on.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from tutor.grading import report as report_io
from tutor.grading.grader import grade_folder, not_gradable, resolve_judge
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


def grade_one(path: Path, *, lesson, settings, model, smoke, out, force, samples, store=None,
              lookup=None) -> tuple[dict, bool]:
    """(report, was_skipped)."""
    try:
        sub = open_submission(path)
    except NotGradable as exc:
        return not_gradable(path, str(exc), out, True), False
    content_hash = safe_io.content_hash(sub.root, sub.files)
    if not force:
        existing = report_io.read_existing(report_io.output_dir(path, out))
        if _reusable(existing, content_hash, lesson, _judge_mode(model)):
            return existing, True
        if lookup is not None:
            stored = _stored_report(lookup(content_hash, lesson))
            if _reusable(stored, content_hash, lesson, _judge_mode(model)):
                return stored, True
    try:
        report = grade_folder(path, lesson=lesson, settings=settings, judge=model, smoke=smoke,
                              use_judge=model is not None, out=out, samples=samples, submission=sub,
                              content_hash=content_hash)
    except Exception as exc:  # the last line of defence: one folder never stops the batch
        return not_gradable(path, f"internal error while grading: {type(exc).__name__}: {exc}", out, True,
                            content_hash), False
    if store is not None:
        store(report)
    return report, False


def grade_many(paths: list[Path], *, lesson=None, settings=None, judge=None, use_judge=True, smoke=False,
               out: Path | None = None, force=False, workers=1, samples=None,
               on_done: Callable[[dict, bool], None] | None = None, store=None, lookup=None) -> BatchResult:
    if settings is None:
        from tutor.config import load_settings
        settings = load_settings()
    model, _ = resolve_judge(settings, judge, use_judge)
    folders = discover(paths)
    result = BatchResult()
    by_path: dict[Path, dict] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="grade")
    try:
        futures = {pool.submit(grade_one, folder, lesson=lesson, settings=settings, model=model, smoke=smoke,
                               out=out, force=force, samples=samples, store=store, lookup=lookup): folder for folder in folders}
        for future in as_completed(futures):
            report, skipped = future.result()
            by_path[futures[future]] = report
            result.skipped += skipped
            if on_done:
                on_done(report, skipped)
    except BaseException:
        # Interrupted: drop the queue. Finished folders have complete reports, so a rerun skips them.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    result.reports = [by_path[f] for f in folders]
    return result


def _open_store(settings):
    try:
        from tutor.store import open_store
    except ImportError:  # the progress store is built by another part; grading works without it
        return None
    try:
        return open_store(settings)
    except Exception:
        return None


def progress_store_hooks(settings):
    """(record, lookup) callbacks for the progress store; (None, None) when there is none."""
    store = _open_store(settings)
    if store is None:
        return None, None
    lock = threading.Lock()  # one SQLite connection, many grading threads

    def lookup(content_hash: str, lesson: int | None):
        if lesson is None or not hasattr(store, "find_submission"):
            return None
        try:
            with lock:
                return store.find_submission(content_hash, lesson)
        except Exception:
            return None

    def record(report: dict) -> None:
        if not report.get("gradable") or report.get("lesson") is None:
            return
        try:
            with lock:
                store.record_submission(report["submission"]["name"], report["lesson"],
                                        report["submission"]["content_hash"], report["submission"]["path"], report)
        except Exception as exc:  # the store is a convenience; grading results are already on disk
            report["flags"].append({"code": "store_not_written", "message": str(exc)[:200], "where": "progress store"})

    return record, lookup
