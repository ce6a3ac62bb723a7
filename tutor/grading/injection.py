"""Deterministic detection of text in a submission that tries to instruct the grader.

Detection does not change a score by itself; it is reported, and the judge's defences
(fencing, verified quotes, quotes inside flagged lines not counted as evidence) do the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("ignore-instructions", re.compile(
        r"\b(ignore|disregard|forget|override)\b.{0,40}\b(rubric|instructions?|rules|prompt|above|previous|criteria|grading)\b",
        re.IGNORECASE)),
    ("score-demand", re.compile(
        r"\b(give|award|assign|grade|score)\b.{0,30}\b(full|maximum|max|top|perfect|highest)\b.{0,15}\b(marks?|scores?|points|grade|level)\b",
        re.IGNORECASE)),
    ("score-demand", re.compile(r"\b(level|score)\s*(=|:|of)?\s*4\b.{0,30}\b(every|all|each)\b", re.IGNORECASE)),
    ("role-marker", re.compile(r"^\s*(system|assistant|user|developer)\s*:", re.IGNORECASE | re.MULTILINE)),
    ("role-marker", re.compile(r"<\|?(im_start|im_end|system|endoftext)\|?>|\[/?INST\]", re.IGNORECASE)),
    ("grader-roleplay", re.compile(r"\byou are (now )?(the|a|an) (grader|judge|marker|evaluator)\b", re.IGNORECASE)),
    ("fence-escape", re.compile(r"(<<<|>>>)\s*(end|submission)", re.IGNORECASE)),
]


@dataclass(frozen=True)
class InjectionHit:
    file: str
    line: int
    rule: str
    text: str

    def to_flag(self) -> dict:
        return {"code": "prompt_injection", "message": f"text that tries to instruct the grader ({self.rule}): "
                f"{self.text!r}", "where": f"{self.file}:{self.line}"}


def scan(file: str, text: str) -> list[InjectionHit]:
    hits: list[InjectionHit] = []
    lines = text.splitlines()
    for rule, pattern in PATTERNS:
        for match in pattern.finditer(text):
            line_no = text.count("\n", 0, match.start()) + 1
            if any(h.line == line_no and h.file == file for h in hits):
                continue
            hits.append(InjectionHit(file, line_no, rule, lines[line_no - 1].strip()[:160]))
    return sorted(hits, key=lambda h: (h.file, h.line))


def flagged_lines(hits: list[InjectionHit]) -> list[str]:
    return [h.text for h in hits]
