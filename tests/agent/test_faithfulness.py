"""Faithfulness of model replies: prompt fences, invented citation labels, unsupported numbers.

The filter alone (fast), then through the whole teacher graph with a replay model, which
streams its reply in small pieces so fences and labels are split across chunks."""

from __future__ import annotations

from tutor.agent.faithfulness import NOTE, THRESHOLD, ReplyFilter, source_values, unsupported_numbers
from tutor.llm.replay import ReplayModel

REAL = "[L7 § The KV-cache memory formula]"


def _stream(filt: ReplyFilter, chunks: list[str]) -> str:
    return "".join(filt.feed(c) for c in chunks) + filt.close()


def test_a_fence_split_across_chunks_never_comes_out():
    filt = ReplyFilter.for_turn([REAL], ["32 query heads"])
    out = _stream(filt, ["GQA shares heads.\n<", "<", "<\nKV heads are stored", " once.\n>>", ">\nDone >", ">> here.\n"])
    assert "<<" not in out and ">>" not in out and "< <" not in out
    assert out == "GQA shares heads.\nKV heads are stored once.\nDone  here.\n"
    assert filt.fences == 3


def test_citation_labels_must_name_a_given_passage():
    filt = ReplyFilter.for_turn([REAL], [])
    out = _stream(filt, ["See [L7 § The KV-", "cache memory formula], [L14 § Paged attention] and\n",
                         "[L7 § The Key terms]; also [l7 §  the kv-cache MEMORY formula].\n"])
    assert out.count(REAL) == 2  # the real one, and a near spelling written as the real label
    assert "L14" not in out and "Key terms" not in out
    assert filt.removed_labels == ["[L14 § Paged attention]", "[L7 § The Key terms]"]
    assert filt.record(False)[0] == {"rule": "invented_citation", "action": "removed", "count": 2,
                                     "values": ["[L14 § Paged attention]", "[L7 § The Key terms]"]}


def test_ordinary_numbers_are_not_flagged_but_invented_figures_are():
    known = source_values("with 32 query heads and 8 KV heads, 131072 bytes, fp16", "my run used 4096 tokens")
    ordinary = ("1. In lesson 12, step 14, since 2019, with 3 runs and 131,072 bytes (16 bits each) "
                "for 4096 tokens; see line 40 of TODO 11.")
    assert unsupported_numbers(ordinary, known) == []
    assert unsupported_numbers("That gives 262144 bytes, or 37.5% of 96 GB.", known) == ["262144", "37.5%", "96"]
    assert unsupported_numbers("GPT-2 and lesson_07 are names; take 50% of 64.", source_values("0.5 and 64")) == []
    assert unsupported_numbers("Upgrade to PyTorch 2.3 (CUDA 12.1) or numpy 1.26.4.", known) == []


def test_a_formula_is_checked_through_its_constants_small_ones_included():
    known = source_values("bytes = 2 × n_layers × n_kv_heads × d_head × seq_len")
    assert unsupported_numbers("bytes = 3 × n_layers × n_kv_heads × d_head", known) == ["3"]
    assert unsupported_numbers("divide d_head by 7, i.e. d_head / 7", known) == ["7"]
    assert unsupported_numbers("bytes = 2 * n_layers; **7** seeds and 7 runs are prose", known) == []


def test_a_reply_over_the_threshold_is_withheld_from_its_first_unsupported_line():
    filt = ReplyFilter.for_turn([], ["the cache holds 131072 bytes"])
    lines = ["The cache holds 131072 bytes.\n", "Doubling gives 999999 bytes.\n", "Plain prose.\n", "And 123456 more.\n"]
    shown = [filt.feed(line) for line in lines]
    assert shown == ["The cache holds 131072 bytes.\n", "", "", ""] and filt.close() == ""
    assert filt.over and THRESHOLD <= 2 and "999999" in filt.withheld
    assert filt.record(True)[-1] == {"rule": "unsupported_numbers", "action": "answered_offline", "count": 2,
                                     "values": ["999999", "123456"]}
    below = ReplyFilter.for_turn([], ["the cache holds 131072 bytes"])
    assert _stream(below, lines[:3]) == "".join(lines[:3])  # one unsupported value: flagged, shown at the end
    assert below.record(False)[0]["action"] == "flagged"


# -- through the graph ---------------------------------------------------------------------------
QUESTION = "how does GQA change the KV cache size?"


async def _draft(make_session, turn) -> str:
    result, _, _ = await turn(make_session("offline-draft", 7), QUESTION)
    return result.reply


async def test_streamed_fences_and_invented_labels_never_reach_the_learner_nor_the_store(make_session, turn):
    draft = await _draft(make_session, turn)
    text = f"Good question.\n<<<\n{draft}\n>>>\nSee [L14 § Paged attention] too.\n"
    session = make_session("fe", 7, model=ReplayModel.from_texts(text, piece=2))  # "<<<" split over two chunks
    result, tokens, _ = await turn(session, QUESTION)
    shown = "".join(tokens)
    assert shown == result.reply and "<<" not in shown and ">>" not in shown and "L14" not in shown
    assert result.model == "replay" and "Only KV heads are stored" in shown
    assert {"rule": "invented_citation", "action": "removed", "count": 1, "values": ["[L14 § Paged attention]"]} \
        in result.to_dict()["guard"]
    assert {c["lesson"] for c in result.citations} == {7} and result.citations  # only what the reply cites
    stored = session.store.recent_turns("fe")[-1]
    assert "<<<" not in stored["reply"] and "L14" not in stored["reply"]
    assert any(g.get("rule") == "invented_citation" and g.get("count") == 1 for g in stored["guard"])


async def test_a_reply_citing_nothing_lists_no_citations(make_session, turn):
    session = make_session("nc", 7, model=ReplayModel.from_texts("GQA lets query heads share KV heads.\n"))
    result, _, _ = await turn(session, QUESTION)
    assert result.model == "replay" and result.citations == []


async def test_wrong_numbers_fall_back_to_the_course_draft_and_are_never_shown(make_session, turn):
    draft = await _draft(make_session, turn)
    wrong = draft.replace("32 query heads", "48 query heads").replace("8 KV heads", "8 KV heads (1536 bytes each)")
    assert wrong != draft
    session = make_session("wn", 7, model=ReplayModel.from_texts(wrong, piece=5))
    result, tokens, _ = await turn(session, QUESTION)
    shown = "".join(tokens)
    assert shown == result.reply and "48 query heads" not in shown and "1536" not in shown
    assert NOTE in shown and "32 query heads" in shown and result.model == "offline"
    event = next(g for g in result.to_dict()["guard"] if g["rule"] == "unsupported_numbers")
    assert event == {"rule": "unsupported_numbers", "action": "answered_offline", "count": 2, "values": ["48", "1536"]}
    stored = session.store.recent_turns("wn")[-1]["guard"]
    assert any(g.get("rule") == "unsupported_numbers" and g.get("values") == ["48", "1536"] for g in stored)


async def test_a_faithful_reply_with_ordinary_numbers_is_kept(make_session, turn):
    draft = await _draft(make_session, turn)
    text = f"Lesson 7, in 2 steps (see TODO 2):\n\n1. {draft}\n"
    session = make_session("fa", 7, model=ReplayModel.from_texts(text, piece=5))
    result, _, _ = await turn(session, QUESTION)
    assert result.model == "replay" and NOTE not in result.reply
    assert not [g for g in result.guard if g["rule"] == "unsupported_numbers"]


async def test_no_fence_reaches_the_reasoning_shown_on_ctrl_t(make_session, turn):
    model = ReplayModel([{"reasoning": "The notes say:\n<<<\nKV heads are shared.\n>>>\nSo answer", "content": "GQA shares KV heads.\n"}],
                        piece=2)
    result, tokens, reasoning = await turn(make_session("rf", 7, model=model), QUESTION)
    thought = "".join(reasoning)
    assert "KV heads are shared." in thought and thought.endswith("So answer")
    assert "<" not in thought and ">" not in thought and "<<<" not in result.reply


def test_a_removed_label_leaves_no_pointer_to_nothing():
    filt = ReplyFilter.for_turn([REAL], [])
    out = _stream(filt, ["GQA shares heads (see [L14 § Paged attention]).\n", "See [L9 § Nope].\n",
                         "It grows linearly [L7 § The KV-cache memory formula]. See also [L3 § Fake].\n",
                         "Compare [L7 § The KV-cache memory formula] and [L14 § Paged attention].\n",
                         "Keep this [L3 § Fake], it matters.\n"])
    assert out == ("GQA shares heads.\n"
                   f"It grows linearly {REAL}.\n"
                   f"Compare {REAL}.\n"
                   "Keep this, it matters.\n")
    assert len(filt.removed_labels) == 5


def test_stripped_fences_are_counted_on_the_record():
    filt = ReplyFilter.for_turn([REAL], [])
    _stream(filt, ["<<<\nA line.\n>>>\n"])
    assert filt.record(False) == [{"rule": "prompt_fence", "action": "removed", "count": 2}]
    clean = ReplyFilter.for_turn([REAL], [])
    _stream(clean, ["A line with no fence.\n"])
    assert clean.record(False) == []
