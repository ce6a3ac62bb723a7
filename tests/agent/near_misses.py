"""Wrong attempts one token away from the reference (tests/course), for the code-check tests.

The distance is counted on Python tokens of the TODO function alone (comments and layout
ignored): an attempt at distance <= 2 differs from the reference by one operator, name or
number (``<`` for ``<=``, ``- 1`` dropped). The reference is what no reply may contain.
"""

from __future__ import annotations

import ast
import difflib
import io
import tokenize
from pathlib import Path

COURSE_TESTS = Path(__file__).resolve().parents[1] / "course"
SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
        tokenize.ENDMARKER}


def functions(source: str) -> dict[str, str]:
    tree = ast.parse(source)
    return {node.name: ast.get_source_segment(source, node) for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def tokens(source: str) -> list[str]:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in SKIP]


def distance(a: str, b: str) -> int:
    ta, tb = tokens(a), tokens(b)
    ops = difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in ops if op != "equal")


def attempts(lesson: int) -> list[dict]:
    namespace: dict = {}
    exec((COURSE_TESTS / "wrong_attempts" / f"lesson_{lesson:02d}.py").read_text(encoding="utf-8"), namespace)
    return list(namespace["ATTEMPTS"])


def reference_functions(lesson: int) -> dict[str, str]:
    return functions((COURSE_TESTS / "references" / f"lesson_{lesson:02d}.py").read_text(encoding="utf-8"))


def near_misses(lesson: int, max_tokens: int = 2) -> list[dict]:
    """The attempts of a lesson at most ``max_tokens`` tokens from the reference, with it."""
    refs = reference_functions(lesson)
    out = []
    for attempt in attempts(lesson):
        mine = functions(attempt["code"]).get(attempt["todo"])
        ref = refs.get(attempt["todo"])
        if mine and ref and distance(mine, ref) <= max_tokens:
            out.append({**attempt, "function": mine, "reference": ref, "lesson": lesson})
    return out


def learner_lab(root: Path, *functions: str, lesson: int = 1) -> Path:
    """``root/labs/lesson_NN``: a copy of the shipped lab whose starter.py ends with ``functions``
    (defined after the stubs, so the learner's versions win on import)."""
    import shutil

    lab = root / "labs" / f"lesson_{lesson:02d}"
    shutil.copytree(COURSE_TESTS.parents[1] / "curriculum" / "labs" / f"lesson_{lesson:02d}", lab)
    starter = lab / "starter.py"
    starter.write_text(starter.read_text() + "".join("\n\n" + f for f in functions))
    return lab


def first_attempt(lesson: int, todo: str) -> dict:
    return next(a for a in attempts(lesson) if a["todo"] == todo)
