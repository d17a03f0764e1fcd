"""Keeping credentials out of everything the project prints or writes.

A LimeSurvey URL may carry a user name and password (``https://user:password@host/…``, HTTP basic
authentication in front of LimeSurvey); :func:`public_url` is the form that may be recorded or
shown. :class:`Secrets` holds the password and every session key of a fetch and blanks them, in
each form they can take on the wire (as typed, URL-encoded, JSON-escaped), from a message.
"""

from __future__ import annotations

import ipaddress
import json
import re
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

HIDDEN = "***"
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def public_url(url: str) -> str:
    """``url`` without its user-info (``user:password@``), also when it is malformed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or not parts.netloc:  # no scheme, or not parseable: cut anything up to an @ before the path
        return re.sub(r"^([a-zA-Z][\w+.-]*:/+)?[^/@\s]*@", lambda m: m.group(1) or "", url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Secrets:
    """The secrets of one fetch: blanks them from any text."""

    def __init__(self, *values: str) -> None:
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:  # a shorter 'secret' would blank ordinary words
            self._values.add(value)

    def forms(self) -> list[str]:
        """Each secret as typed, URL-encoded and JSON-escaped, longest first."""
        found = set()
        for value in self._values:
            escaped = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
            found |= {value, quote(value, safe=""), quote_plus(value), *escaped,
                      *(e.replace("/", "\\/") for e in escaped)}  # PHP's json_encode writes / as \/
        return sorted(found, key=len, reverse=True)

    def found_in(self, data: bytes | str) -> bool:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        return any(form in text for form in self.forms())

    def __call__(self, text: str) -> str:
        """``text`` with every secret and every URL user-info replaced by ``***``."""
        for form in self.forms():
            text = text.replace(form, HIDDEN)
        return _USERINFO.sub("", text)
