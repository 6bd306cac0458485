"""The injection probe engine: every payload of a category in every field of an endpoint,
each answer judged and reported (payload, status, verdict) in the Allure report."""

from __future__ import annotations

import asyncio
import threading
import urllib.parse
from collections.abc import Coroutine
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import allure
import yaml

DATA = Path(__file__).parent / "data"
LEAKS = ("Traceback (most recent call last)", "sqlite3.", "OperationalError", "File \"/",
         "IntegrityError", "aiohttp/web_", "site-packages")
T = TypeVar("T")


@cache
def payloads() -> dict[str, list[Any]]:
    """The payload file, by category."""
    return yaml.safe_load((DATA / "payloads.yaml").read_text(encoding="utf-8"))


def as_bytes(payload: Any) -> bytes:
    """The raw bytes a payload sends as a form value or URL segment."""
    if isinstance(payload, dict) and "repeat" in payload:
        return (payload["repeat"] * payload["times"]).encode()
    if isinstance(payload, dict) and "bytes_hex" in payload:
        return bytes.fromhex(payload["bytes_hex"])
    return str(payload).encode()


def label(payload: Any) -> str:
    """How a payload is shown in the report."""
    if isinstance(payload, dict):
        return ", ".join(f"{k}={v}" for k, v in payload.items())
    text = repr(payload)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class Probe:
    """One request with one payload in one place."""

    field: str
    where: str            # body | query | path | header | cookie
    payload: Any
    status: int = 0
    verdict: str = ""
    ok: bool = True


@dataclass
class Target:
    """An endpoint and how to reach it."""

    name: str
    method: str
    url: str                      # may contain one {param} for path probes
    fields: dict[str, str]        # field name -> where (body, query, path, header, cookie)
    headers: dict[str, str] = field(default_factory=dict)
    html: bool = False            # answers are HTML: echoes must be escaped


def encode_value(key: str, raw: bytes) -> bytes:
    """`key=value` for a form body or query string, percent-encoding the raw bytes."""
    return urllib.parse.quote(key, safe="[]").encode() + b"=" + urllib.parse.quote_from_bytes(
        raw).encode()


def build(target: Target, probe: Probe) -> tuple[str, bytes | None, dict[str, str]]:
    """The URL, body and headers that put `probe.payload` in `probe.field`."""
    raw = as_bytes(probe.payload)
    url, body, headers = target.url, None, dict(target.headers)
    key = probe.field
    if isinstance(probe.payload, dict) and "nest" in probe.payload:
        key = probe.field + "[x]" * probe.payload["nest"]
        raw = b"deep"
    if probe.where == "path":
        url = url.replace("{" + probe.field + "}", urllib.parse.quote_from_bytes(raw, safe=""))
    elif probe.where == "query":
        url = url + ("&" if "?" in url else "?") + encode_value(key, raw).decode()
    elif probe.where == "body":
        body = encode_value(key, raw)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif probe.where in ("header", "cookie"):
        # the bytes go out as they are; HTTP clients refuse CR, LF and NUL in a header
        text = raw.decode("latin-1").translate({ord(c): None for c in "\r\n\0"})
        if probe.where == "cookie":
            headers["Cookie"] = f"{probe.field}={urllib.parse.quote(text)}"
        else:
            headers[probe.field] = text[:4000]
    return url.replace("{", "%7B").replace("}", "%7D") if probe.where != "path" else url, \
        body, headers


def judge(target: Target, probe: Probe, body: str, error_check: Any) -> None:
    """Set the probe's verdict: never a 5xx, a stack trace, or an unescaped echo."""
    problems = []
    if probe.status >= 500 or probe.status == 0:
        problems.append(f"server error {probe.status}")
    leaked = [m for m in LEAKS if m in body]
    if leaked:
        problems.append(f"leaks {leaked[0]!r}")
    if target.html and isinstance(probe.payload, str) and "<" in probe.payload \
            and probe.payload in body:
        problems.append("echoed unescaped")
    if not target.html and 400 <= probe.status < 500 and error_check is not None:
        problems += error_check(body)
    probe.ok = not problems
    probe.verdict = "; ".join(problems) or ("rejected cleanly" if probe.status >= 400
                                            else "accepted, echoed safely")


async def _send(session: aiohttp.ClientSession, target: Target, probe: Probe,
                error_check: Any) -> None:
    url, body, headers = build(target, probe)
    try:
        async with session.request(target.method, url, data=body, headers=headers,
                                   allow_redirects=False) as resp:
            probe.status = resp.status
            text = (await resp.read()).decode("utf-8", "replace")
    except ValueError as exc:  # the client refused to send it: the probe is broken, not passed
        probe.status, probe.ok, probe.verdict = -1, False, f"not sent: {exc}"[:80]
        return
    except (aiohttp.ClientError, TimeoutError) as exc:
        probe.status, text = 0, f"{type(exc).__name__}: {exc}"
    judge(target, probe, text, error_check)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own thread (Playwright's sync API owns this thread's loop)."""
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def probe_target(target: Target, category: str, error_check: Any = None) -> list[Probe]:
    """Send every payload of `category` in every field of `target`; report and return."""
    probes = [Probe(name, where, payload) for name, where in target.fields.items()
              for payload in payloads()[category]]

    async def all_of() -> None:
        timeout = aiohttp.ClientTimeout(total=20)
        connector = aiohttp.TCPConnector(limit=16)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            await asyncio.gather(*(_send(session, target, p, error_check) for p in probes))

    run_async(all_of())
    table = "\n".join(f"{'PASS' if p.ok else 'FAIL'}  {p.status:>3}  {p.where:<6} "
                      f"{p.field:<28} {label(p.payload):<62} {p.verdict}" for p in probes)
    allure.attach(f"verdict status where  field{' ' * 24}payload{' ' * 56}answer\n{table}",
                  name=f"{len(probes)} probes: {target.method} {target.name} / {category}",
                  attachment_type=allure.attachment_type.TEXT)
    return probes
