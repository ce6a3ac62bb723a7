"""Count the runnable, non-scaffold code a reply contains.

A line counts when it is code that would do work: scaffolding (a ``def`` whose body only
raises NotImplementedError, ``...``/``pass`` bodies, comments, TODO lines, imports and
docstrings) does not. The budget itself is the ``max_code_lines`` knob in AGENTS.md.
"""

from __future__ import annotations

import ast
import re
import textwrap
from dataclasses import dataclass

from tutor.guard.code_spans import CodeUnit, all_units, is_real_statement, parse_code, parseable

FENCED = re.compile(r"^(```|~~~)[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
PYTHONISH = {"", "python", "py", "python3", "ipython", "pycon"}


@dataclass(frozen=True)
class CodeBlock:
    language: str
    code: str
    start: int  # character offset of the fence in the reply
    end: int


def code_blocks(text: str) -> list[CodeBlock]:
    return [CodeBlock(m.group(2).lower(), m.group(3), m.start(), m.end()) for m in FENCED.finditer(text)]


def _is_scaffold_body(body: list[ast.stmt]) -> bool:
    stmts = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(getattr(s, "value", None), ast.Constant))]
    if not stmts:
        return True
    for s in stmts:
        if isinstance(s, ast.Pass):
            continue
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is Ellipsis:
            continue
        if isinstance(s, ast.Raise) and s.exc is not None:
            exc = s.exc.func if isinstance(s.exc, ast.Call) else s.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def _uncounted_lines(tree: ast.AST) -> set[int]:
    """Lines of scaffold stubs, imports and docstrings."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _is_scaffold_body(node.body):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return skip


def _segment(lines: list[str], node: ast.AST) -> str | None:
    """``ast.get_source_segment`` without re-splitting the source for every node (that made a
    long block quadratic)."""
    end_line, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
    if end_line is None or end_col is None:
        return None
    first, last = node.lineno - 1, end_line - 1
    if first == last:
        return lines[first].encode()[node.col_offset:end_col].decode(errors="replace")
    parts = [lines[first].encode()[node.col_offset:].decode(errors="replace"), *lines[first + 1:last],
             lines[last].encode()[:end_col].decode(errors="replace")]
    return "\n".join(parts)


_SCAFFOLD_LINE = re.compile(r"^(?:raise NotImplementedError\b.*|\.\.\.|pass)$")


def runnable_lines(code: str, scaffold_markers: tuple[str, ...] = ("TODO",), given: frozenset | set = frozenset()) -> int:
    """Runnable non-scaffold lines in one block; a block that does not parse counts its
    non-blank, non-comment lines (half-broken code is still code handed over). Lines in
    ``given`` (stripped; the learner already has them verbatim) do not count.

    A scaffold marker only excuses a line that does nothing else (a TODO comment, a
    ``raise NotImplementedError("TODO ...")``): ``x = solve()  # TODO`` still counts.
    """
    code = textwrap.dedent(code)
    lines = code.splitlines()
    statements = 0
    try:
        if not parseable(code):
            raise ValueError("too large to parse")  # counted line by line below
        tree = ast.parse(code)
        skip = _uncounted_lines(tree)
        # "a = 1; b = 2; return a + b" is three lines of work on one line
        statements = sum(1 for node in ast.walk(tree) if isinstance(node, ast.stmt) and not isinstance(
            node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Pass))
            and getattr(node, "lineno", 0) not in skip and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
            and (segment := _segment(lines, node)) is not None
            and segment.strip() not in given)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        skip = set()
    count = 0
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or number in skip or stripped in given:
            continue
        if any(marker in stripped for marker in scaffold_markers) and _SCAFFOLD_LINE.match(stripped):
            continue
        count += 1
    return max(count, statements)


def unit_lines(unit: CodeUnit, scaffold_markers: tuple[str, ...] = ("TODO",), given: frozenset | set = frozenset()) -> int:
    """Runnable lines of one code unit; a block labelled as another language counts only
    when its text is Python doing real work (a label is no disguise)."""
    if unit.kind == "inline":
        return 0 if unit.code.strip() in given else 1
    if unit.kind in ("fenced", "unclosed") and not unit.pythonish:
        tree = parse_code(unit.code)
        if tree is None or not any(is_real_statement(s) for s in tree.body):
            return 0
    return runnable_lines(unit.code, scaffold_markers, given)


def runnable_code_lines(reply: str, scaffold_markers: tuple[str, ...] = ("TODO",)) -> int:
    """Runnable lines over every piece of code in a reply: fenced (closed or not), loose
    lines outside fences and inline statements."""
    return sum(unit_lines(unit, scaffold_markers) for unit in all_units(reply))


def exceeds_code_budget(reply: str, max_code_lines: int, scaffold_markers: tuple[str, ...] = ("TODO",)) -> bool:
    return runnable_code_lines(reply, scaffold_markers) > max_code_lines
