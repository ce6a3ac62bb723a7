"""Deterministic intent classifier. The outsourcing detector always runs first and wins:
a model can be talked around, a pattern cannot."""

from __future__ import annotations

import re

OUTSOURCING = [
    r"\b(write|give|show|send|paste|do|finish|complete|solve|implement)\b.{0,40}\b(code|solution|lab|todo|function|implementation|answer|model answer)\b",
    r"\bjust (do|write|give|finish|implement)\b",
    r"\bjust step \d+\b",
    r"\bfinish this\b",
    r"\b(pretend|act as|you are now|role-?play)\b",
    r"\bignore (agents\.md|the rules|your instructions|previous)",
    r"\bmodel answer\b",
    r"\bfull (solution|code|implementation)\b",
]
REPORT = [r"\bwrite (my|the) (notes(\.md)?|report|reflection)\b", r"\bfill (in )?(my )?notes\b"]
PATTERNS = [
    ("debug", r"traceback|error:|exception|\bnan\b|crash|doesn'?t work|fails?\b"),
    ("progress", r"\bprogress\b|where (am i|did we)|what'?s next|how far"),
    ("assess", r"\bquiz me\b|\btest me\b|\bcheck my understanding\b|self-?check"),
    ("experiment_design", r"\bexperiment\b|\bmeasure\b|\bbaseline\b|\bablation\b|which runs"),
    ("scaffold", r"\bhow (do|should) i (start|structure)\b|\bwhere (do|should) i start\b|\bskeleton\b|\btodo list\b|\bhint\b"),
    ("concept", r"\bwhat (is|are)\b|\bwhy\b|\bhow does\b|\bexplain\b|\bdifference\b"),
]


def detect_outsourcing(message: str, extra_phrases: list[str] = ()) -> str | None:
    """'solution_request', 'report_request' or None."""
    text = message.lower()
    if any(re.search(p, text) for p in REPORT):
        return "report_request"
    if any(p.lower() in text for p in extra_phrases) or any(re.search(p, text) for p in OUTSOURCING):
        return "solution_request"
    return None


def classify(message: str, extra_phrases: list[str] = ()) -> str:
    outsourced = detect_outsourcing(message, extra_phrases)
    if outsourced:
        return outsourced
    text = message.lower()
    for intent, pattern in PATTERNS:
        if re.search(pattern, text):
            return intent
    return "concept" if "?" in text else "off_topic"
