"""What a lab hands the learner: its TODO stubs (with signatures and docstrings, read with
``ast`` from starter.py), the notes.md template, and the lines the learner already has."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tutor.course.markdown import sections


@dataclass(frozen=True)
class Stub:
    name: str
    params: list[str]
    signature: str  # "def kv_cache_bytes(n_layers: int, ...) -> int:"
    docstring: str
    todo: str  # the NotImplementedError message, e.g. "TODO: the KV-cache size formula"
    line: int  # 1-based line of the def in starter.py
    number: int  # 1-based order among the lab's TODOs
    source: str = ""  # the def exactly as starter.py has it

    def scaffold(self) -> str:
        """The stub as the learner has it: signature, docstring, ``raise NotImplementedError``."""
        if self.source:
            return self.source
        doc = ""
        if self.docstring:
            body = self.docstring.strip("\n")
            indented = "\n".join(("    " + line) if line.strip() else "" for line in body.splitlines())
            doc = '    """' + indented.lstrip() + '\n    """\n' if "\n" in body else f'    """{body}"""\n'
        todo = self.todo or f"TODO: {self.name}"
        return f"{self.signature}\n{doc}    raise NotImplementedError({todo!r})"

    @property
    def check(self) -> str:
        """The docstring's own check line ("Check: ... -> 131072"), if it has one."""
        m = re.search(r"(?:^|\n)\s*(?:check|example|e\.g\.)[:\s]+(.+?)(?:\n\s*\n|$)", self.docstring, re.I | re.S)
        return " ".join(m.group(1).split()) if m else ""

    @property
    def question(self) -> str:
        """A question the docstring itself asks ("What must NOT be recomputed ...?")."""
        found = re.findall(r"([A-Z][^.?!]*\?)", " ".join(self.docstring.split()))
        return found[-1] if found else ""

    @property
    def decision(self) -> str:
        """The decision the TODO names, without its "TODO:" prefix."""
        return re.sub(r"^TODO:?\s*(?:\w+\s+-\s+)?", "", self.todo).strip() or self.name.replace("_", " ")


@dataclass(frozen=True)
class LabView:
    lesson: int
    folder: Path
    stubs: list[Stub]
    given_lines: frozenset[str]
    notes_headings: list[tuple[str, str]] = field(default_factory=list)  # (heading, template guidance)

    @property
    def stub_names(self) -> list[str]:
        return [s.name for s in self.stubs]

    def stub(self, name_or_number: str | int | None) -> Stub | None:
        if name_or_number is None or not self.stubs:
            return None
        if isinstance(name_or_number, int):
            index = len(self.stubs) - 1 if name_or_number == -1 else name_or_number - 1
            return self.stubs[index] if 0 <= index < len(self.stubs) else None
        return next((s for s in self.stubs if s.name == name_or_number), None)

    @property
    def notes_template_lines(self) -> frozenset[str]:
        return frozenset(line for _, text in self.notes_headings for line in text.splitlines() if line.strip())


def _raises_not_implemented(node: ast.AST) -> ast.Raise | None:
    for stmt in ast.walk(node):
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return stmt
    return None


def read_stubs(source: str) -> tuple[list[Stub], frozenset[str]]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return [], frozenset()
    lines = source.splitlines()
    stubs = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        raise_stmt = _raises_not_implemented(node)
        if raise_stmt is None:
            continue
        body_start = node.body[0].lineno
        signature = "\n".join(lines[node.lineno - 1 : body_start - 1]).rstrip()
        if not signature.rstrip().endswith(":"):
            signature = lines[node.lineno - 1]
        todo = ""
        if isinstance(raise_stmt.exc, ast.Call) and raise_stmt.exc.args:
            arg = raise_stmt.exc.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                todo = arg.value
        params = [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
        exact = "\n".join(lines[node.lineno - 1 : (node.end_lineno or node.lineno)])
        stubs.append(Stub(node.name, params, signature, ast.get_docstring(node) or "", todo, node.lineno,
                          len(stubs) + 1, exact))
    given = frozenset(line.strip() for line in lines if len(line.strip()) >= 12)
    return stubs, given


def read_notes_template(text: str) -> list[tuple[str, str]]:
    return [(s.title, s.text) for s in sections(text) if s.level == 2]


@lru_cache(maxsize=64)
def _lab_view(folder: Path, lesson: int, mtime: int) -> LabView:
    starter = folder / "starter.py"
    stubs, given = read_stubs(starter.read_text(encoding="utf-8")) if starter.is_file() else ([], frozenset())
    notes = folder / "notes.md"
    headings = read_notes_template(notes.read_text(encoding="utf-8")) if notes.is_file() else []
    return LabView(lesson, folder, stubs, given, headings)


def lab_view(lesson) -> LabView | None:
    """The lab of a loaded ``Lesson`` (None when the lesson has no lab folder yet)."""
    lab = getattr(lesson, "lab", None)
    if lab is None:
        return None
    starter = lab.path / "starter.py"
    mtime = starter.stat().st_mtime_ns if starter.is_file() else 0
    return _lab_view(lab.path, lesson.id, mtime)
