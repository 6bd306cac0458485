"""Reading request headers defensively: the one way the simulator reads a header.

aiohttp decodes header bytes as UTF-8 with `surrogateescape`, so bytes that are not UTF-8
arrive as lone surrogates ('\\udcff'). Such text cannot be stored in SQLite nor rendered as
JSON; used as-is it turned requests into 500s after they had already run. `header` refuses
it (the caller answers 400 before anything runs), `lenient_header` treats it as absent (for
matching, which must not fail), and `recorded_header` escapes it (for the journal, which
must keep what was sent).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class BadHeader(ValueError):
    """A header whose bytes are not valid UTF-8."""

    def __init__(self, name: str) -> None:
        super().__init__(f"The {name} header is not valid UTF-8.")
        self.name = name


def is_text(value: str) -> bool:
    """Whether the value came from valid UTF-8 bytes (it holds no escaped byte)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value, or None when it is absent; `BadHeader` if it is not UTF-8."""
    value = headers.get(name)
    if value is not None and not is_text(value):
        raise BadHeader(name)
    return value


def check_headers(headers: Mapping[str, str], names: Iterable[str]) -> None:
    """Raise `BadHeader` for the first of `names` present with bytes that are not UTF-8."""
    for name in names:
        header(headers, name)


def lenient_header(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value, or None when it is absent or not UTF-8."""
    value = headers.get(name)
    return value if value is None or is_text(value) else None


def recorded_header(headers: Mapping[str, str], name: str) -> str | None:
    """The header's value for a record: bytes that are not UTF-8 shown as `\\xff`."""
    value = headers.get(name)
    if value is None or is_text(value):
        return value
    raw = value.encode("utf-8", "surrogateescape")
    return raw.decode("utf-8", "backslashreplace")
