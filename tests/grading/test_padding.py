"""Padding a submission with filler must not raise its score."""

from __future__ import annotations

from tutor.grading import grade_folder
from tutor.grading.notes_words import own_word_counts
from tutor.grading.submission import split_sections
from tutor.llm.replay import ReplayModel

from tests.grading.grading_support import REPO, judge_reply

FILLER_SENTENCE = "This lab was very interesting and I learned a lot about the topic."


def template() -> str:
    return (REPO / "curriculum" / "labs" / "lesson_01" / "notes.md").read_text()


def pad(notes: str) -> str:
    """Each section gets the template prompts pasted back and one filler sentence many times over."""
    prompts = split_sections(template())
    out = []
    for line in notes.splitlines():
        out.append(line)
        if line.startswith("## ") and line[3:] in prompts:
            out += [prompts[line[3:]], " ".join([FILLER_SENTENCE] * 20), prompts[line[3:]] * 3]
    return "\n".join(out)


def test_repeated_sentences_and_template_text_count_once_or_not_at_all():
    sections = {"What I expected": " ".join([FILLER_SENTENCE] * 20) + " _Give numbers._"}
    counts = own_word_counts(sections, {"What I expected": "_Give numbers._"})
    assert counts["What I expected"] == len(FILLER_SENTENCE.split())


def test_padding_a_weak_submission_does_not_raise_its_deterministic_score(weak_lab, settings):
    before = grade_folder(weak_lab, settings=settings, use_judge=False, write=False)
    notes = weak_lab / "notes.md"
    notes.write_text(pad(notes.read_text()))
    after = grade_folder(weak_lab, settings=settings, use_judge=False, write=False)
    notes_check = next(c for c in after["checks"] if c["id"] == "notes")
    assert notes_check["status"] == "failed"
    assert after["total"] <= before["total"]


def test_padding_does_not_raise_the_judged_score_when_the_judge_must_quote(weak_lab, settings):
    # A credulous judge rewards length: on the padded copy it claims level 4 and quotes the
    # filler. The quote verifies (it is in the submission) but names no number, run or logged
    # key, so the level is capped at 2, which the unpadded copy already had.
    plain = ReplayModel.from_texts(judge_reply(2, ["It worked and the tokens went down."]))
    before = grade_folder(weak_lab, settings=settings, judge=plain, samples=1, write=False)
    notes = weak_lab / "notes.md"
    notes.write_text(pad(notes.read_text()))
    fooled = ReplayModel.from_texts(judge_reply(4, [FILLER_SENTENCE]))
    after = grade_folder(weak_lab, settings=settings, judge=fooled, samples=1, write=False)
    assert after["total"] <= before["total"]
    sample = after["criteria"][0]["samples"][0]
    assert sample["verified"] and sample["claimed_level"] == 4 and sample["level"] == 2 and sample["capped"]


def test_a_specific_quote_keeps_a_high_level(strong_lab, settings):
    model = ReplayModel.from_texts(judge_reply(4, ["the gain from 200 to 508 merges (0.69 bytes per token)"]))
    report = grade_folder(strong_lab, settings=settings, judge=model, samples=1, write=False)
    assert report["criteria"][0]["level"] == 4
