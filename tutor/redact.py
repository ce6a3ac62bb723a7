"""Credentials inside URLs (``http://user:PASS@host/v1``, ``...?api_key=PASS``) never shown or stored.

redact_url() is the one helper for a URL setting: the configuration view (doctor), the model
failure messages, the progress store's JSON and anything else that shows or keeps a URL call it
(or redact_urls_in() for free text that may contain one, redact_deep() for nested data).

What is hidden:
- the userinfo: everything between ``://`` and the LAST ``@`` of the authority (``p@ss`` is one
  password to httpx and libpq), shown as ``***@``;
- the value of every query or fragment parameter whose name looks secret (``?api_key=``,
  ``#access_token=``, ``&X-Amz-Signature=``...), shown as ``name=***``.
"""

from __future__ import annotations

import re
from typing import Any

HIDDEN = "***"
# Parameter names whose values are credentials (substring, any case): api_key, access_token,
# client_secret, password, sslpassword, passwd, sig, X-Amz-Signature, auth, Authorization, ...
SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|sig|signature|auth|credential", re.IGNORECASE)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# scheme:// then the rest of the URL, up to whitespace (free text ends a URL there).
_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>\S*)")
# name=value after ? # or &; a value runs to the next & or # (or the end of the URL).
_PARAM = re.compile(r"(?P<lead>[?#&])(?P<name>[^=&#?\s]*)=(?P<value>[^&#\s]*)")


def redact_url(url: str | None) -> str | None:
    """The URL with any user:password (or token@) replaced by *** and secret query/fragment
    values masked; other text unchanged. A setting written without a scheme
    (``user:pass@host/v1``) is read as one too."""
    if url is None:
        return None
    text = str(url)
    # The whole value is one URL: its authority may hold a space (``user:pa ss@host``), which
    # free text would take for the URL's end; any other URL in it is then redacted as in text.
    scheme = _SCHEME.match(text)
    head = scheme.group(0) if scheme else ""
    return redact_urls_in(head + _redact_rest(text[len(head):]))


def redact_urls_in(text: str) -> str:
    """Every ``scheme://...`` URL in free text, redacted as redact_url() does (a URL ends at
    whitespace; text without ``scheme://`` is left alone, e-mail addresses included)."""
    return _URL.sub(lambda m: m.group("scheme") + _redact_rest(m.group("rest")), text)


def redact_params(url: str, secret: re.Pattern = SECRET_PARAM) -> str:
    """Only the values of query/fragment parameters whose names match ``secret`` masked."""
    start = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    if start < 0:
        return url
    return url[:start] + _PARAM.sub(lambda m: _mask(m, secret), url[start:])


def redact_deep(value: Any) -> Any:
    """Plain dicts, lists and tuples with every string in them passed through redact_urls_in;
    any other object is returned as it is."""
    if isinstance(value, str):
        return redact_urls_in(value) if "://" in value else value
    if type(value) is dict:
        return {k: redact_deep(v) for k, v in value.items()}
    if type(value) is list:
        return [redact_deep(v) for v in value]
    if type(value) is tuple:
        return tuple(redact_deep(v) for v in value)
    return value


def _redact_rest(rest: str) -> str:
    """``rest``: a URL after its ``scheme://`` (or a URL without one)."""
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    if at >= 0:
        rest = HIDDEN + rest[at:]
    return redact_params(rest)


def _mask(m: re.Match, secret: re.Pattern) -> str:
    if m.group("value") and secret.search(m.group("name")):
        return f"{m.group('lead')}{m.group('name')}={HIDDEN}"
    return m.group(0)
