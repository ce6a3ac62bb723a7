"""A whole turn against local stand-in servers, one protocol variant or fault each: what the
learner sees (the reply and its tokens, the reasoning channel) and what is stored (the turn
row in progress.db, the history the model is sent next)."""

from __future__ import annotations

import asyncio
import io
import threading
import time

import pytest
from tests.agent.conftest import run_turn
from tests.llm.llm_fake_server import Reply, ScriptedServer, openai_error, openai_event, openai_stream

from tutor.llm.openai_compat import OpenAICompatModel

QUESTION = "what is a KV cache and why does GQA shrink it?"
ANSWER = "A KV cache keeps the keys and values of past tokens.\n"


@pytest.fixture
def server():
    running = ScriptedServer().start()
    yield running
    running.stop()


def session_on(server, make_session, **overrides):
    settings = {"base_url": server.url + "/v1", "model": "openai-compatible:m", "max_retries": 1,
                "request_timeout": 60.0, "turn_deadline": 60.0, **overrides}
    session = make_session()
    session.settings = session.ctx.settings = session.ctx.settings.model_copy(update=settings)
    model = OpenAICompatModel.from_settings(session.settings, "openai-compatible", "m")
    session.ctx.model = model
    return session


def stored(session) -> dict:
    return session.ctx.store.recent_turns("ada", 7)[-1]


def _think_variants():
    split = ["<th", "ink>The user asks about caching.\n\nSecond thought para", "graph.</thi", "nk>", ANSWER]
    return {
        "reasoning": openai_stream(reasoning=["The user asks about caching."], content=[ANSWER]),
        "reasoning_content": openai_stream(reasoning=["The user asks about caching."], content=[ANSWER],
                                           field="reasoning_content"),
        "inline_split": openai_stream(content=split),
    }


@pytest.mark.parametrize("variant", ["reasoning", "reasoning_content", "inline_split"])
async def test_reasoning_in_every_form_reaches_only_the_reasoning_channel(server, make_session, variant):
    server.always = _think_variants()[variant]
    session = session_on(server, make_session)

    result, tokens, reasoning = await run_turn(session, QUESTION)

    assert "KV cache keeps the keys" in result.reply and "".join(tokens) == result.reply
    for shown in (result.reply, stored(session)["reply"]):
        assert "caching" not in shown and "think>" not in shown and "Second thought" not in shown
    assert "The user asks about caching." in "".join(reasoning)
    assert result.model == "openai-compatible:m" and stored(session)["model"] == "openai-compatible:m"
    assert result.citations == []  # the reply cites no passage, so none is listed

    # the thread's history is what the next turn sends the model: the answer, none of the reasoning
    sent = [m for m in (await session.thread_state())["history"] if m["role"] == "assistant"]
    assert any("KV cache keeps the keys" in m["content"] for m in sent), sent
    assert not any("caching" in m["content"] or "think>" in m["content"] for m in sent)


async def test_an_unterminated_think_block_is_all_reasoning_and_the_turn_says_so(server, make_session):
    server.always = openai_stream(content=["<think>I will", " think forever about caches"])
    session = session_on(server, make_session)

    result, tokens, reasoning = await run_turn(session, QUESTION)

    assert "think forever" not in result.reply and "think forever" not in stored(session)["reply"]
    assert "think forever" in "".join(reasoning)
    assert "spent the whole reply reasoning and sent no answer" in result.reply and "".join(tokens) == result.reply
    assert stored(session)["model"] == "offline"


@pytest.mark.parametrize("name, reply, says", [
    ("reasoning_only", openai_stream(reasoning=["Let me think. "] * 20, finish="length"),
     "spent the whole reply reasoning and sent no answer (cut off at the token limit"),
    ("non_sse_200", Reply(raw=b'{"object": "chat.completion", "choices": []}'),
     "answered 200 with application/json, not a stream of events"),
    ("empty_sse_200", Reply(raw=b"", content_type="text/event-stream"),  # llama.cpp, prompt > --n_ctx
     "opened a stream and closed it without sending anything"),
    ("invalid_utf8", Reply(raw=b'data: {"choices": [{"index": 0, "delta": {"content": "caf\xe9 \xff"}}]}\n\n',
                           content_type="text/event-stream"), "sent a reply that is not valid UTF-8 text"),
    ("http500", openai_error(500, "response_format is not supported"),
     "could not handle the request (HTTP 500 Internal Server Error: response_format is not supported)"),
    ("http501", Reply(status=501, json_body=b"<html><body><h1>Not Implemented</h1></body></html>"),
     "could not handle the request (HTTP 501 Not Implemented: an HTML error page)"),
])
async def test_a_fault_gives_the_course_answer_with_one_plain_sentence_naming_the_server(
        server, make_session, name, reply, says):
    server.always = reply
    session = session_on(server, make_session)

    result, tokens, _ = await run_turn(session, QUESTION)

    assert "".join(tokens) == result.reply  # what was streamed is what is kept
    note = next(line for line in result.reply.splitlines() if line.startswith("(The model failed:"))
    assert server.url in note and says in note
    assert "<html" not in result.reply and "Traceback" not in result.reply and "Error:" not in note.split(says)[0]
    assert stored(session)["model"] == "offline"
    assert "KV" in stored(session)["reply"]  # the course-grounded answer, stored
    posts = [r for r in server.requests if r.method == "POST"]
    if name.startswith("http50"):  # deterministic failures are not retried (json_schema -> json_object -> prompt)
        assert len(posts) <= 4


async def test_429_with_retry_after_is_waited_for_and_then_answered(server, make_session):
    server.script(openai_error(429, "busy", headers={"Retry-After": "0.2"}))
    server.always = openai_stream(content=[ANSWER])
    session = session_on(server, make_session)

    result, _, _ = await run_turn(session, QUESTION)

    assert "KV cache keeps the keys" in result.reply and stored(session)["model"] == "openai-compatible:m"
    assert "(The model failed" not in result.reply and "KV cache keeps the keys" in stored(session)["reply"]
    busy, again = [r for r in server.requests if r.method == "POST"][:2]
    assert again.at - busy.at >= 0.2  # the server's Retry-After, not an immediate retry


@pytest.mark.parametrize("fault", ["hang", "stall"])
async def test_a_silent_or_stalled_server_costs_the_turn_deadline_not_minutes(server, make_session, fault):
    server.always = (Reply(hold=threading.Event()) if fault == "hang" else
                     Reply(events=[openai_event(content=""), openai_event(content="A KV cache ")], stall_after=2))
    session = session_on(server, make_session, turn_deadline=2.0)

    start = time.monotonic()
    result, _, _ = await run_turn(session, QUESTION)
    elapsed = time.monotonic() - start

    # the deadline ended it, not the 60 s request timeout (the slack is for a loaded machine;
    # bench/model_faults.py measures the real cost)
    assert elapsed < 2.0 + 15.0
    assert "within the turn's 2s deadline (TUTOR_TURN_DEADLINE)" in result.reply
    assert stored(session)["model"] == "offline"


async def test_a_reply_cut_at_the_token_limit_says_so_and_names_the_setting(server, make_session):
    server.always = openai_stream(content=["A KV cache keeps the keys and values of past tokens. It grows "],
                                  finish="length")
    session = session_on(server, make_session)

    result, _, _ = await run_turn(session, QUESTION)

    assert "cut off at the token limit; raise TUTOR_MAX_TOKENS" in result.reply
    assert stored(session)["model"] == "openai-compatible:m"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


async def test_tutor_ask_shows_a_waiting_line_on_a_terminal_while_the_server_is_silent(monkeypatch):
    from tutor.cli import ask

    monkeypatch.setattr(ask, "TICK", 0.05)
    model = OpenAICompatModel("openai-compatible", "m", base_url="http://127.0.0.1:9/v1", api_key="x")
    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        with ask.waiting_line(stream, model, 30.0) as line:
            await asyncio.sleep(0.12)
            line.received = 42
            await asyncio.sleep(0.12)

    text = shown.getvalue()
    assert "tutor: openai-compatible:m: waiting for the reply (0s of at most 30s)" in text
    assert "42 characters received" in text and text.endswith("\r\033[K")  # erased when the turn ends
    assert piped.getvalue() == ""  # redirected stderr gets nothing
