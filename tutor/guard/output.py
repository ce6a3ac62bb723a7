"""Output guard: may this reply go to the learner, or would it do their lab or notes?

Runs on every reply from every model and from the offline composer. It looks at all the
code a reply holds (fenced, unclosed, loose lines, inline statements, and code tucked into
comments or docstrings) and at the protected notes sections. Violations come back as
``[{"rule", "action", "detail"}]``; an empty list means the reply may go out.

Lines the learner already has verbatim in the lab's ``starter.py`` are not a leak and do
not count (the scaffold composer quotes signatures and docstrings from it).
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import Iterable, Protocol, Sequence

from tutor.guard.code_budget import _is_scaffold_body, runnable_lines, unit_lines
from tutor.guard.code_spans import CodeUnit, all_units, loose_units, parse_code
from tutor.guard.notes import filled_sections, reflection_prose
from tutor.guard.signature import Profile, logic_events, profile

REWRITE = "rewrite_to_coaching"
GENERIC_PARAMS = {"x", "n", "k", "d", "i", "j", "self", "args", "kwargs", "rng", "fn"}


class StubLike(Protocol):
    name: str
    params: list[str]


def _names_and_params(stubs: Sequence[str | StubLike]) -> tuple[set[str], dict[str, list[str]]]:
    names, params = set(), {}
    for stub in stubs:
        if isinstance(stub, str):
            names.add(stub)
        else:
            names.add(stub.name)
            params[stub.name] = [p for p in stub.params if p not in ("self", "cls")]
    return names, params


def _hidden_code(unit: CodeUnit) -> list[CodeUnit]:
    """Code written inside comments and docstrings of a code unit."""
    texts = [m.group(1) for m in re.finditer(r"#\s?(.*)$", unit.code, re.M)]
    tree = parse_code(unit.code)
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                texts.append(node.value.value)
    hidden = "\n".join(texts)
    return loose_units(hidden, []) if hidden.strip() else []


@lru_cache(maxsize=16384)
def _normal(line: str) -> str:
    """One spelling per statement, so a quoted line matches however it is parenthesised."""
    tree = parse_code(line.strip().rstrip(":")) if line.strip() else None
    if tree is None or len(tree.body) != 1:
        return line.strip()
    try:
        return ast.unparse(tree.body[0]).strip()
    except Exception:  # noqa: BLE001
        return line.strip()


def _unparse(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except RecursionError:  # a deeply nested expression: no given line is that deep
        return ""


def _renamed_stub(node, params: dict[str, list[str]]) -> str | None:
    """A def under another name whose parameters are most of a stub's: the stub, renamed."""
    args = {a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs}
    for stub, names in params.items():
        wanted = [p for p in names if p not in GENERIC_PARAMS] or names
        if len(wanted) >= 2 and len(args & set(wanted)) >= max(2, round(0.6 * len(wanted))):
            return stub
    return None


@lru_cache(maxsize=64)
def _profiles(stubs: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[Profile, ...]:
    return tuple(profile(name, params) for name, params in stubs)


_SPAN = re.compile(r"`([^`\n]{8,})`")


def _without_given(reply: str, given: frozenset[str]) -> str:
    """The reply less what the learner already has: whole lines, and quoted spans of them
    ("your line `return np.repeat(kv, group, axis=1)` ...")."""
    if not given:
        return reply
    lines = [("" if line.strip() in given else line) for line in reply.splitlines()]
    text = "\n".join(lines)
    longer = [g for g in given if len(g) >= 12]
    return _SPAN.sub(lambda m: " " if any(m.group(1).strip() in g for g in longer) else m.group(0), text)


@lru_cache(maxsize=32)
def _with_normal_forms(given: frozenset[str]) -> frozenset[str]:
    return given | {_normal(line) for line in given}


def _filled_stubs(tree: ast.AST, names: set[str], params: dict[str, list[str]] | None = None) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            name = getattr(node, "name", None)
            if name in names and not _is_scaffold_body(node.body):
                found.append(name)
            elif params and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_scaffold_body(node.body):
                renamed = _renamed_stub(node, params)
                if renamed:
                    found.append(renamed)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            # kv_cache_bytes = lambda ...: ...
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in names:
                    found.append(target.id)
    return found


def _fragment_of(tree: ast.Module, params: dict[str, list[str]], given: set[str] = frozenset(),
                 hot: set[str] = frozenset()) -> str | None:
    """The stub whose body this top-level code would be, if any.

    A ``return`` of something computed from a stub's parameters is a body; so is a
    statement using most of a stub's (three or more) parameters.
    """
    top = [s for s in tree.body if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                       ast.Import, ast.ImportFrom))
           and not (given and _normal(_unparse(s)) in given)]
    if not top:
        return None
    used = {n.id for s in top for n in ast.walk(s) if isinstance(n, ast.Name)}
    has_return = any(isinstance(n, (ast.Return, ast.Yield)) and getattr(n, "value", None) is not None
                     for s in top for n in ast.walk(s))
    for stub, names in params.items():
        specific = [p for p in names if p not in GENERIC_PARAMS]
        hit = used & set(names)
        if stub in hot and hit & set(specific or names):
            return stub  # the learner is asking for this TODO piece by piece: any line of it is a piece
        if has_return and (hit & set(specific or names) or len(hit) >= 2):
            return stub
        if len(names) >= 3 and len(hit) >= max(3, round(0.6 * len(names))):
            return stub
    return None


def code_events(
    reply: str,
    max_code_lines: int,
    stubs: Sequence[str | StubLike] = (),
    scaffold_markers: Iterable[str] = ("TODO", "NotImplementedError"),
    given_lines: set[str] | frozenset = frozenset(),
    hot_stubs: set[str] | frozenset = frozenset(),
) -> list[dict]:
    names, params = _names_and_params(stubs)
    hot = set(hot_stubs)
    markers = tuple(scaffold_markers)
    events: list[dict] = []
    total = 0
    filled: list[str] = []
    fragments: list[str] = []
    given = _with_normal_forms(frozenset(given_lines))
    pieces: list[ast.stmt] = []  # top-level statements of every unit: a body split over spans
    for unit in all_units(reply):
        if not unit.code.strip():
            continue
        total += unit_lines(unit, markers, given)
        for part in [unit, *_hidden_code(unit)]:
            if part is not unit:
                total += runnable_lines(part.code, markers, given)
            tree = parse_code(part.code)
            if tree is None:
                continue
            filled += _filled_stubs(tree, names, params)
            if params and (fragment := _fragment_of(tree, params, given, hot)):
                fragments.append(fragment)
            if part is unit:
                pieces.extend(tree.body)
    if params and not fragments and len(pieces) > 1:
        # "write `return acc` after `acc = n_layers` and `acc = acc * n_kv_heads`": one body in three spans
        joined = _fragment_of(ast.Module(body=pieces, type_ignores=[]), params, given, hot)
        if joined:
            fragments.append(joined)
    if params or names:
        # the lab's logic in any surface: other languages, prose code, statements in words
        profiles = _profiles(tuple((n, tuple(params.get(n, ()))) for n in sorted(names)))
        by_name = {p.name: n for p, n in zip(profiles, sorted(names))}
        any_filled, any_fragments = logic_events(_without_given(reply, given), profiles)
        filled += [by_name[n] for n in any_filled]
        fragments += [by_name[n] for n in any_fragments if by_name[n] not in filled]
    if filled:
        events.append({"rule": "todo_stub_filled", "action": REWRITE, "detail": ", ".join(sorted(set(filled)))})
    if fragments:
        events.append({"rule": "todo_stub_fragment", "action": REWRITE, "detail": ", ".join(sorted(set(fragments)))})
    if total > max_code_lines:
        events.append({"rule": "max_code_lines", "action": REWRITE, "detail": f"{total} runnable lines > {max_code_lines}"})
    return events


def check_reply(
    reply: str,
    policy,
    stubs: Sequence[str | StubLike] = (),
    *,
    given_lines: set[str] | frozenset = frozenset(),
    notes_template: set[str] | frozenset = frozenset(),
    max_code_lines: int | None = None,
    hot_stubs: set[str] | frozenset = frozenset(),
) -> list[dict]:
    """Violations of the contract in one reply; empty when it may go out.

    ``max_code_lines`` overrides the policy's budget (coaching replies get none at all);
    ``hot_stubs`` are TODOs the learner has just been asking for piece by piece: any code
    line touching their parameters counts as a piece of them.
    """
    budget = policy.max_code_lines if max_code_lines is None else max_code_lines
    markers = getattr(policy, "scaffold_markers", ("TODO", "NotImplementedError"))
    events = code_events(reply, budget, stubs, markers, given_lines, hot_stubs)
    sections = filled_sections(reply, list(policy.protected_notes_sections), notes_template)
    if sections:
        events.append({"rule": "protected_notes_section", "action": REWRITE, "detail": ", ".join(sections)})
    elif reflection_prose(reply, list(policy.protected_notes_sections)):
        events.append({"rule": "reflection_written", "action": REWRITE, "detail": "first-person reflection prose"})
    return events
