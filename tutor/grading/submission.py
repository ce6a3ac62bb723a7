"""A learner's lab folder, read once and safely: lesson, notes sections, runs, code.

Everything the checks and the judge look at comes from here, so the rules for reading an
untrusted folder (no symlinks, bounded reads, strict UTF-8) live in one place.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from sandbox import safe_files
from tutor.grading import safe_io

LESSON_IN_NAME = re.compile(r"lesson[_-]?(\d{1,2})(?!\d)", re.IGNORECASE)
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
SUBMISSION_MARKERS = ("notes.md", "starter.py", "runs", "lab.toml")
CODE_CAP = 64 * 1024
LAB_TOML_CAP = 64 * 1024
MAX_RUNS = 50                  # runs/* folders read, the first by name; the rest are reported
RUNS_BYTES_CAP = 8 * 2**20     # config.json + metrics.json bytes of all runs together


class NotGradable(Exception):
    """The folder cannot be graded at all; the message is the report's reason."""


@dataclass
class Run:
    id: str
    config: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def smoke(self) -> bool:
        """A `--smoke` run checks the plumbing with the TODOs skipped: it is not evidence."""
        return isinstance(self.config, dict) and self.config.get("smoke") is True

    @property
    def valid(self) -> bool:
        """A run counts when config.json (with a seed) and metrics.json are JSON objects and
        it is not a smoke run."""
        return (isinstance(self.config, dict) and "seed" in self.config
                and isinstance(self.metrics, dict) and not self.problems and not self.smoke)


@dataclass
class Submission:
    """Every read goes through a descriptor of ``root`` whose (st_dev, st_ino) must still be
    ``identity`` (the folder open_submission walked), and from there component by component
    with O_NOFOLLOW (tutor/grading/safe_io.py): no path inside the folder is ever followed."""
    root: Path
    name: str
    files: list[str]
    skipped: list[str]
    identity: tuple[int, int] | None = None
    run_ids: list[str] | None = None      # runs/* folders listed by open_submission (capped)

    def _root(self):
        return safe_io.opened_root(self.root, self.identity)

    def read(self, relative: str, cap: int) -> tuple[bytes, bool]:
        """At most ``cap`` bytes of ``relative``; FileNotFoundError, UnsafePath or OSError."""
        with self._root() as fd:
            return safe_io.read_in(fd, relative, cap)

    # -- lesson ----------------------------------------------------------------------------
    def _lab_toml(self) -> dict[str, Any] | None:
        if "lab.toml" not in self.files:
            return None
        try:
            data, truncated = self.read("lab.toml", LAB_TOML_CAP)
            return None if truncated else tomllib.loads(data.decode("utf-8"))
        except (OSError, safe_io.UnsafePath, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None

    def lesson_from_folder(self) -> tuple[int | None, str]:
        """lab.toml ``lesson = N`` first, then a ``lesson_NN`` in the folder name."""
        value = (self._lab_toml() or {}).get("lesson")
        if isinstance(value, int):
            return value, "lab.toml"
        match = LESSON_IN_NAME.search(self.name)
        if match:
            return int(match.group(1)), "folder name"
        return None, ""

    def identity_names(self) -> list[str]:
        """Names to hide from the judge: the folder name and any learner/author in lab.toml."""
        meta = self._lab_toml() or {}
        return [self.name] + [str(meta[k]) for k in ("learner", "learner_id", "author", "name", "student") if k in meta]

    # -- notes -----------------------------------------------------------------------------
    @cached_property
    def notes(self) -> safe_io.TextRead | None:
        try:
            return self.text("notes.md")
        except safe_io.UnsafePath as exc:
            return safe_io.TextRead("", False, f"cannot be read: {exc}")

    def text(self, relative: str, cap: int = safe_io.TEXT_CAP) -> safe_io.TextRead | None:
        """The file's text, or None when it is absent; unsafe paths raise UnsafePath."""
        try:
            return safe_io.decode(*self.read(relative, cap))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise safe_io.UnsafePath(f"{relative}: cannot be read ({exc.strerror or exc})") from None

    @cached_property
    def notes_sections(self) -> dict[str, str]:
        notes = self.notes
        return split_sections(notes.text) if notes and not notes.error else {}

    @cached_property
    def code(self) -> str:
        try:
            read = self.text("starter.py", CODE_CAP)
        except safe_io.UnsafePath:
            return ""
        return read.text if read and not read.error else ""

    # -- runs ------------------------------------------------------------------------------
    @cached_property
    def runs(self) -> list[Run]:
        """The first MAX_RUNS runs/* folders by name, reading at most RUNS_BYTES_CAP in all."""
        try:
            with self._root() as fd:
                try:
                    runs_fd = safe_io.open_subdir(fd, "runs", "runs")
                except (FileNotFoundError, safe_io.UnsafePath):
                    return []
                try:
                    ids = self.run_ids if self.run_ids is not None else list_runs(runs_fd)[0]
                    budget = [RUNS_BYTES_CAP]
                    return [_open_run(runs_fd, run_id, budget) for run_id in ids]
                finally:
                    os.close(runs_fd)
        except (OSError, safe_io.UnsafePath):
            return []

    @property
    def valid_runs(self) -> list[Run]:
        return [r for r in self.runs if r.valid]


def list_runs(runs_fd: int) -> tuple[list[str], str]:
    """(the first MAX_RUNS folder names in runs/, sorted; "" or a line saying what was left out)."""
    names, more = safe_io.list_names(runs_fd, safe_io.MAX_LISTED)
    folders = []
    for name in names:
        try:
            if stat.S_ISDIR(os.stat(name, dir_fd=runs_fd, follow_symlinks=False).st_mode):
                folders.append(name)
        except OSError:
            continue
    if len(folders) <= MAX_RUNS and not more:
        return folders, ""
    left = folders[MAX_RUNS:]
    total = f"more than {safe_io.MAX_LISTED} entries" if more else f"{len(folders)} runs"
    shown = f" (not read: {', '.join(left[:3])}{', ...' if len(left) > 3 else ''})" if left else ""
    return folders[:MAX_RUNS], f"runs: {total}; only the first {MAX_RUNS} by name are graded{shown}"


def _open_run(runs_fd: int, run_id: str, budget: list[int]) -> Run:
    try:
        fd = safe_io.open_subdir(runs_fd, run_id, f"runs/{run_id}")
    except safe_io.UnsafePath as exc:
        return Run(run_id, problems=[str(exc)])
    except OSError as exc:
        return Run(run_id, problems=[f"runs/{run_id}: cannot be read ({exc.strerror or exc})"])
    try:
        return _read_run(fd, run_id, budget)
    finally:
        os.close(fd)


def _read_run(folder: int, run_id: str, budget: list[int]) -> Run:
    run = Run(run_id)
    for name in ("config", "metrics"):
        label = f"runs/{run_id}/{name}.json"
        if budget[0] <= 0:
            run.problems.append(f"{label} not read: the runs before it already hold {RUNS_BYTES_CAP // 2**20} MiB")
            continue
        try:
            data, truncated = safe_io.read_bytes(safe_io.At(folder, f"{name}.json", label), safe_io.JSON_CAP)
        except FileNotFoundError:
            run.problems.append(f"{label} is missing")
            continue
        except safe_io.UnsafePath as exc:
            run.problems.append(str(exc))
            continue
        except OSError as exc:
            run.problems.append(f"{label}: {exc.strerror or exc}")
            continue
        budget[0] -= len(data)
        if truncated:
            run.problems.append(f"{label} is larger than {safe_io.JSON_CAP} bytes")
            continue
        value, problem = safe_files.load_json(data)  # bounded depth: 100k nested levels is a reason
        if problem:
            run.problems.append(f"{label} is {problem}")
            continue
        if not isinstance(value, dict):
            run.problems.append(f"{label} is not a JSON object")
            continue
        setattr(run, name, value)
    if isinstance(run.config, dict) and "seed" not in run.config:
        run.problems.append(f"runs/{run_id}/config.json has no seed")
    return run


def split_sections(text: str) -> dict[str, str]:
    """``## Heading`` -> body text. A repeated heading keeps its first body."""
    result: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            if current is not None and current not in result:
                result[current] = "\n".join(lines).strip()
            current, lines = match.group(1).strip(), []
        elif current is not None:
            lines.append(line)
    if current is not None and current not in result:
        result[current] = "\n".join(lines).strip()
    return result


def looks_like_submission(path: Path) -> bool:
    return any(os.path.lexists(path / marker) for marker in SUBMISSION_MARKERS)


def open_submission(path: Path) -> Submission:
    """Walk the folder; raise NotGradable for what cannot be graded at all."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise NotGradable(f"{path} does not exist") from None
    if stat.S_ISLNK(info.st_mode):
        raise NotGradable(f"{path.name} is a symlink; grading never follows links")
    if not stat.S_ISDIR(info.st_mode):
        raise NotGradable(f"{path.name} is not a folder")
    try:
        fd = safe_io.open_root(path)
    except safe_io.UnsafePath as exc:
        raise NotGradable(f"{exc}; grading never follows links") from None
    except OSError as exc:
        raise NotGradable(f"{path.name} cannot be opened ({exc.strerror or exc})") from None
    try:
        listing = safe_io.walk(fd)
        run_ids, note = _runs_of(fd)
        sub = Submission(path, path.name, listing.files, listing.skipped + ([note] if note else []),
                         safe_io.identity_of(fd), run_ids)
    finally:
        os.close(fd)
    if not listing.files:
        raise NotGradable("the folder is empty (no files to grade)")
    return sub


def _runs_of(root_fd: int) -> tuple[list[str], str]:
    try:
        runs_fd = safe_io.open_subdir(root_fd, "runs", "runs")
    except (OSError, safe_io.UnsafePath):
        return [], ""
    try:
        return list_runs(runs_fd)
    except OSError:
        return [], ""
    finally:
        os.close(runs_fd)


def dotted(mapping: Any, key: str) -> tuple[bool, Any]:
    """Look up ``a.b.c`` in nested dicts; (found, value)."""
    current = mapping
    for part in key.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current
