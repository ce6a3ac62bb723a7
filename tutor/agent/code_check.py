""""Check my code" in the conversation: is this turn a request to run the lab's checks, and
running them (in the sandbox, through ``tutor.checks.evaluate``, the code `tutor check` runs).

A turn asks for a check when it pastes a function named like a TODO of a lab ("def
merge_pair(...)"), or says "check my code" / "is my count_pairs right?" / "does my encode
work?". A pasted function is checked on top of the learner's own lab folder when there is one
(so a TODO that calls another finished TODO works), else on top of the shipped starter; without
a paste the learner's lab folder (``labs/lesson_NN``, as `tutor check` finds it) is checked.
``run_check`` blocks (a sandbox run): the graph calls it in a worker thread.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

ASK_ALL = re.compile(
    r"\b(?:check|review|test|look over|go over)\s+my\s+(?:code|functions?|attempts?|implementations?|solutions?|"
    r"lab(?:\s+code)?|todos?|work|starter(?:\.py)?)\b"
    r"|\b(?:run|do)\s+(?:the\s+)?(?:lab'?s?\s+)?checks\b|\bcheck\s+(?:the\s+)?code\s+i\s+(?:wrote|pasted)\b", re.I)
ASK_NAMED = re.compile(
    r"\b(?:is|are)\s+my\s+(?P<a>\w+)\s+(?:right|correct|ok|okay|working|fine|done|good|wrong)\b"
    r"|\bdoes\s+my\s+(?P<b>\w+)\s+(?:work|pass|look right|look correct)\b"
    r"|\b(?:check|review|test)\s+(?:my\s+)?(?P<c>\w+)\b", re.I)
GENERIC = {"code", "function", "functions", "attempt", "implementation", "solution", "lab", "todo", "todos",
           "work", "starter"}
DEF = re.compile(r"(?:^|(?<=[\s:?!.]))def\s+([A-Za-z_]\w*)\s*\(", re.M)
IMPORT_LINE = re.compile(r"^[ \t]*(?:import\s+\w|from\s+[\w.]+\s+import\s)", re.M)
FENCE = re.compile(r"```[ \t]*(?:python|py)?[ \t]*\n(.*?)```", re.S | re.I)
MAX_TRIM_LINES = 8


def pasted_code(message: str) -> str | None:
    """The code of a pasted attempt: the fenced blocks, else everything from the first import
    or ``def`` on (trailing prose dropped when that makes it parse). None without a ``def``."""
    fenced = [block for block in FENCE.findall(message) if DEF.search(block)]
    if fenced:
        return "\n\n".join(textwrap.dedent(block).strip("\n") for block in fenced) + "\n"
    first_def = DEF.search(message)
    if first_def is None:
        return None
    start = first_def.start()
    imports = [m.start() for m in IMPORT_LINE.finditer(message, 0, start)]
    if imports:
        start = min(start, imports[0])
    code = message[start:]
    lines = code.splitlines()
    if not lines:
        return None
    head, rest = lines[0].lstrip(), textwrap.dedent("\n".join(lines[1:]))
    candidates = [code, textwrap.dedent(code), head + "\n" + textwrap.indent(rest, "    ") if rest and not rest.startswith(" ") else ""]
    for candidate in filter(None, candidates):
        body = candidate.splitlines()
        for cut in range(0, min(MAX_TRIM_LINES, len(body) - 1) + 1):
            text = "\n".join(body[: len(body) - cut]).rstrip() + "\n"
            try:
                ast.parse(text)
            except SyntaxError:
                continue
            return text
    return code if code.endswith("\n") else code + "\n"  # the check reports the syntax error itself


def _lesson_of_stub(view, name: str, focus: int | None) -> int | None:
    lab = view.lab(focus)
    if lab is not None and name in lab.stub_names:
        return focus
    return view.stub_lesson(name)


def check_request(message: str, view, focus: int | None) -> dict | None:
    """``{"lesson", "todos", "code"}`` when the turn asks for a check (``todos`` empty: all), else None."""
    names = set(view.all_stub_names)
    code = pasted_code(message)
    if code is not None:
        pasted = [n for n in dict.fromkeys(DEF.findall(code)) if n in names]
        if pasted:
            lesson = _lesson_of_stub(view, pasted[0], focus)
            lab = view.lab(lesson)
            return {"lesson": lesson, "todos": [n for n in pasted if lab and n in lab.stub_names], "code": code}
    named = []
    for match in ASK_NAMED.finditer(message):
        word = next(g for g in match.groups() if g)
        if word in names:
            named.append(word)
        elif word.lower() in GENERIC and match.group("c") is None:
            return {"lesson": focus, "todos": [], "code": None}
    if named:
        lesson = _lesson_of_stub(view, named[0], focus)
        lab = view.lab(lesson)
        return {"lesson": lesson, "todos": [n for n in dict.fromkeys(named) if lab and n in lab.stub_names], "code": None}
    if ASK_ALL.search(message):
        return {"lesson": focus, "todos": [], "code": None}
    return None


def run_check(ctx, request: dict, cwd: Path | None = None) -> dict:
    """Run the lab's checks for a request (blocking: a sandbox run) and record the attempt.
    Returns a plain dict for the reply: todos (TodoResult dicts), the calls of failing checks,
    import_error, sandbox info, timing; or ``problem`` when nothing could be run."""
    from tutor.checks.evaluate import CheckInputError, evaluate
    from tutor.checks.spec import load_checks
    from tutor.paths import learner_lab_dir

    lesson, code, wanted = request.get("lesson"), request.get("code"), list(request.get("todos") or [])
    lab = ctx.view.lab(lesson)
    base = {"lesson": lesson, "source": "paste" if code is not None else "lab", "asked": wanted}
    if lab is None:
        return {**base, "problem": "no_lab"}
    checks, problems = load_checks(lab.folder)
    if problems or checks is None:
        return {**base, "problem": "no_checks"}
    mine = learner_lab_dir(lesson, cwd)
    if code is None and not (mine / "starter.py").is_file():
        return {**base, "problem": "no_lab_dir", "path": f"labs/{mine.name}"}
    folder = mine if (mine / "starter.py").is_file() else lab.folder
    wanted = [n for n in wanted if n in checks.names]
    try:
        evaluation = evaluate(folder, checks, code=code, todo=wanted[0] if len(wanted) == 1 else None,
                              backend=getattr(ctx.settings, "sandbox_backend", "auto"))
    except CheckInputError as exc:
        return {**base, "problem": "input", "detail": str(exc)}
    todos = [t for t in evaluation.todos if not wanted or t.todo in wanted]
    try:
        ctx.store.record_check_attempts(ctx.learner_id, lesson, [t.to_dict() for t in todos],
                                        "chat-paste" if code is not None else "chat")
    except Exception:  # noqa: BLE001 - the learner still gets the result; the history misses one attempt
        pass
    calls = {}
    for t in todos:
        todo = checks.todo(t.todo)
        for check in todo.checks if todo else []:
            if check.id == t.check_id and check.reveal and not check.setup and len(check.call) <= 120:
                calls[t.todo] = check.call
    return {**base, "folder": "mine" if folder == mine else "shipped", "todos": [t.to_dict() for t in todos],
            "calls": calls, "import_error": evaluation.import_error, "sandbox": evaluation.sandbox,
            "timing": evaluation.timing}
