"""Turn an SDK exception into a one-line ``Failure`` a learner or instructor can act on.

The ``openai`` and ``anthropic`` SDKs share one exception layout (``APIStatusError`` with a
``status_code`` and ``response``, ``APIConnectionError``, ``APITimeoutError``, ``APIError``),
so one classifier serves both; each provider passes its SDK module and its own hints.
Server messages are quoted (shortened, on one line) except for authentication errors, and
the API key is scrubbed from anything quoted: secrets are never printed.
"""

from __future__ import annotations

import http
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from tutor.llm.retry import Failure, parse_retry_after
from tutor.redact import redact_url, redact_urls_in

RETRYABLE_STATUS = {429, 502, 503, 504, 529}  # busy (529: Anthropic overloaded), or a gateway in front of a server that may be back
QUOTE_LIMIT = 200


@dataclass(frozen=True)
class Endpoint:
    """Where requests go and how failures are worded for this provider."""

    where: str  # the base URL, as the user configured it
    model: str
    key_hint: str  # the variable(s) that hold the key, e.g. "OPENAI_API_KEY/TUTOR_API_KEY"
    timeout: float
    secret: str = ""  # scrubbed from quoted server messages

    def __post_init__(self) -> None:
        # A password in the base URL is never worded into a failure (shown, then stored).
        object.__setattr__(self, "where", redact_url(self.where) or "")


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
        return "an HTML error page" if _is_html(body) else body
    return "an HTML error page" if _is_html(fallback) else fallback


def _is_html(text: str) -> bool:
    head = text.lstrip()[:200].lower()
    return head.startswith(("<!doctype", "<html", "<head", "<body")) or "<html" in head


def _refused(exc: BaseException) -> bool:
    """Whether a connection error is a refused connection (nothing listens: fail fast)."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, ConnectionRefusedError) or "connection refused" in str(exc).lower() \
                or "errno 111" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def quote(text: str, secret: str = "") -> str:
    text = redact_urls_in(text)
    if secret:
        text = text.replace(secret, "***")
    line = " ".join(text.split())
    return line if len(line) <= QUOTE_LIMIT else line[: QUOTE_LIMIT - 3] + "..."


def classify_sdk_error(exc: BaseException, started: bool, sdk: ModuleType, endpoint: Endpoint) -> Failure | None:
    """A ``Failure`` for ``sdk``'s exceptions, None for anything else."""
    where = endpoint.where
    if isinstance(exc, UnicodeDecodeError):
        return Failure(f"{where} sent a reply that is not valid UTF-8 text")
    if isinstance(exc, sdk.APITimeoutError):
        if started:
            return Failure(f"{where} stopped sending in the middle of the reply for {endpoint.timeout:g}s")
        return Failure(f"{where} did not answer within {endpoint.timeout:g}s (TUTOR_REQUEST_TIMEOUT)", retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        if started:
            return Failure(f"the connection to {where} broke in the middle of the reply")
        if _refused(exc):  # nothing listens there: trying again changes nothing
            return Failure(f"cannot reach {where} (connection refused): is the server running? "
                           "`tutor doctor` checks it")
        return Failure(f"the connection to {where} failed before the reply began", retryable=True)
    if isinstance(exc, sdk.APIStatusError):
        return _status_failure(exc, endpoint)
    if isinstance(exc, sdk.APIError):  # an error event inside a 200 stream
        said = quote(server_message(getattr(exc, "body", None), str(exc)), endpoint.secret)
        return Failure(f"{where} sent an error instead of a reply: {said}", retryable=True)
    base = getattr(sdk, "OpenAIError", None) or getattr(sdk, "AnthropicError", None)
    if base is not None and isinstance(exc, base):
        return Failure(f"{where}: {quote(str(exc), endpoint.secret)}")
    return None


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
    phrase = _phrase(code)
    if code in RETRYABLE_STATUS:
        retry_after = parse_retry_after(getattr(exc.response, "headers", None))
        return Failure(f"{where} answered HTTP {code} {phrase} ({said})", retryable=True, retry_after=retry_after)
    if code >= 500:  # 500 (often a request the server cannot handle), 501: the same on every try
        return Failure(f"{where} could not handle the request (HTTP {code} {phrase}: {said})")
    return Failure(f"{where} refused the request (HTTP {code} {phrase}): {said}")


def _phrase(code: int) -> str:
    try:
        return http.HTTPStatus(code).phrase
    except ValueError:
        return ""
