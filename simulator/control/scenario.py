"""Control API for scenarios: show, load (YAML, JSON or a preset), clear, list presets."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from paylab.simulator.control.handlers import ControlContext, ControlError
from paylab.simulator.scenarios import loader
from paylab.simulator.scenarios.model import Scenario, ScenarioError

#: Scenario bodies are parsed and validated on this one thread, never on the event loop:
#: a large upload (up to 1 MiB) then delays only its own answer. A single thread, so a
#: burst of uploads queues here instead of taking the threads of the loop's default
#: executor (DNS lookups for webhook deliveries).
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paylab-scenario")


async def get_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/scenario: the active scenario (global, or a tenant's) and its counters."""
    return ctx.engine.state(ctx.known_tenant(params, "tenant"))


async def put_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """PUT /_sim/scenario: activate the body (YAML or JSON) or `?preset=name`.

    On any error the active scenario stays as it was.
    """
    tenant = ctx.known_tenant(params, "tenant")
    body = await request.read()
    loop = asyncio.get_running_loop()
    try:
        scenario = await loop.run_in_executor(_PARSER, _scenario, ctx, params.get("preset"),
                                              body)
    except ScenarioError as exc:
        raise ControlError(400, "invalid_scenario", str(exc), exc.where or None) from exc
    ctx.engine.load(scenario, tenant)  # back on the loop: the engine is not shared
    if tenant is not None:
        ctx.domain.tenants.seen(tenant)  # set up ahead (or already known): known from now on
    return ctx.engine.state(tenant)


def _scenario(ctx: ControlContext, preset: str | None, body: bytes) -> Scenario:
    """Read and validate a preset or a body (on the parser thread: touches no state)."""
    if preset:
        if body.strip():
            raise ScenarioError("preset", "give a preset or a body, not both")
        doc = loader.preset_document(preset)
    else:
        if not body.strip():
            raise ScenarioError("", "send a scenario (YAML or JSON) or ?preset=name")
        doc = loader.read_text(body)
    return loader.build(doc, ctx.contracts, ctx.tenant_or_self)


async def delete_scenario(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """DELETE /_sim/scenario: back to normal behaviour (globally or for one tenant)."""
    tenant = ctx.known_tenant(params, "tenant")
    return {"cleared": ctx.engine.clear(tenant), "scope": tenant or "*"}


async def presets(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/scenario/presets"""
    return {"presets": loader.list_presets()}
