"""Where the simulator itself listens, so webhook endpoints cannot point at its control API.

Two endpoints whose URLs were `/_sim/webhooks/{the other's delivery}/redeliver` on the
simulator's own port redelivered each other forever at ~90% CPU. A URL is refused when its
path is the control API (`/_sim`, after decoding and dot segments) and its host and port
reach this simulator: the bound address, any loopback or unspecified address (127.0.0.0/8,
::1, 0.0.0.0, ::, and their IPv4-mapped forms, in any notation a resolver accepts, such as
127.1 or 2130706433), localhost names, this machine's name, every local interface when
bound to all of them, and the host and port of the public URL.

`refusal` decides without DNS (webhook endpoints are created on the event loop);
`resolved_refusal` also resolves a name through a resolver the caller passes (the
dispatcher's non-blocking one), just before a delivery is sent.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
#: (host, port) -> the IP addresses the name resolves to.
Resolver = Callable[[str, int], Awaitable[list[str]]]

CONTROL_PREFIX = "/_sim"
DEFAULT_PORTS = {"http": 80, "https": 443}


class Target(NamedTuple):
    """The parts of a URL that decide where a request lands."""

    host: str
    port: int | None
    path: str


def target_of(url: str) -> Target | None:
    """Host (lower-case, no brackets or trailing dot), port and normalised path of a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:  # a port out of range: no request would be sent anywhere
        return None
    host = (parts.hostname or "").rstrip(".").lower()
    return Target(host, port, normal_path(parts.path))


def normal_path(path: str) -> str:
    """The path a server routes on: percent-decoded, `.`/`..` and empty segments resolved."""
    segments: list[str] = []
    for segment in unquote(path).replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    return "/" + "/".join(segments)


def address(host: str) -> IP | None:
    """The IP address a host names literally, in any notation a resolver reads as one
    (`127.1`, `0x7f000001` and `2130706433` included), or None for a name."""
    try:
        return ipaddress.ip_address(host.partition("%")[0])  # without an IPv6 zone
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _interface_address(ip: IP) -> bool:
    """Whether this machine owns `ip` (binding to a foreign address fails)."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class SelfAddress:
    """The simulator's own address, from its settings (host, port, public URL)."""

    host: str
    port: int
    public_url: str | None = None

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be a webhook endpoint (it reaches this simulator's control
        API), or None. Uses no DNS."""
        target = target_of(url)
        if target is None or not self._control(target.path):
            return None
        if self._public(target) or (self._port(target.port) and self._local_host(target.host)):
            return self._message(url)
        return None

    async def resolved_refusal(self, url: str, resolve: Resolver) -> str | None:
        """`refusal`, with a host name also resolved (for names no literal check knows)."""
        refusal = self.refusal(url)
        target = target_of(url)
        if (refusal is not None or target is None or target.port is None
                or not self._control(target.path) or address(target.host) is not None
                or not self._port(target.port)):
            return refusal
        try:
            resolved = await resolve(target.host, target.port)
        except OSError:  # unresolvable: the delivery fails by itself
            return None
        local = any((ip := address(each)) is not None and self._local_ip(ip)
                    for each in resolved)
        return self._message(url) if local else None

    # -- parts ----------------------------------------------------------------------------
    @staticmethod
    def _control(path: str) -> bool:
        lowered = path.lower()
        return lowered == CONTROL_PREFIX or lowered.startswith(CONTROL_PREFIX + "/")

    def _port(self, port: int | None) -> bool:
        return self.port == 0 or port == self.port  # 0: not bound yet, so any port

    def _public(self, target: Target) -> bool:
        public = target_of(self.public_url) if self.public_url else None
        if public is None or public.port != target.port:
            return False
        if public.host == target.host:
            return True
        mine, theirs = address(public.host), address(target.host)
        return mine is not None and mine == theirs

    def _local_host(self, host: str) -> bool:
        ip = address(host)
        if ip is not None:
            return self._local_ip(ip)
        bound = self.host.rstrip(".").lower()
        return (host == "localhost" or host.endswith(".localhost") or host == bound
                or host == socket.gethostname().lower())

    def _local_ip(self, ip: IP) -> bool:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if ip.is_loopback or ip.is_unspecified:
            return True
        bound = address(self.host)
        if bound is not None and not bound.is_unspecified:
            return ip == bound  # bound to one address: only it (and loopback) reaches us
        return _interface_address(ip)  # bound to every interface, or to a name

    @staticmethod
    def _message(url: str) -> str:
        shown = url if len(url) <= 200 else url[:197] + "..."
        return (f"Invalid URL: {shown} points at this simulator's own control API "
                f"({CONTROL_PREFIX}); a webhook endpoint there could trigger itself forever. "
                "Use your webhook receiver's URL.")
