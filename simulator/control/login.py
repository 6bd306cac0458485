"""The dashboard's login: a form at /_sim/login that trades the control token for a session
cookie (HttpOnly, SameSite=Strict, scoped to /_sim), and /_sim/logout.

The token goes in a POST body only, never in a URL; the cookie holds a random session
value, never the token. Both routes pass the guard's Host and cross-site checks.
"""

from __future__ import annotations

from aiohttp import web
from paylab.simulator.guards import GUARD
from paylab.simulator.guards.auth import COOKIE, SESSION_SECONDS
from paylab.simulator.ui import fragment, render

DASHBOARD, LOGIN = "/_sim/", "/_sim/login"


def routes() -> list[web.RouteDef]:
    """GET and POST /login, POST /logout (relative to the /_sim mount)."""
    return [web.get("/login", show), web.post("/login", submit), web.post("/logout", logout)]


def _page(status: int = 200, error: str | None = None) -> web.Response:
    html = render("login.html", title="paylab control login",
                  error=fragment("form_error.html", message=error) if error else "")
    return web.Response(status=status, text=html, content_type="text/html")


async def show(request: web.Request) -> web.StreamResponse:
    """GET /_sim/login: the form (or the dashboard, when there is no token to give)."""
    if not request.config_dict[GUARD].auth.guarded:
        raise web.HTTPSeeOther(DASHBOARD)
    return _page()


async def submit(request: web.Request) -> web.StreamResponse:
    """POST /_sim/login: a session cookie for the right token, the form again otherwise."""
    guard = request.config_dict[GUARD]
    auth = guard.auth
    if not auth.guarded:
        raise web.HTTPSeeOther(DASHBOARD)
    token = (await request.post()).get("token")
    if not isinstance(token, str) or not auth.token_matches(token):
        return _page(401, "That is not this simulator's control token.")
    response = web.HTTPSeeOther(DASHBOARD)
    # behind a TLS proxy (an https --public-url) the request itself arrives over http
    https = request.secure or (guard.public_origin or "").startswith("https:")
    response.set_cookie(COOKIE, auth.sessions.open(), max_age=SESSION_SECONDS, path="/_sim",
                        httponly=True, samesite="Strict", secure=https)
    await auth.sessions.committed()
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /_sim/logout: forget the session and its cookie."""
    sessions = request.config_dict[GUARD].auth.sessions
    sessions.close(request.cookies.get(COOKIE))
    await sessions.committed()
    response = web.HTTPSeeOther(LOGIN)
    response.del_cookie(COOKIE, path="/_sim")
    raise response
