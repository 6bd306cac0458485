"""Control API handlers. Bodies and queries are validated against contracts/control/."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator import __version__
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.ledger import ledger
from paylab.simulator.gateways import tenant_for
from paylab.simulator.gateways.spec import Gateway, Operation
from paylab.simulator.guards.auth import ACCESS
from paylab.simulator.leadership import Lease, holder_pid
from paylab.simulator.metrics import Metrics
from paylab.simulator.scenarios.engine import ScenarioEngine
from paylab.simulator.scheduler import SCHEDULER

log = logging.getLogger("paylab.control")

Handler = Callable[["ControlContext", web.Request, dict[str, Any]], Awaitable[Any]]


class ControlError(Exception):
    """A control API error: status, code, message and the offending field."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _json(status: int, body: Any) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


def _fail(status: int, code: str, message: str, field: str | None = None) -> web.Response:
    return _json(status, {"error": {"code": code, "message": message, "field": field}})


@web.middleware
async def control_errors(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    """Every control failure as `{"error": {...}}`, never an HTML page or a traceback."""
    try:
        return await handler(request)
    except ControlError as exc:
        return _fail(exc.status, exc.code, exc.message, exc.field)
    except StorageUnavailable as exc:
        return _fail(503, "storage_unavailable", exc.message)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        return _fail(exc.status, "not_found", f"No control operation {request.method} "
                     f"{request.path}; see /_sim/openapi.json")
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _fail(exc.status, "bad_request", exc.reason)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return _fail(500, "internal_error", "unexpected simulator error (see its log)")


@dataclass
class ControlContext:
    """What control handlers reach: the domain, contracts, gateways and the OpenAPI doc."""

    domain: Domain
    contracts: Contracts
    engine: ScenarioEngine
    gateways: list[Gateway]
    settings_summary: dict[str, Any]
    openapi: Callable[[], dict[str, Any]]
    metrics: Metrics
    probe: Callable[[int, str], Awaitable[dict[str, Any] | None]]
    started: float = field(default_factory=time.time)

    def bind(self, op: Operation) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """An aiohttp handler that validates input, runs `op.handler` and commits."""

        async def handle(request: web.Request) -> web.StreamResponse:
            params = await self._input(request, op)
            result = await op.handler(self, request, params)
            await self.domain.store.durable()
            if isinstance(result, web.StreamResponse):
                return result
            return _json(200, result)

        return handle

    async def _input(self, request: web.Request, op: Operation) -> dict[str, Any]:
        if op.query:
            data: Any = dict(request.query)
            ref = contract_id(op.query)
        elif op.request:
            raw = await request.read()
            try:
                data = orjson.loads(raw) if raw.strip() else {}
            except orjson.JSONDecodeError as exc:
                raise ControlError(400, "invalid_json", f"body is not valid JSON: {exc}") from exc
            ref = contract_id(op.request)
        else:
            return {}
        data = self.contracts.coerce(ref, data)
        problem = self.contracts.problem(ref, data)
        if problem is not None:
            where = "/".join(map(str, problem.path)) or None
            raise ControlError(400, "invalid_parameter", problem.message, where)
        return data

    def tenant(self, value: str | None) -> str | None:
        """A tenant id, or the tenant an API key maps to on any gateway."""
        if not value:
            return None
        return self.tenant_or_self(value)

    def known_tenant(self, params: Mapping[str, Any], *fields: str) -> str | None:
        """The tenant named by the first of `fields` given (None: no tenant, the global
        scope). A tenant the simulator has never seen is refused with 404 (a typo would
        otherwise scope to nobody, silently) unless `ahead` is true: set up before its
        first call. Only reads; a handler that sets the tenant up records it on success."""
        field_name = next((f for f in fields if params.get(f)), None)
        if field_name is None:
            return None
        value = params[field_name]
        tenant = self.tenant_or_self(value)
        if not params.get("ahead") and not self.domain.tenants.known(tenant):
            shown = value if value == tenant else f"{value} ({tenant})"
            raise ControlError(
                404, "unknown_tenant",
                f"No tenant {shown} has called this simulator: check the key for a typo, "
                "or add ahead=true to set the tenant up before its first API call.",
                field_name)
        return tenant

    def tenant_or_self(self, value: str) -> str:
        """The tenant a credential maps to, or the value itself (already a tenant id)."""
        return tenant_for(self.gateways, value)


# -- handlers -------------------------------------------------------------------------------
async def health(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/health: liveness for anyone; the details (seed, db path, clock, backlog)
    only for the token holder when the control API is token-guarded."""
    if request.get(ACCESS) == "anonymous":
        return {"status": "ok", "auth": "required"}
    clock = ctx.domain.clock
    return {
        "status": "ok",
        "version": __version__,
        "seed": ctx.domain.rand.seed,
        "db": ctx.settings_summary["db"],
        "gateways": [{"name": g.name, "prefix": g.prefix} for g in ctx.gateways],
        "clock": {"now": clock.now(), "offset": clock.offset, "time_scale": clock.time_scale,
                  "mode": clock_mode(clock.time_scale)},
        # what tests that time deliveries must know of a simulator they did not start
        "webhooks": {"retry_schedule": list(ctx.domain.outbox.retry_schedule),
                     "timeout": _webhook_timeout(ctx), "gateway_schedules": _schedules(ctx)},
        "webhook_backlog": ctx.domain.outbox.backlog(),
        "uptime_seconds": round(time.time() - ctx.started, 3),
        "workers": _workers(ctx),
    }


def _workers(ctx: ControlContext) -> dict[str, int | None]:
    """How many worker processes serve, this one, and the dispatcher lease's holder."""
    count = int(ctx.settings_summary.get("workers", 1))
    leader: int | None = os.getpid()
    if count > 1:
        holder = Lease(ctx.domain.store, "").current()
        leader = holder_pid(holder) if holder else None
    return {"count": count, "answered_by": os.getpid(), "leader": leader}


def _webhook_timeout(ctx: ControlContext) -> float | None:
    """--webhook-timeout, as the dispatcher applies it (`probe` is its bound method)."""
    return getattr(getattr(ctx.probe, "__self__", None), "timeout", None)


def _schedules(ctx: ControlContext) -> dict[str, list[float]]:
    """The retry schedule each gateway's notifications follow (see Dispatcher.schedules)."""
    schedules = getattr(getattr(ctx.probe, "__self__", None), "schedules", None)
    return schedules() if schedules is not None else {}


def clock_mode(time_scale: float) -> str:
    """`real` at wall-clock speed, `fast` when compressed (--time-scale 20), `slow` when
    stretched (the suites' standing clock runs 10,000 times slower)."""
    return "real" if time_scale == 1 else "fast" if time_scale > 1 else "slow"


async def reset(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/reset"""
    tenant = ctx.known_tenant(params, "tenant", "api_key")
    ctx.domain.reset(tenant)
    ctx.engine.forget_tenants(tenant)
    return {"reset": tenant or "all"}


async def journal(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/journal"""
    entries = ctx.domain.journal.read(
        after=params.get("after", 0), limit=params.get("limit", 200),
        gateway=params.get("gateway"), tenant=ctx.tenant(params.get("tenant")),
        run_id=params.get("run"), direction=params.get("direction"),
    )
    return {"entries": entries,
            "next_after": entries[-1]["seq"] if entries else params.get("after", 0)}


async def webhooks(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/webhooks"""
    deliveries = ctx.domain.outbox.listing(
        tenant=ctx.tenant(params.get("tenant")), event_id=params.get("event"),
        status=params.get("status"), limit=params.get("limit", 100),
    )
    return {"deliveries": deliveries, "backlog": ctx.domain.outbox.backlog()}


def _delivery_id(raw: str) -> bool:
    """Whether a path segment can be a delivery id: ASCII digits only (`"²".isdigit()` is
    true but `int("²")` fails), small enough for SQLite's 64-bit integers."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 18


async def redeliver(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/webhooks/{id}/redeliver"""
    raw = request.match_info["id"]
    if not _delivery_id(raw) or not ctx.domain.outbox.redeliver(int(raw)):
        raise ControlError(404, "not_found", f"no delivery {raw}", "id")
    return {"id": int(raw), "status": "pending"}


async def advance_clock(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/clock/advance"""
    now = ctx.domain.advance_clock(float(params["seconds"]))
    scheduler = request.config_dict.get(SCHEDULER)
    if scheduler is not None:  # what fell due (code expiries, settlements) has happened
        scheduler.fire_due()
        await ctx.domain.store.durable()
    return {"now": now, "offset": ctx.domain.clock.offset}


async def get_ledger(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/ledger"""
    return ledger(ctx.domain.objects, ctx.tenant(params.get("tenant")))


async def openapi(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/openapi.json"""
    return ctx.openapi()


async def revoke_key(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/keys/revoke: the gateway answers 401 to this key from now on."""
    tenant = ctx.tenant(params["api_key"]) or ""
    ctx.domain.revoke(tenant, params.get("revoked", True))
    return {"tenant": tenant, "revoked": tenant in ctx.domain.revoked}


async def probe_delivery(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """POST /_sim/webhooks/{id}/probe: re-send a delivery with one attack applied."""
    raw = request.match_info["id"]
    try:
        result = await ctx.probe(int(raw), params["attack"]) if _delivery_id(raw) else None
    except LookupError as exc:
        raise ControlError(409, "endpoint_gone", str(exc), "id") from exc
    if result is None:
        raise ControlError(404, "not_found", f"no delivery {raw}", "id")
    return result
