"""`tutor curriculum check` accepts a sound course and names file:line for each kind of
broken input."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.foundation.conftest import line_of, replace_in
from tutor.cli import app
from tutor.course.errors import CourseError
from tutor.course.loader import check_course, load_course

runner = CliRunner()


def check(root):
    result = runner.invoke(app, ["curriculum", "check", str(root)])
    return result.exit_code, result.stdout


def test_sound_course_passes(mini_course):
    code, out = check(mini_course)
    assert code == 0, out
    assert "ok: 1 lessons, 1 labs, 1 rubrics" in out


def test_loaded_course_exposes_lesson_lab_and_rubric(mini_course):
    course = load_course(mini_course)
    lesson = course.lesson(1)
    assert lesson.title == "Counting tokens"
    assert lesson.lab.todo_stubs == ["count_tokens"]
    assert [s.question for s in lesson.self_checks][0] == "Is a token a word?"
    section = lesson.section("Case changes tokens")
    text = lesson.path.read_text().splitlines()
    assert text[section.start - 1] == "### Case changes tokens"
    assert course.rubrics[1].weights["reflection"] == 0.2
    assert course.contract.policy.max_code_lines >= 0


def test_invalid_yaml_in_front_matter(mini_course):
    lesson = mini_course / "curriculum/lessons/lesson_01.md"
    replace_in(lesson, "title: Counting tokens", "title: [Counting tokens")
    code, out = check(mini_course)
    assert code == 2
    assert "curriculum/lessons/lesson_01.md:" in out and "invalid YAML" in out
    reported = int(out.split("lesson_01.md:")[1].split(":")[0])
    assert abs(reported - line_of(lesson, "title: [Counting")) <= 1


def test_missing_required_field_names_the_field_and_line(mini_course):
    lesson = mini_course / "curriculum/lessons/lesson_01.md"
    replace_in(lesson, "    probe: Do \"Hello\" and \"hello\" map to the same token id?\n", "")
    code, out = check(mini_course)
    assert code == 2
    line = line_of(lesson, "id: case-does-not-matter")
    assert f"curriculum/lessons/lesson_01.md:{line}: misconceptions.1: missing required field 'probe'" in out


def test_unknown_rubric_criterion(mini_course):
    rubric = mini_course / "rubrics/lesson_01.yaml"
    replace_in(rubric, "    criterion: reproducibility", "    criterion: vibes")
    code, out = check(mini_course)
    assert code == 2
    assert f"rubrics/lesson_01.yaml:{line_of(rubric, 'criterion: vibes')}: checks.1" in out
    assert "criterion: Input should be 'conceptual_clarity'" in out


def test_unknown_criterion_in_weights(mini_course):
    rubric = mini_course / "rubrics/lesson_01.yaml"
    replace_in(rubric, "  reflection: 0.2\nchecks", "  reflection: 0.2\n  charisma: 0.0\nchecks")
    code, out = check(mini_course)
    assert code == 2
    assert f"rubrics/lesson_01.yaml:{line_of(rubric, 'charisma')}:" in out


def test_lesson_naming_a_missing_lab_folder(mini_course):
    lesson = mini_course / "curriculum/lessons/lesson_01.md"
    replace_in(lesson, "folder: lesson_01", "folder: lesson_07")
    code, out = check(mini_course)
    assert code == 2
    line = line_of(lesson, "folder: lesson_07")
    assert f"curriculum/lessons/lesson_01.md:{line}: lab folder curriculum/labs/lesson_07 does not exist" in out


def test_malformed_policy_block(mini_course):
    agents = mini_course / "AGENTS.md"
    replace_in(agents, "max_code_lines: 8", "max_code_lines: lots")
    code, out = check(mini_course)
    assert code == 2
    assert f"AGENTS.md:{line_of(agents, 'max_code_lines: lots')}: max_code_lines:" in out


def test_policy_block_with_yaml_syntax_error(mini_course):
    agents = mini_course / "AGENTS.md"
    replace_in(agents, "refused_intents: [solution_request, report_request]", "refused_intents: [solution_request")
    code, out = check(mini_course)
    assert code == 2
    assert "AGENTS.md:" in out and "invalid YAML" in out


def test_missing_policy_block(mini_course):
    agents = mini_course / "AGENTS.md"
    replace_in(agents, "```yaml tutor-policy", "```yaml")
    code, out = check(mini_course)
    assert code == 2
    assert "AGENTS.md:1: no ```yaml tutor-policy block" in out


def test_misconception_pointing_at_missing_section(mini_course):
    lesson = mini_course / "curriculum/lessons/lesson_01.md"
    replace_in(lesson, "section: Case changes tokens", "section: Nowhere to be found")
    problems = check_course(mini_course)
    assert any("missing section 'Nowhere to be found'" in p.message for p in problems)


def test_solved_starter_is_rejected(mini_course):
    starter = mini_course / "curriculum/labs/lesson_01/starter.py"
    replace_in(starter, 'raise NotImplementedError("TODO: count tokens")', "return len(text.split())")
    problems = check_course(mini_course)
    assert [p.message for p in problems] == ["starter has no TODO stub raising NotImplementedError: is it solved?"]


def test_missing_body_section(mini_course):
    lesson = mini_course / "curriculum/lessons/lesson_01.md"
    replace_in(lesson, "## Going further", "## Further reading")
    problems = check_course(mini_course)
    assert any("'## Going further'" in p.message for p in problems)


def test_load_course_raises_with_every_problem(mini_course):
    replace_in(mini_course / "rubrics/lesson_01.yaml", "reflection: 0.2", "reflection: 0.3")
    replace_in(mini_course / "curriculum/labs/lesson_01/lab.toml", "lesson = 1", "lesson = 2")
    with pytest.raises(CourseError) as info:
        load_course(mini_course)
    messages = " | ".join(p.message for p in info.value.problems)
    assert "sum to 1.0" in messages and "lab.toml must say lesson = 1" in messages


def test_check_of_a_path_that_is_not_a_directory(tmp_path):
    code, _ = check(tmp_path / "nope")
    assert code == 2
