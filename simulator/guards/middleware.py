"""The root middleware every request passes first: the Host allow-list on every mount, then,
for the control API, cross-site refusal and the control token. A refused request runs
nothing and is answered in the mount's own error shape."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import orjson
from aiohttp import web
from paylab.simulator.guards.auth import ACCESS, ControlAuth
from paylab.simulator.guards.hosts import HostAllowList
from paylab.simulator.guards.origin import STATE_CHANGING, cross_site, from_browser, simple_body

CONTROL_PREFIX = "/_sim"
#: Marks each sub-application with its mount prefix, so a request is classified by the app
#: the router matched, never by re-parsing its path.
MOUNT_KEY = web.AppKey("paylab_mount", str)
#: request[MOUNT]: the prefix of the mount that serves the request (None: the root app).
MOUNT = "paylab.mount"
#: (status, code, message) -> an error response in a mount's own shape.
Refusal = Callable[[int, str, str], web.Response]

HEALTH, DASHBOARD = f"{CONTROL_PREFIX}/health", f"{CONTROL_PREFIX}/"
LOGIN_ROUTES = frozenset({f"{CONTROL_PREFIX}/login", f"{CONTROL_PREFIX}/logout"})


def control_refusal(status: int, code: str, message: str) -> web.Response:
    """The control API's error shape (also used outside any gateway mount)."""
    body = {"error": {"code": code, "message": message, "field": None}}
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


class Guard:
    """The Host allow-list, the cross-site check and the control token, as one middleware."""

    def __init__(self, hosts: HostAllowList, auth: ControlAuth,
                 public_origin: str | None) -> None:
        self.hosts, self.auth, self.public_origin = hosts, auth, public_origin
        self.refusals: dict[str, Refusal] = {}

    def mount(self, app: web.Application, prefix: str,
              refusal: Refusal | None = None) -> web.Application:
        """Mark a sub-application mounted at `prefix` (and how it phrases refusals)."""
        app[MOUNT_KEY] = prefix
        if refusal is not None:
            self.refusals[prefix] = refusal
        return app

    @cached_property
    def middleware(self) -> web.Middleware:
        """The root middleware; it must come first."""

        @web.middleware
        async def guard(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            mount = next((app[MOUNT_KEY] for app in reversed(request.match_info.apps)
                          if MOUNT_KEY in app), None)
            request[MOUNT] = mount
            refusal = self._host(request, mount)
            if refusal is None and mount == CONTROL_PREFIX:
                refusal = self._control(request)
            return refusal if refusal is not None else await handler(request)

        return guard

    def _refuse(self, mount: str | None, status: int, code: str, message: str,
                ) -> web.Response:
        return self.refusals.get(mount or "", control_refusal)(status, code, message)

    def _host(self, request: web.Request, mount: str | None) -> web.Response | None:
        host = request.headers.get("Host")
        if host is None or self.hosts.allows(host):  # no Host at all: not a browser
            return None
        return self._refuse(
            mount, 421, "host_not_allowed",
            f"This simulator does not answer to Host {host[:100]!r} (a DNS-rebinding page "
            "would send its own name). If the name is yours, start the simulator with "
            "--allowed-host NAME (or PAYLAB_ALLOWED_HOSTS).")

    def _control(self, request: web.Request) -> web.Response | None:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else request.path
        if request.method in STATE_CHANGING:
            reason = cross_site(request, self.public_origin)
            if reason is not None:
                return control_refusal(
                    403, "cross_site_request",
                    f"Refused a cross-site request ({reason}): the control API takes "
                    "changes only from its own pages, or from clients that send no Origin "
                    "(curl, SDKs).")
            if route not in LOGIN_ROUTES and from_browser(request) and simple_body(request):
                return control_refusal(
                    415, "unsupported_media_type",
                    f"A browser must send control API bodies as application/json (or YAML), "
                    f"not {request.content_type}: that type skips the browser's CORS check.")
        if route in LOGIN_ROUTES:
            return None
        verdict = self.auth.check(request, route)
        request[ACCESS] = verdict.access
        if not verdict.refused or route == HEALTH:  # health answers anyone, saying less
            return None
        if route == DASHBOARD and request.method == "GET" and verdict.code.endswith("required"):
            raise web.HTTPSeeOther(f"{CONTROL_PREFIX}/login")
        refusal = control_refusal(verdict.status, verdict.code, verdict.message)
        if verdict.status == 401:
            refusal.headers["WWW-Authenticate"] = 'Bearer realm="paylab control"'
        return refusal


#: The root app's guard (the login page opens and closes sessions through it).
GUARD = web.AppKey("paylab_guard", Guard)
