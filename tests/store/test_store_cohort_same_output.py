"""The instructor side prints the same on the cohort PostgreSQL database as on SQLite: a batch
of `tutor grade` over one folder per learner (a copied submission included), then `tutor
instructor report` (text and JSON), `learner` and `export --csv`, compared line by line with
only times and the folder root masked."""

from __future__ import annotations

import re
import shutil

from tests.grading.grading_support import CALIBRATION, need_lesson
from tests.store.store_support import make_settings
from tests.store.test_store_db_cli import tutor

TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00)?")
FOLDERS = {"alice": "lesson_01_strong", "bob": "lesson_01_weak", "carol": "lesson_01_strong"}  # carol copied alice


def _cohort_outputs(home, root, url) -> dict[str, str]:
    from tutor.store import open_store

    for learner, source in FOLDERS.items():
        shutil.copytree(CALIBRATION / source, root / learner, symlinks=True)
    out = {"grade": tutor(home, "grade", str(root), "--lesson", "1", "--no-judge", "--json", url=url),
           "regrade": tutor(home, "grade", str(root), "--lesson", "1", "--no-judge", "--json", url=url)}
    store = open_store(make_settings(home, database_url=url))
    store.record_misconception("alice", 1, "kv_quadratic", "it grows with n^2")
    store.record_misconception("bob", 1, "kv_quadratic", "quadratic, surely")
    store.record_contract_event("bob", 1, "outsourcing_request", "coach", "give me the code")
    out["report"] = tutor(home, "instructor", "report", url=url)
    out["report_json"] = tutor(home, "instructor", "report", "--json", url=url)
    out["learner"] = tutor(home, "instructor", "learner", "carol", url=url)
    csv = root.parent / f"{root.name}.csv"
    out["export"] = tutor(home, "instructor", "export", "--csv", str(csv), url=url)
    for name, done in out.items():
        assert done.returncode == 0, (name, done.stderr)
    texts = {name: TIME.sub("TIME", done.stdout.replace(str(root), "ROOT")) for name, done in out.items()}
    texts["csv"] = TIME.sub("TIME", csv.read_text())
    for name in ("grade", "regrade"):  # durations differ run to run
        texts[name] = re.sub(r'"duration_s": [0-9.e-]+', '"duration_s": D', texts[name])
    return texts


def test_grading_and_instructor_reports_are_the_same_on_postgres_as_on_sqlite(tmp_path, pg_url):
    need_lesson(1)
    on_sqlite = _cohort_outputs(tmp_path / "home-sqlite", tmp_path / "sqlite" / "cohort", None)
    on_postgres = _cohort_outputs(tmp_path / "home-pg", tmp_path / "pg" / "cohort", pg_url)
    assert "alice   P 100%!" in on_sqlite["report"] and "carol L1: same content as alice" in on_sqlite["report"]
    assert "kv_quadratic x2" in on_sqlite["report"] and "bob: 1 / 0 / 1" in on_sqlite["report"]
    assert '"skipped_unchanged": 3' in on_sqlite["regrade"], on_sqlite["regrade"][:400]
    for name in on_sqlite:
        assert on_postgres[name].splitlines() == on_sqlite[name].splitlines(), name
