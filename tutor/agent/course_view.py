"""What the agent needs to know about a loaded course, derived once per course.

Lessons, their labs (stubs, notes template), the misconception catalogue with each entry's
home lesson, prerequisite closures and the course vocabulary (to tell a course question from
off-topic chatter).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from tutor.agent.lab import LabView, lab_view
from tutor.agent.stopwords import ENGLISH_STOP_WORDS

# Common English words that say nothing about the course even when its text uses them.
GENERIC = frozenset("""
about above after again against also always another answer anything around because been before being below
best better between both bring call came can cannot come could course does doing done down during each even
every example first from give good great have having help here into just know last like little look made make
many maybe might more most much must need never next night nothing only other over part people place please
pretty really recommend right same should show some something still such sure take tell than thank thanks that
their them then there these they thing things think this those though through time today tomorrow tonight
under until upon very want well were what when where which while who whom whose why will with without work
would write year years your yours yesterday weather good nice best watch movie cook play game won
""".split())


@dataclass(frozen=True)
class CatalogueEntry:
    id: str
    lesson: int
    belief: str
    probe: str
    correction: str
    section: str
    cues: tuple[str, ...]


class CourseView:
    def __init__(self, course):
        self.course = course

    @property
    def lessons(self) -> dict:
        return self.course.lessons

    def has(self, lesson: int | None) -> bool:
        return lesson is not None and lesson in self.course.lessons

    def nearest_lesson(self, lesson: int) -> int:
        return min(self.course.lessons, key=lambda n: (abs(n - lesson), n))

    def lab(self, lesson: int | None) -> LabView | None:
        if not self.has(lesson):
            return None
        try:
            return lab_view(self.course.lessons[lesson])
        except OSError:
            return None

    def stubs(self, lesson: int | None) -> list:
        view = self.lab(lesson)
        return list(view.stubs) if view else []

    @cached_property
    def all_stub_names(self) -> frozenset[str]:
        from tutor.agent.stub_names import all_stub_names

        return all_stub_names(self)

    def stub_lesson(self, name: str) -> int | None:
        for n in sorted(self.course.lessons):
            view = self.lab(n)
            if view and name in view.stub_names:
                return n
        return None

    def prerequisites(self, lesson: int, depth: int = 2) -> list[int]:
        """Direct prerequisites first, then theirs, up to ``depth`` levels, each once."""
        seen: list[int] = []
        frontier = [lesson]
        for _ in range(depth):
            nxt = []
            for n in frontier:
                if not self.has(n):
                    continue
                for p in self.course.lessons[n].meta.prerequisites:
                    if p not in seen and p != lesson and self.has(p):
                        seen.append(p)
                        nxt.append(p)
            frontier = nxt
        return seen

    @cached_property
    def catalogue(self) -> list[CatalogueEntry]:
        entries = []
        for n, lesson in sorted(self.course.lessons.items()):
            for m in lesson.meta.misconceptions:
                entries.append(CatalogueEntry(m.id, n, m.belief, m.probe, m.correction, m.section, tuple(m.cues)))
        return entries

    def entry(self, misconception_id: str) -> CatalogueEntry | None:
        return next((e for e in self.catalogue if e.id == misconception_id), None)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        """Words that mark a message as being about this course."""
        words: set[str] = set()
        for lesson in self.course.lessons.values():
            meta = lesson.meta
            text = " ".join([meta.title, *meta.objectives, *(t.term + " " + t.definition for t in meta.key_terms),
                             *(s.title for s in lesson.sections), *(m.belief for m in meta.misconceptions),
                             meta.lab.summary, *(e.variable for e in meta.lab.experiments)])
            words.update(re.findall(r"[a-z][a-z0-9_\-]{2,}", text.lower()))
        words.update(w.lower() for w in self.all_stub_names)
        words.update({"lab", "lesson", "notes", "starter", "todo", "todos", "rubric", "grade", "quiz", "runs",
                      "experiment", "seed", "seeds", "baseline", "model", "models", "llm", "python", "numpy",
                      "torch", "gpu", "cpu", "tutor", "course", "nemotron", "transformer", "code", "error"})
        return frozenset(w for w in words if w not in GENERIC and w not in ENGLISH_STOP_WORDS and len(w) >= 3)

    def key_terms_citation(self, lesson: int) -> dict | None:
        """Where a lesson's key terms are defined (its front matter), as a citation."""
        if not self.has(lesson):
            return None
        lesson_obj = self.course.lessons[lesson]
        try:
            lines = lesson_obj.path.read_text(encoding="utf-8").splitlines()
            file = lesson_obj.path.resolve().relative_to(self.course.root.resolve()).as_posix()
        except (OSError, ValueError):
            return None
        start = next((i for i, line in enumerate(lines) if line.startswith("key_terms:")), None)
        if start is None:
            return None
        end = next((j for j in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_]+:|^---", lines[j])), len(lines))
        return {"lesson": lesson, "section": "Key terms", "file": file, "lines": [start + 1, end]}

    def lesson_label(self, lesson: int) -> str:
        if self.has(lesson):
            return f"lesson {lesson} ({self.course.lessons[lesson].title})"
        return f"lesson {lesson}"

    def plan_entry(self, lesson: int) -> str:
        """The course plan's paragraph for a lesson (used when the lesson file is not written yet)."""
        try:
            text = self.course.plan_path.read_text(encoding="utf-8")
        except OSError:
            return ""
        m = re.search(rf"\*\*Lesson {lesson}\.(.+?)(?:\n\s*\n|$)", text, re.S)
        return " ".join(("Lesson " + str(lesson) + "." + m.group(1)).split()) if m else ""


_VIEWS: dict[int, CourseView] = {}


def course_view(course) -> CourseView:
    """One view per loaded course object (cheap to ask for again)."""
    view = _VIEWS.get(id(course))
    if view is None or view.course is not course:
        view = _VIEWS[id(course)] = CourseView(course)
    return view
