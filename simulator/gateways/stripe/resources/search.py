"""Stripe's Search API (`/v1/.../search?query=...`) for PaymentIntents, Charges and Customers.

Handlers: parse -> one core read -> render, as in ../handlers.py. The query language lives
in ../search_query.py; here a search reads the tenant's objects newest first, keeps those
whose rendered Stripe object matches, and pages them with an opaque `next_page` cursor
bound to the tenant, the resource and the query (a cursor of another search is refused).
Unlike Stripe, where new data becomes searchable within about a minute, paylab's search
sees every object at once.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
from typing import Any, NamedTuple

import orjson
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.stripe.pipeline import Call, StripeContext
from paylab.simulator.gateways.stripe.search_query import compile_query

Result = dict[str, Any]
Doc = dict[str, Any]
GATEWAY = "stripe"
#: Signs cursors so a changed one is refused; not a secret (cursors are not capabilities).
_CURSOR_KEY = b"paylab stripe search cursor v1"
#: The `expand` entry that asks for `total_count` (it expands nothing).
TOTAL_COUNT = "total_count"


class Resource(NamedTuple):
    """A searchable resource: its name in Stripe's messages, core kind, object, URL."""

    name: str
    kind: str
    obj: str
    url: str


PAYMENT_INTENTS = Resource("payment_intents", v.PAYMENT, "payment_intent",
                           "/v1/payment_intents/search")
CHARGES = Resource("charges", v.CHARGE, "charge", "/v1/charges/search")
CUSTOMERS = Resource("customers", v.CUSTOMER, "customer", "/v1/customers/search")


def search_payment_intents(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/payment_intents/search"""
    return _search(ctx, call, PAYMENT_INTENTS)


def search_charges(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/charges/search"""
    return _search(ctx, call, CHARGES)


def search_customers(ctx: StripeContext, call: Call) -> Result:
    """GET /v1/customers/search"""
    return _search(ctx, call, CUSTOMERS)


def _search(ctx: StripeContext, call: Call, res: Resource) -> Result:
    """Parse the query, find a page of hits (newest first, reading no further than one hit
    past the page unless `total_count` is asked for), render it as a search result."""
    match = compile_query(call.params["query"], res.name)
    counting = TOTAL_COUNT in call.expand
    before = _read_cursor(call, res) if call.params.get("page") else None
    shown, more, total = ctx.domain.objects.first_matches(
        res.kind, call.tenant, lambda doc: match(ctx.renderer.render(res.kind, doc)),
        before=before, limit=call.params.get("limit", 10), count_all=counting)
    expand = [p for p in call.expand if p != TOTAL_COUNT]
    listed = ctx.listing(res.obj, ([d for _, d in shown], more), res.url,
                         dataclasses.replace(call, params={**call.params, "expand": expand}))
    out = {"object": "search_result", "data": listed["data"], "has_more": more, "url": res.url,
           "next_page": _cursor(call, res, shown[-1][0]) if more else None}
    return out | ({"total_count": total} if counting else {})


# -- the page cursor -------------------------------------------------------------------------
def _sign(call: Call, res: Resource, body: bytes) -> str:
    message = b"\n".join((call.tenant.encode(), res.name.encode(),
                          call.params["query"].encode(), body))
    return hmac.new(_CURSOR_KEY, message, hashlib.sha256).hexdigest()[:24]


def _cursor(call: Call, res: Resource, last_seq: int) -> str:
    """`next_page`: where the last object shown was stored (the next page starts with the
    hits stored before it, so an object deleted meanwhile moves no boundary), signed."""
    body = orjson.dumps([last_seq])
    raw = body + b"|" + _sign(call, res, body).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(call: Call, res: Resource) -> int:
    text = call.params["page"]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        body, _, mac = raw.rpartition(b"|")
        (last_seq,) = orjson.loads(body)
        if hmac.compare_digest(mac, _sign(call, res, body).encode()) and isinstance(
                last_seq, int) and not isinstance(last_seq, bool) and last_seq > 0:
            return last_seq
    except (binascii.Error, ValueError, TypeError):
        pass
    raise InvalidRequest(
        "parameter_invalid_string",
        f"Invalid page: '{text[:80]}' is not a next_page this search returned. Pass the "
        "next_page of the previous page, with the same query.", param="page")
