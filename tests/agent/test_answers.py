"""Issue 15: the offline tutor answers the question that was asked, first, from the course's
authored items (key terms, self-checks, corrections), and tells a belief from its correction."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.agent.compose.answers import question_type
from tutor.agent.diagnose import agrees_with_correction, cue_match
from tutor.llm.replay import ReplayModel

REPO = Path(__file__).resolve().parents[2]


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


async def test_a_how_question_with_no_authored_answer_opens_with_the_named_term(make_session, turn):
    result, _, _ = await turn(make_session("bp", 1), "how does bpe decide what to glue together next")
    first = result.reply.split("\n\n")[0]
    assert first.startswith("**byte-pair encoding (BPE)**") and "most frequent" in first


async def test_a_plain_question_sent_to_debug_gets_the_course_answer_before_the_steps(make_session, turn):
    result, _, _ = await turn(make_session("dq", 16), "if every answer in a group is wrong does the model learn anything")
    assert result.action == "debug"  # the words still read as a problem report
    parts = result.reply.split("\n\n")
    assert parts[0].startswith("From the lesson:") and "advantage is 0" in parts[0]
    assert any(p.startswith("**What to print next:**") for p in parts[1:])


async def test_what_is_a_key_term_is_answered_not_planned(make_session, turn):
    result, _, _ = await turn(make_session("ab", 18), "what is an ablation in the capstone")
    assert result.reply.startswith("**ablation**:") and "Hypothesis" not in result.reply


def test_the_misconception_set_is_caught_and_no_correct_statement_is_flagged(view, embedder):
    """bench/data/misconception_eval.yaml: beliefs in learners' words and correct statements on the
    same topics. The bench prints the same figures; this fails when either goal is missed."""
    import yaml

    from tutor.agent.diagnose import Catalogue

    data = yaml.safe_load((REPO / "bench/data/misconception_eval.yaml").read_text(encoding="utf-8"))
    holds, clean = data["holds"], data["clean"]
    assert len(holds) >= 40 and len(clean) >= 30
    catalogue = Catalogue.for_view(view, embedder)
    vectors = embedder.encode([h["text"] for h in holds] + [c["text"] for c in clean])
    caught = [h for h, v in zip(holds, vectors) if (m := catalogue.match(h["text"], v, h["lesson"])) and m.entry.id == h["id"]]
    flagged = [(c["text"], m.entry.id) for c, v in zip(clean, vectors[len(holds):])
               if (m := catalogue.match(c["text"], v, c["lesson"]))]
    assert len(caught) / len(holds) >= 0.80, [h["text"] for h in holds if h not in caught]
    assert flagged == []


async def test_with_a_model_the_prompt_carries_the_same_answer_first_draft(make_session, turn):
    question = "what even is a logit?"
    offline, _, _ = await turn(make_session("of", 3), question)
    model = ReplayModel.from_texts("A logit is a raw score before the softmax [L3 § Key terms].\n")
    await turn(make_session("md", 3, model=model), question)
    system, user = model.calls[0][0].content, model.calls[0][-1].content
    assert "keep that answer first" in system
    notes = user.split("Course-grounded notes for your answer (composed from the course; use them):\n<<<\n", 1)[1]
    notes = notes.split("\n>>>", 1)[0]
    # the draft the model rewrites is the offline reply itself, direct answer first
    assert notes.split("\n\n")[0] == offline.reply.split("\n\n")[0]
    assert notes.startswith("**logits**") or notes.startswith("**logit")
    assert notes.split("**Check yourself:**")[0].strip() == offline.reply.split("**Check yourself:**")[0].strip()
