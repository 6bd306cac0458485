"""JKOPay as a probe surface: what suites/security/data/surfaces/jkopay.yaml names.

JKOPay signs the raw JSON body (or a GET's query string) into the `digest` header. The
bench builds each request with the payload in place, then `seal` signs it as a JKOPay
client would, with the probing store's secret, so a hostile value gets past the digest
check and reaches its field's own handling (a probe of `digest` itself keeps its payload):

- the inquiry, in both forms (`PROBED`): the GET query's `platform_order_ids`, the POST
  body's fields, and the two credential headers, `api-key` and `digest`;
- entry and refund are listed for the bench without their body contract (each needs an
  order in a given state the bench cannot make per probe), and
  suites/security/test_jkopay_security.py sends the payload catalogue into every body
  field of them, each body signed, judged by the same rules (no 5xx, JKOPay's JSON
  envelope, the refusal names the probed field, nothing echoed as markup).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from paylab.simulator.gateways.jkopay.routes import OPERATIONS
from paylab.suites.security import rails
from paylab.suites.security.injection.bench import Bench
from paylab.suites.security.injection.shapes import Field
from paylab.suites.security.injection.verdict import Refusal
from paylab.suites.security.injection.wire import Answer
from paylab.suites.unit.jkopay_store import digest

#: The operations the bench probes field by field; the rest it lists without inputs.
SEALED = ("JkoPayInquiry", "JkoPayInquiryPost")


def _probed(op: Any) -> Any:
    if op.operation_id in SEALED:
        return op
    return dataclasses.replace(op, request=None, request_body=None)


#: The operations as the bench sees them (see the module's docstring).
PROBED = tuple(_probed(op) for op in OPERATIONS)


async def store(base_url: str) -> dict[str, Any]:
    """A JKOPay store registered for the probing test, with its keys."""
    made = await asyncio.to_thread(rails.register, base_url, "jkopay")
    return {"store_id": made["merchant_id"], "api_key": made["hash_iv"],
            "secret_key": made["hash_key"]}


async def seal(bench: Bench, field: Field, target: bytes, body: bytes | None,
               headers: list[tuple[str, bytes]], hostile: bool) -> list[tuple[str, bytes]]:
    """`headers` with the store's `api-key` (where the operation does not probe it) and
    `digest` set to the store's signature of the raw body (POST) or of the query string as
    sent (GET), unless a payload is probing `digest` itself."""
    store = await bench.resolve("$jkopay_store", {})
    if not any(k.lower() == "api-key" for k, _ in headers):  # an operation not probed in it
        headers = [*headers, ("api-key", store["api_key"].encode())]
    if hostile and field.name == "digest":
        return headers
    signed = body if body is not None else target.partition(b"?")[2]
    kept = [(k, v) for k, v in headers if k.lower() != "digest"]
    return [*kept, ("digest", digest(store["secret_key"], signed).encode())]


def _field(detail: str) -> str | None:
    head = detail.split(":", 1)[0].split(" ", 1)[0].strip()
    return head if head and all(c.isalnum() or c in "_-." for c in head) else None


def jkopay_refusal(answer: Answer) -> Refusal | None:
    """JKOPay's envelope with a result other than 000: the field its message names
    (`<meaning>: <field> ...`), a validation refusal for 200 and 201."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("result") in (None, "000"):
        return None
    message = str(body.get("message", ""))
    detail = message.split(": ", 1)[1] if ": " in message else ""
    code = str(body["result"])
    return Refusal(code, _field(detail) if detail else None, message,
                   validation=code in ("200", "201"))
