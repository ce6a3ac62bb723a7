"""debug: from the pasted traceback or symptom, what it means, where to look, what to print
next, and how to make a smaller reproduction."""

from __future__ import annotations

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.compose.scaffold import stub_section
from tutor.agent.debug_parse import MEANING, NEXT_PRINT, parse
from tutor.agent.passages import condense, label


def _stub_of(turn: Turn, diagnosis) -> object | None:
    lab = turn.lab
    if lab is None:
        return None
    names = [f.func for f in reversed(diagnosis.frames)]
    for name in names:
        if lab.stub(name):
            return lab.stub(name)
    text = turn.message
    for stub in lab.stubs:
        if stub.name in text or (stub.todo and stub.todo in text):
            return stub
    return None


def debug(turn: Turn) -> Draft:
    from tutor.agent.compose.answers import answerable_question, plain_question
    from tutor.agent.compose.explain import explain

    if answerable_question(turn):
        return explain(turn)  # a plain question the lesson answers: the answer first, not a checklist
    d = parse(turn.message)
    stub = _stub_of(turn, d)
    parts: list[str] = []
    citations: list[dict] = []
    if d.exc_type:
        where = ""
        if d.innermost:
            where = f" in `{d.innermost.func}` ({d.innermost.file.rsplit('/', 1)[-1]}:{d.innermost.line})"
        message = f": {d.message}" if d.message else ""
        parts.append(f"**What it says:** `{d.exc_type}`{where}{message}")
    categories = d.categories or ["mismatch"]
    main = categories[0]
    parts.append(f"**What it means:** {MEANING[main]}.")
    if main == "shape" and d.shapes:
        parts.append(f"The sizes in the message: {', '.join(dict.fromkeys(d.shapes))}. For each operand, which axis "
                     "is which (heads, time, features)? The one that disagrees is where to look.")
    if main == "none" and stub is not None:
        parts.append(f"Does every path through `{stub.name}` end in a `return`?")
    look = []
    if d.innermost:
        frame = d.innermost
        look.append(f"{frame.file.rsplit('/', 1)[-1]} line {frame.line}, in `{frame.func}`"
                    + (f": `{frame.code}`" if frame.code else ""))
        if len(d.frames) > 1:
            caller = d.frames[-2]
            look.append(f"and the caller at line {caller.line} (`{caller.func}`), which built the inputs")
    if stub is not None:
        look.append(f"your TODO `{stub.name}` (TODO {stub.number}): {stub.decision}")
    if look:
        parts.append("**Where to look:** " + "; ".join(look) + ".")
    parts.append(f"**What to print next:** {NEXT_PRINT[main]}.")
    if stub is not None:
        check = f" on the docstring's example ({stub.check})" if stub.check else " on the smallest input you can compute by hand"
        parts.append(f"**Smaller reproduction:** call `{stub.name}` alone{check}, in a few lines outside the "
                     "starter, and compare with the value you expect.")
        citation, where = stub_section(turn, stub)
        if citation:
            parts.append(f"The idea behind it is in {where}.")
            citations.append(citation)
    else:
        parts.append("**Smaller reproduction:** cut the failing step out into a few lines with tiny made-up inputs "
                     "(2 tokens, 2 heads, 4 features) and the same seed, so it fails in under a second.")
    for extra in categories[1:3]:
        if extra in ("mismatch", "value", "type") or extra == main:
            continue
        parts.append(f"Also possible: {MEANING[extra]}.")
    hits = [h for h in turn.hits if h["lesson"] == turn.lesson and h.get("cos", 1.0) >= 0.35][:1]
    if hits:
        units = condense([hits[0]["text"]], turn.message, max_units=2)[0]
        if units:
            said = f"From the lesson: {' '.join(units)} {label(hits[0]['lesson'], hits[0]['section'])}"
            # a question ("does it learn anything if ...?") gets the course's answer first, the steps after
            parts.insert(0 if plain_question(turn.message) else len(parts), said)
            citations.append(turn.cite(hits[0]))
    parts.append("Paste what the print shows and I'll help you read it.")
    return Draft("\n\n".join(parts), dedupe(citations))
