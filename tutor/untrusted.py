"""Escaping untrusted text (folder names, check messages, judge rationale and quotes, anything
from a lab run or a submission) for where it is shown. One module, one function per place:

- terminal(): control and escape codes (clear screen, window title, cursor moves) made visible
- rich(): the same, plus Rich markup made literal (``[blink]`` is shown, not applied)
- xml(): characters XML 1.0 cannot hold (a control character makes the whole file malformed)
- markdown_inline(): one line of Markdown (a table cell, a heading): no newline, no heading,
  no table break, no HTML
- markdown_block(): a paragraph of Markdown (rationale, evidence): lines kept, but no heading,
  no HTML tags (``<script>``, ``<img onerror>``) and no control codes
- html(): HTML text
"""

from __future__ import annotations

import html as _html
import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC sequences start here).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
_XML_INVALID = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _visible(match: re.Match) -> str:
    return f"\\x{ord(match.group(0)):02x}"


def terminal(text: object, *, one_line: bool = True) -> str:
    text = str(text)
    if one_line:
        text = _LINE_BREAKS.sub(lambda m: "\\n", text)
    return _CONTROL.sub(_visible, text)


def rich(text: object, *, one_line: bool = True) -> str:
    from rich.markup import escape

    return escape(terminal(text, one_line=one_line))


def xml(text: object) -> str:
    return _XML_INVALID.sub(_visible, str(text))


def markdown_inline(text: object) -> str:
    text = _LINE_BREAKS.sub(" ", str(text))
    return _MD_SPECIAL.sub(r"\\\1", _html.escape(terminal(text), quote=False))


def markdown_block(text: object) -> str:
    lines = []
    for line in _LINE_BREAKS.sub("\n", str(text)).split("\n"):
        line = _html.escape(terminal(line), quote=False)
        lines.append("\\" + line.lstrip() if line.lstrip().startswith(("#", "=", "-", ">", "|")) else line)
    return "\n".join(lines)


def html(text: object) -> str:
    return _html.escape(terminal(str(text), one_line=False), quote=True)
