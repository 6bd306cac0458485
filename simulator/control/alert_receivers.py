"""Control API for alert receivers: where firing and resolved alerts are POSTed.

GET/PUT/DELETE /_sim/alerts/receivers, globally (every alert) or for one tenant
(`?tenant=`: that tenant's alerts). PUT replaces the scope's receivers; a secret set by
the call (given, or generated when left out) is shown in its answer once, and masked in
every other answer (see simulator.alerts.receivers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator.alerts.receivers import Receivers
from paylab.simulator.contracts import contract_id
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_C = "control/alert_receivers"
_SCOPE = ("tenant", "credential")


async def get_receivers(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/alerts/receivers: the scope's receivers, secrets masked."""
    tenant = ctx.known_tenant(params, *_SCOPE)
    return {"scope": tenant, "receivers": Receivers(ctx.domain).listing(tenant)}


async def put_receivers(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """PUT /_sim/alerts/receivers: replace the scope's receivers ({receivers: [...]})."""
    tenant = ctx.known_tenant(params, *_SCOPE)
    wanted = _body(ctx, await request.read())["receivers"]
    try:
        receivers = Receivers(ctx.domain).replace(tenant, wanted)
    except InvalidRequest as exc:
        raise ControlError(400, exc.code, exc.message, exc.param) from exc
    if tenant is not None:
        ctx.domain.tenants.seen(tenant)  # set up ahead (or already known): known from now on
    return {"scope": tenant, "receivers": receivers}


async def delete_receivers(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """DELETE /_sim/alerts/receivers: no receiver in the scope any more."""
    tenant = ctx.known_tenant(params, *_SCOPE)
    cleared = Receivers(ctx.domain).clear(tenant)
    return {"scope": tenant, "receivers": [], "cleared": cleared}


def _body(ctx: ControlContext, raw: bytes) -> dict[str, Any]:
    """The body, checked against its contract (never echoed: it may hold secrets)."""
    try:
        data = orjson.loads(raw) if raw.strip() else None
    except orjson.JSONDecodeError as exc:
        raise ControlError(400, "invalid_json", "body is not valid JSON") from exc
    problem = ctx.contracts.problem(contract_id(_C), data)
    if problem is not None:
        where = "/".join(map(str, problem.path)) or None
        message = problem.message
        if "secret" in where_text(where) or "secret" in message or "whsec" in message:
            message = f"{where or 'the body'} does not meet its contract ({problem.keyword}); " \
                      "a secret is whsec_ followed by base64 (the value is not repeated here)"
        raise ControlError(400, "invalid_parameter", message, where)
    return data


def where_text(where: str | None) -> str:
    """The path of a problem, empty for the body itself."""
    return where or ""


OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/alerts/receivers", "GetAlertReceivers", get_receivers,
       "Where alerts are POSTed (Alertmanager webhook JSON, Standard Webhooks signature): "
       "the global receivers, or a tenant's; secrets masked",
       query=f"{_C}#/$defs/query", response=f"{_C}#/$defs/state", errors=(400, 404),
       content_type=_J),
    Op("PUT", "/alerts/receivers", "PutAlertReceivers", put_receivers,
       "Replace the receivers of the scope; a secret set by this call (given, or generated "
       "when left out) is shown once, in this answer",
       query=f"{_C}#/$defs/query", request_body=_C, response=f"{_C}#/$defs/state",
       errors=(400, 404), content_type=_J),
    Op("DELETE", "/alerts/receivers", "DeleteAlertReceivers", delete_receivers,
       "Remove every receiver of the scope (notices still queued for them are abandoned)",
       query=f"{_C}#/$defs/query", response=f"{_C}#/$defs/state", errors=(400, 404),
       content_type=_J),
)
