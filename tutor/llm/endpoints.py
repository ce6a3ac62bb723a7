"""Where a provider's requests go and with which key: one resolution for the providers and
for ``tutor doctor`` (no SDK is imported here, so the doctor stays quick).

Keys come from settings (``TUTOR_API_KEY``/``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``) and are
returned only to be sent; callers never print them.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from tutor.llm.base import ModelError
from tutor.redact import redact_url

OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"
OPENAI_KEY_HINT = "OPENAI_API_KEY (or TUTOR_API_KEY)"
ANTHROPIC_KEY_HINT = "ANTHROPIC_API_KEY"
LOCAL_KEY = "EMPTY"  # local servers (vLLM, llama.cpp, Ollama) take any key; the SDK needs one
OPENAI_COMPATIBLE = ("vllm", "openai", "openai-compatible")


def openai_endpoint(settings, provider: str) -> tuple[str, str]:
    """``(base_url, api_key)`` for an OpenAI-compatible provider, or a ModelError saying what
    to set."""
    if provider not in OPENAI_COMPATIBLE:
        raise ModelError(f"'{provider}' is not an OpenAI-compatible provider; use one of {', '.join(OPENAI_COMPATIBLE)}")
    base = (settings.base_url or "").strip() or (OPENAI_URL if provider == "openai" else "")
    if not base:
        raise ModelError(f"{provider}: no server address; set TUTOR_BASE_URL to the server's /v1 URL, "
                         "e.g. http://localhost:8000/v1")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        # redact_url, not only ModelError's own redaction: a value without a scheme
        # (user:pass@host/v1) is no URL to free-text redaction, but its password is still one
        raise ModelError(f"TUTOR_BASE_URL '{redact_url(base)}' is not an http(s) URL; e.g. http://localhost:8000/v1")
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else ""
    if not key:
        if parts.hostname == urlsplit(OPENAI_URL).hostname:
            raise ModelError(f"{provider}: the OpenAI API needs a key; set {OPENAI_KEY_HINT}")
        key = LOCAL_KEY
    return base.rstrip("/"), key


def anthropic_endpoint(settings) -> tuple[str, str]:
    """``(base_url, api_key)`` for Anthropic: ``ANTHROPIC_BASE_URL`` (the SDK's own variable,
    for proxies and gateways) or the public API; a missing key is a ModelError naming it."""
    key = settings.anthropic_api_key.get_secret_value() if settings.anthropic_api_key else ""
    if not key:
        raise ModelError(f"anthropic: no API key; set {ANTHROPIC_KEY_HINT}")
    base = os.environ.get("ANTHROPIC_BASE_URL", "").strip() or ANTHROPIC_URL
    return base.rstrip("/"), key
