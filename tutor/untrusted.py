"""Escaping untrusted text (folder names, check messages, judge rationale and quotes, anything
from a lab run or a submission) for where it is shown. One module, one function per place:

- terminal(): control and escape codes (clear screen, window title, cursor moves), bidi controls
  (which reorder what is shown: U+202E) and lone surrogates (a folder name that is not UTF-8)
  made visible
- rich(): the same, plus Rich markup made literal (``[blink]`` is shown, not applied)
- xml(): characters XML 1.0 cannot hold (a control character makes the whole file malformed),
  C1 and bidi controls, line separators
- markdown_inline(): one line of Markdown (a table cell, a heading): no newline, no heading,
  no table break, no HTML
- markdown_block(): a paragraph of Markdown (rationale, evidence): lines kept, but no heading,
  no HTML tags (``<script>``, ``<img onerror>``) and no control codes
- html(): HTML text
- json_text(): JSON text (from json.dumps) with the same characters as \\u escapes, so printing or
  encoding it cannot fail or move the cursor, and json.loads gives back the very same strings
"""

from __future__ import annotations

import html as _html
import re

# C0 controls except tab and newline, DEL, C1 controls (ESC sequences start here; U+009B is a
# one-character CSI), bidi controls (U+202E shows "exe.gnp" as "png.exe"), the line and paragraph
# separators, and lone surrogates (os.fsdecode of bytes that are not UTF-8: "\udcff").
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}\\u2028\\u2029\\ud800-\\udfff]")
_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f{_BIDI}\\u2028\\u2029\\ud800-\\udfff]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")
# what XML 1.0 cannot hold, plus what it only discourages (DEL, C1) and the bidi controls
_XML_INVALID = re.compile(f"[^\\t\\n\\r\\x20-\\ud7ff\\ue000-\\ufffd\\U00010000-\\U0010ffff]|[\\x7f-\\x9f{_BIDI}\\u2028\\u2029]")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")
_MD_BLOCK_SPECIAL = re.compile(r"([\\`~\[\]!|])")  # fences, code spans, links, images, tables


def _visible(match: re.Match) -> str:
    code = ord(match.group(0))
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it: show the byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


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
    """No line can open a code fence (which would swallow the rest of the document), a link, an
    image (a tracking pixel) or a table: their characters are escaped wherever they are."""
    lines = []
    for line in _LINE_BREAKS.sub("\n", str(text)).split("\n"):
        line = _MD_BLOCK_SPECIAL.sub(r"\\\1", _html.escape(terminal(line), quote=False))
        lines.append("\\" + line.lstrip() if line.lstrip().startswith(("#", "=", "-", ">", "|")) else line)
    return "\n".join(lines)


def html(text: object) -> str:
    return _html.escape(terminal(str(text), one_line=False), quote=True)


def json_text(text: str) -> str:
    """``text`` is what json.dumps wrote: these characters can only be inside its strings, where
    a \\u escape means the same character."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
