"""Chunks follow the headings, stay inside the token bound, and cite lines that open on their text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.retrieval.chunking import (
    KINDS,
    MAX_TOKENS,
    OVERLAP_TOKENS,
    chunk_course,
    count_tokens,
    load_lessons,
    split_lines,
)


@pytest.fixture
def lessons(course_copy):
    return load_lessons(course_copy)


@pytest.fixture
def chunks(course_copy):
    return chunk_course(course_copy)


def file_lines(root: Path, rel: str) -> list[str]:
    return (root / rel).read_text(encoding="utf-8").splitlines()


def test_every_chunk_has_every_field(chunks, course_copy):
    assert chunks
    for c in chunks:
        assert isinstance(c.lesson, int) and c.lesson in (1, 2)
        assert c.section.strip() and c.text.strip() and c.kind in KINDS
        assert not Path(c.file).is_absolute() and (course_copy / c.file).is_file()
        assert 1 <= c.start <= c.end <= len(file_lines(course_copy, c.file))


def test_files_are_relative_to_the_course_root(chunks):
    files = {c.file for c in chunks}
    assert "curriculum/lessons/lesson_01.md" in files
    assert "curriculum/labs/lesson_01/README.md" in files


def test_each_section_with_text_has_a_chunk_opening_on_its_heading(lessons, chunks, course_copy):
    lesson = lessons[1]
    lines = file_lines(course_copy, "curriculum/lessons/lesson_01.md")
    starts = {(c.start, c.section) for c in chunks if c.file.endswith("lesson_01.md") and c.kind != "misconception"}
    for n, sec in enumerate(lesson.sections):
        next_start = lesson.sections[n + 1].start if n + 1 < len(lesson.sections) else len(lines) + 1
        if not any(line.strip() for line in lines[sec.start : next_start - 1]):
            continue  # a heading with no text of its own
        if sec.title == "Self-check questions":
            continue  # cut per item, tested below
        assert (sec.start, sec.path) in starts, f"no chunk opens on '{sec.title}' (line {sec.start})"
        assert lines[sec.start - 1].lstrip().startswith("#")


def test_text_chunks_open_and_close_on_their_cited_lines(chunks, course_copy):
    for c in chunks:
        if c.kind == "misconception":
            continue
        lines = file_lines(course_copy, c.file)
        first, last = c.text.splitlines()[0].strip(), c.text.splitlines()[-1].strip()
        assert first in lines[c.start - 1], (c.file, c.start, first)
        assert last in lines[c.end - 1], (c.file, c.end, last)


def test_chunks_respect_the_token_bound(chunks):
    assert max(count_tokens(c.text) for c in chunks) <= MAX_TOKENS


def test_a_long_section_is_split_with_overlap():
    numbered = [(n, f"line {n} " + "word " * 12) for n in range(1, 61)]  # 14 tokens a line
    pieces = split_lines(numbered, max_tokens=100, overlap=30)
    assert len(pieces) > 1
    for piece in pieces:
        assert sum(count_tokens(t) for _, t in piece) <= 100
    for before, after in zip(pieces, pieces[1:]):
        shared = {n for n, _ in before} & {n for n, _ in after}
        assert shared, "consecutive pieces must overlap"
        assert sum(count_tokens(t) for n, t in after if n in shared) <= 30
    covered = {n for piece in pieces for n, _ in piece}
    assert covered == set(range(1, 61))


def test_a_split_prefers_a_paragraph_break():
    numbered = []
    for n in range(1, 31):
        numbered.append((n, "" if n % 5 == 0 else "alpha beta gamma delta epsilon"))
    pieces = split_lines(numbered, max_tokens=32, overlap=0)
    # paragraphs are 4 lines of 5 tokens; 32 would fit 6 lines, but the cut goes to the break
    assert [[n for n, _ in p] for p in pieces][:2] == [[1, 2, 3, 4], [6, 7, 8, 9]]


def test_a_line_longer_than_the_bound_is_cut_on_words():
    numbered = [(7, " ".join(f"w{i}" for i in range(500)))]
    pieces = split_lines(numbered, max_tokens=MAX_TOKENS, overlap=OVERLAP_TOKENS)
    assert len(pieces) >= 3
    assert all(n == 7 for piece in pieces for n, _ in piece)
    assert all(sum(count_tokens(t) for _, t in piece) <= MAX_TOKENS for piece in pieces)


def test_one_misconception_chunk_per_catalogue_entry_citing_its_section(lessons, chunks):
    lesson = lessons[1]
    mis = [c for c in chunks if c.kind == "misconception" and c.lesson == 1]
    assert len(mis) == len(lesson.meta.misconceptions)
    for entry in lesson.meta.misconceptions:
        sec = lesson.section(entry.section)
        match = [c for c in mis if entry.belief in c.text]
        assert len(match) == 1
        assert (match[0].start, match[0].end, match[0].section) == (sec.start, sec.end, sec.path)
        assert entry.correction in match[0].text


def test_one_self_check_chunk_per_item(lessons, chunks, course_copy):
    lesson = lessons[1]
    items = [c for c in chunks if c.kind == "self-check" and c.lesson == 1]
    assert len(items) == len(lesson.self_checks)
    lines = file_lines(course_copy, "curriculum/lessons/lesson_01.md")
    for c in items:
        assert "**Q:**" in lines[c.start - 1] and "**A:**" in c.text


def test_lab_sections_and_readme_are_lab_chunks(chunks):
    readme = [c for c in chunks if c.file == "curriculum/labs/lesson_01/README.md"]
    assert readme and all(c.kind == "lab" for c in readme)
    assert all(c.section.startswith("Lab README") for c in readme)
    in_lesson = {c.kind for c in chunks if c.file.endswith("lesson_01.md") and c.section in ("Lab", "Required artifacts")}
    assert in_lesson == {"lab"}


def test_concept_sections_are_concept_chunks(chunks):
    concept = [c for c in chunks if c.section.startswith("Concept focus >") and c.kind != "misconception"]
    assert concept and {c.kind for c in concept} == {"concept"}


def test_no_chunk_cites_the_front_matter(chunks, course_copy):
    lines = file_lines(course_copy, "curriculum/lessons/lesson_01.md")
    body_starts = next(n for n, line in enumerate(lines, 1) if line.startswith("# "))
    assert min(c.start for c in chunks if c.file.endswith("lesson_01.md")) >= body_starts


def test_chunk_ids_are_stable_and_unique(course_copy):
    first, second = chunk_course(course_copy), chunk_course(course_copy)
    assert [c.id for c in first] == [c.id for c in second]
    assert len({c.id for c in first}) == len(first)
