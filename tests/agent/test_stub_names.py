"""Every lab's stub names come from the disk cache when the starters are unchanged, and are
parsed again when one changes or the cache is damaged; the result equals a fresh parse."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import REPO
from tutor.agent import stub_names, vector_cache
from tutor.agent.course_view import course_view
from tutor.course.loader import load_course


def parsed(view) -> frozenset[str]:
    return frozenset(n for number in view.lessons for n in (view.lab(number).stub_names if view.lab(number) else []))


@pytest.fixture
def course(tmp_path, monkeypatch):
    root = tmp_path / "course"
    shutil.copytree(REPO / "curriculum", root / "curriculum")
    for name in ("AGENTS.md", "rubrics"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    monkeypatch.setattr(vector_cache, "CACHE_DIR", tmp_path / "cache")
    return root


def test_names_equal_a_fresh_parse_and_are_cached(course, tmp_path, monkeypatch):
    view = course_view(load_course(course))
    names = view.all_stub_names
    assert names == parsed(view) and "count_pairs" in names and len(names) > 30
    cache = tmp_path / "cache" / stub_names.NAME
    assert cache.is_file()
    calls = []
    monkeypatch.setattr(type(view), "lab", lambda self, n: calls.append(n))
    assert stub_names.all_stub_names(view) == names and calls == []  # nothing parsed again


def test_a_changed_starter_is_parsed_again(course, monkeypatch):
    starter = course / "curriculum" / "labs" / "lesson_01" / "starter.py"
    assert course_view(load_course(course)).all_stub_names  # fills the cache
    starter.write_text(starter.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    view = course_view(load_course(course))
    real_lab, calls = type(view).lab, []
    monkeypatch.setattr(type(view), "lab", lambda self, n: calls.append(n) or real_lab(self, n))
    names = stub_names.all_stub_names(view)
    assert calls == [1]  # only the edited lab is parsed again
    monkeypatch.undo()
    assert names == parsed(view)


@pytest.mark.parametrize("damage", ["not json", "[1, 2]", '{"x": {"sig": "a", "names": [1]}}', "big"])
def test_a_damaged_cache_is_recomputed(course, tmp_path, damage):
    cache = tmp_path / "cache" / stub_names.NAME
    cache.parent.mkdir(parents=True)
    cache.write_text("x" * (stub_names.MAX_BYTES + 10) if damage == "big" else damage, encoding="utf-8")
    view = course_view(load_course(course))
    assert view.all_stub_names == parsed(view)
    assert isinstance(json.loads(cache.read_text(encoding="utf-8")), dict)


def test_a_forged_entry_for_an_unchanged_starter_is_not_trusted_after_an_edit(course, tmp_path):
    view = course_view(load_course(course))
    assert view.all_stub_names
    cache = tmp_path / "cache" / stub_names.NAME
    data = json.loads(cache.read_text(encoding="utf-8"))
    key = next(k for k in data if "lesson_01" in k)
    data[key]["names"] = ["forged"]
    data[key]["sig"] = [0, 0]  # no longer the starter's size and time
    cache.write_text(json.dumps(data), encoding="utf-8")
    again = course_view(load_course(course))
    assert "forged" not in again.all_stub_names and again.all_stub_names == parsed(again)
