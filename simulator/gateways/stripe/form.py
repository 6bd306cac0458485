"""Stripe's form encoding: bracket-notation keys into nested dicts.

`metadata[order]=o1`, `payment_method_types[0]=card`, `expand[]=latest_charge` and
`payment_method_data[card][number]=...` decode as stripe-python 16 encodes them. Indexed
keys stay dict keys here (`metadata[0]` is a valid metadata key); the contract decides
where a dict keyed 0..n-1 is really an array (see `Contracts.coerce`).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from paylab.simulator.core.errors import InvalidRequest

MAX_DEPTH = 8
MAX_FIELDS = 1000
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_pairs(raw: bytes | str) -> list[tuple[str, str]]:
    """Split a urlencoded string into (key, value) pairs, refusing invalid UTF-8."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return urllib.parse.parse_qsl(
            text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict"
        )
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            "parameter_invalid_string", "Invalid request: parameters must be valid UTF-8."
        ) from exc
    except ValueError as exc:
        raise InvalidRequest(
            "parameter_invalid_string", f"Invalid request: at most {MAX_FIELDS} parameters."
        ) from exc


def decode(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed keys; dicts keyed 0..n-1 become lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise InvalidRequest("parameter_unknown", f"Received unknown parameter: {key}",
                                 param=key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))]
        if len(path) > MAX_DEPTH:
            raise InvalidRequest("parameter_unknown",
                                 f"Invalid parameter {key}: nested deeper than {MAX_DEPTH} levels",
                                 param=key)
        _assign(root, path, value, key)
    return root


def _assign(node: dict[str, Any], path: list[str], value: str, key: str) -> None:
    for i, segment in enumerate(path[:-1]):
        if segment == "":
            segment = str(_next_index(node))
        child = node.get(segment)
        if child is None:
            child = node[segment] = {}
        elif not isinstance(child, dict):
            raise InvalidRequest("parameter_invalid_string",
                                 f"Invalid hash: {_name(path[: i + 1])} is not an object",
                                 param=_name(path[: i + 1]))
        node = child
    last = path[-1] if path[-1] != "" else str(_next_index(node))
    if isinstance(node.get(last), dict):
        raise InvalidRequest("parameter_invalid_string",
                             f"Invalid string: {key} is an object, not a string", param=key)
    node[last] = value


def _next_index(node: dict[str, Any]) -> int:
    return len(node)


def _name(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def param_name(path: tuple[Any, ...] | str | None) -> str | None:
    """A path tuple in bracket notation: ("card", "number") -> "card[number]"."""
    if path is None or isinstance(path, str):
        return path
    parts = [str(p) for p in path if p is not None]
    return (parts[0] + "".join(f"[{p}]" for p in parts[1:])) if parts else None
