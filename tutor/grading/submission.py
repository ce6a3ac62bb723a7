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
    root: Path
    name: str
    files: list[str]
    skipped: list[str]

    # -- lesson ----------------------------------------------------------------------------
    def lesson_from_folder(self) -> tuple[int | None, str]:
        """lab.toml ``lesson = N`` first, then a ``lesson_NN`` in the folder name."""
        if "lab.toml" in self.files:
            try:
                data, _ = safe_io.read_bytes(self.root / "lab.toml", 64 * 1024)
                value = tomllib.loads(data.decode("utf-8")).get("lesson")
                if isinstance(value, int):
                    return value, "lab.toml"
            except (OSError, safe_io.UnsafePath, UnicodeDecodeError, tomllib.TOMLDecodeError):
                pass
        match = LESSON_IN_NAME.search(self.name)
        if match:
            return int(match.group(1)), "folder name"
        return None, ""

    def identity_names(self) -> list[str]:
        """Names to hide from the judge: the folder name and any learner/author in lab.toml."""
        names = [self.name]
        if "lab.toml" in self.files:
            try:
                data, _ = safe_io.read_bytes(self.root / "lab.toml", 64 * 1024)
                meta = tomllib.loads(data.decode("utf-8"))
                names += [str(meta[k]) for k in ("learner", "learner_id", "author", "name", "student") if k in meta]
            except (OSError, safe_io.UnsafePath, UnicodeDecodeError, tomllib.TOMLDecodeError):
                pass
        return names

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
            path = safe_io.inside(self.root, relative)
        except FileNotFoundError:
            return None
        return safe_io.read_text(path, cap)

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
        runs_dir = self.root / "runs"
        try:
            info = os.lstat(runs_dir)
        except FileNotFoundError:
            return []
        if not stat.S_ISDIR(info.st_mode):
            return []
        found = []
        for entry in sorted(os.scandir(runs_dir), key=lambda e: e.name):
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                continue
            found.append(_read_run(Path(entry.path), entry.name))
        return found

    @property
    def valid_runs(self) -> list[Run]:
        return [r for r in self.runs if r.valid]


def _read_run(folder: Path, run_id: str) -> Run:
    run = Run(run_id)
    for name in ("config", "metrics"):
        path = folder / f"{name}.json"
        try:
            data, truncated = safe_io.read_bytes(path, safe_io.JSON_CAP)
        except FileNotFoundError:
            run.problems.append(f"runs/{run_id}/{name}.json is missing")
            continue
        except (OSError, safe_io.UnsafePath) as exc:
            run.problems.append(f"runs/{run_id}/{name}.json: {exc}")
            continue
        if truncated:
            run.problems.append(f"runs/{run_id}/{name}.json is larger than {safe_io.JSON_CAP} bytes")
            continue
        value, problem = safe_files.load_json(data)  # bounded depth: 100k nested levels is a reason
        if problem:
            run.problems.append(f"runs/{run_id}/{name}.json is {problem}")
            continue
        if not isinstance(value, dict):
            run.problems.append(f"runs/{run_id}/{name}.json is not a JSON object")
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
    listing = safe_io.walk(path)
    sub = Submission(path, path.name, listing.files, listing.skipped)
    if not listing.files:
        raise NotGradable("the folder is empty (no files to grade)")
    return sub


def dotted(mapping: Any, key: str) -> tuple[bool, Any]:
    """Look up ``a.b.c`` in nested dicts; (found, value)."""
    current = mapping
    for part in key.split("."):
        if not isinstance(current, dict) or part not in current:
            return False, None
        current = current[part]
    return True, current
