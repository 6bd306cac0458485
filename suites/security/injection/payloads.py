"""The hostile inputs of `data/payloads.yaml`: how each goes on the wire, how it is shown,
and what it would turn into if a server evaluated it as a template."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parents[1] / "data"
#: `{{7*7}}`, `${7*7}`, `<%= 7*7 %>`, `#{7*7}`: an engine that runs them answers 49.
_ARITHMETIC = re.compile(r"(\{\{|\$\{|<%=|#\{)\s*7\s*\*\s*7\s*(\}\}|\}|%>)")


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
