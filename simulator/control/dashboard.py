"""The dashboard at /_sim/ and the figures behind it (/_sim/stats, /_sim/metrics)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from paylab.simulator.control.handlers import ControlContext
from paylab.simulator.guards.auth import ACCESS
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
    """GET /_sim/stats: KPIs, series, scenario, and the tails of journal and webhooks."""
    journal = ctx.domain.journal
    last = journal.store.one("SELECT COALESCE(MAX(seq), 0) FROM journal")[0]
    return {
        **ctx.metrics.snapshot(params.get("window", 60)),
        "webhook_backlog": ctx.domain.outbox.backlog(),
        "scenario": ctx.engine.state(None),
        "scenario_scopes": ctx.engine.scopes(),
        "presets": loader.list_presets(),
        "journal": journal.read(after=max(0, last - 15), limit=15)[::-1],
        "webhooks": ctx.domain.outbox.listing(limit=8),
    }


async def prometheus(ctx: ControlContext, request: web.Request,
                     params: Mapping) -> web.Response:
    """GET /_sim/metrics: counters since start, in Prometheus text format."""
    text = ctx.metrics.prometheus() + (
        "# HELP paylab_webhook_backlog Deliveries not yet settled.\n"
        "# TYPE paylab_webhook_backlog gauge\n"
        f"paylab_webhook_backlog {ctx.domain.outbox.backlog()}\n")
    return web.Response(text=text, content_type="text/plain", charset="utf-8")
