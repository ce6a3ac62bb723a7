"""Instructor exports: the learner x lesson table as CSV, everything aggregated as JSON.

Neither holds conversation text: exports leave the machine, the turn log does not. Files are
written atomically (temp file + rename), so a reader never sees half an export.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path

CSV_FIELDS = ["learner", "lesson", "status", "attempts", "grade", "submissions", "open_misconceptions",
              "contract_events", "started_at", "submitted_at", "passed_at", "updated_at"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    # A learner id like "=HYPERLINK(...)" must not run as a formula in a spreadsheet.
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(store) -> tuple[str, int]:
    buffer = io.StringIO()
    out = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    out.writeheader()
    rows = store.progress_rows()
    for row in rows:
        out.writerow({k: _cell(row.get(k)) for k in CSV_FIELDS})
    return buffer.getvalue(), len(rows)


def export_data(store) -> dict:
    learners = []
    counts = {c["learner"]: c for c in store.contract_event_counts()}
    for learner in store.learners():
        learners.append({"learner": learner, "profile": store.get_profile(learner),
                         "current_lesson": store.current_lesson(learner),
                         "latest_summary": store.latest_summary(learner),
                         "contract_events": counts.get(learner)})
    return {"exported_at": datetime.now(timezone.utc).isoformat(), "schema_version": store.schema_version,
            "learners": learners, "progress": store.progress_rows(), "cohort": _jsonable(store.cohort_matrix()),
            "frequent_misconceptions": store.frequent_misconceptions(), "submissions": store.submissions()}


def _jsonable(matrix: dict) -> dict:
    return {"lessons": matrix["lessons"],
            "rows": [{"learner": r["learner"], "cells": {str(k): v for k, v in r["cells"].items()}} for r in matrix["rows"]]}


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path``: a new file appears whole or not at all.

    A path that is not a regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written
    into, never replaced: replacing it would turn the device into a file (as root, for every
    program on the machine)."""
    path = Path(path)
    try:
        special = not stat.S_ISREG(os.stat(path).st_mode)
    except FileNotFoundError:
        special = False
    if special:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return path
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_csv(store, path: Path) -> int:
    text, count = csv_text(store)
    write_atomic(path, text)
    return count


def write_json(store, path: Path) -> dict:
    data = export_data(store)
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
    return data
