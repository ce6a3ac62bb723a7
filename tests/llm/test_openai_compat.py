"""OpenAICompatModel drives the real ``openai`` SDK over HTTP against a scripted server."""

from __future__ import annotations

import threading

import pytest
from tests.llm.llm_fake_server import Reply, openai_error, openai_event, openai_stream

from tutor.llm import Message, ModelError, get_chat_model
from tutor.llm.base import complete
from tutor.llm.openai_compat import OpenAICompatModel

ASK = [Message("system", "You are a tutor."), Message("user", "What is a KV cache?")]


async def collect(model, **kwargs):
    chunks = []
    async for chunk in model.stream(ASK, **kwargs):
        chunks.append(chunk)
    return chunks


def vllm(server, make_settings, policy, **overrides):
    return OpenAICompatModel.from_settings(make_settings(server.url + "/v1", **overrides), "vllm", "m", policy=policy())


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
async def test_reasoning_and_content_arrive_as_separate_chunks(server, make_settings, policy, field):
    server.script(openai_stream(reasoning=["Think ", "hard."], content=["A cache ", "of keys."], field=field))
    model = vllm(server, make_settings, policy)

    chunks = await collect(model)
    await model.aclose()

    assert [c.reasoning for c in chunks if c.reasoning] == ["Think ", "hard."]
    assert [c.content for c in chunks if c.content] == ["A cache ", "of keys."]
    assert all(not (c.content and c.reasoning) for c in chunks)


async def test_reasoning_sent_under_both_names_is_not_doubled(server, make_settings, policy):
    both = openai_event(reasoning="once").replace('"reasoning": "once"', '"reasoning": "once", "reasoning_content": "once"')
    server.script(Reply(events=[both, openai_event(content="ok"), "data: [DONE]\n\n"]))
    model = vllm(server, make_settings, policy)

    reply = await complete(model, ASK)
    await model.aclose()

    assert (reply.reasoning, reply.content) == ("once", "ok")


@pytest.mark.parametrize("thinking, expected", [(None, True), (True, True), (False, False)])
async def test_vllm_request_streams_and_carries_the_thinking_switch(server, make_settings, policy, thinking, expected):
    server.script(openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy)

    await collect(model, thinking=thinking)
    await model.aclose()

    request = server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["model"] == "m"
    assert request.body["chat_template_kwargs"] == {"enable_thinking": expected}
    # Nemotron's card: with thinking, temperature 1.0 / top_p 1.0 and a reasoning budget on top of the answer's
    assert request.body["max_tokens"] == (1024 + 8192 if expected else 1024)
    assert request.body["messages"][0] == {"role": "system", "content": "You are a tutor."}
    assert "seed" not in request.body
    if expected:
        assert (request.body["temperature"], request.body["top_p"]) == (1.0, 1.0)
    else:
        assert "temperature" not in request.body and "top_p" not in request.body


async def test_vllm_sampling_defaults_are_settings(server, make_settings, policy):
    server.script(openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy, temperature=0.6, top_p=0.95, reasoning_budget=100)

    await collect(model)
    await model.aclose()

    body = server.requests[0].body
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.6, 0.95, 1124)


async def test_thinking_default_follows_settings(server, make_settings, policy):
    server.script(openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy, enable_thinking=False)

    await collect(model)
    await model.aclose()

    assert server.requests[0].body["chat_template_kwargs"] == {"enable_thinking": False}


async def test_schema_temperature_seed_and_token_limit_are_sent_when_given(server, make_settings, policy):
    schema = {"title": "Verdict", "type": "object", "properties": {"level": {"type": "integer"}}, "required": ["level"]}
    server.script(openai_stream(content=['{"level": 3}']))
    model = vllm(server, make_settings, policy)

    reply = await complete(model, ASK, json_schema=schema, temperature=0.0, seed=1234, max_tokens=300)
    await model.aclose()

    body = server.requests[0].body
    assert body["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "Verdict", "schema": schema, "strict": True}}
    assert body["temperature"] == 0.0
    assert body["seed"] == 1234
    assert body["max_tokens"] == 300 + 8192  # thinking on (the default): the reasoning budget comes on top
    assert "top_p" not in body  # a call at temperature 0 is greedy
    assert reply.content == '{"level": 3}'


async def test_authorization_header_carries_the_configured_key(server, make_settings, policy, monkeypatch):
    monkeypatch.setenv("TUTOR_API_KEY", "sk-local-test")
    server.script(openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy)

    await collect(model)
    await model.aclose()

    assert server.requests[0].headers["authorization"] == "Bearer sk-local-test"


async def test_a_local_server_without_a_key_gets_a_dummy_one(server, make_settings, policy):
    server.script(openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy)

    await collect(model)
    await model.aclose()

    assert server.requests[0].headers["authorization"] == "Bearer EMPTY"


async def test_openai_provider_never_gets_the_thinking_switch(server, make_settings, policy):
    server.script(openai_stream(content=["ok"]))
    model = OpenAICompatModel.from_settings(make_settings(server.url + "/v1"), "openai", "gpt-x", policy=policy())

    await collect(model, thinking=True)
    await model.aclose()

    body = server.requests[0].body
    assert "chat_template_kwargs" not in body
    assert body["max_completion_tokens"] == 1024 and "max_tokens" not in body


async def test_openai_compatible_never_gets_the_thinking_switch_or_vllm_defaults(server, make_settings, policy):
    server.script(openai_stream(content=["ok"]), openai_stream(content=["ok"]))
    model = OpenAICompatModel.from_settings(make_settings(server.url + "/v1"), "openai-compatible", "m", policy=policy())

    await collect(model)
    await collect(model, thinking=False)
    await model.aclose()

    for request in server.requests:  # llama.cpp, Ollama & co. may refuse a field they do not know
        assert "chat_template_kwargs" not in request.body
        assert "temperature" not in request.body and "top_p" not in request.body
        assert request.body["max_tokens"] == 1024


async def test_openai_strict_mode_only_for_schemas_it_accepts(server, make_settings, policy):
    loose = {"title": "Verdict", "type": "object", "properties": {"level": {"type": "integer"}, "note": {"type": "string"}},
             "required": ["level"]}
    closed = {**loose, "required": ["level", "note"], "additionalProperties": False}
    server.script(openai_stream(content=["{}"]), openai_stream(content=["{}"]))
    model = OpenAICompatModel.from_settings(make_settings(server.url + "/v1"), "openai", "gpt-x", policy=policy())

    await collect(model, json_schema=loose)
    await collect(model, json_schema=closed)
    await model.aclose()

    assert server.requests[0].body["response_format"]["json_schema"]["strict"] is False
    assert server.requests[1].body["response_format"]["json_schema"]["strict"] is True


# -- retries and errors ------------------------------------------------------------------------

async def test_429_is_retried_once_after_the_servers_retry_after(server, make_settings, policy, sleeps):
    server.script(openai_error(429, "slow down", headers={"Retry-After": "7"}), openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy)

    reply = await complete(model, ASK)
    await model.aclose()

    assert reply.content == "ok"
    assert len(server.requests) == 2
    assert sleeps.delays == [7.0]


async def test_503_every_time_exhausts_the_retries(server, make_settings, policy, sleeps):
    server.script(*[openai_error(503, "boom") for _ in range(3)])
    model = vllm(server, make_settings, policy)

    with pytest.raises(ModelError) as caught:
        await collect(model)
    await model.aclose()

    message = str(caught.value)
    assert len(server.requests) == 3  # max_retries=2, plus the first try
    assert "HTTP 503" in message and "gave up after 2 retries" in message
    assert "\n" not in message
    assert len(sleeps.delays) == 2 and sleeps.delays[0] < sleeps.delays[1] * 2


async def test_401_names_the_key_variable_without_retrying_or_echoing_the_key(server, make_settings, policy, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    server.script(openai_error(401, "Incorrect API key provided: sk-very-secret"))
    model = vllm(server, make_settings, policy)

    with pytest.raises(ModelError) as caught:
        await collect(model)
    await model.aclose()

    message = str(caught.value)
    assert "rejected the API key" in message and "OPENAI_API_KEY" in message and "TUTOR_API_KEY" in message
    assert "sk-very-secret" not in message
    assert len(server.requests) == 1


async def test_unknown_model_404_names_the_model(server, make_settings, policy):
    server.script(openai_error(404, "The model `m` does not exist."))
    model = vllm(server, make_settings, policy)

    with pytest.raises(ModelError) as caught:
        await collect(model)
    await model.aclose()

    assert "no model 'm'" in str(caught.value) and "HTTP 404" in str(caught.value)
    assert len(server.requests) == 1


async def test_bad_request_quotes_the_server_without_retrying(server, make_settings, policy):
    server.script(openai_error(400, "max_tokens is too large"))
    model = vllm(server, make_settings, policy)

    with pytest.raises(ModelError, match=r"refused the request \(HTTP 400 Bad Request\): max_tokens is too large"):
        await collect(model)
    await model.aclose()
    assert len(server.requests) == 1


async def test_connection_refused_is_one_line_naming_the_url(closed_port_url, make_settings, policy, sleeps):
    model = OpenAICompatModel.from_settings(make_settings(closed_port_url), "vllm", "m", policy=policy(max_retries=1))

    with pytest.raises(ModelError) as caught:
        await collect(model)
    await model.aclose()

    message = str(caught.value)
    assert message.startswith(f"cannot reach {closed_port_url} (connection refused): is the server running?")
    assert "tutor doctor" in message and "retr" not in message  # nothing listens: not retried
    assert "\n" not in message
    assert sleeps.delays == []


async def test_a_stream_cut_after_content_fails_without_a_retry(server, make_settings, policy):
    stream = openai_stream(content=["Part one. ", "Part two."])
    stream.cut_after = 2  # role delta + first content, then the connection drops
    server.script(stream, openai_stream(content=["should never be asked for"]))
    model = vllm(server, make_settings, policy)

    seen = []
    with pytest.raises(ModelError) as caught:
        async for chunk in model.stream(ASK):
            seen.append(chunk.content)
    await model.aclose()

    assert "".join(seen) == "Part one. "
    assert "broke in the middle of the reply" in str(caught.value) and "not retried" in str(caught.value)
    assert len(server.requests) == 1


async def test_an_error_event_before_any_text_is_retried(server, make_settings, policy):
    error = 'data: {"error": {"message": "engine overloaded", "code": 503}}\n\n'
    server.script(Reply(events=[error]), openai_stream(content=["ok"]))
    model = vllm(server, make_settings, policy)

    reply = await complete(model, ASK)
    await model.aclose()

    assert reply.content == "ok" and len(server.requests) == 2


async def test_no_answer_within_the_timeout_is_a_timeout_error(server, make_settings, policy):
    release = threading.Event()
    server.script(Reply(hold=release, events=[openai_event(content="late"), "data: [DONE]\n\n"]))
    model = OpenAICompatModel.from_settings(make_settings(server.url + "/v1", request_timeout=0.3), "vllm", "m",
                                            policy=policy(max_retries=0))
    try:
        with pytest.raises(ModelError, match=r"did not answer within 0.3s \(TUTOR_REQUEST_TIMEOUT\)"):
            await collect(model)
    finally:
        release.set()
        await model.aclose()


# -- configuration -----------------------------------------------------------------------------

def test_vllm_without_a_base_url_says_to_set_it(make_settings):
    with pytest.raises(ModelError, match="set TUTOR_BASE_URL"):
        get_chat_model(make_settings(None), model="vllm:nemotron")


def test_openai_without_a_key_names_the_variable(make_settings):
    with pytest.raises(ModelError, match="OPENAI_API_KEY"):
        get_chat_model(make_settings(None), model="openai:gpt-x")


def test_openai_uses_the_public_url_by_default(make_settings):
    model = get_chat_model(make_settings(None, openai_api_key="sk-x"), model="openai:gpt-x")
    assert model.base_url == "https://api.openai.com/v1"
    assert "sk-x" not in repr(model)


@pytest.mark.parametrize("spec, words", [("nemotron", "unknown model 'nemotron'"), ("gpt:4", "unknown model 'gpt:4'"),
                                         ("vllm:", "names nothing after the colon"),
                                         ("openai-compatible: ", "names nothing after the colon")])
def test_bad_model_specs_say_what_is_wrong(make_settings, spec, words):
    with pytest.raises(ModelError, match=words):
        get_chat_model(make_settings("http://127.0.0.1:1/v1"), model=spec)


def test_a_base_url_that_is_not_http_is_refused(make_settings):
    with pytest.raises(ModelError, match="not an http"):
        get_chat_model(make_settings("localhost:8000/v1"), model="vllm:m")


async def test_a_password_in_the_base_url_never_reaches_a_failure_message(closed_port_url, make_settings, policy, sleeps):
    """Issue 13: TUTOR_BASE_URL=http://user:PASS@host/v1 is shown as http://***@host/v1."""
    url = closed_port_url.replace("http://", "http://learner:S3cretPASS@")
    model = OpenAICompatModel.from_settings(make_settings(url), "vllm", "m", policy=policy(max_retries=1))

    with pytest.raises(ModelError) as caught:
        await collect(model)
    await model.aclose()
    assert "S3cretPASS" not in str(caught.value) and "S3cretPASS" not in repr(model)
    assert "http://***@" in str(caught.value)
