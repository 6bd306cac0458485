"""The Host allow-list. A page on evil.example whose name a DNS-rebinding attack points at
127.0.0.1 makes the browser talk to this simulator as if it were evil.example's own origin,
and the one trace of that is the `Host: evil.example` header; so only known names pass."""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paylab.simulator.settings import Settings

#: Names this machine always answers to (a browser sends them only when it really is
#: talking to this machine, so they are no rebinding vector).
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
#: DNS labels (underscores allowed, as in container service names), or a dotted IPv4.
_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$")


def host_name(value: str, *, bare_ipv6: bool = False) -> str | None:
    """The name in a `Host` value (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-case,
    without its port or a trailing dot; None when it is malformed.

    `bare_ipv6` also accepts an unbracketed IPv6 address (for flags, never for headers).
    """
    text = value.strip().lower()
    if bare_ipv6 and text.count(":") > 1 and not text.startswith("["):
        text = f"[{text}]"
    if text.startswith("["):
        end = text.find("]")
        name, rest = text[1:end], text[end + 1:]
        if end < 0 or not _ipv6(name):
            return None
    else:
        name, colon, port = text.partition(":")
        name, rest = name.rstrip("."), colon + port
        if not _NAME.match(name):
            return None
    if rest and not (rest[0] == ":" and rest[1:].isascii() and rest[1:].isdigit()
                     and len(rest) <= 6):
        return None
    return name


def _ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class HostAllowList:
    """The names requests may carry in `Host` (any port)."""

    names: frozenset[str]

    @classmethod
    def from_settings(cls, settings: Settings) -> HostAllowList:
        """The bound address, localhost, the --public-url host and every --allowed-host."""
        names = set(LOCAL_NAMES)
        candidates = [settings.host, *settings.allowed_hosts]
        for each in candidates:
            name = host_name(each, bare_ipv6=True) if each else None
            if name:
                names.add(name)
        if settings.public_url:
            public = urllib.parse.urlsplit(settings.public_url).hostname
            if public:
                names.add(public.rstrip("."))
        return cls(frozenset(names))

    def allows(self, header: str) -> bool:
        """Whether a `Host` header value names this simulator."""
        return host_name(header) in self.names
