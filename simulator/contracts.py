"""The contracts registry: every JSON Schema under contracts/, addressed by `$id`.

The simulator validates requests with it and the contract suite validates responses and
webhooks with the very same validators. Form-encoded values arrive as strings; `coerce`
converts them to the types the schema declares (as stripe-mock does) before validation.

Valid instances are recognised by `jsonschema_rs` (compiled, about 300 times faster on the
request hot path); only an invalid one goes through the Python `jsonschema` validator,
whose error tree names the field in the terms a gateway phrases its errors with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing._core import Resolver

CONTRACTS_DIR = Path(__file__).resolve().parent.parent / "contracts"
BASE_URI = "https://paylab.dev/contracts/"

# Matched with fullmatch: `$` would also match before a trailing newline, so "100\n" was 100.
# ASCII digits only ([0-9], not \d, which takes any Unicode digit); no "+", spaces or "_".
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_NUMBER = re.compile(r"-?[0-9]{1,18}(\.[0-9]{1,18})?")


def contract_id(short: str) -> str:
    """`stripe/payment_intent` -> its full `$id`; a `#/...` fragment is kept."""
    name, _, fragment = short.partition("#")
    uri = f"{BASE_URI}{name}.schema.json"
    return f"{uri}#{fragment}" if fragment else uri


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with an instance, in terms a gateway can phrase."""

    path: tuple[str | int, ...]
    keyword: str
    message: str
    expected: Any = None
    value: Any = None


class ContractViolation(Exception):
    """An instance does not satisfy its contract."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class _Plan:
    """Per-schema-node knowledge needed to coerce form strings: types and children."""

    types: set[str] = field(default_factory=set)
    props: dict[str, _Plan] = field(default_factory=dict)
    extra: _Plan | None = None
    items: _Plan | None = None


class Contracts:
    """Load, resolve, validate and coerce against the contracts folder."""

    def __init__(self, root: Path = CONTRACTS_DIR) -> None:
        self.root = root
        self.schemas: dict[str, dict[str, Any]] = {}
        for path in sorted(root.rglob("*.schema.json")):
            schema = orjson.loads(path.read_bytes())
            expected = BASE_URI + path.relative_to(root).as_posix()
            if schema.get("$id") != expected:
                raise ValueError(f"{path}: $id must be {expected}")
            try:  # the Rust meta-check: ~40x cheaper than jsonschema's at every start
                jsonschema_rs.meta.validate(schema)
            except jsonschema_rs.ValidationError as exc:
                raise ValueError(f"{path}: not a valid JSON Schema: {exc}") from exc
            self.schemas[expected] = schema
        self.registry: Registry = Registry().with_resources(
            (uri, Resource.from_contents(schema)) for uri, schema in self.schemas.items()
        ).crawl()
        self._validators: dict[str, Draft202012Validator] = {}
        self._fast_registry = jsonschema_rs.Registry(list(self.schemas.items()))
        self._fast: dict[str, Any] = {}
        self._plans: dict[str, _Plan] = {}

    # -- validation -----------------------------------------------------------------------
    def validator(self, ref: str) -> Draft202012Validator:
        """A cached validator for a full `$id` (optionally with a fragment)."""
        validator = self._validators.get(ref)
        if validator is None:
            validator = Draft202012Validator({"$ref": ref}, registry=self.registry)
            self._validators[ref] = validator
        return validator

    def is_valid(self, ref: str, instance: Any) -> bool:
        """Whether the instance satisfies the contract (the fast path)."""
        fast = self._fast.get(ref)
        if fast is None:
            fast = jsonschema_rs.validator_for({"$ref": ref}, registry=self._fast_registry)
            self._fast[ref] = fast
        return fast.is_valid(instance)

    def problem(self, ref: str, instance: Any) -> Problem | None:
        """The most relevant violation, or None when the instance is valid."""
        if self.is_valid(ref, instance):
            return None
        error = best_match(self.validator(ref).iter_errors(instance))
        return None if error is None else _problem(error)

    def check(self, ref: str, instance: Any) -> None:
        """Raise `ContractViolation` unless the instance is valid."""
        problem = self.problem(ref, instance)
        if problem is not None:
            raise ContractViolation(problem)

    def errors(self, ref: str, instance: Any) -> list[str]:
        """Every violation as readable text (for test failure messages)."""
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in self.validator(ref).iter_errors(instance)
        ]

    # -- coercion -------------------------------------------------------------------------
    def coerce(self, ref: str, instance: Any) -> Any:
        """Convert form strings to the integers, numbers and booleans the schema declares."""
        plan = self._plans.get(ref)
        if plan is None:
            resolver = self.registry.resolver()
            resolved = resolver.lookup(ref)
            plan = self._compile(resolved.contents, resolved.resolver, 0)
            self._plans[ref] = plan
        return _apply(plan, instance)

    def _compile(self, schema: Any, resolver: Resolver, depth: int) -> _Plan:
        plan = _Plan()
        if not isinstance(schema, dict) or depth > 24:
            return plan
        if "$ref" in schema:
            resolved = resolver.lookup(schema["$ref"])
            _merge(plan, self._compile(resolved.contents, resolved.resolver, depth + 1))
        kind = schema.get("type")
        if isinstance(kind, str):
            plan.types.add(kind)
        elif isinstance(kind, list):
            plan.types.update(kind)
        literals = [schema["const"]] if "const" in schema else list(schema.get("enum", []))
        plan.types.update(_json_type(v) for v in literals)
        for name, sub in schema.get("properties", {}).items():
            plan.props[name] = self._compile(sub, resolver, depth + 1)
        if isinstance(schema.get("additionalProperties"), dict):
            plan.extra = self._compile(schema["additionalProperties"], resolver, depth + 1)
        if isinstance(schema.get("items"), dict):
            plan.items = self._compile(schema["items"], resolver, depth + 1)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                _merge(plan, self._compile(sub, resolver, depth + 1))
        return plan


def _merge(into: _Plan, other: _Plan) -> None:
    into.types |= other.types
    for name, sub in other.props.items():
        into.props.setdefault(name, sub)
    into.extra = into.extra or other.extra
    into.items = into.items or other.items


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    return {str: "string", float: "number", dict: "object", list: "array"}.get(type(value),
                                                                          "string")


def _as_list(value: dict[str, Any]) -> list[Any] | None:
    """`{"0": a, "1": b}` -> `[a, b]` when the keys are exactly 0..n-1 (form arrays)."""
    if not value or not all(k.isdigit() and str(int(k)) == k for k in value):
        return None
    indices = sorted(int(k) for k in value)
    return [value[str(i)] for i in indices] if indices == list(range(len(indices))) else None


def _apply(plan: _Plan, value: Any) -> Any:
    if isinstance(value, dict) and "array" in plan.types and "object" not in plan.types:
        as_list = _as_list(value)
        value = as_list if as_list is not None else value
    if isinstance(value, dict):
        out = {}
        for key, sub in value.items():
            child = plan.props.get(key, plan.extra)
            out[key] = _apply(child, sub) if child is not None else sub
        return out
    if isinstance(value, list):
        return [_apply(plan.items, v) for v in value] if plan.items else value
    if isinstance(value, str) and "string" not in plan.types:
        if "integer" in plan.types and _INTEGER.fullmatch(value):
            return int(value)
        if "number" in plan.types and _NUMBER.fullmatch(value):
            return float(value) if "." in value else int(value)
        if "boolean" in plan.types and value in ("true", "false"):
            return value == "true"
    return value


def _problem(error: ValidationError) -> Problem:
    path = tuple(error.absolute_path)
    keyword = str(error.validator)
    instance = error.instance
    if keyword == "required" and isinstance(instance, dict):
        missing = next((p for p in error.validator_value if p not in instance), None)
        return Problem((*path, missing), "required", error.message)
    if keyword == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in known)
        return Problem((*path, extra[0] if extra else "?"), keyword, error.message)
    return Problem(path, keyword, error.message, expected=error.validator_value, value=instance)
