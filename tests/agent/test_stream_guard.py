"""Streaming without leaking: a violating block arriving mid-stream never reaches the tokens."""

from types import SimpleNamespace

from tutor.agent.lab import Stub
from tutor.agent.stream_guard import StreamGuard
from tutor.guard.output import check_reply

POLICY = SimpleNamespace(max_code_lines=8, scaffold_markers=["TODO"], protected_notes_sections=["What surprised me"])
STUB = Stub("expand_kv_heads", ["kv", "n_heads"], "def expand_kv_heads(kv, n_heads):", "", "TODO", 1, 1)


def guard() -> StreamGuard:
    return StreamGuard(lambda text: check_reply(text, POLICY, [STUB]), POLICY.protected_notes_sections)


def pieces(text: str, size: int = 7):
    return [text[i : i + size] for i in range(0, len(text), size)]


LEAK = ("GQA shares key/value heads between query heads.\n"
        "Here is the function:\n"
        "```python\ndef expand_kv_heads(kv, n_heads):\n    return kv.repeat(n_heads // kv.shape[0], axis=0)\n```\n"
        "That is all there is to it.\n")


def test_prose_is_released_line_by_line_before_the_stream_ends():
    g = guard()
    shown = [g.feed(p) for p in pieces("First line of prose.\nSecond line.\nThird")]
    assert "".join(shown) == "First line of prose.\nSecond line.\n"
    assert g.close() == "Third"


def test_a_violating_block_never_reaches_the_tokens():
    g = guard()
    shown = "".join(g.feed(p) for p in pieces(LEAK)) + g.close()
    assert "def expand_kv_heads" not in shown and "repeat" not in shown
    # the lead ("Here is the function:") is held with the block it announces, so it never shows
    # above the coaching rewrite either
    assert shown == "GQA shares key/value heads between query heads.\n"
    assert g.violations[0]["rule"] == "todo_stub_filled"


def test_a_lead_line_is_held_over_blank_lines_and_released_with_what_it_leads_into():
    g = guard()
    fed = "".join(g.feed(p) for p in pieces("Three things matter:\n\n"))
    assert fed == ""
    assert g.feed("- the group size\n") == "Three things matter:\n\n- the group size\n"
    g = guard()
    text = "Here is the full solution:\n\n```python\ndef expand_kv_heads(kv, n_heads):\n    return kv\n```\n"
    assert "".join(g.feed(p) for p in pieces(text)) + g.close() == "" and g.violations


def test_an_unfenced_leak_is_held_and_stopped_too():
    g = guard()
    text = "Prose first.\n\n    def expand_kv_heads(kv, n_heads):\n        return kv.repeat(2, axis=0)\n\nMore prose.\n"
    shown = "".join(g.feed(p) for p in pieces(text)) + g.close()
    assert "repeat" not in shown and g.violations


def test_a_filled_notes_section_is_held_until_the_next_heading():
    g = guard()
    text = "Notes tip below.\n**What surprised me:**\nthe latency barely changed on my CPU although the cache shrank.\n## Next\n"
    shown = "".join(g.feed(p) for p in pieces(text)) + g.close()
    assert "latency" not in shown and g.violations[0]["rule"] == "protected_notes_section"


def test_a_clean_code_block_is_released_whole_once_complete():
    g = guard()
    text = "Run it:\n```bash\npython starter.py --smoke\n```\nThen look at runs/.\n"
    out = []
    for p in pieces(text, 5):
        out.append(g.feed(p))
        released = "".join(out)
        assert released.count("```") in (0, 2)  # never half a block
    assert "".join(out) + g.close() == text and not g.violations


def test_whatever_was_released_passes_the_guard_on_its_own():
    g = guard()
    for p in pieces(LEAK, 3):
        g.feed(p)
    g.close()
    assert check_reply(g.released_text, POLICY, [STUB]) == []
