"""'Where we left off' names the lesson of a topic or TODO that belongs to another lesson, so a
learner on lesson 1 who asked about lesson 9 is not told lesson 9's TODO is lesson 1's."""

from __future__ import annotations

import pytest

from tutor.agent.course_view import course_view
from tutor.agent.memory import where_left_off
from tutor.course.loader import load_course
from tutor.paths import course_root


@pytest.fixture(scope="module")
def view():
    return course_view(load_course(course_root()))


def test_topics_and_todos_of_another_lesson_name_that_lesson(view):
    stub = view.stubs(9)[0].name
    thread = {"topics": ["L9 Temperature, top-k and top-p", "L1 Byte-pair encoding, step by step"],
              "requested_stubs": [stub]}
    text = where_left_off(view, 1, thread)
    assert "Temperature, top-k and top-p (lesson 9)" in text
    assert "and Byte-pair encoding, step by step." in text
    assert "(lesson 1)" not in text
    assert f"You asked me for the lesson 9 TODO `{stub}`" in text
    assert "working on" not in text  # asking for a TODO is not having started it (issue 15)


def test_this_lessons_todo_is_named_plainly(view):
    stub = view.stubs(1)[0].name
    text = where_left_off(view, 1, {"topics": ["L1 Byte-pair encoding, step by step"], "scaffolded": [stub]})
    assert text == (f"Lesson 1 ({view.lessons[1].title}): We last looked at Byte-pair encoding, step by step. "
                    f"You asked about the TODO `{stub}` and got its scaffold; I have not seen your attempt.")


def test_the_recap_quotes_the_learners_question_and_the_open_question(view):
    thread = {"history": [{"role": "user", "content": "why is the cache so big?"}, {"role": "assistant", "content": "..."}],
              "topics": ["L7 The KV-cache memory formula"], "quiz": {"kind": "self-check", "lesson": 7, "index": 0}}
    text = where_left_off(view, 7, thread)
    assert 'You last asked: "why is the cache so big?" (we read § The KV-cache memory formula).' in text
    assert f'The open question: "{view.lessons[7].self_checks[0].question}"' in text
