"""Control API for threshold alerts: the alerts fired, and the rules (show, set, restore).

Rules are set like scenarios: a YAML or JSON body, globally or for one tenant
(`?tenant=`); a bad rule set is refused naming the rule and field, and the rules in force
stay as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from paylab.simulator.alerts import loader
from paylab.simulator.alerts.evaluator import ALERTS, Alerts
from paylab.simulator.alerts.model import AlertRulesError, RuleSet
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.gateways.spec import Operation as Op

_J = "application/json"
_R = "control/alert_rules"
_A = "control/alerts"
#: Rule bodies are parsed on this thread, never on the event loop (as scenarios are).
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paylab-alert-rules")


def _alerts(request: web.Request) -> Alerts:
    alerts = request.config_dict.get(ALERTS)
    if alerts is None:
        raise ControlError(404, "not_found", "this simulator runs no alert engine")
    return alerts


async def list_alerts(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/alerts: judge the window rules now, then list the alerts newest first."""
    alerts = _alerts(request)
    tenant = ctx.known_tenant(params, "tenant")
    alerts.tick()
    return alerts.state.listing(tenant, params.get("status", "all"), params.get("limit", 100))


async def get_rules(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/alerts/rules: the rules judging a tenant, or the global rules."""
    return _alerts(request).describe(ctx.known_tenant(params, "tenant"))


async def put_rules(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """PUT /_sim/alerts/rules: replace the rules (YAML or JSON body)."""
    alerts, tenant = _alerts(request), ctx.known_tenant(params, "tenant")
    body = await request.read()
    try:
        rules = await asyncio.get_running_loop().run_in_executor(_PARSER, _parse, ctx, body)
    except AlertRulesError as exc:
        raise ControlError(400, "invalid_alert_rules", str(exc), exc.where or None) from exc
    alerts.put(rules, tenant)
    if tenant is not None:
        ctx.domain.tenants.seen(tenant)  # set up ahead (or already known): known from now on
    return alerts.describe(tenant)


def _parse(ctx: ControlContext, body: bytes) -> RuleSet:
    if not body.strip():
        raise AlertRulesError("", "send alert rules (YAML or JSON): {rules: [...]}")
    return loader.build(loader.read_text(body), ctx.contracts, ctx.tenant_or_self)


async def delete_rules(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """DELETE /_sim/alerts/rules: the defaults again (global) or the global rules (tenant)."""
    alerts, tenant = _alerts(request), ctx.known_tenant(params, "tenant")
    cleared = alerts.clear(tenant)
    return {**alerts.describe(tenant), "cleared": cleared}


OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/alerts", "Alerts", list_alerts,
       "Threshold alerts fired and resolved, newest first", query=f"{_A}#/$defs/query",
       response=_A, errors=(400, 404), content_type=_J),
    Op("GET", "/alerts/rules", "GetAlertRules", get_rules,
       "The alert rules judging a tenant (or the global rules)",
       query=f"{_R}#/$defs/query", response=f"{_R}#/$defs/state", errors=(400, 404),
       content_type=_J),
    Op("PUT", "/alerts/rules", "PutAlertRules", put_rules,
       "Replace the alert rules (YAML or JSON body), globally or for a tenant",
       query=f"{_R}#/$defs/query", request_body=_R, response=f"{_R}#/$defs/state",
       errors=(400, 404), content_type=_J),
    Op("DELETE", "/alerts/rules", "DeleteAlertRules", delete_rules,
       "Back to the default rules (global) or to the global rules (a tenant)",
       query=f"{_R}#/$defs/query", response=f"{_R}#/$defs/state", errors=(400, 404),
       content_type=_J),
)
