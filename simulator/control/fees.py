"""Control API for fee schedules: show a tenant's, override any part of it, restore it;
and the gateway comparison of the traffic run (core.fee_comparison).

A tenant's override is merged over its gateway's own schedule (core.fees) and lives in
the store: it survives restarts and is forgotten when the tenant is reset. The next
payment after a change is charged by the new schedule; entries already written keep
their fee.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator.contracts import contract_id
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.core import fee_comparison
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_C = "control/fees"
_SCOPE = ("tenant", "credential")


async def get_fees(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/fees: the tenant's effective schedule, its override and the default."""
    tenant, gateway = _scope(ctx, params)
    return _state(ctx, tenant, gateway)


async def put_fees(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """PUT /_sim/fees: override (a JSON body: any part of the schedule)."""
    tenant, gateway = _scope(ctx, params)
    override = _body(ctx, await request.read())
    try:
        ctx.domain.balance.fees.set_override(tenant, gateway, override,
                                             int(ctx.domain.clock.now()))
    except InvalidRequest as exc:
        raise ControlError(400, "invalid_schedule", exc.message, str(exc.param or "") or None
                           ) from exc
    ctx.domain.tenants.seen(tenant)  # set up ahead (or already known): known from now on
    return _state(ctx, tenant, gateway)


async def delete_fees(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """DELETE /_sim/fees: back to the gateway's own schedule."""
    tenant, gateway = _scope(ctx, params)
    cleared = ctx.domain.balance.fees.clear_override(tenant, gateway)
    return {**_state(ctx, tenant, gateway), "cleared": cleared}


async def get_comparison(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/fees/comparison: the traffic run, priced on every gateway."""
    tenant = ctx.known_tenant(params, *_SCOPE[:2])
    return fee_comparison.compare(ctx.domain.store, ctx.domain.balance.fees, tenant)


def _scope(ctx: ControlContext, params: Mapping) -> tuple[str, str]:
    """(tenant, gateway) of the call: a tenant is required (fees are per tenant)."""
    tenant = ctx.known_tenant(params, *_SCOPE)
    if tenant is None:
        raise ControlError(400, "missing_tenant", "Give tenant= (or credential=): fee "
                           "schedules are overridden per tenant.", "tenant")
    gateway = params.get("gateway") or "stripe"
    names = [g.name for g in ctx.gateways]
    if gateway not in names:
        raise ControlError(400, "gateway_unknown",
                           f"No gateway {gateway!r}; one of: {', '.join(names)}.", "gateway")
    return tenant, gateway


def _body(ctx: ControlContext, raw: bytes) -> dict[str, Any]:
    """The override in the body, checked against its contract."""
    try:
        data = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise ControlError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ControlError(400, "invalid_schedule", "send a JSON object: any part of the "
                           "fee schedule (see GET /_sim/fees).")
    problem = ctx.contracts.problem(contract_id(_C), data)
    if problem is not None:
        where = "/".join(map(str, problem.path)) or None
        raise ControlError(400, "invalid_parameter", problem.message, where)
    return data


def _state(ctx: ControlContext, tenant: str, gateway: str) -> dict[str, Any]:
    fees = ctx.domain.balance.fees
    override = fees.override(tenant, gateway)
    return {"gateway": gateway, "scope": tenant, "overridden": override is not None,
            "override": override, "default": fees.default(gateway),
            "schedule": fees.effective(tenant, gateway)}


OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/fees", "GetFees", get_fees,
       "A tenant's fee schedule on a gateway: effective, override and the gateway's own",
       query=f"{_C}#/$defs/query", response=f"{_C}#/$defs/state", errors=(400, 404),
       content_type=_J),
    Op("PUT", "/fees", "PutFees", put_fees,
       "Override any part of a tenant's fee schedule (JSON body, merged over the "
       "gateway's own); the next payment is charged by it",
       query=f"{_C}#/$defs/query", request_body=_C, response=f"{_C}#/$defs/state",
       errors=(400, 404), content_type=_J),
    Op("GET", "/fees/comparison", "FeeComparison", get_comparison,
       "The traffic run per gateway and method (success rate, amount settled, fee, "
       "effective rate) and what it would cost on each other gateway, per currency",
       query="control/fee_comparison#/$defs/query", response="control/fee_comparison",
       errors=(400, 404), content_type=_J),
    Op("DELETE", "/fees", "DeleteFees", delete_fees,
       "Restore the gateway's own fee schedule for a tenant",
       query=f"{_C}#/$defs/query", response=f"{_C}#/$defs/state", errors=(400, 404),
       content_type=_J),
)
