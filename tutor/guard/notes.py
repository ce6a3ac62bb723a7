"""Is a reply writing the learner's reflection for them?

The protected ``notes.md`` sections (AGENTS.md ``protected_notes_sections``) are the
learner's to write. A reply may name them, list them, quote the template's guidance or ask
questions under them; it may not fill them. A section can be written as a Markdown heading,
a bold label or a ``Label:`` line, so all three are found. Reflection prose without any
heading ("I expected ... my runs showed ...") is caught too.
"""

from __future__ import annotations

import re

MIN_WORDS = 8
# Guidance says what to write; content is what the learner would have written.
_GUIDANCE = re.compile(
    r"^(?:[-*+]\s+|\d+[.)]\s+)?(?:describe|write|list|say|note|state|explain|include|compare|give|predict|record|"
    r"mention|name|add|put|answer|think|ask yourself|summari[sz]e|report|quote|link|cite|point|keep|use|start|"
    r"end|leave|fill|try|look|check|your|e\.g\.|for example|tip)\b",
    re.I,
)
_TEMPLATE_LINE = re.compile(r"^\s*(?:_[^_].*_|\*[^*].*\*|<!--.*-->|\[.*\])\s*$")
_HEADING_LINE = re.compile(r"^\s*(?:#{1,6}\s+\S|\*\*[^*]+\*\*\s*:?\s*$|__[^_]+__\s*:?\s*$)")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|my|we|our|me)\b")
_REFLECTION = [
    r"\bI (?:had )?(?:expected|predicted|assumed|guessed|hypothesi[sz]ed)\b",
    r"\bI (?:was|am) surprised\b|\bwhat surprised me (?:was|is)\b|\bsurprisingly,? (?:my|the) runs?\b",
    r"\bI (?:found|observed|measured|saw|noticed) that\b",
    r"\bmy (?:runs?|results?|measurements?|experiments?|data|numbers) (?:show|showed|shows|confirm|confirmed|suggest|suggested|indicate)",
    r"\bI now (?:believe|think|understand)\b",
    r"\bnext,? I would (?:test|try|measure|run)\b|\bI would (?:next )?test\b",
    r"\bI (?:learned|learnt) that\b",
]


def _label_pattern(heading: str) -> re.Pattern[str]:
    # "## What I now believe (with evidence)", "**What surprised me:** ...", "What happened: ..."
    return re.compile(rf"^\s*(?:#{{1,6}}\s*|\*\*|__)?\s*{re.escape(heading)}\b[^\n]*$", re.I | re.M)


def _content_words(lines: list[str], template: set[str]) -> tuple[int, bool]:
    words, first_person = 0, False
    for line in lines:
        text = line.strip()
        if not text or _TEMPLATE_LINE.match(text) or text.endswith("?") or _GUIDANCE.match(text):
            continue
        if text.lower() in template:
            continue
        words += len(re.findall(r"[A-Za-z0-9']+", text))
        first_person = first_person or bool(_FIRST_PERSON.search(text))
    return words, first_person


def filled_sections(reply: str, headings: list[str], template_lines: set[str] | frozenset = frozenset()) -> list[str]:
    """The protected sections a reply writes content under."""
    template = {t.strip().lower() for t in template_lines}
    lines = reply.splitlines()
    filled = []
    for heading in headings:
        pattern = _label_pattern(heading)
        for number, line in enumerate(lines):
            if not pattern.match(line):
                continue
            # text on the label line itself after "Label:" or "**Label**" counts as content
            rest = re.sub(rf"^\s*(?:#{{1,6}}\s*|\*\*|__)?\s*{re.escape(heading)}[^:*_]*[:*_]*\s*", "", line, flags=re.I)
            body = [rest] if rest and not line.lstrip().startswith("#") else []
            for following in lines[number + 1 :]:
                if _HEADING_LINE.match(following) or any(_label_pattern(h).match(following) for h in headings):
                    break
                body.append(following)
            words, first_person = _content_words(body, template)
            if words >= MIN_WORDS or (first_person and words >= 5):
                filled.append(heading)
                break
    return filled


def reflection_prose(reply: str, headings: list[str] | tuple = ()) -> bool:
    """Two or more distinct first-person reflection moves: someone's notes, not a tutor's help.
    Headings, template lines and the section names themselves ("What I expected") do not count."""
    text = "\n".join(line for line in reply.splitlines()
                     if not _HEADING_LINE.match(line) and not _TEMPLATE_LINE.match(line.strip()))
    for heading in headings:
        text = re.sub(re.escape(heading), " ", text, flags=re.I)
    hits = sum(1 for pattern in _REFLECTION if re.search(pattern, text, re.I))
    return hits >= 2
