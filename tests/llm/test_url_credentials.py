"""A password in a model URL never reaches `tutor doctor` or a ModelError's message."""

from __future__ import annotations

import pytest

from tutor.diagnostics import check_model
from tutor.llm.base import ModelError
from tutor.llm.endpoints import openai_endpoint

SECRET = "TopSecretPASS"


@pytest.mark.parametrize("url", [
    "http://user:TopSecretPASS@127.0.0.1:9/v1",
    "http://user:p@TopSecretPASS@127.0.0.1:9/v1",
    "http://127.0.0.1:9/v1?api_key=TopSecretPASS",
])
def test_doctor_hides_the_password_of_an_unreachable_server(url, make_settings):
    check = check_model(make_settings(url, model="vllm:m"))

    assert check.status == "fail" and "does not answer" in check.detail
    assert SECRET not in check.detail and "127.0.0.1:9/v1" in check.detail


def test_doctor_hides_the_password_in_the_anthropic_base_url(make_settings, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://user:TopSecretPASS@gateway.example")
    check = check_model(make_settings(None, model="anthropic:claude-test", anthropic_api_key="sk-test"))

    assert check.status == "ok" and SECRET not in check.detail and "***@gateway.example" in check.detail


@pytest.mark.parametrize("url", ["ftp://user:TopSecretPASS@127.0.0.1:9/v1", "user:TopSecretPASS@127.0.0.1:9/v1"])
def test_a_refused_base_url_is_named_without_its_password(url, make_settings):
    with pytest.raises(ModelError, match="not an http") as caught:
        openai_endpoint(make_settings(url), "vllm")
    assert SECRET not in str(caught.value) and "***@127.0.0.1:9/v1" in str(caught.value)
    assert SECRET not in check_model(make_settings(url, model="vllm:m")).detail


def test_every_model_error_hides_url_credentials():
    error = ModelError("cannot reach https://ada:TopSecretPASS@h.example/v1?token=TopSecretPASS")
    assert SECRET not in str(error) and SECRET not in repr(error.args)
