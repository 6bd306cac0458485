"""A probing tenant: its key, the real objects its valid requests point at, and the exact
bytes of each request (one field replaced by a payload, everything else valid).

Values in the surface files may be references: `$key` (this tenant's API key), `$uuid`
(a fresh random token), `$trade_no` (a fresh 20-character order number), `$now` (unix
seconds), `$ymd+N` (the Taiwan date N days ahead, `yyyymmdd`), `$name.path` (a field of an
object made once per test) and `$fresh.name.path` (an object made for this one request: a
capture needs an intent nobody captured yet), optionally `+N` after a number
(`$open_intent.created+7200`). An object is made by a request (`get:` / `post:`), or by a
function (`make: module:function`, called with the base URL and the object's params).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

from paylab.suites.security.injection.payloads import as_bytes, json_literal, nesting
from paylab.suites.security.injection.shapes import Field, place
from paylab.suites.security.injection.surfaces import Operation, home_of, named
from paylab.suites.security.injection.wire import Answer, exchange

_REF = re.compile(r"^\$(fresh\.)?([A-Za-z_]\w*)((?:\.[\w-]+)*)(?:\+(\d+))?$")
_SENTINEL = "\x00hostile-payload\x00"
_MEDIA = {"form": "application/x-www-form-urlencoded", "json": "application/json"}


@dataclass(frozen=True)
class Hostile:
    """The payload, at the place it is probed."""

    payload: Any


@dataclass(frozen=True)
class Wire:
    """One request as it goes out."""

    method: str
    target: bytes                    # path and query, percent-encoded
    headers: list[tuple[str, bytes]]
    body: bytes | None

    def shown(self) -> str:
        """The request line and body, shortened, for the report."""
        body = (self.body or b"")[:300].decode("utf-8", "replace")
        return f"{self.method} {self.target[:200].decode('latin-1')}\n{body}".strip()


class ObjectError(Exception):
    """An object a valid request needs could not be made."""


class Bench:
    """One tenant and the objects it owns, against one simulator."""

    def __init__(self, base_url: str, key: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key or f"sk_test_probe_{uuid.uuid4().hex[:16]}"
        self._shared: dict[str, asyncio.Task[Any]] = {}

    # -- references ------------------------------------------------------------------------
    async def resolve(self, tree: Any, fresh: dict[str, asyncio.Task[Any]]) -> Any:
        """`tree` with every reference replaced by its value."""
        if isinstance(tree, dict):
            return {k: await self.resolve(v, fresh) for k, v in tree.items()}
        if isinstance(tree, list):
            return [await self.resolve(v, fresh) for v in tree]
        if isinstance(tree, str) and "{$" in tree:  # references inside a string
            parts = re.split(r"\{(\$[^}]+)\}", tree)
            return "".join([str(await self.resolve(p, fresh)) if i % 2 else p
                            for i, p in enumerate(parts)])
        if not isinstance(tree, str) or not (match := _REF.match(tree)):
            return tree
        is_fresh, name, path, plus = match.groups()
        if name == "key":
            value: Any = self.key
        elif name == "uuid":
            value = uuid.uuid4().hex
        elif name == "trade_no":  # ECPay's and NewebPay's order numbers: 20 letters/digits
            value = "P" + uuid.uuid4().hex[:19]
        elif name == "now":  # unix seconds (the rails' TimeStamp windows)
            value = int(time.time())
        elif name == "ymd":  # a Taiwan date, `+N` days ahead (NewebPay's ExpireDate)
            ahead = dt.timedelta(days=int(plus or 0), hours=8)
            return (dt.datetime.now(dt.UTC) + ahead).strftime("%Y%m%d")
        else:
            cache = fresh if is_fresh else self._shared
            if name not in cache:
                cache[name] = asyncio.ensure_future(self._make(name))
            value = await cache[name]
        for step in filter(None, path.split(".")):
            value = value[int(step)] if isinstance(value, list) else value[step]
        return int(value) + int(plus) if plus else value  # a timestamp plus N seconds

    async def _make(self, name: str) -> Any:
        home = home_of(name)
        spec = home.objects[name]
        for before in spec.get("after", ()):
            await self.resolve(f"${before}", {})
        params = await self.resolve(spec.get("params", {}), {})
        if "make" in spec:  # made by a function: an order paid through a gateway's pages
            try:
                return await named(spec["make"])(self.base_url, **params)
            except (AssertionError, OSError, KeyError, ValueError) as exc:
                raise ObjectError(f"could not make {name}: {exc}"[:400]) from exc
        (method, path), = ((m, p) for m, p in spec.items() if m in ("get", "post"))
        headers = [(k, str(v).encode()) for k, v in
                   (await self.resolve(home.headers, {})).items()]
        media = spec.get("body", home.body)
        if method == "get":
            query = encode_form(params)
            target, body = path.encode() + (b"?" + query if query else b""), None
        else:
            target = path.encode()
            body = encode_json(params) if media == "json" else encode_form(params)
            headers.append(("Content-Type", _MEDIA[media].encode()))
        answer = await exchange(self.base_url, method.upper(), target, headers, body)
        if not 200 <= answer.status < 300:
            raise ObjectError(f"could not make {name}: {answer.status} {answer.error}"
                              f"{answer.text[:300]}")
        value = json.loads(answer.body)
        for step in filter(None, spec.get("pick", "").split(".")):
            value = value[int(step)] if isinstance(value, list) else value[step]
        return value

    # -- requests --------------------------------------------------------------------------
    async def request(self, op: Operation, field: Field, payload: Any | None) -> Wire:
        """The valid request of `op` with `payload` in `field` (None: the field's harmless
        control value, which must be accepted)."""
        params = {k: v for k, v in op.valid.items() if k not in op.without.get(field.name, ())}
        harmless = op.neutral.get(field.name)
        if payload is None and field.name in op.neutral and harmless is None:
            params.pop(field.name, None)  # no harmless value exists: the control leaves it out
        else:
            shape = field.shape
            base = harmless if harmless is not None else params.get(field.name)
            if base is None and shape is not None:
                base = shape.example()
            if base is None and payload is None:
                raise ObjectError(f"no valid value for {field.name} in {op.id}: give one in "
                                  "its surface file")
            value = Hostile(payload) if payload is not None else None
            params[field.name] = place(base, field.leaf, value, shape)
        fresh: dict[str, asyncio.Task[Any]] = {}
        params = await self.resolve(params, fresh)
        headers = await self.resolve(op.headers, fresh)
        where = {f.name: f.where for f in op.fields}
        located: dict[str, dict[str, Any]] = {w: {} for w in ("path", "query", "body",
                                                              "header", "cookie")}
        for name, item in params.items():
            located[where[name]][name] = item
        path = await self.resolve(op.path, fresh)
        url = urllib.parse.urlsplit(path)  # a form's URL may carry a query (`?token=`)
        target = _fill_path(url.path, located["path"]).encode()
        query = b"&".join(filter(None, [url.query.encode(), encode_form(located["query"])]))
        target += b"?" + query if query else b""
        wire_headers = [(k, str(v).encode()) for k, v in headers.items()]
        body = None
        if op.method not in ("GET", "DELETE") and op.sign:  # signed after the payload went in
            pairs = form_pairs(located["body"])
            pairs = await named(op.sign)(self, field, pairs, payload is not None)
            body = encode_pairs(pairs)
            wire_headers.append(("Content-Type", _MEDIA["form"].encode()))
        elif op.method not in ("GET", "DELETE"):
            body = (encode_json if op.body == "json" else encode_form)(located["body"])
            wire_headers.append(("Content-Type", _MEDIA[op.body].encode()))
        if located["cookie"]:
            wire_headers.append(("Cookie", b"; ".join(name.encode() + b"=" + _raw(item)
                                                      for name, item in located["cookie"].items())))
        for name, item in located["header"].items():  # last, raw: see `wire.exchange`
            wire_headers.append((name, _raw(item)))
        if op.seal:  # a signature over the raw request, made after the payload went in
            wire_headers = await named(op.seal)(self, field, target, body, wire_headers,
                                                payload is not None)
        return Wire(op.method, target, wire_headers, body)

    async def get(self, url: str) -> Answer:
        """GET a page by reference (`$session.url`) or path, as a browser would."""
        split = urllib.parse.urlsplit(await self.resolve(url, {}))
        target = split.path + (f"?{split.query}" if split.query else "")
        return await exchange(self.base_url, "GET", target.encode(), [])

    async def send(self, wire: Wire) -> Answer:
        """Send a built request."""
        return await exchange(self.base_url, wire.method, wire.target, wire.headers, wire.body)


def _raw(item: Any) -> bytes:
    """A value's bytes as they are (a header, a cookie, a path segment before quoting)."""
    return as_bytes(item.payload) if isinstance(item, Hostile) else str(item).encode()


def _fill_path(template: str, segments: dict[str, Any]) -> str:
    def segment(match: re.Match[str]) -> str:
        return urllib.parse.quote_from_bytes(_raw(segments[match.group(1)]), safe="")

    return re.sub(r"{([^}]+)}", segment, template)


def _pairs(key: str, value: Any) -> list[tuple[str, bytes]]:
    if isinstance(value, Hostile):
        return [(key + "[x]" * nesting(value.payload), as_bytes(value.payload))]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _pairs(f"{key}[{k}]", v)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _pairs(f"{key}[{i}]", v)]
    if isinstance(value, bool):
        return [(key, b"true" if value else b"false")]
    return [] if value is None else [(key, str(value).encode())]


def form_pairs(params: dict[str, Any]) -> list[tuple[str, bytes]]:
    """The form's (name, raw value) pairs, in bracket notation."""
    return [p for k, v in params.items() for p in _pairs(k, v)]


def encode_pairs(pairs: list[tuple[str, bytes]]) -> bytes:
    """Pairs as an urlencoded body, every value percent-encoded from its bytes."""
    return b"&".join(urllib.parse.quote(k, safe="[]").encode() + b"=" +
                     urllib.parse.quote_from_bytes(v, safe="").encode() for k, v in pairs)


def encode_form(params: dict[str, Any]) -> bytes:
    """Stripe's bracket-notation form encoding, every value percent-encoded from its bytes."""
    return encode_pairs(form_pairs(params))


def encode_json(params: dict[str, Any]) -> bytes:
    """A JSON document (none for no parameters); the payload goes in byte for byte."""
    if not params:
        return b""
    hostile: list[Hostile] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Hostile):
            hostile.append(value)
            return _SENTINEL
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        return [swap(v) for v in value] if isinstance(value, list) else value

    text = json.dumps(swap(params), ensure_ascii=False).encode()
    if hostile:
        text = text.replace(json.dumps(_SENTINEL).encode(), json_literal(hostile[0].payload))
    return text
