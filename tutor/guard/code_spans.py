"""Every piece of code a reply holds, fenced or not.

A model can hand over code in a fenced block, in a fence it never closes, as plain or
indented lines between paragraphs, or inside inline backticks. The guard must see all of
them, so this module finds each one as a ``CodeUnit`` with the text that would run.
"""

from __future__ import annotations

import ast
import html
import re
import textwrap
from dataclasses import dataclass

FENCE_OPEN = re.compile(r"^[ \t]*(```+|~~~+)[ \t]*([\w+.-]*)[^\n]*$")
PYTHONISH = {"", "python", "py", "python3", "ipython", "pycon", "numpy"}

# A line that starts like Python code does (statements, assignments, calls, decorators).
_CODE_START = re.compile(
    r"^\s*(?:def |class |async def |return\b|yield\b|raise\b|assert\b|import \w|from [\w.]+ import |"
    r"for .+:|while .+:|if .+:|elif .+:|else\s*:|try\s*:|except\b.*:|finally\s*:|with .+:|@\w|"
    r"print\(|lambda\b|pass\s*$|break\s*$|continue\s*$|>>> )"
)
_ASSIGN = re.compile(
    r"^\s*[A-Za-z_][\w.]*(?:\[[^\]]*\])?(?:\s*,\s*[A-Za-z_][\w.]*(?:\[[^\]]*\])?)*\s*"
    r"(?::\s*[\w\[\], .|]+)?(?:=|\+=|-=|\*=|/=|//=|@=|\*\*=|%=)(?!=)\s*\S"
)
_CALL = re.compile(r"^\s*[A-Za-z_][\w.]*\(.*\)\s*[;]?\s*$")
_INLINE = re.compile(r"(?<!`)`([^`\n]{3,})`(?!`)|<code>([^<\n]{3,})</code>", re.I)


@dataclass(frozen=True)
class CodeUnit:
    kind: str  # "fenced" | "unclosed" | "loose" | "inline"
    language: str
    code: str
    start: int  # character offsets into the reply
    end: int

    @property
    def pythonish(self) -> bool:
        return self.language in PYTHONISH


def _line_offsets(text: str) -> list[tuple[int, str]]:
    offsets, pos = [], 0
    for line in text.splitlines(keepends=True):
        offsets.append((pos, line.rstrip("\n").rstrip("\r")))
        pos += len(line)
    return offsets


_PRE = re.compile(r"<pre[^>]*>(?:\s*<code[^>]*>)?(.*?)(?:</code>\s*)?(?:</pre>|$)", re.S | re.I)


def fenced_units(text: str) -> tuple[list[CodeUnit], list[tuple[int, int]]]:
    """Fenced blocks (and a trailing fence never closed) plus the line ranges they cover.
    HTML ``<pre>`` blocks are fences too."""
    units: list[CodeUnit] = []
    covered: list[tuple[int, int]] = []
    for m in _PRE.finditer(text):
        units.append(CodeUnit("fenced", "", html.unescape(m.group(1)), m.start(), m.end()))
        covered.append((text.count("\n", 0, m.start()), text.count("\n", 0, m.end())))
    lines = _line_offsets(text)
    i = 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i][1])
        if not m:
            i += 1
            continue
        fence, language = m.group(1), m.group(2).lower()
        j = i + 1
        while j < len(lines) and not lines[j][1].strip().startswith(fence[:3]):
            j += 1
        body = "\n".join(line for _, line in lines[i + 1 : j])
        end = lines[j][0] + len(lines[j][1]) if j < len(lines) else len(text)
        units.append(CodeUnit("fenced" if j < len(lines) else "unclosed", language, body, lines[i][0], end))
        covered.append((i, min(j, len(lines) - 1)))
        i = j + 1
    return units, covered


def looks_like_code(line: str) -> bool:
    stripped = line.strip()
    if not stripped or stripped.startswith(("#", "- ", "* ", "> ")) and not stripped.startswith(">>> "):
        return False
    return bool(_CODE_START.match(line) or _ASSIGN.match(line) or _CALL.match(line))


def is_real_statement(node: ast.stmt) -> bool:
    """A statement that does work: not a bare name, constant, docstring or ``pass``."""
    if isinstance(node, ast.Pass):
        return False
    if isinstance(node, ast.Expr):
        return isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.BinOp, ast.Lambda))
    return True


# Python's parser needs memory and recursion in proportion to nesting: a 10 KB single line can
# raise MemoryError or RecursionError. Text past these sizes is not parsed; the signature scan
# (tutor/guard/signature.py), which is linear, still reads all of it.
MAX_PARSE_CHARS = 20_000
MAX_PARSE_LINE = 2_000


def parseable(code: str) -> bool:
    return len(code) <= MAX_PARSE_CHARS and all(len(line) <= MAX_PARSE_LINE for line in code.splitlines())


def parse_code(code: str) -> ast.Module | None:
    if not parseable(code):
        return None
    try:
        return ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parseable_lines(lines: list[str]) -> list[str]:
    """Lines of a run that parse one by one (a compound header with a stub body counts)."""
    kept = []
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        candidates = [stripped, stripped + "\n    pass"] if stripped.endswith(":") else [stripped]
        for candidate in candidates:
            tree = parse_code(candidate)
            if tree is not None and tree.body and any(is_real_statement(s) for s in tree.body):
                kept.append(stripped)
                break
    return kept


def loose_units(text: str, covered: list[tuple[int, int]] | None = None) -> list[CodeUnit]:
    """Runs of lines outside fences that parse as Python statements doing real work."""
    lines = _line_offsets(text)
    if covered is None:
        covered = fenced_units(text)[1]
    inside = set()
    for a, b in covered:
        inside.update(range(a, b + 1))
    units: list[CodeUnit] = []
    run: list[int] = []

    def flush() -> None:
        while run and not lines[run[-1]][1].strip():
            run.pop()
        if not run:
            return
        raw = [lines[k][1] for k in run]
        code = textwrap.dedent("\n".join(raw))
        tree = parse_code(code)
        if tree is not None and any(is_real_statement(s) for s in tree.body):
            body = code
        else:
            body = "\n".join(_parseable_lines(raw))
        if body.strip():
            start = lines[run[0]][0]
            units.append(CodeUnit("loose", "", body, start, lines[run[-1]][0] + len(lines[run[-1]][1])))
        run.clear()

    for k, (_, line) in enumerate(lines):
        if k in inside:
            flush()
            continue
        if looks_like_code(line):
            run.append(k)
        elif run and (not line.strip() or (line[:1] in " \t" and line.strip())):
            # blank lines and indented continuation lines belong to the run until it ends
            run.append(k)
        else:
            flush()
    flush()
    return units


def inline_units(text: str, covered: list[tuple[int, int]] | None = None) -> list[CodeUnit]:
    """Inline `code` spans that are statements (assignments, returns), not just names."""
    units = []
    fenced = fenced_units(text)[0] if covered is None else []
    for m in _INLINE.finditer(text):
        if any(u.start <= m.start() < u.end for u in fenced):
            continue
        span = html.unescape(m.group(1) or m.group(2)).strip()
        tree = parse_code(span)
        if tree is None or not tree.body:
            continue
        if any(isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.FunctionDef,
                              ast.For, ast.While, ast.If, ast.With)) for s in tree.body):
            units.append(CodeUnit("inline", "", span, m.start(), m.end()))
    return units


def all_units(text: str) -> list[CodeUnit]:
    fenced, covered = fenced_units(text)
    loose = loose_units(text, covered)
    inline = [u for u in inline_units(text) if not any(f.start <= u.start < f.end for f in fenced + loose)]
    return fenced + loose + inline
