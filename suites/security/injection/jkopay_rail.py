"""JKOPay as a probe surface: what suites/security/data/surfaces/jkopay.yaml names.

JKOPay signs the raw JSON body into the `digest` header. The probe bench signs only form
bodies (its `sign:` hook returns form pairs), so a hostile value in a JSON body field could
not get past the digest check and would never reach its field's own handling. So:

- the generic bench probes the inquiry's GET form (a fixed, signed query) in its two
  credential headers, `api-key` and `digest` (`PROBED`);
- the POST operations are listed for the bench without their body contract (it has no
  way to sign them), and suites/security/test_jkopay_security.py sends the same payload
  catalogue into every body field of entry, refund and inquiry, each body signed, and
  judges the answers by the same rules (no 5xx, JKOPay's JSON envelope, the refusal names
  the probed field, nothing echoed as markup).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from paylab.simulator.gateways.jkopay.routes import OPERATIONS
from paylab.suites.security import rails
from paylab.suites.security.injection.verdict import Refusal
from paylab.suites.security.injection.wire import Answer
from paylab.suites.unit.jkopay_store import digest

#: The signed query the GET inquiry is probed with.
QUERY = "platform_order_ids=probe-1"


def _probed(op: Any) -> Any:
    if op.method == "GET":
        return dataclasses.replace(op, path=f"{op.path}?{QUERY}", query=None)
    return dataclasses.replace(op, request=None, request_body=None)


#: The operations as the bench sees them (see the module's docstring).
PROBED = tuple(_probed(op) for op in OPERATIONS)


async def store(base_url: str) -> dict[str, Any]:
    """A JKOPay store registered for the probing test, with the digest of `QUERY`."""
    made = await asyncio.to_thread(rails.register, base_url, "jkopay")
    return {"store_id": made["merchant_id"], "api_key": made["hash_iv"],
            "query_digest": digest(made["hash_key"], QUERY.encode())}


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
