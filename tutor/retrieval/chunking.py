"""Cut the course into retrievable chunks that cite where they come from.

Lessons and lab READMEs are cut along their headings; a heading's own text (up to the next
heading of any level) is one chunk unless it is longer than ``MAX_TOKENS``, in which case it
is split at paragraph breaks where possible, each piece repeating the last ``OVERLAP_TOKENS``
or so of the one before. Self-check items are one chunk each; every misconception of a
lesson's catalogue is one chunk pointing at the section that teaches it.

Tokens are counted as words and punctuation marks (``count_tokens``): close to, and a little
under, the word pieces of MiniLM (about 1.1-1.2 word pieces per counted token on this course),
so a chunk plus its header stays inside the model's 256-piece window.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tutor.course.markdown import FENCE, SELF_CHECK_ITEM, Section, sections

CHUNKER_VERSION = 2  # 2: no front-matter chunks; every citation opens on body text
MAX_TOKENS = 180
OVERLAP_TOKENS = 30
KINDS = ("concept", "lab", "misconception", "self-check")

_TOKEN = re.compile(r"\w+|[^\w\s]")
_LAB_SECTIONS = {"lab", "required artifacts"}
_SELF_CHECK_SECTION = "self-check questions"


def count_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


@dataclass(frozen=True)
class Chunk:
    lesson: int
    lesson_title: str
    section: str  # "Concept focus > Byte-pair encoding, step by step"
    file: str  # relative to the course root, POSIX separators
    start: int  # 1-based file lines, inclusive
    end: int
    kind: str  # one of KINDS
    text: str  # what a reader is shown

    @property
    def embed_text(self) -> str:
        """Text that is embedded and BM25-indexed: the chunk with where it sits."""
        return f"Lesson {self.lesson}: {self.lesson_title}. {self.section}.\n{self.text}"

    @property
    def text_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        key = f"{self.file}\0{self.start}\0{self.end}\0{self.kind}\0{self.lesson}\0{self.text_hash}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


# -- splitting a run of lines under a token bound --------------------------------------------
def _units(numbered: list[tuple[int, str]], max_tokens: int) -> list[tuple[int, str, int]]:
    """(line, text, tokens) units; a line longer than the bound is cut into word runs."""
    units: list[tuple[int, str, int]] = []
    for line_no, text in numbered:
        n = count_tokens(text)
        if n <= max_tokens:
            units.append((line_no, text, n))
            continue
        words, piece = text.split(), []
        for word in words:
            if piece and count_tokens(" ".join(piece + [word])) > max_tokens:
                units.append((line_no, " ".join(piece), count_tokens(" ".join(piece))))
                piece = []
            piece.append(word)
        if piece:
            units.append((line_no, " ".join(piece), count_tokens(" ".join(piece))))
    return units


def split_lines(
    numbered: list[tuple[int, str]], max_tokens: int = MAX_TOKENS, overlap: int = OVERLAP_TOKENS
) -> list[list[tuple[int, str]]]:
    """Pieces of at most ``max_tokens``, cut at a blank line when one is near the end.

    Each piece after the first starts with the trailing lines of the previous piece that fit
    in ``overlap`` tokens, so a sentence cut at a boundary is still whole in one of them.
    """
    units = _units(numbered, max_tokens)
    pieces: list[list[tuple[int, str, int]]] = []
    i = 0
    while i < len(units):
        piece: list[tuple[int, str, int]] = []
        if pieces:
            carried = 0
            for unit in reversed(pieces[-1]):
                if not unit[1].strip():
                    continue
                if carried + unit[2] > overlap or carried + unit[2] + units[i][2] > max_tokens:
                    break
                piece.insert(0, unit)
                carried += unit[2]
        fresh_start = len(piece)
        total = sum(u[2] for u in piece)
        while i < len(units) and total + units[i][2] <= max_tokens:
            piece.append(units[i])
            total += units[i][2]
            i += 1
        if i < len(units):
            # prefer to end at a paragraph break in the second half of the piece
            breaks = [j for j in range(fresh_start + 1, len(piece)) if not piece[j][1].strip()]
            good = [j for j in breaks if sum(u[2] for u in piece[:j]) >= max_tokens // 2]
            if good:
                cut = good[-1]
                i -= len(piece) - cut
                piece = piece[:cut]
        pieces.append(piece)
    result = []
    for piece in pieces:
        while piece and not piece[-1][1].strip():
            piece.pop()
        while piece and not piece[0][1].strip():
            piece.pop(0)
        if piece:
            result.append([(u[0], u[1]) for u in piece])
    return result


def _join(piece: list[tuple[int, str]]) -> str:
    return "\n".join(text for _, text in piece).strip()


# -- one Markdown file -------------------------------------------------------------------------
def _own_ranges(secs: list[Section], last_line: int) -> list[tuple[Section, int, int]]:
    """Each heading with the lines it owns: up to the next heading of any level."""
    ranges = []
    for n, sec in enumerate(secs):
        end = secs[n + 1].start - 1 if n + 1 < len(secs) else last_line
        ranges.append((sec, sec.start, end))
    return ranges


def _self_check_items(numbered: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    items: list[list[tuple[int, str]]] = []
    lead: list[tuple[int, str]] = []
    in_fence = False
    for line_no, text in numbered:
        if FENCE.match(text):
            in_fence = not in_fence
        if not in_fence and SELF_CHECK_ITEM.match(text):
            items.append([(line_no, text)])
        elif items:
            items[-1].append((line_no, text))
        else:
            lead.append((line_no, text))
    return ([lead] if any(t.strip() for _, t in lead[1:]) else []) + items


def _section_kind(sec_path: str, default: str) -> str:
    top = sec_path.split(" > ", 1)[0].strip().lower()
    if top in _LAB_SECTIONS:
        return "lab"
    if top == _SELF_CHECK_SECTION:
        return "self-check"
    return default


def chunk_markdown(
    lines: list[str], file: str, lesson: int, lesson_title: str, default_kind: str,
    first_line: int = 1, section_prefix: str = "",
) -> list[Chunk]:
    """Chunks of a Markdown text whose first line is file line ``first_line``."""
    body = "\n".join(lines)
    secs = sections(body, first_line)
    last_line = first_line + len(lines) - 1
    chunks: list[Chunk] = []

    def emit(piece: list[tuple[int, str]], section: str, kind: str) -> None:
        text = _join(piece)
        if text:
            chunks.append(Chunk(lesson, lesson_title, section, file, piece[0][0], piece[-1][0], kind, text))

    if not secs or secs[0].start > first_line:
        stop = secs[0].start - 1 if secs else last_line
        lead = [(first_line + k, lines[k]) for k in range(stop - first_line + 1)]
        for piece in split_lines(lead):
            emit(piece, section_prefix or lesson_title, default_kind)
    for sec, start, end in _own_ranges(secs, last_line):
        numbered = [(n, lines[n - first_line]) for n in range(start, end + 1)]
        if not any(t.strip() for _, t in numbered[1:]):
            continue  # a heading with nothing of its own (its subsections carry the text)
        section = f"{section_prefix} > {sec.path}" if section_prefix else sec.path
        kind = _section_kind(sec.path, default_kind) if sec.level >= 2 else default_kind
        if kind == "self-check":
            groups = _self_check_items(numbered)
        else:
            groups = [numbered]
        for group in groups:
            for piece in split_lines(group):
                emit(piece, section, kind)
    return chunks


# -- a lesson: body, front matter, misconceptions, lab README ---------------------------------
def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def chunk_lesson(lesson, root: Path) -> list[Chunk]:
    """Every chunk of one loaded lesson (``tutor.course.loader.Lesson``).

    The front matter's objectives and key terms are not chunked: the body teaches the same
    things, and a citation must open on text a reader recognises, not on YAML.
    """
    meta = lesson.meta
    file = _rel(lesson.path, root)
    lines = lesson.path.read_text(encoding="utf-8").splitlines()
    chunks: list[Chunk] = []

    first = lesson.body_first_line
    body_lines = lines[first - 1 :]
    chunks += chunk_markdown(body_lines, file, meta.id, meta.title, "concept", first_line=first)

    for mc in meta.misconceptions:
        sec = lesson.section(mc.section)
        if sec is None:
            continue  # `tutor curriculum check` reports it; no line range to cite
        text = (
            f"Misconception: {mc.belief}\nProbe: {mc.probe}\nWhat is true: {mc.correction}"
            + (f"\nA learner might say: {'; '.join(mc.cues)}" if mc.cues else "")
        )
        chunks.append(Chunk(meta.id, meta.title, sec.path, file, sec.start, sec.end, "misconception", text))

    if lesson.lab is not None and lesson.lab.readme.is_file():
        readme = lesson.lab.readme
        chunks += chunk_markdown(
            readme.read_text(encoding="utf-8").splitlines(), _rel(readme, root), meta.id, meta.title,
            "lab", section_prefix="Lab README",
        )
    return chunks


def load_lessons(root: Path) -> dict:
    """The lessons that load, ignoring problems elsewhere in the course.

    Lessons are still being written, and a broken rubric or contract must not stop search;
    ``tutor curriculum check`` is where problems are reported.
    """
    from tutor.course.loader import _Loader

    return _Loader(root)._lessons()


def chunk_course(root: Path, lessons: dict | None = None) -> list[Chunk]:
    lessons = load_lessons(root) if lessons is None else lessons
    chunks: list[Chunk] = []
    for lesson_id in sorted(lessons):
        chunks += chunk_lesson(lessons[lesson_id], root)
    return chunks


def source_files(root: Path) -> list[Path]:
    """Files whose content decides the chunks: lesson files and lab READMEs."""
    curriculum = root / "curriculum"
    return sorted(curriculum.glob("lessons/lesson_*.md")) + sorted(curriculum.glob("labs/*/README.md"))
