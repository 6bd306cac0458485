"""Hosted pages (3-D Secure challenge, results): templates rendered with escaping by default.

Every substituted value is HTML-escaped unless it is wrapped in `Markup` by code that
built it from already-escaped parts; nothing a client sent is ever marked safe.
"""

from __future__ import annotations

import html
import string
from functools import cache
from importlib import resources
from typing import Any


class Markup(str):
    """Text that is already safe HTML (built by this module, never from input)."""


@cache
def _template(name: str) -> string.Template:
    text = resources.files("paylab.simulator.ui").joinpath("templates", name).read_text("utf-8")
    return string.Template(text)


def escape(value: Any) -> str:
    """HTML-escape anything that is not `Markup` (quotes included)."""
    if isinstance(value, Markup):
        return value
    return html.escape("" if value is None else str(value), quote=True)


def fragment(template: str, /, **values: Any) -> Markup:
    """Fill a partial template (a list row, a message); all values escaped."""
    return Markup(_template(template).substitute({k: escape(v) for k, v in values.items()}))


class PackageTemplates:
    """A gateway package's own page templates (its `templates/` folder), filled with every
    value escaped, and whole pages inside the shared layout."""

    def __init__(self, package: str) -> None:
        self.package = package

    def fragment(self, name: str, /, **values: Any) -> Markup:
        """A partial template of the package, every value escaped."""
        return Markup(_package_template(self.package, name).substitute(
            {k: escape(v) for k, v in values.items()}))

    def page(self, body: Markup, title: str, scripts: str = "") -> str:
        """`body` (built by `fragment`) inside the shared layout and stylesheet."""
        return _template("base.html").substitute(title=escape(title), body=body,
                                                 css=stylesheet(), scripts=escape(scripts))


@cache
def _package_template(package: str, name: str) -> string.Template:
    return string.Template(resources.files(package).joinpath("templates", name)
                           .read_text("utf-8"))


def render(template: str, /, **values: Any) -> str:
    """Fill `template` inside the base layout; all values escaped."""
    body = _template(template).substitute({k: escape(v) for k, v in values.items()})
    title = values.get("title", "paylab")
    return _template("base.html").substitute(title=escape(title), body=body,
                                             css=stylesheet(),
                                             scripts=escape(values.get("scripts", "")))


#: The simulated issuer page's words for a payment (a card setup passes its own).
PAYMENT_CHALLENGE = {"heading": "Confirm this payment",
                     "lead": "Your bank wants to make sure it is really you.",
                     "for_label": "Payment for", "reference_field": "payment_intent"}


@cache
def stylesheet() -> str:
    """The shared stylesheet, inlined so pages work from anywhere (file://, screenshots)."""
    return resources.files(__name__).joinpath("static", "paylab.css").read_text("utf-8")


def message_page(heading: str, message: str, testid: str,
                 link: tuple[str | None, str] | None = None) -> str:
    """A one-message hosted page (payment complete, link not valid...), with an optional
    link (href, text) whose test id is `<testid>-link`."""
    extra = fragment("link.html", href=link[0], text=link[1], testid=f"{testid}-link") \
        if link and link[0] else ""
    return render("message.html", title=heading, heading=heading, message=message,
                  testid=testid, link=extra)
