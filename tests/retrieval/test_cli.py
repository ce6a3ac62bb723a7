"""`tutor index` and `tutor search` through the real command line (subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.retrieval.conftest import MINI_COURSE, REPO


def tutor(*args: str, home, course=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "TUTOR_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if course is not None:
        env["TUTOR_COURSE"] = str(course)
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600)


def test_search_json_returns_lesson_1_first_with_lines_that_open_on_the_text(real_retriever, real_home):
    done = tutor("search", "why does BPE merge frequent pairs", "--json", home=real_home)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["query"] == "why does BPE merge frequent pairs"
    assert len(data["results"]) == 5
    first = data["results"][0]
    assert set(first) == {"lesson", "section", "file", "lines", "kind", "score", "text"}
    assert first["lesson"] == 1 and first["file"].startswith("curriculum/")
    lines = (REPO / first["file"]).read_text(encoding="utf-8").splitlines()
    start, end = first["lines"]
    assert 1 <= start <= end <= len(lines)
    if first["kind"] == "misconception":  # cites the section that teaches it
        assert lines[start - 1].lstrip().startswith("#")
    else:
        assert first["text"].splitlines()[0].strip() in lines[start - 1]


def test_index_on_a_current_index_does_nothing(real_retriever, real_home):
    done = tutor("index", home=real_home)
    assert done.returncode == 0, done.stderr
    assert "up to date" in done.stdout


def test_unknown_lesson_is_bad_usage(real_home):
    done = tutor("search", "attention", "--lesson", "99", home=real_home)
    assert done.returncode == 2
    assert "no lesson 99" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unknown_mode_is_bad_usage(real_home):
    done = tutor("search", "attention", "--mode", "fuzzy", home=real_home)
    assert done.returncode == 2 and "unknown --mode" in done.stderr


def test_index_builds_then_rebuild_starts_over(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(MINI_COURSE, course)
    home = tmp_path / "home"
    built = tutor("index", home=home, course=course)
    assert built.returncode == 0, built.stderr
    assert "embedded" in built.stdout and (home / "index" / "manifest.json").is_file()
    rebuilt = tutor("index", "--rebuild", home=home, course=course)
    assert rebuilt.returncode == 0, rebuilt.stderr
    chunks = int(rebuilt.stdout.split("indexed ")[1].split()[0])
    assert f"{chunks} embedded" in rebuilt.stdout and chunks > 0
