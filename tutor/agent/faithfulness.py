"""Faithfulness of a model reply: only what the model was given reaches the learner.

Every model reply (streamed or not: ``tutor ask`` prints the same filtered text) passes a
``ReplyFilter`` before the stream guard, one complete line at a time (the guard releases
whole lines anyway, so this costs no latency):

- the prompt's data fences (``<<<``, ``>>>`` and their escaped ``< < <``) are stripped,
  wherever a chunk boundary split them;
- a citation label (``[L7 § Section]``) that names no passage the model was given is removed
  and counted; one that differs only in case or spacing is written as the real label;
- numbers that appear in none of the given passages, the course draft or the learner's own
  message are counted (``unsupported``). Ordinary numbers are not: list numbering, lesson,
  step, TODO or line numbers, years, software versions, small integers in prose (up to
  ``SMALL``), and the example values of a fenced code block (the output guard checks code;
  inline code is prose). A formula
  is checked through its constants, small ones included ("3 × n_layers" where the course has
  "2 × n_layers" is flagged). From the first line holding such a number the rest of the reply
  is held back; at the end it is released if fewer than ``threshold`` distinct values were
  found, else it is withheld and the caller answers from the course draft with a one-sentence
  note. So a reply that falls back never showed an invented number.

``THRESHOLD`` comes from ``bench/faithfulness.py`` (false fallbacks on faithful replies
against catches on replies with injected wrong numbers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.course.markdown import FENCE as CODE_FENCE  # the course's own fence rule

THRESHOLD = 2  # distinct unsupported values that fall back: bench/faithfulness.py, 0/56 faithful and 2/56
# faithful-with-a-computed-figure replies fall back, 43/56 with 2 wrong numbers and 52/56 with 3 are caught
# (threshold 1: 44/56 of the computed-figure replies would fall back)
SMALL = 10  # integers up to this are ordinary prose ("two heads", "3 runs")
MAX_VALUES = 8  # values kept in the turn record
NOTE = ("(The model's answer used figures that are in none of the course passages, so what follows "
        "comes from the course text.)")

_FENCE = re.compile(r"<<<|>>>|< < <|> > >")
_LABEL = re.compile(r"\s?\[[Ll]\s?(\d{1,3})\s*§\s*([^\]\n]{1,160})\]")
# a number: digits not glued to a word before it ("fp16", "GPT-2", "lesson_07" are names)
_NUMBER = re.compile(r"(?<![\w.])(?<!\w-)(\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?)(%?)")
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")
# an operand of a formula ("2 × n_layers", "d / 8"): its constant is checked whatever its size
_OPS = r"(?:[×/^·]|(?<!\*)\*(?!\*))"  # a lone * (markdown's ** is emphasis, not a product)
_OPERATOR_AFTER = re.compile(rf"\s*{_OPS}")
_OPERATOR_BEFORE = re.compile(rf"{_OPS}\s*$")
# software versions are not course figures ("PyTorch 2.3", "CUDA 12.1", "numpy 1.26.4")
_VERSION_BEFORE = re.compile(r"\b(?:python|pytorch|torch|cuda|cudnn|numpy|transformers|vllm|ollama|llama\.cpp|textual|"
                             r"version|release|v)\s*$", re.I)
_DOTTED = re.compile(r"\.\d")
# what a removed label leaves pointing at nothing: "(see )", "(cf. and )", a closing "See." or "See also:"
_DANGLING = (re.compile(r"(?:\s*,)?\s+(?:and|or)\s*(?=[.;:]?\s*$)", re.I),
             re.compile(r"\s*\((?:see(?: also)?|cf\.?)?[\s,;]*(?:and|or)?[\s,;]*\)", re.I),
             re.compile(r"(?:^|(?<=[.!?:]\s))\s*(?:see(?: also)?|cf\.?)\s*[.;,:]?\s*$", re.I))
_LIST_ITEM = re.compile(r"^\s*(?:[-*]\s+)?\d{1,2}[.)](?=\s)")
_ORDINAL_WORDS = re.compile(r"(?:lesson|lessons|lab|labs|step|steps|todo|line|lines|section|part|chapter|rung|"
                            r"exercise|question|item|turn|attempt|round|day|week|module|§|L)\s*$", re.I)


def _key(label_lesson: str, section: str) -> str:
    return f"{int(label_lesson)}|{' '.join(section.lower().split())}"


def _value(text: str) -> float | None:
    if "," in text:
        groups = text.split(",")
        if not all(len(g) == 3 for g in groups[1:]):  # "1,2" is a list, not a thousand separator
            return None
        text = text.replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None


def source_values(*texts: str) -> set[float]:
    """Every numeric value in the given texts, however it is written (loosely: "fp16" gives 16)."""
    values = set()
    for text in texts:
        for match in _ANY_NUMBER.finditer(text or ""):
            raw = match.group()
            for value in (_value(raw), *(_value(part) for part in raw.split(","))):
                if value is not None:
                    values.add(round(value, 9))
    return values


def _supported(value: float, percent: bool, known: set[float]) -> bool:
    candidates = {value, value / 100} if percent else {value, value * 100}
    return any(round(c, 9) in known for c in candidates)


def unsupported_numbers(line: str, known: set[float]) -> list[str]:
    """The numbers of one reply line that are in none of the sources (ordinary numbers skipped)."""
    text = _LABEL.sub(" ", line)
    listed = _LIST_ITEM.match(text)
    out = []
    for match in _NUMBER.finditer(text):
        if listed and match.start() < listed.end():
            continue
        raw, percent = match.group(1).rstrip(","), bool(match.group(2))
        value = _value(raw)
        if value is None or _VERSION_BEFORE.search(text[: match.start()]) or _DOTTED.match(text, match.end()):
            continue
        in_formula = bool(_OPERATOR_AFTER.match(text, match.end()) or _OPERATOR_BEFORE.search(text[: match.start()]))
        if not percent and value == int(value) and "." not in raw and not in_formula:
            if value <= SMALL or (1900 <= value <= 2099 and len(raw) == 4):
                continue
            if _ORDINAL_WORDS.search(text[: match.start()]):
                continue
        if not _supported(value, percent, known):
            out.append(raw + match.group(2))
    return out


@dataclass
class ReplyFilter:
    """Fences, citation labels and numbers of one model reply, line by line (see the module doc)."""

    labels: dict[str, str]  # normalised key -> the exact label of a passage the model was given
    known: set[float]
    threshold: int = THRESHOLD
    check: bool = True  # False: fences only (the reasoning channel, shown on ctrl+t, cites nothing)
    removed_labels: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    fences: int = 0
    in_code: bool = False  # inside a fenced code block: example values, not claims (the guard checks code)
    withheld: str = ""  # what an over-threshold reply did not show
    _pending: str = ""
    _held: str = ""

    @classmethod
    def for_turn(cls, given_labels: list[str], sources: list[str], threshold: int = THRESHOLD) -> "ReplyFilter":
        labels = {}
        for text in given_labels:
            m = _LABEL.fullmatch(text)
            if m:
                labels[_key(m.group(1), m.group(2))] = text.strip()
        return cls(labels, source_values(*sources), threshold)

    @property
    def over(self) -> bool:
        return len(set(self.unsupported)) >= self.threshold

    def _label(self, m: re.Match) -> str:
        real = self.labels.get(_key(m.group(1), m.group(2)))
        if real is not None:
            return (" " if m.group().startswith((" ", "\t")) else "") + real
        self.removed_labels.append(m.group().strip()[:200])
        return ""

    def _line(self, line: str) -> str:
        fenced = _FENCE.sub("", line)
        if fenced != line:
            self.fences += len(_FENCE.findall(line))
            if not fenced.strip():
                return ""  # a fence on its own line leaves no blank line behind
        if not self.check:
            return fenced
        removed = len(self.removed_labels)
        line = _LABEL.sub(self._label, fenced)
        if len(self.removed_labels) > removed:
            line = _tidy(line)
        if CODE_FENCE.match(line):
            self.in_code = not self.in_code
        elif not self.in_code:
            self.unsupported += unsupported_numbers(line, self.known)
        return line

    def _pass(self, text: str) -> str:
        if self._held or self.unsupported:
            self._held += text
            return ""
        return text

    def feed(self, text: str) -> str:
        """Add streamed text; return what may go on to the stream guard now."""
        self._pending += text
        cut = self._pending.rfind("\n") + 1
        if not cut:
            return ""
        lines, self._pending = self._pending[:cut], self._pending[cut:]
        return "".join(self._pass(self._line(line)) for line in lines.splitlines(keepends=True))

    def close(self) -> str:
        """End of the reply: the last line, and what was held unless the reply is over the threshold."""
        tail = self._pass(self._line(self._pending)) if self._pending else ""
        self._pending = ""
        if self.over:
            self.withheld, self._held = self._held, ""
            return ""
        out, self._held = tail + self._held, ""
        return out

    def record(self, fell_back: bool) -> list[dict]:
        """Turn-record events: prompt fences and invented labels removed, unsupported numbers (bounded)."""
        events = [{"rule": "prompt_fence", "action": "removed", "count": self.fences}] if self.fences else []
        if self.removed_labels:
            events.append({"rule": "invented_citation", "action": "removed", "count": len(self.removed_labels),
                           "values": [v[:60] for v in self.removed_labels[:MAX_VALUES]]})
        if self.unsupported:
            values = list(dict.fromkeys(self.unsupported))
            events.append({"rule": "unsupported_numbers", "action": "answered_offline" if fell_back else "flagged",
                           "count": len(values), "values": [v[:24] for v in values[:MAX_VALUES]]})
        return events


def _tidy(line: str) -> str:
    """A line after an invented label was cut out of it: no "(see )" or trailing "See." left
    pointing at nothing; a line left with nothing but that is dropped."""
    end = "\n" if line.endswith("\n") else ""
    text = line[:len(line) - len(end)]
    for pattern in _DANGLING:
        text = pattern.sub("", text)
    text = re.sub(r"\s+([.;,:])", r"\1", text).rstrip()
    if not text.strip(" .;,:"):
        return ""
    return text + end
