"""JKOPay's parametrisation of the kit pipeline (simulator.gateways.kit.pipeline).

The credential is the `api-key` header (it names the store); its proof the `digest` header,
a hex HMAC-SHA256 with the store's secret key over the raw bytes received: the body of a
POST, the query string of a GET (gateways.md 4). Both are checked before the body is read
as JSON, so a bad signature is refused before a bad body and nothing runs behind it.
Answers are JKOPay's JSON envelope `{result, message, result_object}`.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.gateways.jkopay import wire
from paylab.simulator.gateways.jkopay.wire import GATEWAY, JkoError
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Handler, PlainRefusals
from paylab.simulator.gateways.spec import Operation

MERCHANT = "jkopay.merchant"
JSON = "application/json"
#: The page and QR image paths inside the mount (the token in the query opens them).
PAY_PATH = "/onlinepay/{order}"


@dataclass
class JkoContext:
    """Everything JKOPay's handlers and pages need, built once per app."""

    domain: Domain
    contracts: Contracts
    public_url: str

    def merchant(self, tenant: str) -> Merchant:
        """The store a tenant is (the pipeline authenticated it)."""
        merchant = self.domain.merchants.for_tenant(tenant)
        if merchant is None:
            raise JkoError(wire.VALIDATION, "unknown store", status=403)
        return merchant

    def page_url(self, order: dict[str, Any], step: str = "") -> str:
        """The absolute URL of an order's approval page (or one of its steps), carrying
        its page token."""
        path = PAY_PATH.format(order=order["id"])
        return f"{self.public_url}/jkopay{path}{step}?token={order['page_token']}"


def store_of(domain: Domain, api_key: str | None) -> Merchant | None:
    """The JKOPay store whose API key this is (compared in constant time with every
    store's, so the answer's timing says nothing about near misses)."""
    if not api_key:
        return None
    found = None
    for merchant in domain.merchants.listing(GATEWAY):
        if wire.same_digest(merchant.hash_iv, api_key) and found is None:
            found = merchant
    return found


def signed_bytes(request: web.Request, body: bytes) -> list[bytes]:
    """What the digest may cover: the body of a POST; the query string of a GET, as sent
    (percent-encoded) or as the client wrote it before encoding (PHP clients sign the
    plain `platform_order_ids=a,b`); and, for kurorido/jkopay-php-sdk, which requests
    `?=platform_order_ids=...` but signs `platform_order_ids=...`, without its leading `=`."""
    if request.method != "GET":
        return [body]
    forms = dict.fromkeys([request.rel_url.raw_query_string, request.query_string])
    texts = [t.encode("utf-8") for t in forms]
    return texts + [t[1:] for t in texts if t.startswith(b"=")]


def query_pairs(request: web.Request) -> list[tuple[str, Any]]:
    """A GET's parameters (a leading `=`, as kurorido's client sends, is forgiven)."""
    text = request.rel_url.raw_query_string.removeprefix("=")
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise JkoError(wire.BAD_PARAMS, "the query string is not UTF-8") from exc
    names = [k for k, _ in pairs]
    if len(names) != len(set(names)):
        raise JkoError(wire.BAD_PARAMS, "a parameter is given more than once")
    return pairs


class JkoWire(PlainRefusals):
    """JKOPay's server APIs: signed JSON (or a signed query) in, its envelope out."""

    def __init__(self, ctx: JkoContext) -> None:
        self.ctx = ctx

    def request_id(self, domain: Domain) -> str:
        """A journal id (JKOPay sends none back)."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """`api-key` names the store, `digest` proves the bytes; the store's tenant."""
        merchant = store_of(domain, request.headers.get("api-key"))
        if merchant is None or merchant.tenant in domain.revoked:
            raise JkoError(wire.VALIDATION, "api-key is missing or unknown", status=401,
                           param="api-key")
        body = await request.read()
        given = request.headers.get("digest")
        if not any(wire.same_digest(wire.digest(merchant.hash_key, signed), given)
                   for signed in signed_bytes(request, body)):
            raise JkoError(wire.VALIDATION, "digest does not match the request", status=403,
                           param="digest")
        request[MERCHANT] = merchant
        return merchant.tenant

    async def read(self, request: web.Request) -> list[tuple[str, Any]]:
        """The JSON body's fields (POST) or the query's (GET); the body's `store_id`, when
        given, must be the api-key's store."""
        if request.method == "GET":
            return query_pairs(request)
        fields = wire.parse_json(await request.read())
        store = fields.get("store_id")
        if store is not None and store != request[MERCHANT].merchant_id:
            raise JkoError(wire.VALIDATION, "store_id is not the api-key's store", status=403,
                           param="store_id")
        return list(fields.items())

    def idempotency_key(self, request: web.Request) -> str | None:
        """None: JKOPay dedupes by platform_order_id and refund_order_id instead."""
        return None

    def decode(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        """The fields as given."""
        return dict(pairs)

    def violation(self, problem: Problem) -> CoreError:
        """200 or 201 with the offending field."""
        return wire.violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """The handler's envelope (result 000)."""
        return 200, wire.to_json(result)

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """The refusal's envelope, result_object null."""
        status, code, message = wire.refusal(error)
        return status, wire.to_json(wire.answer(None, code, message))

    def crash(self) -> tuple[int, bytes]:
        """A bug in the simulator, as JKOPay's `999`."""
        return 500, wire.to_json(wire.answer(None, wire.OTHER,
                                             "其他錯誤: simulator error (see its log)"))

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """application/json; charset=utf-8."""
        return web.Response(status=status, body=body, content_type=JSON, charset="utf-8",
                            headers=dict(extra or {}))



def endpoint(op: Operation, ctx: JkoContext) -> Handler:
    """Wrap a thin JKOPay handler in the kit pipeline."""
    return kit.endpoint(op, JkoWire(ctx), ctx, ctx.domain, ctx.contracts)
