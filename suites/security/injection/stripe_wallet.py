"""The hosted Checkout page's wallet buttons as a probe surface: what the Stripe surface
file's `wallet_session` object names. The buttons are a GET form (`token`, `wallet`) whose
token is the session's page token, carried in the session's `url`."""

from __future__ import annotations

import urllib.parse
from typing import Any


async def wallet_session(base_url: str, session: dict[str, Any]) -> dict[str, Any]:
    """The session's id and the page token its wallet form carries."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(session["url"]).query)
    return {"id": session["id"], "token": query["token"][0]}
