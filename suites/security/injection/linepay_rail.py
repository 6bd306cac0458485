"""LINE Pay as a probe surface: what suites/security/data/surfaces/linepay.yaml names.

Every LINE Pay request is signed: X-LINE-Authorization = Base64(HMAC-SHA256(secret, secret +
API path (without the /linepay mount) + raw JSON body or query + nonce)), with a nonce that
is good once and the channel in X-LINE-ChannelId. The bench builds each request with the
payload in place, then `seal` signs it as a LINE Pay client would, with a fresh nonce and
the probing channel's secret, so a hostile value gets past the signature and reaches its
field's own handling:

- `SEALED` (`PROBED`): the Request body's fields, the payment details query and the
  check-status path segment (on a transaction the probing channel requested);
- the rest (confirm, capture, void, refund: a transaction in a given state per probe; the
  preapproved operations, which answer 1154 to everything) are listed for the bench without
  their inputs, and suites/security/test_linepay_security.py probes every body field,
  query parameter, path segment and header of them with signed requests and fresh nonces,
  judged by the same rules (no 5xx, LINE Pay's JSON envelope, a 2101 refusal names the
  probed field, nothing echoed as markup).

LINE Pay answers HTTP 200 with a returnCode, refusals included: `linepay_refusal` reads one.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import re
import uuid
from typing import Any

import requests
from paylab.simulator.gateways.linepay.routes import OPERATIONS
from paylab.simulator.gateways.linepay.wire import CODES
from paylab.suites.security import rails
from paylab.suites.security.injection.bench import Bench
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.verdict import Refusal
from paylab.suites.security.injection.wire import Answer
from paylab.suites.unit.linepay_merchant import Channel

#: The operations the bench probes field by field; the rest it lists without inputs.
SEALED = ("Request", "PaymentDetails", "CheckRequestStatus")
#: The signed headers, in the order `seal` writes them.
HEADERS = ("X-LINE-ChannelId", "X-LINE-Authorization-Nonce", "X-LINE-Authorization")
MOUNT = b"/linepay"
#: returnCodes that are parameter refusals (the field's own validation).
VALIDATION = ("2101", "1124")
_PARAM = re.compile(r"{[^}]+}")
_PARAM_NAME = re.compile(r"{([^}]+)}")
_UNROUTED = "no such LINE Pay API: "


def _probed(op: Any) -> Any:
    if op.operation_id in SEALED:
        return op
    return dataclasses.replace(op, path=_PARAM.sub("1", op.path), request=None,
                               request_body=None, query=None)


#: The operations as the bench sees them (see the module's docstring).
PROBED = tuple(_probed(op) for op in OPERATIONS)


async def channel(base_url: str) -> dict[str, Any]:
    """A LINE Pay channel registered for the probing test, with its secret."""
    made = await asyncio.to_thread(rails.register, base_url, "linepay")
    return {"channel_id": made["merchant_id"], "secret": made["hash_key"]}


async def paid(base_url: str, channel: dict[str, Any]) -> dict[str, Any]:
    """A payment the probing channel requested, the shopper approved (through
    /_sim/payments/{id}/simulate) and the channel confirmed: its transaction and order ids
    (payment details lists confirmed payments only)."""
    client = Channel(base_url.rstrip("/"), requests.Session(), channel["channel_id"],
                     channel["secret"])
    order_id = f"probe-{uuid.uuid4().hex}"

    def made() -> int:
        info = client.request(order_id, 1000)
        client.approve(info)
        confirmed = client.confirm(info["transactionId"], 1000)
        assert confirmed["returnCode"] == "0000", confirmed
        return int(info["transactionId"])

    return {"transactionId": str(await asyncio.to_thread(made)), "orderId": order_id}


def signature(secret: str, path: bytes, payload: bytes, nonce: bytes) -> str:
    """The X-LINE-Authorization value over the exact bytes sent."""
    key = secret.encode()
    return base64.b64encode(hmac.new(key, key + path + payload + nonce,
                                     hashlib.sha256).digest()).decode()


async def seal(bench: Bench, field: Field, target: bytes, body: bytes | None,
               headers: list[tuple[str, bytes]], hostile: bool) -> list[tuple[str, bytes]]:
    """`headers` with the probing channel's id, a fresh nonce and the signature over the
    API path, the raw body (POST) or the query as sent (GET), and that nonce; a header a
    payload is probing keeps the payload (and the rest is signed around it)."""
    made = await bench.resolve("$linepay_channel", {})
    probed = field.name.lower() if hostile and field.where == "header" else None
    given = {k.lower(): v for k, v in headers}
    values = {"x-line-channelid": made["channel_id"].encode(),
              "x-line-authorization-nonce": uuid.uuid4().hex.encode()}
    if probed in values:
        values[probed] = given[probed]
    path, _, query = target.partition(b"?")
    api_path = path[len(MOUNT):] if path.startswith(MOUNT + b"/") else path
    signed = signature(made["secret"], api_path, body if body is not None else query,
                       values["x-line-authorization-nonce"]).encode()
    values["x-line-authorization"] = given[probed] if probed == "x-line-authorization" \
        else signed
    kept = [(k, v) for k, v in headers if k.lower() not in values]
    return [*kept, *((name, values[name.lower()]) for name in HEADERS)]


def _field(detail: str) -> str | None:
    """The field a refusal's detail starts with, in bracket notation
    (`packages.0.amount is too small` -> `packages[0][amount]`)."""
    if detail.startswith(_UNROUTED):
        return _segments(detail[len(_UNROUTED):])
    head = detail.split(" ", 1)[0].strip()
    if not head or not all(c.isalnum() or c in "_-.[]" for c in head):
        return None
    first, *rest = head.split(".")
    return first + "".join(f"[{part}]" for part in rest)


def _segments(request_line: str) -> str | None:
    """The path segments an unrouted path may have failed at (`a|b`): the placeholders of
    every route whose literal start the path has (the router matches a segment only
    without `/`, `{` or `}`: the control probe proved a real id routes)."""
    path = request_line.partition(" ")[2].removeprefix(MOUNT.decode())
    names = {name for op in OPERATIONS if "{" in op.path
             and path.startswith(op.path.split("{", 1)[0])
             for name in _PARAM_NAME.findall(op.path)}
    return "|".join(sorted(names)) or None


def linepay_refusal(answer: Answer) -> Refusal | None:
    """LINE Pay's envelope with a returnCode that is no answer (0xxx are: success and the
    check-status states): the field its message names (`Parameter error. (<field> ...)`),
    a validation refusal for 2101 and 1124."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    code = str(body.get("returnCode", "")) if isinstance(body, dict) else ""
    if not code or code.startswith("0"):
        return None
    message = str(body.get("returnMessage", ""))
    head = f"{CODES.get(code, '')} ("  # LinePayError: `<code's message> (<detail>)`
    detail = message[len(head):-1] if message.startswith(head) and message.endswith(")") \
        else ""
    return Refusal(code, _field(detail) if detail else None, message,
                   validation=code in VALIDATION)
