"""The learner's lab folder: which one to run or grade, the sandbox run, the self-check.

The learner works in ``labs/lesson_NN/`` under the directory the app was started in (the
README's workflow). Without it, a run uses the shipped starter with ``--smoke``. Neither a
run nor a self-check writes into the learner's folder: the sandbox runs a scratch copy and
the run record goes under TUTOR_HOME/runs; the self-check grades with ``write=False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable


@dataclass(frozen=True)
class LabTarget:
    path: Path
    command: list[str]
    mine: bool  # the learner's own copy (True) or the shipped starter (False)

    @property
    def title(self) -> str:
        where = f"your {self.path.parent.name}/{self.path.name}" if self.mine else f"the shipped starter of {self.path.name}"
        return f"{' '.join(self.command)} in a sandboxed copy of {where}"


def learner_lab(lesson: int | None, cwd: Path | None = None) -> Path:
    from tutor.paths import learner_lab_dir

    return learner_lab_dir(lesson, cwd)


def lab_to_run(course: Any, lesson: int | None, cwd: Path | None = None) -> LabTarget | None:
    mine = learner_lab(lesson, cwd)
    if mine.is_dir() and (mine / "starter.py").is_file():
        return LabTarget(mine, ["python", "starter.py"], True)
    shipped = getattr(course.lessons.get(lesson), "lab", None) if course is not None and lesson is not None else None
    if shipped is not None and (shipped.path / "starter.py").is_file():
        return LabTarget(shipped.path, ["python", "starter.py", "--smoke"], False)
    return None


def run_lab(target: LabTarget, settings: Any, on_output: Callable[[str, str], None], stop: Any = None) -> dict:
    """Run in the sandbox (a scratch copy; the record under TUTOR_HOME/runs) and return the record."""
    import sandbox

    backend = getattr(settings, "sandbox_backend", "auto")
    record = sandbox.run(target.path, target.command, runs_dir=Path(settings.home_dir) / "runs",
                         on_output=on_output, backend=backend, stop=stop)
    return record.to_dict()


def self_check(lesson: int | None, settings: Any, cwd: Path | None = None) -> str:
    """The rubric report of labs/lesson_NN as Markdown; raises FileNotFoundError without the folder."""
    folder = learner_lab(lesson, cwd)
    if lesson is None or not folder.is_dir():
        raise FileNotFoundError(f"No lab folder to grade: expected `labs/lesson_{lesson or 0:02d}/` under "
                                f"`{(cwd or Path.cwd())}`. Copy `curriculum/labs/lesson_{lesson or 0:02d}/` there first.")
    from tutor.grading import grade_folder
    from tutor.grading.report import markdown

    report = grade_folder(folder, lesson=lesson, settings=settings, write=False)
    return markdown(report)
