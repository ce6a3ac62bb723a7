"""AnthropicModel drives the real ``anthropic`` SDK over HTTP against a scripted server
speaking the Messages streaming protocol."""

from __future__ import annotations

import json

import pytest
from tests.llm.llm_fake_server import anthropic_error, anthropic_stream

from tutor.llm import Message, ModelError, get_chat_model
from tutor.llm.anthropic_model import AnthropicModel
from tutor.llm.base import complete

ASK = [Message("system", "You are a tutor."), Message("system", "Cite the lesson."), Message("user", "Why GQA?")]


@pytest.fixture
def claude(server, make_settings, policy, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    model = AnthropicModel.from_settings(make_settings(), "claude-test", policy=policy())
    yield model


async def collect(model, messages=ASK, **kwargs):
    return [chunk async for chunk in model.stream(messages, **kwargs)]


async def test_thinking_and_text_arrive_split_with_the_system_prompt_in_its_parameter(server, claude):
    server.script(anthropic_stream(thinking=["Fewer KV ", "heads."], text=["GQA shares ", "keys."]))

    chunks = await collect(claude, thinking=True)
    await claude.aclose()

    assert [c.reasoning for c in chunks if c.reasoning] == ["Fewer KV ", "heads."]
    assert [c.content for c in chunks if c.content] == ["GQA shares ", "keys."]
    request = server.requests[0]
    assert request.path == "/v1/messages"
    assert request.body["system"] == "You are a tutor.\n\nCite the lesson."
    assert request.body["messages"] == [{"role": "user", "content": "Why GQA?"}]
    assert request.body["stream"] is True
    assert request.body["thinking"] == {"type": "adaptive", "display": "summarized"}
    assert request.body["max_tokens"] == 1024
    assert request.headers["authorization"] == "Bearer sk-ant-test"  # SDK 2.x sends the key as a bearer token


async def test_thinking_stays_off_unless_asked_and_sampling_parameters_are_not_sent(server, claude):
    server.script(anthropic_stream(text=["ok"]))

    reply = await complete(claude, ASK, temperature=0.0, seed=7)
    await claude.aclose()

    body = server.requests[0].body
    assert reply.content == "ok"
    assert "thinking" not in body
    assert "temperature" not in body and "seed" not in body  # API 2026-10-21 has neither
    assert body["max_tokens"] == 1024


async def test_json_schema_forces_a_tool_call_whose_input_is_the_content(server, claude):
    schema = {"title": "Verdict", "type": "object", "properties": {"level": {"type": "integer"}}, "required": ["level"]}
    server.script(anthropic_stream(tool_json=['{"lev', 'el": 3}']))

    reply = await complete(claude, ASK, json_schema=schema, temperature=0.0, thinking=True)
    await claude.aclose()

    body = server.requests[0].body
    assert json.loads(reply.content) == {"level": 3}
    assert body["tools"][0]["name"] == "Verdict" and body["tools"][0]["input_schema"] == schema
    assert body["tool_choice"] == {"type": "tool", "name": "Verdict"}
    assert "thinking" not in body  # forced tool use cannot think


async def test_401_is_one_line_naming_the_key_variable(server, claude):
    server.script(anthropic_error(401, "authentication_error", "invalid x-api-key sk-ant-test"))

    with pytest.raises(ModelError) as caught:
        await collect(claude)
    await claude.aclose()

    message = str(caught.value)
    assert "rejected the API key" in message and "ANTHROPIC_API_KEY" in message
    assert "sk-ant-test" not in message and "\n" not in message
    assert len(server.requests) == 1


async def test_overloaded_529_is_retried(server, claude, sleeps):
    server.script(anthropic_error(529, "overloaded_error", "Overloaded"), anthropic_stream(text=["ok"]))

    reply = await complete(claude, ASK)
    await claude.aclose()

    assert reply.content == "ok"
    assert len(server.requests) == 2 and len(sleeps.delays) == 1


async def test_an_error_event_after_text_fails_without_a_retry(server, claude):
    stream = anthropic_stream(text=["Part one.", "Part two."])
    error = 'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n'
    stream.events = stream.events[:3] + [error]  # message_start, block start, first delta, then the error
    server.script(stream)

    seen = []
    with pytest.raises(ModelError) as caught:
        async for chunk in claude.stream(ASK):
            seen.append(chunk.content)
    await claude.aclose()

    assert seen == ["Part one."]
    assert "Overloaded" in str(caught.value) and "not retried" in str(caught.value)
    assert len(server.requests) == 1


def test_missing_key_names_the_variable(make_settings):
    with pytest.raises(ModelError, match="set ANTHROPIC_API_KEY"):
        get_chat_model(make_settings(), model="anthropic:claude-test")


def test_a_request_with_only_system_text_is_refused_before_sending(claude):
    with pytest.raises(ModelError, match="at least one user message"):
        claude.stream([Message("system", "Only rules.")])
