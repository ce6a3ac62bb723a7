"""Streaming without leaking: release a reply as it arrives, but only what the guard passed.

Prose is released line by line. Anything that could become a violation is held back until
it is complete: a fenced code block until its closing fence, a run of code-looking lines
until a line that is not code, a protected notes heading until the next heading, and a line
that leads into something (ending with a colon) together with what it leads into. Before
each release the whole reply so far is checked; on the first violation nothing more is
released, ever. What was released always passes the guard on its own, so the final reply
can be "released text + the coaching rewrite" without taking anything back.
"""

from __future__ import annotations

import re
from typing import Callable

from tutor.guard.code_spans import FENCE_OPEN, looks_like_code

Check = Callable[[str], list[dict]]
# What can turn a passing reply into a failing one without being held back: inline code,
# HTML code, first-person reflection, a semicolon chain, a fence or a label line, and the
# marks of code in any language or in words (a function header, a lambda, an operation).
_MAY_VIOLATE = re.compile(r"`|<code|<pre|\bI\b|\bI'|\bmy\b|\bwe\b|\bour\b|;|^\s*(?:#|\*\*|__|~~~)|:\s*$|\breturn\b|=|"
                          r"\b(?:def|lambda|function|fn|func|fun|sub|select)\b|[*/+%^×÷·√−<>{}|\[(]|\w_\w", re.I | re.M)


# A line that reads as one step of a function spelled out in words ("Step 1: compute g as ...",
# "Line two: ...", "First line: ..."): held with the steps after it, so a body given statement
# by statement is checked whole before any step of it is shown.
_STEP_LINE = re.compile(
    r"^\s*(?:[-*>]\s+|\d+[.)]\s+)?(?:\*\*)?(?:(?:step|line|statement|part)\s*(?:\d+|one|two|three|four|five|six)\b|"
    r"(?:first|second|third|fourth|next|last|final) (?:line|statement|step))(?:\*\*)?\s*(?::|\)|-\s)", re.I)


# A prose line that announces what follows ("Here is the full solution:"): held with what it
# leads into, so when that is held back for good the announcement was never shown either.
_LEAD = re.compile(r":\s*$")


class StreamGuard:
    def __init__(self, check: Check, protected_headings: list[str] | tuple = ()):
        self.check = check
        self.buffer = ""
        self.released = 0
        self.violations: list[dict] = []
        self.checked_clean = False  # the released text has been through the full check
        self._protected = [re.compile(rf"^\s*(?:#{{1,6}}\s*|\*\*|__)?\s*{re.escape(h)}\b", re.I) for h in protected_headings]

    @property
    def released_text(self) -> str:
        return self.buffer[: self.released]

    @property
    def held_text(self) -> str:
        return self.buffer[self.released :]

    def feed(self, text: str) -> str:
        """Add streamed text; return what may be shown now (possibly "")."""
        self.buffer += text
        if self.violations:
            return ""
        return self._release(self._safe_boundary(final=False))

    def close(self) -> str:
        """End of stream: release the rest if the whole reply passes."""
        if self.violations:
            return ""
        return self._release(len(self.buffer))

    def discard_held(self) -> None:
        """Forget what was not released (a model that failed mid-line leaves half a line)."""
        self.buffer = self.buffer[: self.released]

    def _release(self, boundary: int) -> str:
        if boundary <= self.released:
            return ""
        segment = self.buffer[self.released : boundary]
        if self.checked_clean and not _MAY_VIOLATE.search(segment):
            # plain prose added to a reply that passed: nothing in it can break the contract
            # (code-looking lines and notes headings are held back and always checked)
            self.released = boundary
            return segment
        problems = self.check(self.buffer[:boundary])
        if problems:
            self.violations = problems
            return ""
        out = self.buffer[self.released : boundary]
        self.released = boundary
        self.checked_clean = True
        return out

    def _is_heading(self, line: str) -> bool:
        return bool(re.match(r"^\s*(?:#{1,6}\s+\S|\*\*[^*]+\*\*\s*:?\s*$)", line))

    def _safe_boundary(self, final: bool) -> int:
        """The end of the longest prefix of complete lines that holds nothing half-finished."""
        safe = 0
        pos = 0
        fence: str | None = None
        code_run = False
        protected = False
        lead = False  # a line announcing what follows ("Here is the full solution:")
        for line in self.buffer.splitlines(keepends=True):
            if not line.endswith("\n") and not final:
                break  # an incomplete line is never released
            end = pos + len(line)
            body = line.rstrip("\r\n")
            if fence is not None:
                if body.strip().startswith(fence[:3]):
                    fence = None
                    if not protected:
                        safe = end
            elif (m := FENCE_OPEN.match(body)) is not None:
                fence = m.group(1)
                code_run = lead = False  # the lead is held with the block: released when it closes
            elif any(p.match(body) for p in self._protected):
                protected = True  # held until the next heading
                code_run = False
            elif protected and self._is_heading(body):
                protected = False
                safe = pos  # everything before this heading is complete
                if any(p.match(body) for p in self._protected):
                    protected = True
            elif looks_like_code(body) or _STEP_LINE.match(body) or (code_run and (not body.strip() or body[:1] in " \t")):
                code_run, lead = True, False
            elif lead and not body.strip():
                pass  # a lead stays held over blank lines, up to what it leads into
            else:
                code_run = False
                lead = bool(_LEAD.search(body))
                if not protected and not lead:
                    safe = end
            pos = end
        return safe
