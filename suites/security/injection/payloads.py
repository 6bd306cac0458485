"""The hostile inputs of `data/payloads.yaml`: how each goes on the wire, how it is shown,
and what it would turn into if a server evaluated it as a template."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
#: `{{7*7}}`, `${7*7}`, `<%= 7*7 %>`, `#{7*7}`: an engine that runs them answers 49.
_ARITHMETIC = re.compile(r"(\{\{|\$\{|<%=|#\{)\s*7\s*\*\s*7\s*(\}\}|\}|%>)")


#: How many payloads of each category go into each field: a number, or `all` for the whole
#: catalogue in every field (the long variant: about twice the probes and the time).
PER_FIELD_ENV = "PAYLAB_INJECTION_PAYLOADS"
PER_FIELD_DEFAULT = 2


def per_field_bound(environ: dict[str, str] | None = None) -> int | None:
    """PAYLAB_INJECTION_PAYLOADS as a bound (None: every payload); ValueError when bad."""
    raw = (os.environ if environ is None else environ).get(PER_FIELD_ENV, "").strip().lower()
    if not raw:
        return PER_FIELD_DEFAULT
    if raw == "all":
        return None
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    raise ValueError(f"{PER_FIELD_ENV} must be a number of payloads per field or 'all', "
                     f"not {raw!r}")


def for_field(catalogue: list[Any], index: int, *bounds: int | None) -> list[Any]:
    """The payloads the `index`-th field of an operation gets: at most the smallest bound,
    taken in turn from the catalogue from position `index` on, so neighbouring fields get
    different ones and an operation with enough fields sends every payload somewhere."""
    known = [b for b in bounds if b is not None]
    count = min([len(catalogue), *known])
    if count == len(catalogue):
        return list(catalogue)
    return [catalogue[(index * count + i) % len(catalogue)] for i in range(count)]


@cache
def payloads() -> dict[str, list[Any]]:
    """The payload file, by category."""
    return yaml.safe_load((DATA / "payloads.yaml").read_text(encoding="utf-8"))


def as_bytes(payload: Any) -> bytes:
    """The raw bytes a payload sends as a form value, URL segment or header."""
    if isinstance(payload, dict) and "repeat" in payload:
        return (payload["repeat"] * payload["times"]).encode()
    if isinstance(payload, dict) and "bytes_hex" in payload:
        return bytes.fromhex(payload["bytes_hex"])
    if isinstance(payload, dict) and "nest" in payload:
        return b"deep"
    return str(payload).encode()


def nesting(payload: Any) -> int:
    """How many extra `[x]` levels a deep-nesting payload adds to the key (0 for others)."""
    return payload["nest"] if isinstance(payload, dict) and "nest" in payload else 0


def json_literal(payload: Any) -> bytes:
    """The payload as a JSON value, byte for byte: bytes that are not UTF-8 go out raw
    (only `"` and `\\` escaped), so the document itself is what is hostile."""
    depth = nesting(payload)
    if depth:
        return b'{"x": ' * depth + b'"deep"' + b"}" * depth
    raw = as_bytes(payload)
    try:
        return json.dumps(raw.decode("utf-8"), ensure_ascii=False).encode()
    except UnicodeDecodeError:
        return b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def text(payload: Any) -> str | None:
    """The payload as text, when it is plain text (None for generated or binary ones)."""
    return payload if isinstance(payload, str) else None


def undecodable(payload: Any) -> bool:
    """Bytes that are not UTF-8: a server may refuse the whole request without a field."""
    try:
        as_bytes(payload).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def evaluates_to(payload: Any) -> str | None:
    """What a template engine that ran the payload would echo instead ("49"), or None."""
    value = text(payload)
    if value is None or not _ARITHMETIC.search(value):
        return None
    return _ARITHMETIC.sub("49", value)


def label(payload: Any) -> str:
    """How a payload is shown in the report."""
    if isinstance(payload, dict):
        return ", ".join(f"{k}={v}" for k, v in payload.items())
    shown = repr(payload)
    return shown if len(shown) <= 60 else shown[:57] + "..."
