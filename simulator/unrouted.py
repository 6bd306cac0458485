"""Answers for paths no mount serves: say where things are instead of aiohttp's bare
"404: Not Found".

A path that looks like a call to a gateway's API without its prefix (`/v1/...` for the
Stripe-compatible one) gets that gateway's own error shape, so an SDK pointed at the bare
host shows a message naming the right base address; any other unknown path (`/`, `/_sim`,
a typo) gets a small hint listing the mounts, as JSON, or as a page for a browser. The
mounts' own 404s (an unrouted URL inside /stripe, a missing object, an unknown /_sim
operation) are theirs and never reach this.
"""

from __future__ import annotations

import html

import orjson
from aiohttp import web
from paylab.simulator.gateways.spec import Gateway
from paylab.simulator.guards import CONTROL_PREFIX

#: Paths are echoed (escaped) up to this length: enough to spot a typo.
SHOWN = 200


def mounts(gateways: list[Gateway]) -> dict[str, str]:
    """Where each part of the simulator lives: gateway APIs, control API, dashboard."""
    found = {g.name: f"{g.prefix}{_api_root(g)}/..." for g in gateways}
    return {**found, "control": f"{CONTROL_PREFIX}/...", "dashboard": f"{CONTROL_PREFIX}/",
            "openapi": f"{CONTROL_PREFIX}/openapi.json"}


def _api_root(gateway: Gateway) -> str:
    """The first path segment of a gateway's API (`/v1` for Stripe), or ''."""
    roots = {"/" + op.path.split("/", 2)[1] for op in gateway.operations if op.path != "/"}
    return min(roots) if len(roots) == 1 else ""


def unrouted_middleware(gateways: list[Gateway]) -> web.Middleware:
    """Answer requests that match no route of any mount with a hint (a root middleware)."""
    listing = mounts(gateways)
    by_root = {root: g for g in gateways if (root := _api_root(g)) and g.refusal}
    # a mount's bare root (`/stripe`, `/stripe/`, `/_sim`) names no operation either
    bare = {CONTROL_PREFIX} | {p for g in gateways for p in (g.prefix, g.prefix + "/")}

    @web.middleware
    async def hint(request: web.Request, handler: web.Handler) -> web.StreamResponse:
        match = request.match_info
        # only the root router's own misses: a mount's are in its own shape
        if not isinstance(match.http_exception, web.HTTPNotFound) or (
                len(match.apps) > 1 and request.path not in bare):
            return await handler(request)
        path = request.path
        gateway = by_root.get("/" + path.split("/", 2)[1])
        if gateway is not None and gateway.refusal is not None:
            return gateway.refusal(404, "", _gateway_message(request, gateway))
        message = (f"No route {request.method} {path[:SHOWN]} on this simulator. It serves "
                   + "; ".join(f"{name}: {where}" for name, where in listing.items()) + ".")
        if _wants_html(request):
            return web.Response(status=404, text=_page(path, listing),
                                content_type="text/html")
        return web.Response(status=404, content_type="application/json", body=orjson.dumps(
            {"error": {"code": "not_found", "message": message, "field": None},
             "mounts": listing}))

    return hint


def _gateway_message(request: web.Request, gateway: Gateway) -> str:
    base = f"{request.scheme}://{request.host}{gateway.prefix}"
    path = request.path[:SHOWN]
    # Stripe's own sentence first, so it reads as the error an SDK user knows
    return (f"Unrecognized request URL ({request.method}: {path}). This simulator serves "
            f"the {gateway.title} under {gateway.prefix}: send it to {base}{path} (with the "
            f"SDK, base_addresses={{\"api\": \"{base}\"}}).")


def _wants_html(request: web.Request) -> bool:
    """A browser navigating (it asks for HTML first); API clients get JSON."""
    accept = request.headers.get("Accept", "")
    return "text/html" in accept and "application/json" not in accept


def _page(path: str, listing: dict[str, str]) -> str:
    rows = "".join(
        f'<li>{html.escape(name)}: <a href="{html.escape(where.removesuffix("..."))}">'
        f"{html.escape(where)}</a></li>" for name, where in listing.items())
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>Not found - paylab"
            f"</title><h1>Not found</h1><p>Nothing is served at <code>"
            f"{html.escape(path[:SHOWN])}</code>. This simulator serves:</p><ul>{rows}</ul>"
            "</html>")
