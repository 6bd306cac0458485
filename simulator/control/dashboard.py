"""The dashboard at /_sim/ and the figures behind it (/_sim/stats, /_sim/metrics)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from paylab.simulator.control import journal_view as view
from paylab.simulator.control.handlers import ControlContext
from paylab.simulator.guards.auth import ACCESS
from paylab.simulator.journal_bodies import JournalBodies
from paylab.simulator.scenarios import loader
from paylab.simulator.ui import Markup, fragment, render

SCRIPT = Markup('<script src="/static/dashboard.js" defer></script>')


async def page(ctx: ControlContext, request: web.Request, params: Mapping) -> web.Response:
    """GET /_sim/: the live dashboard (with a warning when the control API is unguarded
    off loopback, and a log-out button for a logged-in session)."""
    summary = ctx.settings_summary
    html = render("dashboard.html", title="paylab dashboard", scripts=SCRIPT,
                  seed=ctx.domain.rand.seed,
                  banner=fragment("insecure_banner.html") if summary.get("insecure") else "",
                  account=fragment("logout.html") if request.get(ACCESS) == "session" else "")
    return web.Response(text=html, content_type="text/html")


async def stats(ctx: ControlContext, request: web.Request, params: Mapping) -> dict:
    """GET /_sim/stats: KPIs, series, scenario, the tails of journal and webhooks, and the
    stored payments and orders per gateway and payment method (`gateway_methods`).

    `tenant`, `gateway`, `status` (2xx, 3xx, 4xx, 5xx, none) and `effect` (any, none,
    fault, latency, outcome, webhook) filter the journal tail (`tenant` the `kpis` too);
    `open` adds one journal row with its masked request and response bodies (null when
    there is no such row)."""
    domain = ctx.domain
    window = params.get("window", 60)
    filters = {**params, "tenant": ctx.tenant(params.get("tenant"))}
    journal = view.tail(domain, filters)
    counted_at, figures = await ctx.metrics.figures_apart(domain.store)
    # the page shows this, not its own clock minus `at`: a browser's clock may be off
    age = round(max(0.0, time.time() - counted_at), 1)
    webhooks = domain.outbox.listing(limit=8)
    out = {
        **ctx.metrics.snapshot(window),
        "webhook_backlog": domain.outbox.backlog(),
        "scenario": ctx.engine.state(None),
        "scenario_scopes": ctx.engine.scopes(),
        "presets": loader.list_presets(),
        "journal": journal,
        "journal_labels": view.labels(domain, journal),
        "webhooks": webhooks,
        "webhook_labels": view.webhook_labels(domain, webhooks),
        "health": view.health(domain, window),
        "gateways": sorted(g.name for g in ctx.gateways),
        "gateway_methods": figures,
        "gateway_methods_at": round(counted_at, 3),
        "gateway_methods_age": age,
        "scenario_windows": windows(ctx.engine.state(None), domain.clock.now(),
                                    domain.clock.time_scale),
        "kpis": domain.kpis.snapshot(filters["tenant"]),
    }
    if "open" in params:
        # null, not 404, for a row trimmed or reset away: the page polls with it open
        out["opened"] = view.opened(domain, JournalBodies(domain.journal.store, create=False),
                                    params["open"])
    return out


def windows(state: dict[str, Any], now: float, time_scale: float) -> list[dict[str, Any]]:
    """The timed windows of the active scenario's rules and where each one stands.

    Windows count virtual seconds after loading; `starts_in` / `ends_in` are wall-clock
    seconds (divided by the time scale), which is what someone watching a run waits."""
    source, loaded_at = state.get("scenario") or {}, state.get("loaded_at")
    if loaded_at is None:
        return []
    elapsed, out = now - loaded_at, []
    for rule in source.get("rules", []):
        window = (rule.get("lifetime") or {}).get("window")
        if not window:
            continue
        start, end = window.get("start", 0), window.get("end")
        phase = "pending" if elapsed < start else (
            "open" if end is None or elapsed < end else "closed")
        out.append({"rule": rule.get("name", ""), "start": start, "end": end, "state": phase,
                    "starts_in": round((start - elapsed) / time_scale, 1)
                    if phase == "pending" else None,
                    "ends_in": round((end - elapsed) / time_scale, 1)
                    if end is not None and phase != "closed" else None})
    return out


async def prometheus(ctx: ControlContext, request: web.Request,
                     params: Mapping) -> web.Response:
    """GET /_sim/metrics: request counters since start, payments per gateway and method
    from the store, latency histograms and the webhook figures (backlog per gateway among
    them), in Prometheus text format."""
    text = ctx.metrics.prometheus((await ctx.metrics.figures_apart(ctx.domain.store))[1])
    return web.Response(text=text, content_type="text/plain", charset="utf-8")
