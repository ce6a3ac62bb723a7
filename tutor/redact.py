"""Credentials inside URLs (``http://user:PASS@host/v1``) never shown or stored.

redact_url() is the one helper: the configuration view (doctor), the model failure messages,
the progress store's JSON and anything else that shows or keeps a URL call it (or
redact_urls_in() for free text that may contain one).
"""

from __future__ import annotations

import re

# scheme://userinfo@ : everything between :// and the last @ before the host is the userinfo.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#@\s]*)@")
HIDDEN = "***"


def redact_url(url: str | None) -> str | None:
    """The URL with any user:password (or token@) replaced by ***; other text unchanged."""
    if url is None:
        return None
    return redact_urls_in(str(url))


def redact_urls_in(text: str) -> str:
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}{HIDDEN}@", text)
