"""The output guard sees every kind of code a reply can hold, and every way to fill notes."""

from types import SimpleNamespace

import pytest

from tutor.agent.lab import Stub
from tutor.guard.code_budget import runnable_code_lines
from tutor.guard.output import check_reply

POLICY = SimpleNamespace(max_code_lines=8, scaffold_markers=["TODO", "NotImplementedError"],
                         protected_notes_sections=["What I expected", "What happened", "What surprised me",
                                                   "What I would test next", "What I now believe"])
KV = Stub("kv_cache_bytes", ["n_layers", "n_kv_heads", "d_head", "seq_len", "bytes_per_element"],
          "def kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):", "Bytes.", "TODO: formula", 76, 1)
EXPAND = Stub("expand_kv_heads", ["kv", "n_heads"], "def expand_kv_heads(kv, n_heads):", "Map heads.", "TODO: map", 86, 2)
STUBS = [KV, EXPAND]


def rules(reply: str, **kw) -> list[str]:
    return [event["rule"] for event in check_reply(reply, POLICY, STUBS, **kw)]


@pytest.mark.parametrize("reply", [
    "```python\ndef kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n    return 2 * n_layers * n_kv_heads\n```",
    "Sure:\n```python\ndef expand_kv_heads(kv, n_heads):\n    g = n_heads // kv.shape[0]\n    return kv.repeat(g, 0)\n",  # never closed
    "Here you go:\n\n    def expand_kv_heads(kv, n_heads):\n        return kv.repeat(n_heads // len(kv), 0)\n\nDone.",  # indented, no fence
    "```text\ndef kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n    return 2 * n_layers\n```",  # wrong label
])
def test_a_filled_stub_is_caught_however_it_is_wrapped(reply):
    assert "todo_stub_filled" in rules(reply)


@pytest.mark.parametrize("reply", [
    "The body is just:\nreturn kv.repeat(n_heads // kv.shape[0], axis=0)\nand you're done.",
    "Just write `return 2 * n_layers * n_kv_heads * d_head * seq_len * bytes_per_element` and done.",
    "```python\ndef kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n"
    "    # return 2 * n_layers * n_kv_heads * d_head * seq_len * bytes_per_element\n    raise NotImplementedError\n```",
])
def test_a_stub_body_without_its_def_is_caught(reply):
    assert "todo_stub_fragment" in rules(reply)


def test_scaffolds_prose_formulas_and_debug_prints_pass():
    scaffold = ("```python\ndef kv_cache_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n"
                '    """Bytes."""\n    raise NotImplementedError("TODO: formula")\n```')
    prose = "KV bytes per sequence = 2 × n_layers × n_kv_heads × d_head × seq_len × bytes_per_element."
    debug = "Print the shapes first: `print(cache_k.shape, k_new.shape)`, then ask which axis is time."
    shell = "```bash\npython starter.py --smoke\npython starter.py --n-kv-heads 8\n```"
    for reply in (scaffold, prose, debug, shell):
        assert rules(reply) == [], reply


def test_a_todo_comment_does_not_excuse_a_line_of_work():
    reply = "```python\n" + "".join(f"x{i} = {i}  # TODO\n" for i in range(9)) + "```"
    assert runnable_code_lines(reply) == 9
    assert "max_code_lines" in rules(reply)


def test_lines_the_learner_already_has_do_not_count():
    reply = "```python\n" + "".join(f"value_{i} = compute_something({i})\n" for i in range(9)) + "```"
    given = frozenset(f"value_{i} = compute_something({i})" for i in range(9))
    assert "max_code_lines" in rules(reply)
    assert rules(reply, given_lines=given) == []


def test_the_budget_can_be_zero_for_coaching_replies():
    reply = "Try this:\n```python\ntotal = sum(values)\n```"
    assert rules(reply) == []
    assert rules(reply, max_code_lines=0) == ["max_code_lines"]


@pytest.mark.parametrize("reply", [
    "## What I expected\nI expected the cache to shrink four times with GQA and the latency to drop a lot.",
    "**What surprised me:** the latency barely changed on my CPU although the cache shrank a lot.",
    "What happened: the run with 8 KV heads took 2.1 ms per token and the one with 1 head took 1.9 ms.",
    "## What I now believe (with evidence)\nMy runs 3 and 4 show the cache grows linearly with length.",
])
def test_filled_notes_sections_are_caught_in_any_format(reply):
    assert "protected_notes_section" in rules(reply)


def test_notes_guidance_and_questions_are_not_filled_notes():
    reply = ("## What I expected\n_Before running: the cache bytes for 8, 2 and 1 KV heads._\n"
             "- What did you predict for the latency?\n\n## What happened\n"
             "Describe your table with the run ids and the formula bytes next to the measured bytes.")
    assert rules(reply) == []


def test_reflection_prose_without_headings_is_caught():
    reply = "I expected the cache to grow linearly. My runs showed it does, and I now believe the formula."
    assert rules(reply) == ["reflection_written"]


def test_a_stub_renamed_or_wrapped_in_html_is_still_caught():
    renamed = ("```python\ndef my_bytes(n_layers, n_kv_heads, d_head, seq_len, bytes_per_element):\n"
               "    per_token = 2 * n_layers\n    return per_token\n```")
    assert rules(renamed) == ["todo_stub_filled"]
    assert rules("Use <code>return 2*n_layers*n_kv_heads*d_head*seq_len*bytes_per_element</code>.") == ["todo_stub_fragment"]
    pre = "<pre>\n" + "".join(f"value_{i} = {i}\n" for i in range(9)) + "</pre>"
    assert runnable_code_lines(pre) == 9 and rules(pre) == ["max_code_lines"]


def test_statements_crammed_on_one_line_count_one_by_one():
    assert runnable_code_lines("```python\na = 1; b = 2; c = 3; d = 4; e = 5; f = 6; g = 7; h = 8; i = 9\n```") == 9


def test_a_todo_asked_for_piece_by_piece_makes_any_line_of_it_a_piece():
    one_line = "Start with:\n```python\ng = n_heads // kv.shape[0]\n```"
    assert rules(one_line) == []
    assert rules(one_line, hot_stubs={"expand_kv_heads"}) == ["todo_stub_fragment"]


def test_a_body_split_over_several_inline_spans_is_one_body():
    reply = "Just write `return acc` after `acc = n_layers` and `acc = acc * n_kv_heads * d_head`."
    assert rules(reply) == ["todo_stub_fragment"]


def test_a_stub_whose_only_input_has_a_generic_name_is_still_protected():
    mask = Stub("causal_mask", ["n"], "def causal_mask(n):", "", "TODO", 1, 1)
    reply = "The body is:\n```python\nm = n\nm = m * 2\nreturn m\n```"
    assert [e["rule"] for e in check_reply(reply, POLICY, [mask])] == ["todo_stub_fragment"]
