"""LINE Pay's parametrisation of the kit pipeline: the channel (X-LINE-ChannelId) is the
credential, X-LINE-Authorization its proof over the raw request, and each nonce is good
once; bodies are JSON read with exact integers, answers `{returnCode, returnMessage,
info}` with HTTP 200, business refusals included (gateways.md 3.1).

A wire object is made per request: it keeps the raw body it read, so the signature is
checked over the bytes received and the body parsed once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem, contract_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Handler, PlainRefusals
from paylab.simulator.gateways.linepay import signature, wire
from paylab.simulator.gateways.linepay.wire import LinePayError
from paylab.simulator.gateways.spec import Operation

GATEWAY = "linepay"
PREFIX = "/linepay"
#: How long a nonce stays used (virtual seconds). LINE Pay documents only that a nonce
#: must be unique per request; a day is our reading.
NONCE_LIFETIME = 86400.0
HEADERS = ("X-LINE-ChannelId", "X-LINE-Authorization-Nonce", "X-LINE-Authorization")
JSON = "application/json"
#: What the headers may hold (anything else is refused before it is looked up or signed:
#: a header's undecodable bytes reach the server as surrogates, which no store takes).
CHANNEL = re.compile(r"[0-9A-Za-z_-]{1,80}")
_NONCE = re.compile(r"[\x21-\x7e]{1,128}")


@dataclass
class LinePayContext:
    """Everything LINE Pay's handlers and pages need, built once per app."""

    domain: Domain
    contracts: Contracts
    public_url: str

    def merchant(self, tenant: str) -> Merchant:
        """The channel a tenant is (the pipeline authenticated it)."""
        merchant = self.domain.merchants.for_tenant(tenant)
        if merchant is None:
            raise LinePayError("1104")
        return merchant

    def page_url(self, order: dict[str, Any], *, absolute: bool = True) -> str:
        """The approval page of an order, carrying its page token (the transaction reserve
        id is the order's id, which alone opens nothing)."""
        path = (f"{PREFIX}/web/payment/wait?transactionReserveId={order['id']}"
                f"&token={order['page_token']}")
        return self.public_url.rstrip("/") + path if absolute else path


def signed_path(request: web.Request) -> str:
    """The API path the client signed: the raw path without the /linepay mount."""
    raw = request.rel_url.raw_path
    return raw[len(PREFIX):] if raw.startswith(PREFIX + "/") else raw


class ApiWire(PlainRefusals):
    """One API request: signed headers in, JSON in and out."""

    def __init__(self, ctx: LinePayContext, op: Operation) -> None:
        self.ctx = ctx
        self.op = op
        self.raw = b""

    def request_id(self, domain: Domain) -> str:
        """A seeded request id (journal; LINE Pay sends none back)."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The channel of X-LINE-ChannelId, once the signature over the raw request and a
        first use of the nonce check out (1106 otherwise)."""
        channel, nonce, given = (request.headers.get(h, "") for h in HEADERS)
        if not channel or not nonce or not given:
            missing = next(h for h, v in zip(HEADERS, (channel, nonce, given), strict=True)
                           if not v)
            raise LinePayError("1106", f"{missing} is missing")
        if not _NONCE.fullmatch(nonce):
            raise LinePayError("1106", "X-LINE-Authorization-Nonce must be 1-128 printable "
                               "ASCII characters")
        merchant = domain.merchants.get(GATEWAY, channel) if CHANNEL.fullmatch(channel) \
            else None
        if merchant is None:
            raise LinePayError("1106", "X-LINE-ChannelId is not a known channel")
        self.raw = await request.read() if request.method == "POST" else b""
        payload = self.raw if request.method == "POST" else \
            request.rel_url.raw_query_string.encode()
        if not signature.verify(merchant.hash_key, signed_path(request), payload, nonce, given):
            raise LinePayError("1106", "X-LINE-Authorization does not match the request")
        if merchant.tenant in domain.revoked:
            raise LinePayError("1105")
        if not domain.nonces.claim(merchant.tenant, GATEWAY, nonce, NONCE_LIFETIME):
            # our reading: LINE Pay names no code for a reused nonce; it is a header fault
            raise LinePayError("1106", "X-LINE-Authorization-Nonce was already used")
        return merchant.tenant

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The body (POST) or the query pairs (GET), as pairs for the journal."""
        if request.method == "POST":
            return [("body", self.raw.decode("utf-8", "replace"))]
        return list(request.query.items())

    def idempotency_key(self, request: web.Request) -> str | None:
        """LINE Pay has none (a repeated orderId is refused with 1172 instead)."""
        return None

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """The JSON body, checked against the operation's contract here (JSON needs no
        coercion, and `"100"` is no amount); GET parameters, repeated ones joined by `,`."""
        if self.op.method != "POST":
            joined: dict[str, list[str]] = {}
            for key, value in pairs:
                joined.setdefault(key, []).append(value)
            return {k: ",".join(v) for k, v in joined.items()}
        try:
            params = wire.parse_json(self.raw) if self.raw.strip() else {}
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise LinePayError("2101", "body is not valid JSON (UTF-8)", param="body") from exc
        if not isinstance(params, dict):
            raise LinePayError("2101", "body must be a JSON object", param="body")
        if self.op.request_body:
            problem = self.ctx.contracts.problem(contract_id(self.op.request_body),
                                                 wire.plain(params))
            if problem is not None:
                raise wire.violation(problem)
        return params

    def violation(self, problem: Problem) -> CoreError:
        """2101 naming the field."""
        return wire.violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """A handler's `info` (or a (code, message) pair for check-status)."""
        if isinstance(result, tuple):
            return 200, wire.body(*result)
        return 200, wire.body(wire.SUCCESS, None, result)

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """returnCode and returnMessage with HTTP 200, as LINE Pay answers."""
        return 200, wire.body(*wire.return_code(error))

    def crash(self) -> tuple[int, bytes]:
        """A simulator bug: 500 with LINE Pay's internal error."""
        return 500, wire.body("9000", "Internal error. (simulator bug: see its log)")

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """application/json; charset=UTF-8."""
        return web.Response(status=status, body=body, content_type=JSON, charset="utf-8",
                            headers={"X-Request-Id": request_id})



def endpoint(op: Operation, ctx: LinePayContext) -> Handler:
    """`op` through the kit pipeline, with a fresh wire per request."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return await kit.endpoint(op, ApiWire(ctx, op), ctx, ctx.domain, ctx.contracts)(request)

    handle.__name__ = op.operation_id
    return handle
