"""The control API at /_sim: health, reset, journal, webhooks, clock, ledger, OpenAPI, and
the dashboard's login."""

from __future__ import annotations

from aiohttp import web
from paylab.simulator.control import login
from paylab.simulator.control.handlers import ControlContext, control_errors
from paylab.simulator.control.routes import OPERATIONS

CONTEXT = web.AppKey("control_context", ControlContext)


def build(ctx: ControlContext) -> web.Application:
    """The /_sim sub-application."""
    app = web.Application(middlewares=[control_errors])
    app[CONTEXT] = ctx
    for op in OPERATIONS:
        app.router.add_route(op.method, op.path, ctx.bind(op))
    app.add_routes(login.routes())  # browser pages, not API operations: not in OpenAPI
    return app
