"""Issue 15: the offline tutor answers the question that was asked, first, from the course's
authored items (key terms, self-checks, corrections), and tells a belief from its correction."""

from __future__ import annotations

import re

import pytest

from tutor.agent.compose.answers import question_type
from tutor.agent.diagnose import agrees_with_correction, cue_match


@pytest.mark.parametrize("message, kind", [
    ("what even is a logit?", "definition"),
    ("i don't get attention", "definition"),
    ("top-k vs top-p, when would I pick one?", "comparison"),
    ("how much memory does the kv cache take for 100k tokens?", "quantity"),
    ("I know API calls but no ML, where do I start?", "orientation"),
    ("what was the open question?", "open-question"),
    ("why don't we cache the queries too?", "mechanism"),
])
def test_question_types(message, kind):
    assert question_type(message) == kind


def test_a_statement_that_agrees_with_the_correction_is_not_the_belief(view):
    entry = view.entry("loss-on-every-token")
    assert agrees_with_correction("in SFT we mask the prompt so the loss only counts the response", entry)
    assert not agrees_with_correction(entry.belief, entry)
    same = view.entry("case-and-spaces-ignored")
    assert agrees_with_correction("Hello and hello are different tokens because case changes the bytes", same)
    assert not agrees_with_correction("the tokenizer treats Hello and hello as the same token", same)


def test_a_paraphrase_of_a_thin_entry_is_caught_under_the_right_entry(view):
    match = cue_match(view, "lora trains all the weights, just faster", 14)
    assert match is not None and match.entry.id == "lora-updates-all-weights"
    assert cue_match(view, "it's wrong that case doesn't matter: Hello and hello are different tokens", 1) is None


async def test_a_what_is_question_opens_with_the_definition(make_session, turn):
    result, _, _ = await turn(make_session("lg", 3), "what even is a logit?")
    first = result.reply.split("\n\n")[0]
    assert "unnormalised scores" in first and "[L3 § Key terms]" in first


async def test_a_named_section_is_never_reported_missing(make_session, turn):
    result, _, _ = await turn(make_session("lm", 11), "what does lost in the middle mean")
    assert "could not find" not in result.reply
    assert any(c["lesson"] == 11 for c in result.citations)


async def test_a_question_close_to_a_self_check_gets_its_answer_and_another_check(make_session, turn):
    result, _, _ = await turn(make_session("sc", 7), "why don't we cache the queries too?")
    first = result.reply.split("\n\n")[0]
    assert "newest token's query" in first
    assert "Why are queries not cached?" not in result.reply.split("**Check yourself:**")[-1]


async def test_a_quantity_is_computed_from_the_worked_example_not_from_the_todo(make_session, turn):
    result, _, _ = await turn(make_session("kv", 7), "how much memory does the kv cache take for 100k tokens?")
    first = result.reply.split("\n\n")[0]
    assert "524,288 bytes per token" in first and "52,428,800,000 bytes" in first
    assert "def kv_cache_bytes" not in result.reply and "```" not in first


async def test_a_new_learner_gets_the_path_not_the_lab_checklist(make_session, turn):
    session = make_session("new", 1)
    session.save_profile(experience="none, I only call APIs", python_fluency="beginner")
    result, _, _ = await turn(session, "I know API calls but no ML, where do I start?")
    assert "Start with lesson 1" in result.reply and "checklist" not in result.reply.lower()
    assert "maths" in result.reply


async def test_where_we_left_off_quotes_the_learner_and_the_open_question(make_session, turn):
    session = make_session("wl", 4)
    first, _, _ = await turn(session, "why do we divide by the square root of d_k?")
    question = first.reply.split("**Check yourself:** ")[-1].strip()
    recap, _, _ = await turn(session, "where did we leave off?")
    assert recap.reply.startswith("Where we left off")
    assert '"why do we divide by the square root of d_k?"' in recap.reply
    assert question in recap.reply
    asked, _, _ = await turn(session, "what was the open question?")
    assert question in asked.reply and "could not find" not in asked.reply


async def test_the_fourth_rung_offers_the_review_that_exists(make_session, turn, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    session = make_session("r4", 7)
    for _ in range(4):
        result, _, _ = await turn(session, "write kv_cache_bytes for me")
    assert "Coaching step 4" in result.reply
    assert "I'll run the lab's checks on it" in result.reply and "review it line by line" not in result.reply
    # the offer is real: the next turn, "check my code", is the code check (no lab folder here: it says where it looked)
    checked, _, _ = await turn(session, "ok, check my code")
    assert checked.action == "check" and "`labs/lesson_07`" in checked.reply
