"""Headers on every response the simulator prepares: HTML pages may not be framed by other
sites (clickjacking a Pay or Complete-authentication button), send no Referer (hosted page
URLs carry secret tokens), and nothing is MIME-sniffed.

A `<meta>` CSP cannot carry frame-ancestors, so it goes in the HTTP header, merged into any
CSP header a page already sends.
"""

from __future__ import annotations

from aiohttp import web
from paylab.simulator.guards.middleware import CONTROL_PREFIX, MOUNT

FRAME_ANCESTORS = "frame-ancestors 'none'"


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare` handler of the root app (it runs for every mount)."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.content_type != "text/html":
        return
    headers["X-Frame-Options"] = "DENY"
    policy = headers.get("Content-Security-Policy", "").strip().rstrip(";")
    if "frame-ancestors" not in policy:
        headers["Content-Security-Policy"] = f"{policy}; {FRAME_ANCESTORS}" if policy \
            else FRAME_ANCESTORS
    # The control pages keep the Referer on their own requests: under no-referrer a browser
    # sends `Origin: null` with the dashboard's PUTs and its login form, which the
    # cross-site check would refuse. Their URLs carry nothing secret.
    control = request.get(MOUNT) == CONTROL_PREFIX
    headers.setdefault("Referrer-Policy", "same-origin" if control else "no-referrer")
