"""Turn an SDK exception into a one-line ``Failure`` a learner or instructor can act on.

The ``openai`` and ``anthropic`` SDKs share one exception layout (``APIStatusError`` with a
``status_code`` and ``response``, ``APIConnectionError``, ``APITimeoutError``, ``APIError``),
so one classifier serves both; each provider passes its SDK module and its own hints.
Server messages are quoted (shortened, on one line) except for authentication errors, and
the API key is scrubbed from anything quoted: secrets are never printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tutor.llm.retry import Failure, parse_retry_after

RETRYABLE_STATUS = {408, 409, 429}
QUOTE_LIMIT = 200


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and how failures are worded for this provider."""

    where: str  # the base URL, as the user configured it
    model: str
    key_hint: str  # the variable(s) that hold the key, e.g. "OPENAI_API_KEY/TUTOR_API_KEY"
    timeout: float
    secret: str = ""  # scrubbed from quoted server messages


def server_message(body: Any, fallback: str = "") -> str:
    """The human part of an error body: ``{"error": {"message": ...}}`` and its variants."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return inner["message"]
        if isinstance(inner, str):
            return inner
        if isinstance(body.get("message"), str):
            return body["message"]
    if isinstance(body, str) and body.strip():
        return body
    return fallback


def quote(text: str, secret: str = "") -> str:
    if secret:
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_LIMIT else line[: QUOTE_LIMIT - 3] + "..."


def classify_sdk_error(exc: BaseException, started: bool, sdk: ModuleType, endpoint: Endpoint) -> Failure | None:
    """A ``Failure`` for ``sdk``'s exceptions, None for anything else."""
    where = endpoint.where
    if isinstance(exc, sdk.APITimeoutError):
        if started:
            return Failure(f"{where} stopped sending in the middle of the reply for {endpoint.timeout:g}s")
        return Failure(f"{where} did not answer within {endpoint.timeout:g}s (TUTOR_REQUEST_TIMEOUT)", retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        if started:
            return Failure(f"the connection to {where} broke in the middle of the reply")
        # a refused connection means nothing listens there: waiting will not change that
        return Failure(f"cannot reach {where}: is the server running? `tutor doctor` checks it",
                       retryable=not refused(exc))
    if isinstance(exc, sdk.APIStatusError):
        return _status_failure(exc, endpoint)
    if isinstance(exc, sdk.APIError):  # an error event inside a 200 stream
        said = quote(server_message(getattr(exc, "body", None), str(exc)), endpoint.secret)
        return Failure(f"{where} sent an error instead of a reply: {said}", retryable=True)
    base = getattr(sdk, "OpenAIError", None) or getattr(sdk, "AnthropicError", None)
    if base is not None and isinstance(exc, base):
        return Failure(f"{where}: {quote(str(exc), endpoint.secret)}")
    return None


def refused(exc: BaseException) -> bool:
    """Was ``exc`` caused by a refused connection (anywhere in its cause/context chain)?"""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ConnectionRefusedError):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _status_failure(exc: Any, endpoint: Endpoint) -> Failure:
    where, code = endpoint.where, exc.status_code
    if code in (401, 403):
        return Failure(f"{where} rejected the API key (HTTP {code}); set {endpoint.key_hint}")
    said = quote(server_message(exc.body, str(exc)), endpoint.secret)
    if code == 404:
        return Failure(f"{where} has no model '{endpoint.model}' (HTTP 404: {said}); check the name in "
                       "TUTOR_MODEL and that the URL is the API root; `tutor doctor` checks it")
    if code < 400:  # an error event inside a 200 stream (Anthropic's "overloaded_error" etc.)
        return Failure(f"{where} sent an error instead of a reply: {said}", retryable=True)
    if code in RETRYABLE_STATUS or code >= 500:
        retry_after = parse_retry_after(getattr(exc.response, "headers", None))
        return Failure(f"{where} answered HTTP {code} ({said})", retryable=True, retry_after=retry_after)
    return Failure(f"{where} refused the request (HTTP {code}): {said}")
