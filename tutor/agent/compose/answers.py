"""The direct answer a reply opens with, by question type.

definition ("what is X"): the key term's definition. comparison ("X vs Y", "when would I
pick"): both definitions and the lesson's "use X when ..." line. quantity ("how much memory
for ..."): the lesson's worked example scaled to the learner's figure, else the closest
self-check answer. mechanism ("why/how"): the closest self-check answer or misconception
correction, else the named term's definition. orientation ("where do I start") and the open question have replies of their own.
Everything is the course's own text, cited; the composer adds the supporting passage after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.agent.compose.authored import ANSWER_COS, AuthoredIndex, first_sentences
from tutor.agent.compose.base import Draft, Turn
from tutor.agent.passages import label, units

ORIENTATION = re.compile(
    r"\bwhere (?:do|should|can) i (?:start|begin)\b(?!.{0,30}\b(?:lab|todo|starter|code)\b)|\bdo i need (?:a lot of |much |the )?math|"
    r"\bhow much math|\b(?:total |complete |absolute )?beginner here\b|\bnew to (?:ml|machine learning|python|this)\b|"
    r"\bno ml\b|\bwhat should i (?:read|know|learn) (?:before|first)\b|\bprerequisites?\b", re.I)
OPEN_QUESTION = re.compile(r"\b(?:the|that|your) (?:open |last )?question\b.{0,30}\b(?:was|again|asked)\b|"
                           r"\bwhat was the (?:open |last )?question\b|\bwhat did you ask me\b", re.I)
COMPARISON = re.compile(r"\bvs\.?\b|\bversus\b|\bor\b.{0,40}\b(?:which|when|how do i choose)\b|"
                        r"\bwhen would i (?:pick|use|choose)\b|\bwhich (?:one|should i)\b|\bdifference between\b|"
                        r"\bhow is .{2,30} different from\b|\bcompared? (?:to|with)\b", re.I)
QUANTITY = re.compile(r"\bhow (?:much|many|big|large|long)\b|\broughly\b|\bcompute\b|\bcalculate\b|"
                      r"\bwhat'?s my\b|\bbytes?\b", re.I)
DEFINITION = re.compile(r"\bwhat(?:'s| is| are|s| even is| exactly is)\b|\bi (?:don'?t|do not) (?:get|understand)\b|\bconfused (?:about|by)\b|\bwhat does .{1,40} (?:mean|do)\b|\bdefine\b|\bmeaning of\b|"
                        r"\bin (?:plain|simple|normal) (?:words|terms)\b|\bnutshell\b", re.I)
WHAT_ASK = re.compile(r"^\W*(?:what|which|tell me about|explain)\b", re.I)
CHOICE_LINE = re.compile(r"\b(?:use|prefer|choose|pick|when|instead|trade-?off|compromise|better|cheaper|worse)\b", re.I)
LEANS_ON_QUESTION = re.compile(r"^(?:it|its|they|their|this|that|these|those|so|because|yes|no|not|both|neither|the same)\b", re.I)
TOKENS = re.compile(r"(\d[\d,.]*)\s*(k|m)?\s*(?:tokens?|positions?)\b", re.I)


def answerable_question(turn: Turn) -> bool:
    """A plain question (not a report of the learner's own run) whose answer the lesson authored:
    answered first even when the words sent it to the debug or design composer."""
    text = turn.message.strip()
    if not plain_question(text) or re.search(r"\bmy (?:code|run|runs|loss|output|results?)\b", text, re.I):
        return False
    if question_type(text) == "definition" and _names_key_term(turn):
        return True  # "what is an ablation in the capstone" wants the term, not an experiment plan
    found = AuthoredIndex.for_turn(turn).search(text, turn.vector, [turn.lesson])
    return bool(found) and found[0][0] >= ANSWER_COS + 0.05


def _names_key_term(turn: Turn) -> bool:
    from tutor.agent.compose.explain import key_terms

    return bool(key_terms(turn, turn.message))


def plain_question(text: str) -> bool:
    """A question in one line ("is something broken?"), not a pasted traceback or log."""
    text = text.strip()
    if "\n" in text or re.search(r"traceback|error:", text, re.I):
        return False
    return text.endswith("?") or bool(re.match(r"^\s*(?:why|how|what|when|which|does|do|is|are|if)\b", text, re.I))


def question_type(message: str) -> str:
    text = message.strip()
    if OPEN_QUESTION.search(text):
        return "open-question"
    if ORIENTATION.search(text):
        return "orientation"
    if COMPARISON.search(text):
        return "comparison"
    if QUANTITY.search(text) and (re.search(r"\d", text) or re.search(r"\bmemory|params|parameters|bytes\b", text, re.I)):
        return "quantity"
    if DEFINITION.search(text) and not re.match(r"^\s*(?:why|how)\b", text, re.I):
        return "definition"
    return "mechanism"


@dataclass
class Answer:
    text: str = ""
    citations: list[dict] = field(default_factory=list)
    sections: list[tuple[int, str]] = field(default_factory=list)
    used: frozenset[str] = frozenset()  # quiz keys of the items the answer gave away


def _term_lines(turn: Turn, terms: list[tuple[str, str, int]], out: "Answer") -> list[str]:
    lines = []
    for term, definition, n in terms:
        lines.append(f"**{term}**: {definition} [L{n} § Key terms]")
        citation = turn.view.key_terms_citation(n)
        if citation and citation not in out.citations:
            out.citations.append(citation)
    return lines


def direct_answer(turn: Turn, kind: str, hits: list[dict]) -> Answer:
    from tutor.agent.compose.explain import key_terms

    lessons = list(dict.fromkeys([turn.lesson, *(h["lesson"] for h in hits[:3])]))
    out = Answer()
    lines: list[str] = []
    if kind in ("definition", "comparison") or turn.experience == "beginner" or WHAT_ASK.search(turn.message):
        lines += _term_lines(turn, key_terms(turn, turn.message, lessons)[:3 if kind == "comparison" else 2], out)
    if kind == "definition" and not lines:
        intro = lesson_intro(turn, lessons)
        if intro:
            lines.append(intro[0])
            out.citations.append(intro[1])
            # "i don't get attention": the lesson's topic in one sentence, then its first key term,
            # which the course authors put first because everything else is built from it
            core = turn.view.lessons[intro[2]].meta.key_terms[:1]
            lines += _term_lines(turn, [(t.term, t.definition, intro[2]) for t in core], out)
    if kind == "comparison":
        choice = _choice_line(turn, hits)
        if choice:
            lines.append(choice[0])
            out.citations.append(choice[1])
    if kind == "quantity":
        worked = worked_example(turn, hits)
        if worked:
            lines.insert(0, worked[0])
            out.citations.append(worked[1])
    if not lines or kind in ("mechanism", "quantity"):
        found = AuthoredIndex.for_turn(turn).search(turn.message, turn.vector, lessons)
        if found and found[0][0] >= ANSWER_COS and not (kind == "quantity" and lines):
            score, item = found[0]
            # "why/how" gets the authored answer first; "what does X ..." gets X's definition first
            at = len(lines) if lines and WHAT_ASK.search(turn.message) else 0
            citation, where = turn.section_citation(item.lesson, item.section)
            if item.kind == "self-check":
                said = first_sentences(item.answer, 3)
                if LEANS_ON_QUESTION.match(said):  # "It appears in almost every document" needs its question
                    said = f"*{item.asks}* {said}"
                lines.insert(at, f"{said} {where}".strip())
                out.used = frozenset({f"{item.lesson}:{item.index}"})
            else:
                lines.insert(at, f"{first_sentences(item.answer, 2)} {where}".strip())
                entry = next((e for e in turn.view.catalogue if e.correction == item.answer), None)
                out.used = frozenset({f"probe:{entry.id}"}) if entry else frozenset()
            if citation:
                out.citations.append(citation)
                out.sections.append((item.lesson, item.section))
        elif kind == "mechanism" and not lines:
            # "how does bpe decide what to merge" with no authored answer: what the named term is, first
            lines += _term_lines(turn, key_terms(turn, turn.message, lessons)[:1], out)
    out.text = "\n".join(f"- {line}" if len(lines) > 1 else line for line in lines)
    return out


def lesson_intro(turn: Turn, lessons: list[int]) -> tuple[str, dict, int] | None:
    """"I don't get attention": the opening sentences of the lesson named by the question."""
    from tutor.agent.passages import words

    asked = set(words(turn.message)) - {"get", "don", "understand", "even", "really", "confused", "mean", "means"}
    if not asked or len(asked) > 3:
        return None
    for n in lessons:
        lesson = turn.view.lessons.get(n)
        if lesson is None or not asked <= set(words(lesson.title)) or not lesson.sections:
            continue
        first_concept = next((sec for sec in lesson.sections if sec.level >= 3), lesson.sections[0])
        candidates = [(sec, u.text) for sec in (lesson.sections[0], first_concept) for u in units(sec.text)]
        subject = "|".join(re.escape(w) for w in asked)
        defining = [(sec, t) for sec, t in candidates if re.match(rf"^(?:an? |the )?(?:{subject})\w* (?:is|are|means)\b", t, re.I)]
        if not defining:
            continue
        sec, said = defining[0]
        citation, where = turn.section_citation(n, sec.path)
        if citation:
            return f"{said} {where}", citation, n
    return None


def _choice_line(turn: Turn, hits: list[dict]) -> tuple[str, dict] | None:
    """The passage sentence that says when to use which ("GQA with a few groups is the common compromise")."""
    from tutor.agent.passages import _idf, _stem, score, words

    here = [h for h in hits[:3] if h["lesson"] == turn.lesson] or hits[:3]  # "when" in this lesson first
    hits = here
    all_units = [u for i, h in enumerate(hits) for u in units(h["text"], i)]
    if not all_units:
        return None
    idf = _idf(all_units)
    q = {_stem(w) for w in words(turn.message)}
    ranked = sorted((u for u in all_units if CHOICE_LINE.search(u.text) and not u.formula and len(u.text) < 320),
                    key=lambda u: -score(u, q, idf))
    if not ranked or score(ranked[0], q, idf) <= 0:
        return None
    hit = hits[ranked[0].chunk]
    return f"{ranked[0].text} {label(hit['lesson'], hit['section'])}", turn.cite(hit)


def _tokens(message: str) -> int | None:
    m = TOKENS.search(message) or re.search(r"(\d[\d,.]*)\s*(k|m)\b", message, re.I)
    if not m:
        return None
    value = float(m.group(1).replace(",", ""))
    scale = {"k": 1_000, "m": 1_000_000}.get((m.group(2) or "").lower(), 1)
    return int(value * scale)


PER_TOKEN = re.compile(r"per token\s*=\s*([^=\n]+?)=\s*([\d,]+)\s*bytes", re.I)


def worked_example(turn: Turn, hits: list[dict]) -> tuple[str, dict] | None:
    """The lesson's per-token worked example (e.g. the KV-cache bytes per token), scaled to the
    learner's token count: arithmetic on the lesson's own figures, never the lab TODO's code."""
    count = _tokens(turn.message)
    if not count:
        return None
    for n in dict.fromkeys([turn.lesson, *(h["lesson"] for h in hits[:3])]):
        lesson = turn.view.lessons.get(n)
        for section in lesson.sections if lesson else []:
            m = PER_TOKEN.search(section.text)
            if not m:
                continue
            per = int(m.group(2).replace(",", ""))
            total = per * count
            citation, where = turn.section_citation(n, section.path)
            intro = _example_intro(section.text, m.start())
            text = (f"With the lesson's worked example{intro}: {m.group(1).strip()} = {per:,} bytes per token, so "
                    f"{count:,} tokens × {per:,} bytes = {total:,} bytes ≈ {total / 2**30:.2f} GiB "
                    f"({total / 1e9:.1f} GB) for one sequence. {where}")
            return text, citation
    return None


def _example_intro(text: str, at: int) -> str:
    m = re.search(r"Worked example for ([^:]+?\([^)]*\))", text[:at].replace("\n", " "))
    return f" ({' '.join(m.group(1).split())})" if m else ""


def orientation(turn: Turn) -> Draft:
    """The path for a new learner: prerequisites, which lesson first, what the maths asks."""
    view = turn.view
    first = min(view.lessons)
    here = turn.lesson_obj
    beginner = turn.experience == "beginner" or "no ml" in turn.message.lower()
    lines = []
    prereqs = view.prerequisites(turn.lesson, depth=1) if here else []
    if prereqs and turn.lesson != first:
        names = "; ".join(view.lesson_label(p) for p in prereqs)
        lines.append(f"Lesson {turn.lesson} builds on {names}: read those first (their key terms and self-checks are "
                     f"enough to follow this one), then come back.")
    else:
        lines.append(f"Start with {view.lesson_label(first)}: it assumes no machine learning, only Python, and "
                     "every later lesson builds on it.")
    lines.append("The maths the course asks of you is arithmetic and a little algebra on small worked examples "
                 "(sums, products, a softmax, a logarithm); you compute with numbers you can check by hand, and "
                 "no lesson asks for proofs.")
    if turn.beginner_python:
        lines.append("Your Python: each lab is one `starter.py` with a few TODO functions; run "
                     "`python starter.py --smoke` first, and ask me for small steps on any TODO.")
    else:
        lines.append("Each lab is one Python `starter.py` with a few TODO functions you write, then runs you "
                     "record and a `notes.md` in your own words.")
    if beginner:
        goals = str(turn.profile.get("goals") or "").strip()
        if goals:
            lines.append(f"For your goal ({goals}), lessons 1-3 (tokens, embeddings, next-token prediction) and 17 "
                         "(RAG and tool calling) are the ones you will use most.")
    target = prereqs[0] if prereqs and turn.lesson != first else first
    citations = []
    if view.has(target):
        citation, where = turn.section_citation(target, "Concept focus")
        if citation:
            citations.append(citation)
            lines.append(f"Begin with the concept focus of lesson {target} {where}.")
    if target != turn.lesson and view.has(turn.lesson):
        here, _ = turn.section_citation(turn.lesson, "Concept focus")
        if here:
            citations.append(here)
    lines.append("**Check yourself:** what would you like to be able to build or explain by the end?")
    return Draft("\n\n".join(lines), citations)


def open_question(turn: Turn) -> Draft:
    """The question still waiting for the learner's answer, verbatim."""
    quiz = turn.thread.get("quiz")
    question, citation = "", None
    if quiz and quiz.get("kind") == "probe":
        entry = turn.view.entry(quiz["id"])
        if entry:
            question = entry.probe
            citation, _ = turn.section_citation(entry.lesson, entry.section)
    elif quiz:
        lesson = turn.view.lessons.get(quiz["lesson"])
        if lesson and quiz["index"] < len(lesson.self_checks):
            question = lesson.self_checks[quiz["index"]].question
            citation, _ = turn.section_citation(quiz["lesson"], "Self-check questions")
    if not question:
        return Draft("There is no question waiting for your answer right now. Say \"quiz me\" for one.")
    return Draft(f"The open question was: **{question}**\n\nAnswer it in your own words and I'll compare it with the lesson.",
                 [citation] if citation else [], {"quiz": quiz})
