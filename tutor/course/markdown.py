"""Just enough Markdown structure: headings with line ranges, and self-check items."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    path: str  # "Concept focus > Subword units"
    start: int  # 1-based file line of the heading
    end: int  # last line of the section (inclusive)
    text: str  # body text, heading excluded


def sections(body: str, first_line: int = 1) -> list[Section]:
    """Headings of a Markdown body, each with its line range and text.

    ``first_line`` is the file line on which ``body`` starts, so ranges point into the
    file a person opens. Headings inside code fences are ignored.
    """
    lines = body.splitlines()
    heads: list[tuple[int, int, str]] = []  # (index, level, title)
    in_fence = False
    for i, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        m = None if in_fence else HEADING.match(line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2).strip()))
    result: list[Section] = []
    stack: list[tuple[int, str]] = []
    for n, (i, level, title) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        path = " > ".join(t for lvl, t in stack if lvl >= 2) or title
        # a section runs until the next heading of the same or a higher level
        end_idx = len(lines) - 1
        for j, lvl_j, _ in heads[n + 1 :]:
            if lvl_j <= level:
                end_idx = j - 1
                break
        while end_idx > i and not lines[end_idx].strip():
            end_idx -= 1
        text = "\n".join(lines[i + 1 : end_idx + 1]).strip()
        result.append(Section(level, title, path, i + first_line, end_idx + first_line, text))
    return result


def find_section(all_sections: list[Section], name: str) -> Section | None:
    """Match a section by full path, by title, or by the tail of its path."""
    wanted = name.strip().lower()
    for s in all_sections:
        if s.path.lower() == wanted or s.title.lower() == wanted:
            return s
    for s in all_sections:
        if s.path.lower().endswith(wanted):
            return s
    return None


SELF_CHECK_ITEM = re.compile(r"^\s*\d+\.\s+\*\*Q:\*\*\s*(.+)$")
SELF_CHECK_ANSWER = re.compile(r"^\s*\*\*A:\*\*\s*(.*)$")


@dataclass(frozen=True)
class SelfCheck:
    question: str
    answer: str


def self_checks(section_text: str) -> list[SelfCheck]:
    """Items written as ``1. **Q:** ...`` followed by ``**A:** ...`` lines."""
    items: list[SelfCheck] = []
    question: list[str] | None = None
    answer: list[str] | None = None

    def flush() -> None:
        if question is not None:
            items.append(SelfCheck(" ".join(question).strip(), " ".join(answer or []).strip()))

    for line in section_text.splitlines():
        if m := SELF_CHECK_ITEM.match(line):
            flush()
            question, answer = [m.group(1)], None
        elif question is not None and (m := SELF_CHECK_ANSWER.match(line)):
            answer = [m.group(1)]
        elif question is not None and line.strip():
            (answer if answer is not None else question).append(line.strip())
    flush()
    return items
