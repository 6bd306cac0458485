"""Checking the ports a command will listen on before it changes anything.

`paylab up` opens a database, registers the shop's webhook endpoint and writes the shop's
database before its last port is bound, so a busy port found by binding would leave all
that behind and blame whichever port failed last. Checking every port first lets the
error name the right flag while nothing has happened yet.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Listener:
    """One address a command will listen on, and the flag that chose its port."""

    flag: str
    host: str
    port: int


class PortUnavailable(Exception):
    """A port that cannot be listened on; the message names the flag to change."""

    def __init__(self, listener: Listener, reason: str, *, taken: bool = True) -> None:
        self.listener = listener
        self.reason = reason
        guess = "Is another paylab running? " if taken else ""
        super().__init__(
            f"cannot listen on {listener.host}:{listener.port} ({listener.flag}): {reason}. "
            f"{guess}Choose another {listener.flag}.")


def check_free(listeners: Iterable[Listener]) -> None:
    """Raise PortUnavailable for the first listener whose port is taken (or is another
    listener's); port 0 (any free port) always passes."""
    seen: dict[int, Listener] = {}
    for listener in listeners:
        if listener.port == 0:
            continue
        earlier = seen.get(listener.port)
        if earlier is not None:
            raise PortUnavailable(listener, f"{earlier.flag} uses port {listener.port} too",
                                  taken=False)
        seen[listener.port] = listener
        _try_bind(listener)


def _try_bind(listener: Listener) -> None:
    """Bind the way asyncio's create_server will (SO_REUSEADDR, IPv6 sockets IPv6 only),
    so a port in TIME_WAIT passes here as it does there, and release it at once."""
    try:
        addresses = socket.getaddrinfo(listener.host or None, listener.port,
                                       type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortUnavailable(listener, f"cannot resolve {listener.host!r}: {exc.strerror}",
                              taken=False) from exc
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                raise PortUnavailable(listener, (exc.strerror or str(exc)).lower()) from exc
