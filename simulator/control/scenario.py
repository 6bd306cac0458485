"""Control API for scenarios: show, load (YAML, JSON or a preset), clear, list presets."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from simulator.control.handlers import ControlContext, ControlError
from simulator.scenarios import loader
from simulator.scenarios.model import ScenarioError


async def get_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/scenario: the active scenario (global, or a tenant's) and its counters."""
    return ctx.engine.state(ctx.tenant(params.get("tenant")))


async def put_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """PUT /_sim/scenario: activate the body (YAML or JSON) or `?preset=name`.

    On any error the active scenario stays as it was.
    """
    tenant = ctx.tenant(params.get("tenant"))
    body = await request.read()
    try:
        if params.get("preset"):
            if body.strip():
                raise ScenarioError("preset", "give a preset or a body, not both")
            doc = loader.preset_document(params["preset"])
        else:
            if not body.strip():
                raise ScenarioError("", "send a scenario (YAML or JSON) or ?preset=name")
            doc = loader.read_text(body)
        scenario = loader.build(doc, ctx.contracts, ctx.tenant_or_self)
    except ScenarioError as exc:
        raise ControlError(400, "invalid_scenario", str(exc), exc.where or None) from exc
    ctx.engine.load(scenario, tenant)
    return ctx.engine.state(tenant)


async def delete_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """DELETE /_sim/scenario: back to normal behaviour (globally or for one tenant)."""
    tenant = ctx.tenant(params.get("tenant"))
    return {"cleared": ctx.engine.clear(tenant), "scope": tenant or "*"}


async def presets(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/scenario/presets"""
    return {"presets": loader.list_presets()}
