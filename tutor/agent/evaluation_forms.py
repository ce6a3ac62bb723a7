"""The guard and the detector against the surface forms of a leak (tests/agent/eval_forms.yaml).

Two parts, both deterministic and needing no model or index:

- replies: what a compliant model would send (a lab TODO as code in running prose, in another
  programming language, spelled out statement by statement in words, or as Python) and
  legitimate replies that must pass (a scaffold, a formula the lesson teaches, the learner's
  own code echoed back, a small non-solution example). Each is streamed through the same
  ``StreamGuard`` and final check the responder uses (the lab's stubs, given lines and notes
  template, the reply budget of a normal answer), in model-sized chunks, and timed.
  A leak is a ``leak`` reply the stream guard released whole (the final guard cannot take back
  what was shown); an over-refusal is a ``legit`` reply it stopped. Leak replies stopped only
  after some lines went out are listed.
- attempts: outsourcing messages in the styles learners use, and legitimate look-alikes; the
  detector's recall per style and its over-refusal.

Used by bench/agent_eval.py (``--forms``) and tests/agent/test_eval_forms.py.
"""

from __future__ import annotations

import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CHUNK = 6  # characters per streamed chunk: about one model token, the worst case for the stream guard


@dataclass
class ReplyOutcome:
    id: str
    form: str
    label: str
    held_out: bool
    stopped: bool  # the guard found a violation (stream or final)
    rules: list[str]
    released: int  # characters shown before the guard stopped
    check_ms: float  # one full check of the whole reply
    stream_ms: float  # every chunk through the stream guard plus the final check
    whole: bool = False  # one check of the whole reply finds a violation

    @property
    def leaked(self) -> bool:
        return self.label == "leak" and not self.stopped

    @property
    def refused(self) -> bool:
        return self.label == "legit" and self.stopped


@dataclass
class AttemptOutcome:
    id: str
    style: str
    label: str
    held_out: bool
    detected: bool
    reason: str


@dataclass
class FormsReport:
    replies: list[ReplyOutcome] = field(default_factory=list)
    attempts: list[AttemptOutcome] = field(default_factory=list)

    def part(self, held_out: bool | None) -> "FormsReport":
        if held_out is None:
            return self
        return FormsReport([r for r in self.replies if r.held_out == held_out],
                           [a for a in self.attempts if a.held_out == held_out])

    @property
    def leaks(self) -> list[ReplyOutcome]:
        return [r for r in self.replies if r.leaked]

    @property
    def refusals(self) -> list[ReplyOutcome]:
        return [r for r in self.replies if r.refused]

    def leak_rate(self) -> float:
        leak = [r for r in self.replies if r.label == "leak"]
        return len(self.leaks) / max(len(leak), 1)

    def over_refusal(self) -> float:
        legit = [r for r in self.replies if r.label == "legit"]
        return len(self.refusals) / max(len(legit), 1)

    def recall(self) -> float:
        asks = [a for a in self.attempts if a.label == "outsourcing"]
        return sum(a.detected for a in asks) / max(len(asks), 1)

    def detector_over_refusal(self) -> float:
        legit = [a for a in self.attempts if a.label == "legit"]
        return sum(a.detected for a in legit) / max(len(legit), 1)

    def cost(self, attr: str = "stream_ms") -> tuple[float, float]:
        values = sorted(getattr(r, attr) for r in self.replies)
        if not values:
            return 0.0, 0.0
        return statistics.median(values), values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def load_forms(path: Path) -> tuple[list[dict], list[dict]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return list(data.get("replies") or []), list(data.get("attempts") or [])


def reply_check(view, policy, lesson: int, message: str = ""):
    """The responder's guard for a normal answer in ``lesson`` (tutor/agent/nodes/respond.py:
    the lab's stubs, the lines the learner already has, their own pasted lines)."""
    from tutor.guard.output import check_reply

    lab = view.lab(lesson)
    stubs = list(lab.stubs) if lab else []
    given = set(lab.given_lines) if lab else set()
    template = set(lab.notes_template_lines) if lab else set()
    given |= {line.strip() for line in message.splitlines() if len(line.strip()) >= 12}
    return lambda text: check_reply(text, policy, stubs, given_lines=frozenset(given),
                                    notes_template=frozenset(template), max_code_lines=policy.max_code_lines)


def run_reply(item: dict, view, policy) -> ReplyOutcome:
    from tutor.agent.stream_guard import StreamGuard
    from tutor.guard.signature import _statement

    check = reply_check(view, policy, item["lesson"], item.get("message") or "")
    text = item["text"]
    _statement.cache_clear()  # every reply is new to the guard: time it cold
    started = time.perf_counter()
    events = check(text)
    check_ms = (time.perf_counter() - started) * 1000
    guard = StreamGuard(check, policy.protected_notes_sections)
    _statement.cache_clear()
    started = time.perf_counter()
    for i in range(0, len(text), CHUNK):
        guard.feed(text[i : i + CHUNK])
    guard.close()
    if not guard.violations:
        check(guard.buffer)  # the final guard over the whole reply (nodes/finish.py), timed with the stream
    stream_ms = (time.perf_counter() - started) * 1000
    # what counts is what the stream released: the final guard cannot take back text already shown
    problems = guard.violations
    return ReplyOutcome(item["id"], item["form"], item["label"], bool(item.get("held_out")), bool(problems),
                        [p["rule"] for p in problems], guard.released, check_ms, stream_ms, bool(events))


def run_attempt(item: dict, view, policy) -> AttemptOutcome:
    from tutor.agent.outsourcing import detect_outsourcing

    found = detect_outsourcing(item["text"], stubs=view.all_stub_names, extra_phrases=policy.outsourcing_phrases)
    return AttemptOutcome(item["id"], item["style"], item["label"], bool(item.get("held_out")), found is not None,
                          found.reason if found else "")


def evaluate_forms(path: Path, view, policy) -> FormsReport:
    replies, attempts = load_forms(path)
    return FormsReport([run_reply(i, view, policy) for i in replies], [run_attempt(i, view, policy) for i in attempts])


def _table(rows: dict[str, list], what) -> list[str]:
    return [f"  {key:<16} {what(items)}" for key, items in sorted(rows.items())]


def format_forms(report: FormsReport, title: str) -> str:
    out = [f"## {title}"]
    for name, held in (("all", None), ("tuned part", False), ("held-out third", True)):
        part = report.part(held)
        leak_n = sum(r.label == "leak" for r in part.replies)
        legit_n = sum(r.label == "legit" for r in part.replies)
        asks = sum(a.label == "outsourcing" for a in part.attempts)
        legit_asks = sum(a.label == "legit" for a in part.attempts)
        out.append(f"{name:<15} guard: leak {part.leak_rate():.1%} ({len(part.leaks)}/{leak_n}), over-refusal "
                   f"{part.over_refusal():.1%} ({len(part.refusals)}/{legit_n}); detector: recall {part.recall():.1%} "
                   f"({sum(a.detected for a in part.attempts if a.label == 'outsourcing')}/{asks}), over-refusal "
                   f"{part.detector_over_refusal():.1%} ({sum(a.detected for a in part.attempts if a.label == 'legit')}/{legit_asks})")
    forms: dict[str, list] = defaultdict(list)
    for r in report.replies:
        forms[r.form].append(r)
    out += ["", "guard per form (leak: reached the learner whole; legit: stopped):"]
    out += _table(forms, lambda rs: (f"{rs[0].label:<6} {len(rs):>3} replies  "
                                     + (f"leaked {sum(r.leaked for r in rs)}" if rs[0].label == "leak"
                                        else f"stopped {sum(r.refused for r in rs)}")
                                     + f"  (held-out: {sum(r.held_out for r in rs)}, of them "
                                     + (f"leaked {sum(r.leaked for r in rs if r.held_out)})" if rs[0].label == "leak"
                                        else f"stopped {sum(r.refused for r in rs if r.held_out)})")))
    styles: dict[str, list] = defaultdict(list)
    for a in report.attempts:
        styles[a.style].append(a)
    out += ["", "detector per attempt style:"]
    out += _table(styles, lambda as_: (f"{as_[0].label:<11} {len(as_):>3} messages  detected {sum(a.detected for a in as_)}"
                                       f"  (held-out {sum(a.held_out for a in as_)}: {sum(a.detected for a in as_ if a.held_out)})"))
    p50, p95 = report.cost("check_ms")
    s50, s95 = report.cost("stream_ms")
    out += ["", f"guard cost per reply over {len(report.replies)} replies: one full check p50 {p50:.2f} ms, p95 {p95:.2f} ms; "
                f"streamed in {CHUNK}-char chunks + final check p50 {s50:.2f} ms, p95 {s95:.2f} ms"]
    misses = [f"  {r.id} [{r.form}{', held-out' if r.held_out else ''}] "
              f"{('leaked' + (' (the whole-reply check would stop it)' if r.whole else '')) if r.leaked else 'stopped: ' + ','.join(r.rules)}"
              for r in report.replies if r.leaked or r.refused]
    partial = [r for r in report.replies if r.label == "leak" and r.stopped and r.released]
    out += ["", f"leak replies stopped only after some lines were released: {len(partial)} "
                f"({', '.join(f'{r.id} {r.released} chars' for r in partial) or 'none'})"]
    misses += [f"  {a.id} [{a.style}{', held-out' if a.held_out else ''}] "
               f"{'missed' if a.label == 'outsourcing' else 'flagged: ' + a.reason}"
               for a in report.attempts if a.detected != (a.label == "outsourcing")]
    if misses:
        out += ["", "failures:"] + misses
    return "\n".join(out)


# -- end to end: the same replies from a compliant model, through the whole teacher graph -----------
ASK = "I'm working on lesson {lesson}'s lab. Can you explain the idea behind it?"


def _payload(text: str) -> str:
    """The longest line of a reply that does work (an operation, a return): what the learner must
    not see when the reply is a leak (its lead-in sentence may be shown)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    working = [line for line in lines if re.search(r"[=*/+\[(]|\breturn\b|\btimes\b|\bdivided\b", line, re.I)]
    return max(working or lines, key=len)


async def evaluate_forms_e2e(path: Path, make_session) -> list[dict]:
    """Every reply of the set as what a compliant model answers to a plain question (or to the
    learner's own message), played through a fresh session; what the learner saw is judged."""
    import uuid

    from tutor.agent.nodes.finish import FAITHFULNESS_RULES
    from tutor.agent.session import DoneEvent, ReasoningEvent, TokenEvent
    from tutor.llm.replay import ReplayModel

    run = uuid.uuid4().hex[:6]

    def _held(event: dict) -> bool:  # a number flagged or a label removed leaves the reply shown
        return event["rule"] not in FAITHFULNESS_RULES or event["action"] == "answered_offline"

    rows = []
    for item in load_forms(path)[0]:
        model = ReplayModel.from_texts(item["text"], name="replay:compliant")
        session = make_session(f"forms-{run}-{item['id']}", item["lesson"], model)
        shown, result = [], None
        async for event in session.turn(item.get("message") or ASK.format(lesson=item["lesson"])):
            if isinstance(event, (TokenEvent, ReasoningEvent)):
                shown.append(event.text)
            elif isinstance(event, DoneEvent):
                result = event.result
        seen = "".join(shown) + "\n" + result.reply
        rows.append({"id": item["id"], "form": item["form"], "label": item["label"], "held_out": bool(item.get("held_out")),
                     "leaked": item["label"] == "leak" and _payload(item["text"]) in seen,
                     "seen": _payload(item["text"]) in seen,
                     "refused": item["label"] == "legit" and (result.action == "coach" or any(map(_held, result.guard)))})
    return rows


def format_e2e(rows: list[dict]) -> str:
    out = ["## the same replies from a compliant model, through the whole teacher graph"]
    for name, keep in (("all", lambda r: True), ("held-out third", lambda r: r["held_out"])):
        part = [r for r in rows if keep(r)]
        leak = [r for r in part if r["label"] == "leak"]
        legit = [r for r in part if r["label"] == "legit"]
        out.append(f"{name:<15} leak {sum(r['leaked'] for r in leak)}/{len(leak)}, "
                   f"over-refusal {sum(r['refused'] for r in legit)}/{len(legit)} (legit replies shown as the "
                   f"model wrote them: {sum(r['seen'] for r in legit)}/{len(legit)})")
    forms: dict[str, list] = defaultdict(list)
    for r in rows:
        forms[r["form"]].append(r)
    for form, part in sorted(forms.items()):
        bad = sum(r["leaked"] or r["refused"] for r in part)
        out.append(f"  {form:<16} {part[0]['label']:<6} {len(part):>3}  {'leaked' if part[0]['label'] == 'leak' else 'refused'} {bad}")
    bad = [r["id"] for r in rows if r["leaked"] or r["refused"]]
    if bad:
        out.append("failures: " + ", ".join(bad))
    return "\n".join(out)
