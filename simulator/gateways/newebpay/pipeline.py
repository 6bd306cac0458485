"""NewebPay's parametrisations of the kit pipeline (simulator.gateways.kit.pipeline).

Two wire formats: the MPG gateway (a browser's form post: MerchantID, TradeInfo, TradeSha,
Version; answers are a redirect to the hosted MPG page or NewebPay's MPG error page) and
the server APIs (QueryTradeInfo in the clear; CreditCard/Close and /Cancel as MerchantID_
plus an encrypted PostData_; answers are {Status, Message, Result} in the RespondType the
request asked for, HTTP 200 even for errors, as NewebPay answers).

NewebPay's credential is inside the body (the merchant id picks the HashKey and HashIV
that verify it), so `authenticate` reads the body; the contracts then validate the
decrypted fields. A wire object is made per request: what it learns while reading (the
merchant, the RespondType) decides how the answer is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem, contract_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Handler, PlainRefusals
from paylab.simulator.gateways.newebpay import crypto, pages
from paylab.simulator.gateways.newebpay.wire import (
    answer,
    api_violation,
    error,
    first,
    mpg_violation,
    read_pairs,
    to_json,
    translate,
)
from paylab.simulator.gateways.spec import Operation

GATEWAY = "newebpay"
#: MPG versions accepted (gateways.md 2.3: the 1.1.9 manual says 2.3, SDKs send 2.0).
MPG_VERSIONS = ("2.0", "2.1", "2.2", "2.3")
#: Where the MPG wire leaves the browser's address for the handler (no TradeInfo field
#: has this name, and the value set here replaces any the client sent).
CLIENT_IP = "paylab.client_ip"


@dataclass
class NewebPayContext:
    """Everything NewebPay's handlers and pages need, built once per app."""

    domain: Domain
    contracts: Contracts
    public_url: str

    def merchant(self, tenant: str) -> Merchant:
        """The merchant a NewebPay tenant is (every NewebPay tenant is one)."""
        found = self.domain.merchants.for_tenant(tenant)
        if found is None:
            raise error("TRA10001", tenant)
        return found


@dataclass(frozen=True)
class ApiAnswer:
    """What a server API handler returns: NewebPay's Status, Message and Result."""

    status: str
    message: str
    result: Mapping[str, Any] | None = None


def _client_ip(request: web.Request) -> str:
    forwarded = (request.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
    return forwarded or request.remote or ""


def merchant_of(domain: Domain, merchant_id: str | None, blank: str, unknown: str,
                suspended: str) -> Merchant:
    """The NewebPay merchant named in a request, or NewebPay's refusal."""
    if not merchant_id:
        raise error(blank)
    merchant = domain.merchants.get(GATEWAY, merchant_id)
    if merchant is None:
        raise error(unknown, merchant_id)
    if merchant.tenant in domain.revoked:
        raise error(suspended, merchant_id)
    return merchant


def check_version(version: str | None) -> None:
    """MPG01010 for a missing or malformed Version, MPG02010 for one not supported."""
    if not version or not all(p.isascii() and p.isdigit() for p in version.split(".")):
        raise error("MPG01010", version or "Version")
    if version not in MPG_VERSIONS:
        raise error("MPG02010", version)


class MpgWire(PlainRefusals):
    """The browser's form post to /MPG/mpg_gateway."""

    def __init__(self, ctx: NewebPayContext) -> None:
        self.ctx = ctx
        self.pairs: list[tuple[str, str]] = []
        self.merchant: Merchant | None = None
        self.client_ip = ""
        self.location = ""

    def request_id(self, domain: Domain) -> str:
        """A seeded request id (journal)."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The merchant of the form's MerchantID."""
        self.pairs = await read_pairs(request)
        self.client_ip = _client_ip(request)
        self.merchant = merchant_of(domain, first(self.pairs, "MerchantID"), "MPG01009",
                                    "MPG02002", "MPG03004")
        return self.merchant.tenant

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The decrypted TradeInfo, once TradeSha, Version and EncryptType check out."""
        assert self.merchant is not None  # authenticate ran first
        key, iv = self.merchant.hash_key, self.merchant.hash_iv
        trade_info, trade_sha = first(self.pairs, "TradeInfo"), first(self.pairs, "TradeSha")
        if not trade_info:
            raise error("MPG01023")
        if not trade_sha:
            raise error("MPG01024")
        check_version(first(self.pairs, "Version"))
        if (first(self.pairs, "EncryptType") or "0") != "0":
            # EncryptType=1 is AES-GCM, whose details no source gives (gateways.md 2.2)
            raise error("MPG03009", "EncryptType (only 0, AES-CBC, is emulated)")
        if not crypto.same_digest(crypto.trade_sha(trade_info, key, iv), trade_sha):
            raise error("MPG03009", "TradeSha")
        try:
            inner = crypto.parse_query(crypto.decrypt(trade_info, key, iv))
        except crypto.BadCipherText as exc:
            raise error("MPG03009", "TradeInfo") from exc
        if first(inner, "MerchantID") not in (None, self.merchant.merchant_id):
            raise error("MPG03007", "MerchantID")
        return inner

    def idempotency_key(self, request: web.Request) -> str | None:
        """NewebPay has none (a repeated MerchantOrderNo is refused instead)."""
        return None

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """The TradeInfo fields (the last of repeated ones), and the browser's address."""
        return {**dict(pairs), CLIENT_IP: self.client_ip}

    def violation(self, problem: Problem) -> CoreError:
        """The MPG code of the offending field."""
        return mpg_violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """The handler returns where the hosted MPG page is: a 303 there."""
        self.location = str(result)
        return 303, b""

    def failure(self, error_: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """NewebPay's MPG error page (HTTP 200, as NewebPay shows it)."""
        code, message = translate(error_, "mpg")
        return 200, pages.error_page(code, message).encode()

    def crash(self) -> tuple[int, bytes]:
        """A simulator bug, on the same page."""
        return 500, pages.error_page("MPG03009", "simulator error (see its log)").encode()

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """A redirect to the MPG page, or an HTML page."""
        headers = {"X-Request-Id": request_id}
        if status == 303:
            return web.Response(status=303, headers={**headers, "Location": self.location})
        return web.Response(status=status, body=body, content_type="text/html",
                            charset="utf-8", headers=headers)



class ApiWire(PlainRefusals):
    """QueryTradeInfo (in the clear), or CreditCard/Close and /Cancel (`post_data`: the
    contract of the decrypted PostData_, validated here since the outer form is what the
    operation documents)."""

    def __init__(self, ctx: NewebPayContext, operation: str, *,
                 post_data: str | None = None) -> None:
        self.ctx = ctx
        self.operation = operation
        self.post_data = post_data
        self.encrypted = post_data is not None
        self.pairs: list[tuple[str, str]] = []
        self.merchant: Merchant | None = None
        self.respond_type = "JSON"  # until the request says (errors before that are JSON)

    def request_id(self, domain: Domain) -> str:
        """A seeded request id (journal)."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """The merchant of MerchantID (query) or MerchantID_ (close, cancel)."""
        self.pairs = await read_pairs(request)
        self._respond_as(first(self.pairs, "RespondType"))
        name = "MerchantID_" if self.encrypted else "MerchantID"
        self.merchant = merchant_of(domain, first(self.pairs, name), "TRA10009", "TRA10001",
                                    "TRA10012")
        return self.merchant.tenant

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The plain fields (query) or the decrypted PostData_ (close, cancel)."""
        if not self.encrypted:
            return self.pairs
        assert self.merchant is not None  # authenticate ran first
        post_data = first(self.pairs, "PostData_")
        if not post_data:
            raise error("MEM40012", "PostData_")
        try:
            inner = crypto.parse_query(crypto.decrypt(post_data, self.merchant.hash_key,
                                                      self.merchant.hash_iv))
        except crypto.BadCipherText as exc:
            raise error("TRA10008", "PostData_") from exc
        self._respond_as(first(inner, "RespondType"))
        return inner

    def _respond_as(self, respond_type: str | None) -> None:
        if respond_type in ("JSON", "String"):
            self.respond_type = respond_type

    def idempotency_key(self, request: web.Request) -> str | None:
        """NewebPay has none."""
        return None

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """The fields (the last of repeated ones); PostData_'s checked against its contract."""
        params: dict[str, Any] = dict(pairs)
        if self.post_data is None:
            return params
        ref = contract_id(self.post_data)
        params = self.ctx.contracts.coerce(ref, params)
        problem = self.ctx.contracts.problem(ref, params)
        if problem is not None:
            raise api_violation(problem)
        return params

    def violation(self, problem: Problem) -> CoreError:
        """MEM40013 for a missing field, else the field's own code."""
        return api_violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """An ApiAnswer in the RespondType asked for."""
        body, self.content_type = answer(result.status, result.message, result.result,
                                         self.respond_type)
        return 200, body

    def failure(self, error_: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """{Status: code, Message, Result: []}, HTTP 200."""
        status, message = translate(error_, self.operation)
        body, self.content_type = answer(status, message, None, self.respond_type)
        return 200, body

    def crash(self) -> tuple[int, bytes]:
        """A simulator bug: 500, with a NewebPay-shaped body."""
        self.content_type = "application/json"
        return 500, to_json({"Status": "NOR1001", "Message": "simulator error (see its log)",
                             "Result": []}).encode()

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """The answer, with the content type of its RespondType."""
        return web.Response(status=status, body=body, charset="utf-8",
                            content_type=getattr(self, "content_type", "application/json"),
                            headers={"X-Request-Id": request_id})



WireFactory = Callable[[NewebPayContext], "MpgWire | ApiWire"]


def endpoint(op: Operation, ctx: NewebPayContext, make_wire: WireFactory) -> Handler:
    """`op` through the kit pipeline, with a fresh wire per request."""

    async def handle(request: web.Request) -> web.StreamResponse:
        wire = make_wire(ctx)
        return await kit.endpoint(op, wire, ctx, ctx.domain, ctx.contracts)(request)

    handle.__name__ = op.operation_id
    return handle
