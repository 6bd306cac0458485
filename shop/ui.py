"""Page rendering for the shop: string templates, every value HTML-escaped."""

from __future__ import annotations

import html
import string
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

TEMPLATES = Path(__file__).parent / "templates"


class Safe(str):
    """HTML the shop built itself from escaped parts."""


@cache
def _template(name: str) -> string.Template:
    return string.Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _esc(value: Any) -> str:
    return value if isinstance(value, Safe) else html.escape(str(value), quote=True)


def part(name: str, /, **values: Any) -> Safe:
    """A filled partial (a product card, a cart line)."""
    return Safe(_template(name).substitute({k: _esc(v) for k, v in values.items()}))


def page(name: str, /, *, title: str, cart_count: int, http_status: int = 200,
         **values: Any) -> web.Response:
    """A whole page in the shop's layout."""
    body = part(name, **values)
    text = _template("layout.html").substitute(title=_esc(title), body=body,
                                               cart_count=_esc(cart_count))
    return web.Response(status=http_status, text=text, content_type="text/html")
