"""PayPal's parametrisation of the kit pipeline: a Bearer access token (from
/v1/oauth2/token) names the app, bodies are JSON validated against the operation's
contract, `PayPal-Request-Id` is the idempotency key, `Prefer` picks the representation
and `PayPal-Mock-Response` (sandbox negative testing) answers the error it names without
touching anything."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem, contract_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Handler
from paylab.simulator.gateways.paypal import oauth, wire
from paylab.simulator.gateways.paypal.render import Renderer
from paylab.simulator.gateways.paypal.wire import PaypalError
from paylab.simulator.gateways.spec import Operation
from paylab.simulator.headers import BadHeader, header, lenient_header

REQUEST_ID = "PayPal-Request-Id"
#: PayPal's limit on a PayPal-Request-Id.
REQUEST_ID_LIMIT = 108
MOCK = "PayPal-Mock-Response"
#: Headers read into the call's parameters (they shape the answer, not the resource).
READ = {"prefer": "Prefer", "mock": MOCK}


@dataclass
class PaypalContext:
    """Everything PayPal handlers and pages need, built once per app."""

    domain: Domain
    contracts: Contracts
    public_url: str

    @property
    def renderer(self) -> Renderer:
        """Links point at `<public url>/paypal`."""
        return Renderer(self.public_url.rstrip("/") + "/paypal")


def _header(request: web.Request, name: str) -> str | None:
    try:
        return header(request.headers, name)
    except BadHeader as exc:
        raise PaypalError("INVALID_PARAMETER_SYNTAX", field=name, location="header") from exc


def mocked(value: str | None) -> PaypalError | None:
    """The error a `PayPal-Mock-Response` header asks for, or None (no header, or one
    without `mock_application_codes`)."""
    if not value:
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise PaypalError("INVALID_PARAMETER_SYNTAX", field=MOCK, location="header") from exc
    code = parsed.get("mock_application_codes") if isinstance(parsed, dict) else None
    if not isinstance(code, str) or not code:
        return None
    if code not in wire.ISSUES and not code.replace("_", "").isalnum():
        raise PaypalError("INVALID_PARAMETER_VALUE", field=MOCK, location="header")
    return PaypalError(code, description=f"{wire.ISSUES.get(code, (0, code))[1]} "
                       "(simulated by PayPal-Mock-Response)")


class PaypalWire:
    """One operation's side of the kit pipeline (it knows the body's contract)."""

    def __init__(self, ctx: PaypalContext, op: Operation) -> None:
        self.ctx = ctx
        self.contract = contract_id(op.request) if op.request else None

    def request_id(self, domain: Domain) -> str:
        """A journal id; PayPal's answers carry a `Paypal-Debug-Id` instead."""
        return wire.debug_id()

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The app behind the Bearer token."""
        return oauth.tenant_of_bearer(_header(request, "Authorization"), domain)

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The raw JSON body and the headers that shape the answer, as pairs."""
        pairs = [(name, value) for name, key in READ.items()
                 if (value := _header(request, key)) is not None]
        given = _header(request, REQUEST_ID)  # checked here: the kit reads it unguarded
        if given is not None and not 1 <= len(given) <= REQUEST_ID_LIMIT:
            raise PaypalError("INVALID_STRING_LENGTH", field=REQUEST_ID, location="header")
        if request.method in ("POST", "PATCH"):
            raw = await request.read()
            try:
                pairs.append(("body", raw.decode("utf-8")))
            except UnicodeDecodeError as exc:
                raise PaypalError("MALFORMED_REQUEST_JSON") from exc
        return pairs + [("query." + k, v) for k, v in request.query.items()]

    def idempotency_key(self, request: web.Request) -> str | None:
        """`PayPal-Request-Id` (`read` refused a bad one already)."""
        return lenient_header(request.headers, REQUEST_ID) or None

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """The parsed, validated body (`{}` when empty), the headers and the query."""
        fields = dict(pairs)
        mock = mocked(fields.get("mock"))
        text = fields.get("body", "").strip()
        try:
            body = orjson.loads(text) if text else {}
        except orjson.JSONDecodeError as exc:
            raise PaypalError("MALFORMED_REQUEST_JSON") from exc
        if not isinstance(body, dict):
            raise PaypalError("MALFORMED_REQUEST_JSON")
        if self.contract is not None:
            problem = self.ctx.contracts.problem(self.contract, body)
            if problem is not None:
                raise self.violation(problem)
        if mock is not None:  # after the schema, as the sandbox: a bad body is still 400
            raise mock
        return {"body": body, "prefer": fields.get("prefer", ""),
                "query": {k[6:]: v for k, v in fields.items() if k.startswith("query.")}}

    def violation(self, problem: Problem) -> CoreError:
        """INVALID_REQUEST naming the field."""
        return wire.violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """(status, resource) from the handler, as JSON."""
        status, payload = result
        return status, orjson.dumps(payload) if payload is not None else b""

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """PayPal's error body."""
        status, body = wire.refusal(error)
        return status, orjson.dumps(body)

    def crash(self) -> tuple[int, bytes]:
        """INTERNAL_SERVER_ERROR pointing at the simulator's log."""
        return 500, orjson.dumps(wire.error_body(500, message="An internal server error has "
                                                 "occurred in the simulator (see its log)."))

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """JSON with `Paypal-Debug-Id` (the body's debug_id when it has one)."""
        debug = request_id
        if body.startswith(b"{") and b'"debug_id"' in body:
            debug = orjson.loads(body).get("debug_id", request_id)
        headers = {"Paypal-Debug-Id": debug}
        if extra and "Idempotency-Key" in extra:
            headers[REQUEST_ID] = extra["Idempotency-Key"]
        if not body:
            return web.Response(status=status, headers=headers)
        return web.Response(status=status, body=body, content_type="application/json",
                            headers=headers)

    def refused(self, error: CoreError, tenant: str | None, request_id: str) -> web.Response:
        """The error body; nothing was changed."""
        return self.respond(*self.failure(error, tenant), request_id)

    def replayed(self, status: int, body: bytes, request_id: str, key: str) -> web.Response:
        """The saved answer to the earlier request with this PayPal-Request-Id."""
        return self.respond(status, body, request_id, {"Idempotency-Key": key})


def endpoint(op: Operation, ctx: PaypalContext) -> Handler:
    """Wrap a thin PayPal handler in the kit pipeline (the wire validates the body, so the
    kit is given the operation without a form contract)."""
    plain = dataclasses.replace(op, request=None, query=None)
    return kit.endpoint(plain, PaypalWire(ctx, op), ctx, ctx.domain, ctx.contracts)
