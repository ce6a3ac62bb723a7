"""The offline explanation reads as an answer: the definition a 'what is' question asks for,
no sentence that only introduced a table it dropped, no sentence cut at an abbreviation."""

from __future__ import annotations

import re

from tutor.agent.passages import condense, units


async def test_a_what_is_question_leads_with_the_key_term_from_the_lesson_it_retrieved(make_session, turn):
    session = make_session("kt", 1)  # the learner is on lesson 1; the term lives in lesson 14
    result, _, _ = await turn(session, "what does LoRA's rank control?")
    assert result.action == "explain"
    assert re.match(r"(?:- )?\*\*", result.reply)  # the definition comes first
    assert "**rank (r)**: The inner dimension of the adapter" in result.reply
    assert any(c["lesson"] == 14 for c in result.citations)


async def test_a_hyphenated_term_is_found_written_with_spaces(make_session, turn):
    session = make_session("bp", 1)
    result, _, _ = await turn(session, "what is byte pair encoding?")
    assert "**byte-pair encoding (BPE)**" in result.reply
    assert not re.search(r":\s*\[L\d+ §", result.reply), "a sentence introducing a dropped table was kept"


def test_a_sentence_that_introduces_a_table_is_not_a_unit():
    text = "Suppose the counts are `low` x5 and `lower` x2 for this example. The pair counts are:\n\n| pair | count |\n| --- | --- |\n| l o | 7 |\n"
    assert [u.text for u in units(text)] == ["Suppose the counts are `low` x5 and `lower` x2 for this example."]


def test_sentences_are_not_cut_after_an_abbreviation():
    text = "Read the DAPO and Dr. GRPO papers on what they changed, e.g. token-level averaging of the loss."
    assert [u.text for u in units(text)] == [text]


def test_condense_never_returns_a_lone_colon_sentence():
    chunks = ["The merge list matters because encoding replays merges in the learned order:\n\n| a | b |\n|---|---|\n",
              "Encoding new text replays the learned merges in order, never the longest match."]
    groups = condense(chunks, "why does the merge order matter when encoding")
    assert groups[0] == [] and groups[1]


def test_a_sentence_that_points_back_keeps_the_sentence_it_points_to():
    chunk = ("Decoding applies the merges in the order they were learned, so the same word always splits "
             "the same way. That is why the merge list, not just the vocabulary, is part of a BPE tokenizer. "
             "Training stops when the vocabulary reaches its target size.")
    [group] = condense([chunk], "why is the merge list part of a bpe tokenizer", max_units=1)
    assert group[0].startswith("Decoding applies the merges")
    assert group[1].startswith("That is why")


async def test_the_bpe_answer_does_not_open_on_a_dangling_reference(make_session, turn):
    session = make_session("dangle", 1)
    result, _, _ = await turn(session, "why does BPE merge frequent pairs?")
    assert result.action == "explain"
    assert not re.match(r"(?:That|This|These|So|Thus|Hence)\b", result.reply.lstrip("- *"))
