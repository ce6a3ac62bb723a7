"""`checks.yaml`: the checks of each TODO function of a lab, validated with file:line errors."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from tutor.course.errors import Problem, display_path
from tutor.course.yamlsrc import parse_yaml, validate

CHECKS_FILE = "checks.yaml"
MAX_TIMEOUT_S = 60.0
ID_PATTERN = r"^[a-z0-9_]+$"


def _compiles(text: str, mode: str, what: str) -> str:
    try:
        compile(text, f"<{what}>", mode)
    except SyntaxError as exc:
        raise ValueError(f"{what} is not valid Python ({exc.msg})") from None
    return text


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=ID_PATTERN, max_length=60)
    call: str
    expect: Optional[str] = None
    property: Optional[str] = None
    setup: Optional[str] = None
    tol: Optional[float] = Field(default=None, ge=0)
    reveal: bool = True
    timeout_s: Optional[float] = Field(default=None, gt=0, le=MAX_TIMEOUT_S)
    hint: str = Field(min_length=1)

    @model_validator(mode="after")
    def _one_comparison(self):
        if (self.expect is None) == (self.property is None):
            raise ValueError("give exactly one of expect and property")
        _compiles(self.call, "eval", "call")
        if self.expect is not None:
            _compiles(self.expect, "eval", "expect")
        if self.property is not None:
            _compiles(self.property, "eval", "property")
        if self.setup:
            _compiles(self.setup, "exec", "setup")
        return self


class Todo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    section: str = Field(min_length=1)
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self):
        ids = [c.id for c in self.checks]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"check ids repeat: {', '.join(dupes)}")
        return self


class ChecksFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout_s: float = Field(default=5.0, gt=0, le=MAX_TIMEOUT_S)
    setup: Optional[str] = None
    todos: list[Todo] = Field(min_length=1)
    # the course lab folder these checks came from: its starter.py gives expect and property
    # their names (never the learner's copy)
    _folder: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique_names(self):
        names = [t.name for t in self.todos]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"TODO names repeat: {', '.join(dupes)}")
        if self.setup:
            _compiles(self.setup, "exec", "setup")
        return self

    @property
    def course_starter(self) -> Path | None:
        return None if self._folder is None else self._folder / "starter.py"

    def todo(self, name: str) -> Todo | None:
        return next((t for t in self.todos if t.name == name), None)

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.todos]


def starter_functions(starter: Path) -> dict[str, int]:
    """Top-level function names of starter.py and their lines (empty when it does not parse)."""
    try:
        tree = ast.parse(starter.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    return {n.name: n.lineno for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def load_checks(lab_dir: Path, root: Path | None = None) -> tuple[ChecksFile | None, list[Problem]]:
    """The lab's checks (None when it has no checks.yaml), and what is wrong with them."""
    path = Path(lab_dir) / CHECKS_FILE
    if not path.is_file():
        return None, []
    shown = display_path(path, root)
    doc = parse_yaml(path.read_text(encoding="utf-8"), shown)
    checks, problems = validate(doc, ChecksFile)
    if checks is None:
        return None, problems
    starter = Path(lab_dir) / "starter.py"
    defined = starter_functions(starter) if starter.is_file() else {}
    for i, todo in enumerate(checks.todos):
        if todo.name not in defined:
            problems.append(Problem(shown, doc.line_for(("todos", i, "name")),
                                    f"todos.{i}.name: starter.py defines no function {todo.name!r}"))
    if problems:
        return None, problems
    checks._folder = Path(lab_dir)
    return checks, problems
