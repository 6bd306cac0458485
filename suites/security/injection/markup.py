"""HTML answers, parsed: a payload must never come back as markup.

The page and the payload are both parsed with the standard library's `html.parser`; an
element or attribute of the page that matches one the payload would create (the `<img>`
with its `onerror`, a `<script>` with the payload's code, an `onerror=` smuggled into an
existing tag by a quote left unescaped) is injected markup, however partly the echo was
escaped. A payload's text inside a `<script>`, and a `javascript:` URL, count too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href")
_RAW_TEXT = ("script", "style")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


@dataclass
class Element:
    """A start tag, its attributes (decoded) and, for script and style, its text."""

    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Page:
    """What the parser saw."""

    elements: list[Element] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, html: str) -> Page:
        """Parse a page (or a payload) leniently, as a browser would."""
        parser = _Collector()
        parser.feed(html)
        parser.close()
        return parser.page

    @property
    def visible(self) -> str:
        """Text content and attribute values: where an echo or a `49` would show."""
        values = [v for e in self.elements for v in e.attrs.values()]
        return "\n".join(self.texts + values)

    def field_errors(self) -> list[str]:
        """Fields the page flags as refused: `<... id="cvc-error">` with text -> `cvc`."""
        return [e.attrs["id"].removesuffix("-error") for e in self.elements
                if e.attrs.get("id", "").endswith("-error") and e.text.strip()]

    def message(self) -> str:
        """The page's alert or first heading, for failure messages."""
        alerts = [e.text for e in self.elements if e.attrs.get("role") == "alert" and e.text]
        return (alerts or [" ".join(t.strip() for t in self.texts if t.strip())[:120]])[0]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.page.elements.append(element)
        if tag not in _VOID:  # void elements never close: they hold no text
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        self.page.texts.append(data)
        if self._open:  # text of the innermost open element (error messages, scripts)
            self._open[-1].text += data


def _similar(page_value: str, payload_value: str) -> bool:
    """An attribute value that carries the payload's (possibly with escaping debris)."""
    return bool(payload_value) and payload_value in page_value


def injected_markup(page: Page, payload: str | None) -> list[str]:
    """Markup in `page` that the payload created; empty when it came back as text only."""
    if not payload:
        return []
    atoms = Page.parse(payload).elements
    # what the payload smuggles into a tag when it lands in an attribute, quoted or not
    breakout = {k: v for quote in ('"', "'", "")
                for element in Page.parse(f"<p title={quote}{payload}{quote}>").elements[:1]
                for k, v in element.attrs.items() if k != "title"}
    found: list[str] = []
    for atom in atoms:
        for element in page.elements:
            if element.tag != atom.tag or not set(element.attrs) <= set(atom.attrs):
                continue
            if atom.tag in _RAW_TEXT and atom.text.strip() not in element.text:
                continue
            if atom.attrs and not any(_similar(element.attrs.get(k, ""), v)
                                      for k, v in atom.attrs.items()):
                continue
            found.append(f"injected <{atom.tag}> element")
    smuggled = {k: v for atom in atoms for k, v in atom.attrs.items()} | breakout
    for name, value in smuggled.items():
        if name.startswith("on") and any(_similar(e.attrs.get(name, ""), value)
                                         for e in page.elements):
            found.append(f"injected {name}= attribute")
    if "javascript:" in payload.lower():
        found += [f"javascript: URL in {e.tag} {k}=" for e in page.elements
                  for k in _URL_ATTRIBUTES
                  if re.sub(r"\s", "", e.attrs.get(k, "")).lower().startswith("javascript:")]
    stripped = payload.strip()
    if len(stripped) >= 6:
        found += [f"echoed inside <{e.tag}>" for e in page.elements
                  if e.tag in _RAW_TEXT and stripped in e.text]
    return sorted(set(found))
