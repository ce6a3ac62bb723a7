"""How many words of a notes section are the learner's own.

Padding must not buy a pass, so a section's count is taken over its *sentences*:
a sentence counts once (a paragraph pasted twice counts once, across the whole file),
a sentence that repeats the template prompt counts zero, and template words that survive
inside a sentence (the learner kept the prompt and wrote after it) are subtracted.
Generic filler that is new text still counts here; judging its quality is the judge's job,
and the judge can only reward what it quotes.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (even when closed by Markdown emphasis) and at every line end.
SENTENCE_END = re.compile(r"(?<=[.!?])[\s_*`]+|\n")
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.%/'-]*")


MARKUP = re.compile(r"[_*`>#|~\[\]()]")


def normalise(sentence: str) -> str:
    """Lower-case words with Markdown markup and trailing punctuation removed."""
    words = (w.rstrip(".'/-").lower() for w in WORD.findall(MARKUP.sub(" ", sentence)))
    return " ".join(w for w in words if w)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE_END.split(text) if s and s.strip()]


def own_word_counts(sections: dict[str, str], template: dict[str, str]) -> dict[str, int]:
    """Section -> words beyond the template, each distinct sentence counted once."""
    template_sentences = {normalise(s) for body in template.values() for s in sentences(body)}
    template_words = {w for body in template.values() for w in normalise(body).split()}
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for title, body in sections.items():
        total = 0
        for sentence in sentences(body):
            key = normalise(sentence)
            if not key or key in seen or key in template_sentences:
                continue
            seen.add(key)
            words = key.split()
            # A sentence made only of template words is the prompt reworded, not an answer.
            if all(w in template_words for w in words):
                continue
            total += len(words)
        counts[title] = total
    return counts


def match_section(title: str, available: dict[str, str]) -> str | None:
    """The learner's heading for a template heading: exact, else same start (case-free)."""
    if title in available:
        return title
    want = title.lower().split("(")[0].strip()
    for candidate in available:
        if candidate.lower().split("(")[0].strip() == want:
            return candidate
    return None
