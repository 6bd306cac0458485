"""What a contract says about a request: the fields to probe, where each travels, the leaf
a payload goes into, and a valid value for any schema (so a probe replaces one field of an
otherwise valid request)."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from paylab.simulator.contracts import Contracts, contract_id
from referencing._core import Resolver

Path = tuple[str | int, ...]
#: Strings tried, in order, for a string schema with a pattern or length limits.
_STRINGS = ("neutral", "usd", "https://paylab.example/neutral")


@cache
def contracts() -> Contracts:
    """The simulator's own contracts registry (the one its validators use)."""
    return Contracts()


@dataclass(frozen=True)
class Field:
    """One probed input: `name` as reported, `where` it travels (body, query, path, header),
    and the `leaf` under it that carries the payload (`("note",)` for `metadata[note]`)."""

    name: str
    where: str
    leaf: Path = ()
    contract: str | None = None  # the request contract it is a property of, if any

    @property
    def key(self) -> str:
        """The probed key in bracket notation: `metadata[note]`, `expand[0]`."""
        return self.name + "".join(f"[{part}]" for part in self.leaf)

    @property
    def shape(self) -> Shape | None:
        """The field's schema (None for path segments, headers and form inputs)."""
        return Shape.of(self.contract).element(self.name) if self.contract else None


class Shape:
    """A schema node and the resolver its `$ref`s resolve against."""

    def __init__(self, schema: Any, resolver: Resolver) -> None:
        self.schema, self.resolver = schema, resolver
        for _ in range(20):  # follow $ref chains; take the first alternative of a union
            if isinstance(self.schema, dict) and "$ref" in self.schema:
                resolved = self.resolver.lookup(self.schema["$ref"])
                self.schema, self.resolver = resolved.contents, resolved.resolver
            elif isinstance(self.schema, dict) and ("anyOf" in self.schema
                                                    or "oneOf" in self.schema):
                self.schema = (self.schema.get("anyOf") or self.schema["oneOf"])[0]
            else:
                break

    @classmethod
    def of(cls, short: str) -> Shape:
        """The shape of a contract by its short id (`stripe/requests/refund_create`)."""
        resolved = contracts().registry.resolver().lookup(contract_id(short))
        return cls(resolved.contents, resolved.resolver)

    def child(self, schema: Any) -> Shape:
        """A sub-schema, resolved in this node's scope."""
        return Shape(schema, self.resolver)

    @property
    def kind(self) -> str:
        """The JSON type (`object`, `string`, ...), inferred when the schema omits it."""
        s = self.schema if isinstance(self.schema, dict) else {}
        kind = s.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind:
            return kind
        if "properties" in s or "additionalProperties" in s:
            return "object"
        if "items" in s or "prefixItems" in s:
            return "array"
        literal = s.get("const", (s.get("enum") or [None])[0])
        return {bool: "boolean", int: "integer", float: "number"}.get(type(literal), "string")

    @property
    def free_text(self) -> bool:
        """A string without enum, const or pattern: the field echoes what it is given."""
        s = self.schema
        return self.kind == "string" and not ({"enum", "const", "pattern"} & set(s))

    def properties(self) -> dict[str, Shape]:
        """An object's declared properties, in contract order."""
        return {k: self.child(v) for k, v in self.schema.get("properties", {}).items()}

    def element(self, step: str | int) -> Shape:
        """The shape of one step down: a property, a map value or an array item."""
        s = self.schema
        if isinstance(step, int):
            prefix = s.get("prefixItems") or []
            return self.child(prefix[step] if step < len(prefix) else s.get("items", {}))
        if step in s.get("properties", {}):
            return self.child(s["properties"][step])
        extra = s.get("additionalProperties")
        return self.child(extra if isinstance(extra, dict) else {})

    def leaf(self, depth: int = 0) -> Path:
        """Where a payload goes under this node: the first free-text string found (a direct
        one preferred), through map values (`[note]`) and first array items (`[0]`)."""
        if depth > 8 or self.kind not in ("object", "array"):
            return ()
        if self.kind == "array":
            return (0, *self.element(0).leaf(depth + 1))
        props = self.properties()
        if not props:
            return ("note", *self.element("note").leaf(depth + 1))
        direct = next((k for k, v in props.items() if v.free_text), None)
        if direct is not None:
            return (direct,)
        for name, sub in props.items():
            path = sub.leaf(depth + 1)
            if path and _ends_in_text(sub, path):
                return (name, *path)
        return (next(iter(props)), *next(iter(props.values())).leaf(depth + 1))

    def example(self, depth: int = 0) -> Any:
        """A valid value: literals as declared, required properties only, one array item,
        the lowest allowed number, false, or the first candidate string that fits."""
        s = self.schema if isinstance(self.schema, dict) else {}
        if "const" in s:
            return s["const"]
        if "enum" in s:
            return s["enum"][0]
        kind = self.kind
        if kind == "object":
            if depth > 8:
                return {}
            return {k: self.element(k).example(depth + 1) for k in s.get("required", [])}
        if kind == "array":
            return [self.element(i).example(depth + 1) for i in range(max(1, s.get("minItems", 1)))]
        if kind in ("integer", "number"):
            if "minimum" in s:
                return s["minimum"]
            return s["exclusiveMinimum"] + 1 if "exclusiveMinimum" in s else 0
        if kind == "boolean":
            return False
        return next((c for c in _STRINGS if _fits(c, s)), "x" * s.get("minLength", 1))


def _ends_in_text(shape: Shape, path: Path) -> bool:
    for step in path:
        shape = shape.element(step)
    return shape.free_text


def _fits(text: str, schema: dict[str, Any]) -> bool:
    if len(text) < schema.get("minLength", 0) or len(text) > schema.get("maxLength", 10**9):
        return False
    return not schema.get("pattern") or re.search(schema["pattern"], text) is not None


def contract_fields(short: str, where: str) -> list[Field]:
    """Every top-level property of a request contract, each with the leaf it is probed at."""
    shape = Shape.of(short)
    return [Field(name, where, sub.leaf(), short) for name, sub in shape.properties().items()]


def place(tree: Any, path: Path, value: Any, shape: Shape | None = None) -> Any:
    """A copy of `tree` with `value` at `path` (built as it goes; None keeps an existing
    leaf, or a valid example of it when `shape` is given)."""
    if not path:
        if value is not None:
            return value
        return tree if tree is not None or shape is None else shape.example()
    step, rest = path[0], path[1:]
    sub = shape.element(step) if shape is not None else None
    if isinstance(step, int):
        items = list(tree) if isinstance(tree, list) else []
        while len(items) <= step:
            items.append(sub.example() if sub is not None else None)
        items[step] = place(items[step], rest, value, sub)
        return items
    if not isinstance(tree, dict):  # a new object starts with its required properties
        tree = shape.example() if shape is not None and shape.kind == "object" else {}
    node = copy.copy(tree)
    node[step] = place(node.get(step), rest, value, sub)
    return node
