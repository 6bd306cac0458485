"""Cross-site request refusal for the control API.

A page on another site can make a browser send POST, PUT or DELETE here (a form, an image,
a no-cors fetch), but the browser says where the page came from: `Origin`, else `Referer`,
and in current browsers `Sec-Fetch-Site`. Clients that are not browsers (curl, SDKs, test
clients) send none of them and are not affected.
"""

from __future__ import annotations

import urllib.parse

from aiohttp import web

STATE_CHANGING = frozenset({"POST", "PUT", "DELETE", "PATCH"})
#: The body types a browser sends cross-site without asking first (no CORS preflight).
SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data"})
_BROWSER_HEADERS = ("Origin", "Referer", "Sec-Fetch-Site", "Sec-Fetch-Mode")


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, lower-case ("" when it has none)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def own_origins(request: web.Request, public_origin: str | None) -> set[str]:
    """The origins of this simulator's own pages: the `Host` the request came to (already
    on the allow-list), over http or https (a TLS proxy may sit in front), and --public-url."""
    host = request.headers.get("Host", "").strip().lower()
    own = {f"http://{host}", f"https://{host}"} if host else set()
    return own | ({public_origin} if public_origin else set())


def cross_site(request: web.Request, public_origin: str | None) -> str | None:
    """Why this request comes from another site's page, or None when it does not."""
    headers = request.headers
    site = headers.get("Sec-Fetch-Site", "").strip().lower()
    if site in ("cross-site", "same-site"):
        return f"Sec-Fetch-Site: {site}"
    source, value = "Origin", headers.get("Origin")
    if value is None:
        source, value = "Referer", headers.get("Referer")
        if value is None:
            return None
        value = origin_of(value) or value
    if value.strip().lower() not in own_origins(request, public_origin):
        return f"{source} {value[:200]!r} is not this simulator"
    return None


def from_browser(request: web.Request) -> bool:
    """Whether a browser sent this (it adds these headers; curl and SDKs do not)."""
    return any(name in request.headers for name in _BROWSER_HEADERS)


def simple_body(request: web.Request) -> bool:
    """Whether the request carries a body of a type that skips the CORS preflight."""
    return request.body_exists and request.content_type in SIMPLE_TYPES
