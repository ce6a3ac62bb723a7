"""The judge on an OpenAI-compatible server of its own (TUTOR_JUDGE_BASE_URL), against a local
stand-in that takes only some structured-output forms: json_schema refused (llama-cpp-python
0.3.x answers it with HTTP 500) falls back to json_object, then to the prompt's JSON contract
with strict parsing; what the server took is remembered; a judge that produced no valid
sample is an honest "incomplete", never a pass over the rest of the weight."""

from __future__ import annotations

import json
import socket

import pytest
from tests.grading.grading_support import CALIBRATION, judge_reply
from tests.llm.llm_fake_server import ScriptedServer, openai_error, openai_stream

from tutor.grading import grade_folder
from tutor.grading.report import markdown

HONEST_QUOTE = "The upper-case ratio kept growing with merges, to 2.436 at 800"
VERDICT = judge_reply(3, [HONEST_QUOTE])


@pytest.fixture
def server():
    running = ScriptedServer().start()
    yield running
    running.stop()


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def on_server(settings, server):
    """The judge on ``server``; the chat model's own URL leads nowhere (connections refused)."""
    return settings.model_copy(update={"model": "openai-compatible:chat", "base_url": closed_url(),
                                       "judge_model": "openai-compatible:m", "judge_base_url": server.url + "/v1",
                                       "max_retries": 0, "request_timeout": 20.0})


def form(recorded) -> str:
    return ((recorded.body or {}).get("response_format") or {}).get("type", "prompt")


def takes(*forms: str, reply: str = VERDICT):
    """A server that answers ``reply`` to the forms it takes and HTTP 500 to the others."""
    def respond(recorded):
        if form(recorded) in forms:
            return openai_stream(content=[reply[: len(reply) // 2], reply[len(reply) // 2:]])
        return openai_error(500, f"response_format type {form(recorded)} is not supported")
    return respond


def posts(server) -> list[str]:
    return [form(r) for r in server.requests if r.method == "POST"]


def test_json_schema_refused_falls_back_to_json_object_and_the_server_is_remembered(strong_lab, settings, server):
    server.respond = takes("json_object")

    report = grade_folder(strong_lab, settings=on_server(settings, server), samples=2)

    judged = [c for c in report["criteria"] if c["judged"]]
    assert judged and all(c["level"] == 3 and c["evidence"] == [HONEST_QUOTE] for c in judged)
    assert report["judge"]["ran"] and report["incomplete"] == "" and report["passed"] is not None
    sent = posts(server)
    assert sent[0] == "json_schema" and sent.count("json_object") == 2 * len(judged)
    assert sent.count("json_schema") < sent.count("json_object")  # not asked again on every call
    assert all(r.path == "/v1/chat/completions" for r in server.requests)  # the judge's URL, not the chat model's


@pytest.mark.parametrize("reply", [f"Here is my verdict:\n```json\n{VERDICT}\n```", VERDICT])
def test_a_server_that_takes_no_response_format_is_judged_by_the_prompt_contract(strong_lab, settings, server, reply):
    server.respond = takes("prompt", reply=reply)

    report = grade_folder(strong_lab, settings=on_server(settings, server), samples=1)

    assert report["incomplete"] == "" and report["passed"] is not None
    assert all(c["level"] == 3 for c in report["criteria"] if c.get("judged"))
    assert {"json_schema", "json_object", "prompt"} <= set(posts(server))


@pytest.mark.parametrize("reply, why", [
    ("I would give this a solid 4 out of 4.", "invalid output, e.g. no JSON object in the reply"),
    (VERDICT[: len(VERDICT) - 12], "invalid output, e.g. no JSON object in the reply"),  # cut mid-object
    ('{"level": 9, "rationale": "great", "evidence": []}', "invalid output, e.g. 1 validation error"),
])
def test_prose_truncated_or_invalid_json_is_incomplete_never_passed(strong_lab, settings, server, reply, why):
    server.respond = takes("json_object", "prompt", reply=reply)

    report = grade_folder(strong_lab, settings=on_server(settings, server), samples=1)

    assert report["passed"] is None and report["incomplete"].startswith("judge failed: ")
    assert why in report["incomplete"]
    assert not any(c["judged"] for c in report["criteria"])
    assert "incomplete, judge failed" in markdown(report) and "(passed)" not in markdown(report)


def test_a_server_that_refuses_every_form_says_why_in_the_report(strong_lab, settings, server):
    server.respond = lambda recorded: openai_error(500, "the model crashed")

    report = grade_folder(strong_lab, settings=on_server(settings, server), samples=1)

    assert report["passed"] is None and "model error" in report["incomplete"]
    assert "HTTP 500" in report["incomplete"] and "the model crashed" in report["incomplete"]


def test_calibrate_says_how_many_judge_calls_failed(settings, server):
    from tutor.grading.calibration import calibrate

    server.respond = takes("json_object", reply="Level four, clearly.")
    settings = on_server(settings, server).model_copy(update={"judge_samples": 1})

    result = calibrate(CALIBRATION, settings=settings, use_judge=True, workers=2)

    sent = posts(server)
    failures = result["judge_failures"]
    assert result["judge_ran"] and failures["submissions"] == result["submissions"]
    # every call the server answered was a sample, and every sample failed
    assert failures["dropped_samples"] == len(sent) - sent.count("json_schema") > 0
    assert f"the judge failed on {result['submissions']} of {result['submissions']} submissions" in result["summary"]
    assert json.dumps(failures["examples"]).count("judge failed") == len(failures["examples"]) > 0
