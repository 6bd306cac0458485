"""ECPay's parametrisation of the kit pipeline: the merchant (MerchantID) is the credential
and the CheckMacValue its proof, both checked before anything else; server APIs answer
urlencoded text, the AioCheckOut browser post an HTML page (the cashier, or ECPay's error
page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from paylab.simulator.contracts import Contracts, Problem
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CoreError
from paylab.simulator.core.merchants import Merchant
from paylab.simulator.gateways.ecpay import checkmac, render, wire
from paylab.simulator.gateways.ecpay.pages import error_page
from paylab.simulator.gateways.ecpay.wire import EcpayError
from paylab.simulator.gateways.kit import pipeline as kit
from paylab.simulator.gateways.kit.pipeline import Handler, PlainRefusals
from paylab.simulator.gateways.spec import Operation

GATEWAY = "ecpay"
PAIRS, MERCHANT = "ecpay.pairs", "ecpay.merchant"
TEXT = "text/html"  # ECPay's server APIs answer text/html; charset=utf-8


@dataclass
class EcpayContext:
    """Everything ECPay handlers and pages need, built once per app."""

    domain: Domain
    contracts: Contracts
    public_url: str

    def merchant(self, tenant: str) -> Merchant:
        """The merchant a tenant is (the pipeline authenticated it)."""
        merchant = self.domain.merchants.for_tenant(tenant)
        if merchant is None:
            raise EcpayError(wire.MERCHANT)
        return merchant

    def merchant_of(self, order: dict[str, Any]) -> Merchant:
        """The merchant an order was placed with."""
        merchant = self.domain.merchants.get(GATEWAY, order["extra"]["MerchantID"])
        if merchant is None:
            raise EcpayError(wire.MERCHANT)
        return merchant

    def cashier_url(self, order: dict[str, Any], step: str = "") -> str:
        """A path of an order's cashier pages, carrying its page token."""
        return f"/ecpay/Cashier/Order/{order['id']}{step}?token={order['page_token']}"


async def authenticate_form(request: web.Request, domain: Domain, *,
                            encrypt_type_field: bool) -> str:
    """Read the form, find its merchant and check its CheckMacValue; the merchant's tenant.

    `encrypt_type_field`: the form names its hash (AioCheckOut's EncryptType); server APIs
    always use SHA256.
    """
    pairs = wire.parse_form(await request.read())
    request[PAIRS] = pairs
    fields = dict(pairs)
    merchant_id = fields.get("MerchantID", "")
    if not merchant_id:
        raise wire.parameter_error("MerchantID", "is required")
    merchant = domain.merchants.get(GATEWAY, merchant_id)
    if merchant is None or merchant.tenant in domain.revoked:  # revoked: /_sim/keys/revoke
        raise EcpayError(wire.MERCHANT, param="MerchantID")
    encrypt_type = checkmac.SHA256
    if encrypt_type_field:
        raw = fields.get("EncryptType", "")
        if raw not in ("0", "1"):
            raise wire.parameter_error("EncryptType", "must be one of 0, 1")
        encrypt_type = int(raw)
    if not checkmac.verify(fields, merchant, encrypt_type):
        raise EcpayError(wire.CHECKMAC, param="CheckMacValue")
    request[MERCHANT] = merchant
    return merchant.tenant


class ApiWire(PlainRefusals):
    """Server APIs (QueryTradeInfo, QueryPaymentInfo, DoAction): form in, urlencoded out."""

    encrypt_type_field = False

    def __init__(self, ctx: EcpayContext) -> None:
        self.ctx = ctx

    def request_id(self, domain: Domain) -> str:
        """A journal id (ECPay sends none back)."""
        return "req_" + domain.rand.request_token(14)

    async def authenticate(self, request: web.Request, domain: Domain) -> str:
        """MerchantID and CheckMacValue."""
        return await authenticate_form(request, domain,
                                       encrypt_type_field=self.encrypt_type_field)

    async def read(self, request: web.Request) -> list[tuple[str, str]]:
        """The pairs authentication read."""
        return request[PAIRS]

    def idempotency_key(self, request: web.Request) -> str | None:
        """ECPay has no idempotency keys (MerchantTradeNo is unique instead)."""
        return None

    def decode(self, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """Empty optional fields count as absent."""
        return wire.decode(pairs)

    def violation(self, problem: Problem) -> CoreError:
        """ECPay's Parameter Error for the field."""
        return wire.violation(problem)

    def success(self, result: Any) -> tuple[int, bytes]:
        """The handler's fields, urlencoded with raw values."""
        return 200, render.urlencoded(result)

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """RtnCode and RtnMsg, with HTTP 200 as ECPay answers (a 503 when storage failed)."""
        code, message = wire.refusal(error)
        status = 503 if error.kind == "storage_unavailable" else 200
        return status, render.urlencoded(render.refusal_fields(code, message))

    def crash(self) -> tuple[int, bytes]:
        """A bug in the simulator, in ECPay's `0|message` shape."""
        return 500, b"0|An unexpected error occurred in the simulator (see its log)."

    def respond(self, status: int, body: bytes, request_id: str,
                extra: Mapping[str, str] | None = None) -> web.Response:
        """text/html, as ECPay's answers are typed."""
        return web.Response(status=status, body=body, content_type=TEXT, charset="utf-8",
                            headers=dict(extra or {}))



class PageWire(ApiWire):
    """The AioCheckOut browser post: the cashier page, or ECPay's error page."""

    encrypt_type_field = True

    def success(self, result: Any) -> tuple[int, bytes]:
        """The page the handler built."""
        return 200, str(result).encode()

    def failure(self, error: CoreError, tenant: str | None) -> tuple[int, bytes]:
        """ECPay's error page with the code and message (400, 503 when storage failed)."""
        code, message = wire.refusal(error)
        status = 503 if error.kind == "storage_unavailable" else 400
        return status, error_page(code, message).encode()

    def crash(self) -> tuple[int, bytes]:
        """The error page for a bug in the simulator."""
        return 500, error_page("0", "An unexpected error occurred in the simulator "
                               "(see its log).").encode()


def endpoint(op: Operation, ctx: EcpayContext, *, page: bool = False) -> Handler:
    """Wrap a thin ECPay handler in the kit pipeline (`page`: a browser's form post)."""
    wire_format = PageWire(ctx) if page else ApiWire(ctx)
    return kit.endpoint(op, wire_format, ctx, ctx.domain, ctx.contracts)
