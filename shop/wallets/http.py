"""The wallets' HTTP: one aiohttp session for the shop's calls, JSON read exactly.

LINE Pay's transactionId is a 19-digit JSON integer: Python's json keeps integers exact,
and decimals are read as Decimal (never float), so no amount or id is ever rounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp

#: What reading a wallet's answer of an unexpected shape raises (a list for an object, text
#: for a number): the shop answers with a page or a refusal, never a 500.
MALFORMED = (LookupError, AttributeError, TypeError, ValueError)
#: LINE Pay's SDKs wait 20 s for a request and 40 s for a confirm; the shop's pages wait
#: this long at most.
TIMEOUT = 20.0


class Unavailable(Exception):
    """The wallet could not be asked, or answered something that is not its API (a network
    error, a timeout, a body that is no JSON): nothing is known about the payment."""


def loads(text: str | bytes) -> Any:
    """JSON with integers exact and decimals as Decimal; ValueError when it is not JSON
    (or not UTF-8, or nested deeper than the parser goes: someone else's bytes)."""
    try:
        return json.loads(text, parse_float=Decimal)
    except RecursionError as exc:
        raise ValueError("JSON nested too deep") from exc


def dumps(value: Any) -> str:
    """Compact JSON (UTF-8 text as is): the exact text that is sent and signed."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Answer:
    """A wallet's HTTP answer: its status and its JSON body (None when it had none)."""

    status: int
    data: Any


class Http:
    """The shop's client session for the wallets, opened on first use."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def send(self, method: str, url: str, *, headers: dict[str, str],
                   body: bytes | None = None) -> Answer:
        """One request; raises Unavailable when no JSON answer came back."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.request(method, url, headers=headers, data=body,
                                             allow_redirects=False) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise Unavailable(f"{method} {url}: {exc.__class__.__name__} {exc}") from exc
        if not raw.strip():
            return Answer(status, None)
        try:
            return Answer(status, loads(raw))
        except ValueError as exc:  # UnicodeDecodeError is one
            raise Unavailable(f"{method} {url}: HTTP {status}, not JSON") from exc

    async def close(self) -> None:
        """Close the session (with the app)."""
        if self._session is not None:
            await self._session.close()
