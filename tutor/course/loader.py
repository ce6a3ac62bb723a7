"""Load a course from disk into validated objects, or report every problem in it."""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tutor.contract import Contract, check_contract
from tutor.course.errors import CourseError, Problem, display_path
from tutor.course.lesson_models import NOTES_SECTIONS, REQUIRED_BODY_SECTIONS, LessonMeta
from tutor.course.markdown import Section, SelfCheck, find_section, sections, self_checks
from tutor.course.rubric_models import DefaultRubric, LessonRubric
from tutor.course.yamlsrc import parse_yaml, split_front_matter, validate

LESSON_FILE = re.compile(r"^lesson_(\d{2})\.md$")
LAB_FILES = ("README.md", "starter.py", "notes.md", "lab.toml")


@dataclass
class Lab:
    lesson: int
    path: Path

    @cached_property
    def todo_stubs(self) -> list[str]:
        """Functions and classes in starter.py the learner must fill in."""
        return todo_stubs((self.path / "starter.py").read_text(encoding="utf-8"))

    @property
    def readme(self) -> Path:
        return self.path / "README.md"

    @property
    def notes_template(self) -> Path:
        return self.path / "notes.md"


@dataclass
class Lesson:
    meta: LessonMeta
    path: Path
    body: str
    body_first_line: int
    sections: list[Section]
    self_checks: list[SelfCheck]
    lab: Lab | None = None

    @property
    def id(self) -> int:
        return self.meta.id

    @property
    def title(self) -> str:
        return self.meta.title

    def section(self, name: str) -> Section | None:
        return find_section(self.sections, name)


@dataclass
class Course:
    root: Path
    contract: Contract
    lessons: dict[int, Lesson]
    default_rubric: DefaultRubric
    rubrics: dict[int, LessonRubric]
    plan_path: Path
    problems: list[Problem] = field(default_factory=list)

    def lesson(self, lesson_id: int) -> Lesson:
        try:
            return self.lessons[lesson_id]
        except KeyError:
            known = ", ".join(str(i) for i in sorted(self.lessons)) or "none"
            raise KeyError(f"no lesson {lesson_id} in this course (lessons: {known})") from None

    def misconception_home(self, misconception_id: str) -> tuple[Lesson, object] | None:
        for lesson in self.lessons.values():
            for m in lesson.meta.misconceptions:
                if m.id == misconception_id:
                    return lesson, m
        return None


def todo_stubs(source: str) -> list[str]:
    """Names of functions whose body raises NotImplementedError (the learner's TODOs)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for stmt in ast.walk(node):
                if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                    exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
                    if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                        names.append(node.name)
                        break
    return names


class _Loader:
    def __init__(self, root: Path, check_labs: bool = True):
        self.root = root
        self.check_labs = check_labs  # False: the tutor's load, which reports no problems (half its time)
        self.problems: list[Problem] = []

    def rel(self, path: Path) -> str:
        return display_path(path, self.root)

    def problem(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(self.rel(path), line, message))

    def load(self) -> Course | None:
        contract, problems = check_contract(self.root / "AGENTS.md", self.rel(self.root / "AGENTS.md"))
        self.problems += problems
        plan = self.root / "curriculum" / "course_plan.md"
        if not plan.is_file():
            self.problem(plan, 1, "course plan missing: write curriculum/course_plan.md")
        default_rubric = self._default_rubric()
        lessons = self._lessons()
        rubrics = self._rubrics(lessons)
        if contract is None or default_rubric is None:
            return None
        return Course(self.root, contract, lessons, default_rubric, rubrics, plan, self.problems)

    # -- lessons ---------------------------------------------------------------------------
    def _lessons(self) -> dict[int, Lesson]:
        lesson_dir = self.root / "curriculum" / "lessons"
        files = sorted(lesson_dir.glob("lesson_*.md")) if lesson_dir.is_dir() else []
        if not files:
            self.problem(lesson_dir, 1, "no lessons found (expected curriculum/lessons/lesson_01.md ...)")
        lessons: dict[int, Lesson] = {}
        for path in files:
            m = LESSON_FILE.match(path.name)
            if not m:
                self.problem(path, 1, "lesson files are named lesson_NN.md (two digits)")
                continue
            lesson = self._lesson(path, int(m.group(1)))
            if lesson is not None:
                lessons[lesson.id] = lesson
        expected = list(range(1, len(lessons) + 1))
        if lessons and sorted(lessons) != expected:
            gaps = sorted(set(range(1, max(lessons) + 1)) - set(lessons))
            self.problem(lesson_dir, 1, f"lessons must be numbered from 1 without gaps; missing {gaps}")
        for lesson in lessons.values():
            for pre in lesson.meta.prerequisites:
                if pre not in lessons or pre >= lesson.id:
                    self.problem(lesson.path, 2, f"prerequisite {pre} must be an earlier lesson of this course")
        return lessons

    def _lesson(self, path: Path, number: int) -> Lesson | None:
        text = path.read_text(encoding="utf-8")
        front, body, body_first = split_front_matter(text)
        if front is None:
            self.problem(path, 1, "no front matter: the file must start with a --- YAML block ---")
            return None
        doc = parse_yaml(front, self.rel(path), line_offset=1)
        meta, problems = validate(doc, LessonMeta)
        self.problems += problems
        if meta is None:
            return None
        if meta.id != number:
            self.problem(path, doc.line_for(("id",)), f"id {meta.id} does not match the file name ({number})")
        secs = sections(body, body_first)
        for required in REQUIRED_BODY_SECTIONS:
            if not any(s.level == 2 and s.title.lower() == required.lower() for s in secs):
                self.problem(path, body_first, f"body lacks the section '## {required}'")
        for i, mc in enumerate(meta.misconceptions):
            if find_section(secs, mc.section) is None:
                line = doc.line_for(("misconceptions", i, "section"))
                self.problem(path, line, f"misconception '{mc.id}' points at missing section '{mc.section}'")
        checks_section = find_section(secs, "Self-check questions")
        checks = self_checks(checks_section.text) if checks_section else []
        if checks_section and len(checks) < 3:
            self.problem(path, checks_section.start, "write at least 3 self-check items as '1. **Q:** ...' + '**A:** ...'")
        for item in checks:
            if not item.answer:
                self.problem(path, checks_section.start, f"self-check '{item.question[:40]}' has no **A:** answer")
        lesson = Lesson(meta, path, body, body_first, secs, checks)
        lab_dir = self.root / "curriculum" / "labs" / meta.lab.folder
        line = doc.line_for(("lab", "folder"))
        if not lab_dir.is_dir():
            self.problem(path, line, f"lab folder curriculum/labs/{meta.lab.folder} does not exist")
        else:
            if self.check_labs:
                self._check_lab(lab_dir, meta.id, path, line)
            lesson.lab = Lab(meta.id, lab_dir)
        return lesson

    def _check_lab(self, lab_dir: Path, lesson_id: int, lesson_path: Path, line: int) -> None:
        for name in LAB_FILES:
            if not (lab_dir / name).is_file():
                self.problem(lab_dir / name, 1, f"lab for lesson {lesson_id} lacks {name}")
        starter = lab_dir / "starter.py"
        if starter.is_file():
            source = starter.read_text(encoding="utf-8")
            try:
                ast.parse(source)
            except SyntaxError as exc:
                self.problem(starter, exc.lineno or 1, f"starter does not parse: {exc.msg}")
            else:
                if not todo_stubs(source):
                    self.problem(starter, 1, "starter has no TODO stub raising NotImplementedError: is it solved?")
                if "--smoke" not in source:
                    self.problem(starter, 1, "starter has no --smoke mode")
        notes = lab_dir / "notes.md"
        if notes.is_file():
            titles = [s.title.lower() for s in sections(notes.read_text(encoding="utf-8"))]
            for wanted in NOTES_SECTIONS:
                if not any(t.startswith(wanted.lower()) for t in titles):
                    self.problem(notes, 1, f"notes template lacks the section '## {wanted}'")
        self._check_lab_checks(lab_dir, starter)
        lab_toml = lab_dir / "lab.toml"
        if lab_toml.is_file():
            try:
                data = tomllib.loads(lab_toml.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                self.problem(lab_toml, _toml_line(exc), f"invalid TOML: {exc}")
            else:
                if data.get("lesson") != lesson_id:
                    self.problem(lab_toml, 1, f"lab.toml must say lesson = {lesson_id}")

    def _check_lab_checks(self, lab_dir: Path, starter: Path) -> None:
        """checks.yaml (when the lab has one) is valid and covers every TODO stub of starter.py."""
        from tutor.checks.spec import CHECKS_FILE, load_checks

        checks, problems = load_checks(lab_dir, self.root)
        self.problems += problems
        if checks is not None and starter.is_file():
            missing = [n for n in todo_stubs(starter.read_text(encoding="utf-8")) if checks.todo(n) is None]
            if missing:
                self.problem(lab_dir / CHECKS_FILE, 1, f"no checks for the TODO(s) {', '.join(missing)} of starter.py")

    # -- rubrics ---------------------------------------------------------------------------
    def _default_rubric(self) -> DefaultRubric | None:
        path = self.root / "rubrics" / "default.yaml"
        if not path.is_file():
            self.problem(path, 1, "default rubric missing (rubrics/default.yaml)")
            return None
        doc = parse_yaml(path.read_text(encoding="utf-8"), self.rel(path))
        rubric, problems = validate(doc, DefaultRubric)
        self.problems += problems
        return rubric

    def _rubrics(self, lessons: dict[int, Lesson]) -> dict[int, LessonRubric]:
        rubrics: dict[int, LessonRubric] = {}
        rubric_dir = self.root / "rubrics"
        for path in sorted(rubric_dir.glob("lesson_*.yaml")) if rubric_dir.is_dir() else []:
            doc = parse_yaml(path.read_text(encoding="utf-8"), self.rel(path))
            rubric, problems = validate(doc, LessonRubric)
            self.problems += problems
            if rubric is None:
                continue
            m = re.match(r"lesson_(\d{2})\.yaml$", path.name)
            if not m or int(m.group(1)) != rubric.lesson:
                self.problem(path, doc.line_for(("lesson",)), "rubric 'lesson' does not match its file name")
            if rubric.lesson not in lessons:
                self.problem(path, doc.line_for(("lesson",)), f"rubric for lesson {rubric.lesson}, which does not exist")
            rubrics[rubric.lesson] = rubric
        for lid, lesson in lessons.items():
            if lid not in rubrics and not any(p.file.endswith(f"lesson_{lid:02d}.yaml") for p in self.problems):
                self.problem(rubric_dir / f"lesson_{lid:02d}.yaml", 1, f"lesson {lid} has no rubric")
        return rubrics


def _toml_line(exc: tomllib.TOMLDecodeError) -> int:
    m = re.search(r"line (\d+)", str(exc))
    return int(m.group(1)) if m else 1


def check_course(root: Path) -> list[Problem]:
    """Every problem in the course at ``root`` (empty when it is sound)."""
    loader = _Loader(root)
    loader.load()
    return sorted(set(loader.problems))


def load_course(root: Path) -> Course:
    """The course at ``root``; raises CourseError listing every problem."""
    loader = _Loader(root)
    course = loader.load()
    if course is None or loader.problems:
        raise CourseError(loader.problems)
    return course
