"""Control API for gateway merchants: register one (keys shown once), list them (masked)."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from aiohttp import web
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_C = "control/merchants"


async def register(ctx: ControlContext, request: web.Request, params: Mapping) -> web.Response:
    """POST /_sim/merchants: 201 with the new merchant and its keys in full."""
    try:
        merchant = ctx.domain.merchants.register(
            params["gateway"], params.get("merchant_id"), params.get("hash_key"),
            params.get("hash_iv"))
    except InvalidRequest as exc:
        raise ControlError(400, exc.code, exc.message, str(exc.param or "") or None) from exc
    await ctx.domain.store.durable()  # the keys are on disk before anyone is told them
    return web.Response(status=201, body=orjson.dumps(merchant.shown(reveal=True)),
                        content_type=_J)


async def listing(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/merchants[?gateway=]: keys masked but for the published merchants'."""
    gateway = params.get("gateway")
    if gateway is not None and gateway not in ctx.domain.merchants.gateways():
        raise ControlError(400, "gateway_unknown", f"No gateway {gateway!r} keeps merchants; "
                           f"one of: {', '.join(ctx.domain.merchants.gateways())}.", "gateway")
    return {"merchants": [m.shown() for m in ctx.domain.merchants.listing(gateway)]}


OPERATIONS: tuple[Op, ...] = (
    Op("POST", "/merchants", "RegisterMerchant", register,
       "Register a merchant of a keyed gateway (ECPay, NewebPay, LINE Pay, JKOPay, "
       "PayPal; missing id and keys generated)",
       request=_C, response=f"{_C}#/$defs/merchant", errors=(400,), content_type=_J,
       success=201),
    Op("GET", "/merchants", "Merchants", listing,
       "The merchants of the keyed gateways (keys masked but for published ones)",
       query=f"{_C}#/$defs/query", response=f"{_C}#/$defs/listing", errors=(400,),
       content_type=_J),
)
