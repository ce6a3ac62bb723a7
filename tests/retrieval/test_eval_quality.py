"""The evaluation set is sound, and hybrid retrieval finds the right lesson for it.

This is a quality test, not a timing test: bench/retrieval.py reports the full table.
"""

from __future__ import annotations

from tests.retrieval.conftest import EVAL_SET, REPO
from tutor.course.markdown import sections
from tutor.retrieval.chunking import load_lessons
from tutor.retrieval.evaluation import evaluate, load_eval_set

WRITTEN_FOR = (1, 2, 3, 4, 5, 6, 7, 8, 13, 14)


def test_eval_set_has_at_least_60_questions_covering_each_lesson():
    items = load_eval_set(EVAL_SET)
    assert len(items) >= 60
    counts = {n: sum(1 for i in items if i.lesson == n) for n in WRITTEN_FOR}
    assert min(counts.values()) >= 5, counts
    assert len({i.question.lower() for i in items}) == len(items), "questions are unique"


def test_every_eval_item_names_a_section_of_its_lesson():
    lessons = load_lessons(REPO)
    for item in load_eval_set(EVAL_SET):
        lesson = lessons[item.lesson]
        titles = {s.title for s in lesson.sections}
        if lesson.lab is not None and lesson.lab.readme.is_file():
            titles |= {s.title for s in sections(lesson.lab.readme.read_text(encoding="utf-8"))}
        assert set(item.sections) & titles, f"{item.question!r}: no section {item.sections} in lesson {item.lesson}"


def test_questions_are_not_copied_headings():
    lessons = load_lessons(REPO)
    for item in load_eval_set(EVAL_SET):
        titles = {s.title.lower() for s in lessons[item.lesson].sections}
        assert item.question.lower().strip("?") not in titles


def test_hybrid_finds_the_lesson_in_the_top_5_for_90_percent(real_retriever):
    scores = evaluate(real_retriever, load_eval_set(EVAL_SET), mode="hybrid", level="lesson")
    assert scores.hit5 >= 0.9, f"hit@5 {scores.hit5:.3f}; missed: {scores.misses}"
