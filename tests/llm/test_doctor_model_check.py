"""``tutor doctor``'s model check resolves URL and key exactly as the providers do."""

from __future__ import annotations

from tutor.diagnostics import check_model


def test_doctor_lists_the_served_models_with_the_providers_key(server, make_settings, monkeypatch):
    monkeypatch.setenv("TUTOR_API_KEY", "sk-doctor")
    server.models = ["nemotron"]

    check = check_model(make_settings(server.url + "/v1", model="vllm:nemotron"))

    assert (check.status, check.detail) == ("ok", f"{server.url}/v1 serves nemotron")
    assert server.requests[0].path == "/v1/models"
    assert server.requests[0].headers["authorization"] == "Bearer sk-doctor"


def test_doctor_sends_the_same_dummy_key_as_the_provider(server, make_settings):
    check_model(make_settings(server.url + "/v1", model="openai-compatible:m"))

    assert server.requests[0].headers["authorization"] == "Bearer EMPTY"


def test_doctor_fails_vllm_without_a_base_url_with_the_providers_words(make_settings):
    check = check_model(make_settings(None, model="vllm:nemotron"))

    assert check.status == "fail" and "set TUTOR_BASE_URL" in check.detail


def test_doctor_fails_anthropic_without_a_key(make_settings):
    check = check_model(make_settings(None, model="anthropic:claude-test"))

    assert check.status == "fail" and "ANTHROPIC_API_KEY" in check.detail


def test_doctor_reports_an_unreachable_server(closed_port_url, make_settings):
    check = check_model(make_settings(closed_port_url, model="vllm:m"))

    assert check.status == "fail" and closed_port_url in check.detail
