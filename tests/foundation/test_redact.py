"""tutor.redact: a credential in a URL is hidden wherever a URL is shown or stored: the userinfo
(up to the authority's last '@', as httpx and libpq read it) and secret-looking query or
fragment parameters."""

from __future__ import annotations

import pytest

from tutor.redact import redact_deep, redact_url, redact_urls_in

SECRET = "TopSecret"


@pytest.mark.parametrize("url, shown", [
    ("http://user:TopSecretPASS@127.0.0.1:9/v1", "http://***@127.0.0.1:9/v1"),
    ("http://user:p@ssTopSecret@host:8000/v1", "http://***@host:8000/v1"),  # httpx: password 'p@ss...'
    ("http://host/v1?api_key=TopSecret&x=1", "http://host/v1?api_key=***&x=1"),
    ("https://host/v1#token=TopSecret", "https://host/v1#token=***"),
    ("https://host/v1#access_token=TopSecret&state=1", "https://host/v1#access_token=***&state=1"),
    ("https://b.example/o?X-Amz-Signature=TopSecret&X-Amz-Credential=TopSecretToo",
     "https://b.example/o?X-Amz-Signature=***&X-Amz-Credential=***"),
    ("http://h/v1?Password=TopSecret", "http://h/v1?Password=***"),
    ("http://user:pa TopSecret@host/v1", "http://***@host/v1"),  # one setting: a space is no end
    ("user:TopSecret@host/v1", "***@host/v1"),  # a setting written without a scheme
])
def test_a_url_setting_is_shown_without_its_credentials(url, shown):
    assert redact_url(url) == shown


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1", "http://host/v1?model=x&limit=3", "vllm:nemotron",
                                 "http://***@host/v1?token=***", "https://host/docs#section-2"])
def test_a_url_without_credentials_is_unchanged(url):
    assert redact_url(url) == url


def test_urls_in_free_text_are_redacted_and_the_rest_is_left_alone():
    text = ("my lab calls http://ada:p@ssTopSecret@gpu.example:8000/v1?api_key=TopSecret2 and gets a 401; "
            "mail ada@example.org")
    assert redact_urls_in(text) == ("my lab calls http://***@gpu.example:8000/v1?api_key=*** and gets a 401; "
                                    "mail ada@example.org")
    assert redact_urls_in(redact_urls_in(text)) == redact_urls_in(text)  # stored text, stored again


def test_redact_deep_walks_plain_containers_only():
    data = {"message": "see http://u:TopSecret@h/v1", "history": [("x", "https://h/?token=TopSecret")], "n": 3}
    out = redact_deep(data)
    assert SECRET not in repr(out) and out["n"] == 3 and isinstance(out["history"][0], tuple)
    assert SECRET in data["message"]  # a copy: the caller's value is untouched
