"""A raw HTTP/1.1 exchange over a socket: the request goes out byte for byte as the probe
built it (CR, LF and NUL in headers included), because client libraries clean or refuse
exactly the bytes the probes are about. `Host` is the server's own `127.0.0.1:port` and no
`Origin` is sent, so the probes pass the simulator's Host allow-list and Origin checks."""

from __future__ import annotations

import asyncio
import http.client
import io
import urllib.parse
from dataclasses import dataclass, field

TIMEOUT = 30.0


@dataclass
class Answer:
    """What came back: status 0 means no (parsable) answer, and `error` says why."""

    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str = ""

    def header(self, name: str) -> str | None:
        """The first header of that name (case-insensitive)."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def media_type(self) -> str:
        """`application/json` of `application/json; charset=utf-8`."""
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        """The body as text (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")


class _Canned:
    """A socket stand-in holding a whole answer, for `http.client` to parse."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, *_: object, **__: object) -> io.BytesIO:
        return io.BytesIO(self._data)


def parse(data: bytes) -> Answer:
    """An answer read to EOF, parsed by the standard library (chunked bodies included)."""
    if not data:
        return Answer(error="the server closed the connection without answering")
    response = http.client.HTTPResponse(_Canned(data))  # type: ignore[arg-type]
    try:
        response.begin()
        body = response.read()
    except (http.client.HTTPException, ValueError) as exc:
        return Answer(error=f"unparsable answer ({type(exc).__name__}): {data[:80]!r}")
    return Answer(response.status, response.getheaders(), body)


async def exchange(base_url: str, method: str, target: bytes,
                   headers: list[tuple[str, bytes]], body: bytes | None = None) -> Answer:
    """Send one request (`target` is the raw path and query) and read its answer.

    The probed header goes last, after `Content-Length`, so a payload that ends the header
    block early turns the rest into body, as it would on a real attack."""
    url = urllib.parse.urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    lines = [method.encode() + b" " + target + b" HTTP/1.1",
             f"Host: {host}:{port}".encode(), b"Connection: close"]
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    lines += [name.encode() + b": " + value for name, value in headers]
    try:
        async with asyncio.timeout(TIMEOUT):
            reader, writer = await asyncio.open_connection(host, port)
            data = bytearray()
            try:
                writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))
                await writer.drain()
                while chunk := await reader.read(65536):
                    data += chunk
            except ConnectionResetError:
                pass  # the server answered and hung up before reading all we sent: judge that
            finally:
                writer.close()
    except (OSError, TimeoutError) as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}")
    return parse(bytes(data))
