"""The probe surfaces: what each part of the simulator exposes to hostile input, by data.

A surface is one YAML file in `data/surfaces/`: the routes table its operations come from
(each operation's fields come from its contracts), the objects a valid request points at,
per-operation valid values where a contract alone cannot say (an id of a real object, an
amount above the minimum charge), and the HTML forms it serves. A gateway added later plugs
in with one more file; `SURFACES` lists them all.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from paylab.suites.security.injection.payloads import DATA
from paylab.suites.security.injection.shapes import Field, contract_fields

SURFACE_FILES = DATA / "surfaces"
_PARAM = re.compile(r"{([^}]+)}")


@dataclass(frozen=True)
class Errors:
    """How a surface's 4xx bodies read: their contract, where the refused field is named
    (a dotted pointer into the body) and which codes mean "refused by validation"."""

    contract: str
    param: str
    code: str
    validation: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    """One request shape to probe: an API operation or an HTML form."""

    surface: str
    name: str
    method: str
    path: str                  # may hold {segments}; a form's may be a `$ref` to a full URL
    fields: tuple[Field, ...]
    valid: dict[str, Any]      # field -> the valid value sent when another field is probed
    neutral: dict[str, Any]    # field -> the harmless value of that field's control probe
    without: dict[str, tuple[str, ...]]  # probed field -> valid fields it cannot go with
    headers: dict[str, str]    # sent with every request (credentials)
    body: str                  # form | json
    answers: str               # json | html | text | csv (a file download)
    names_fields: bool = True  # a form page says which field it refused (`<id>-error`)
    control: bool = True       # False: no valid request can be built, reach is unverified
    base: str = "simulator"    # which app answers: simulator | merchant
    errors: Errors | None = None  # how its JSON refusals read (None: no error contract)
    page: str | None = None    # a form's page (a `$ref` URL): its inputs are the fields
    sign: str | None = None    # `module:function` re-signing (or sealing) the body's pairs
    refusals: str | None = None  # `module:function` reading a refusal in the gateway's shape
    payloads: int | None = None  # at most this many payloads of each category (None: all)
    #: `module:function` signing the finished request into its headers (a digest of the
    #: raw body or query, as JKOPay's): called after the payload went in
    seal: str | None = None

    @property
    def id(self) -> str:
        """`stripe.CreatePaymentIntent`"""
        return f"{self.surface}.{self.name}"

    def field(self, name: str) -> Field:
        """A field by name."""
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Surface:
    """A part of the simulator under probe, loaded from its YAML file."""

    name: str
    operations: tuple[Operation, ...]
    objects: dict[str, dict[str, Any]]
    errors: Errors | None      # None: the app has no error contract (the merchant shop)
    headers: dict[str, str]    # sent with every request (credentials)
    body: str                  # how request bodies are encoded: form | json
    prefix: str = ""           # where its routes are mounted (`/stripe`)
    unprobed: tuple[str, ...] = ()  # operations that take no input at all

    def operation(self, name: str) -> Operation:
        """An operation by name."""
        return next(op for op in self.operations if op.name == name)


def named(spec: str) -> Any:
    """The object a `module:attribute` spec names (`simulator.x.routes:OPERATIONS`)."""
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def _routes(spec: str | list[str]) -> tuple[Any, ...]:
    """The operations of one routes spec, or of several (a single operation counts)."""
    found: list[Any] = []
    for one in [spec] if isinstance(spec, str) else spec:
        value = named(one)
        found += list(value) if isinstance(value, (tuple, list)) else [value]
    return tuple(found)


def _fields(route: Any, data: dict[str, Any]) -> list[Field]:
    fields = [Field(name, "path") for name in _PARAM.findall(route.path)]
    # `contract`: the fields travel sealed in the body (NewebPay's TradeInfo, PostData_),
    # so the probed ones are the sealed contract's, which the surface's `sign` hook seals
    sealed = ((data.get("operations") or {}).get(route.operation_id) or {}).get("contract")
    if sealed or route.request or route.request_body:
        fields += contract_fields(sealed or route.request or route.request_body, "body")
    if route.query:
        fields += contract_fields(route.query, "query")
    for name, spec in (data.get("probe_headers") or {}).items():
        if route.method in spec.get("methods", (route.method,)) \
                and route.operation_id not in spec.get("except", ()):
            fields.append(Field(name, "header"))
    return fields


def _operation(surface: str, data: dict[str, Any], name: str, method: str, path: str,
               fields: list[Field], recipe: dict[str, Any], **kinds: str) -> Operation:
    neutral = {k: v["neutral"] for k, v in (data.get("probe_headers") or {}).items()}
    unknown = (set(recipe.get("valid", {})) | set(recipe.get("neutral", {}))) - \
        {f.name for f in fields}
    if unknown:
        raise ValueError(f"{surface}.{name}: no such fields {sorted(unknown)}")
    return Operation(
        surface, name, method, path, tuple(fields), dict(recipe.get("valid", {})),
        {**neutral, **recipe.get("neutral", {})},
        {k: tuple(v) for k, v in recipe.get("without", {}).items()},
        dict(data.get("headers") or {}), kinds.get("body", data.get("body", "form")),
        recipe.get("answers", data.get("answers", "json")),
        recipe.get("names_fields", True), recipe.get("control", True),
        data.get("base", "simulator"), _errors(data), recipe.get("page"),
        recipe.get("sign", data.get("sign")), data.get("refusals"),
        recipe.get("payloads", data.get("payloads")), recipe.get("seal", data.get("seal")))


def _errors(data: dict[str, Any]) -> Errors | None:
    spec = data.get("errors")
    return Errors(**spec | {"validation": tuple(spec["validation"])}) if spec else None


def load(path: Path) -> Surface:
    """A surface from its YAML file."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    recipes = data.get("operations") or {}
    operations, unprobed = [], []
    for route in _routes(data["routes"]) if data.get("routes") else ():
        fields = _fields(route, data)
        if not fields:
            unprobed.append(route.operation_id)
            continue
        operations.append(_operation(data["name"], data, route.operation_id, route.method,
                                     data["prefix"] + route.path, fields,
                                     recipes.get(route.operation_id, {})))
    for name, form in (data.get("forms") or {}).items():
        method = form.get("method", "POST")
        where = form.get("where") or {}
        fields = [Field(k, where.get(k, "body" if method == "POST" else "query"))
                  for k in form["valid"]]
        operations.append(_operation(data["name"], {**data, "probe_headers": {}}, name,
                                     method, form["url"], fields,
                                     {"answers": "html", **form}, body="form"))
    missing = set(recipes) - {op.name for op in operations} - set(unprobed)
    if missing:
        raise ValueError(f"{path.name}: recipes for unknown operations {sorted(missing)}")
    return Surface(data["name"], tuple(operations), dict(data.get("objects") or {}),
                   _errors(data),
                   dict(data.get("headers") or {}), data.get("body", "form"),
                   data.get("prefix", ""), tuple(unprobed))


@cache
def surfaces() -> tuple[Surface, ...]:
    """Every surface under probe, in file-name order."""
    return tuple(load(p) for p in sorted(SURFACE_FILES.glob("*.yaml")))


def home_of(object_name: str) -> Surface:
    """The surface that declares an object (object names are unique across surfaces)."""
    homes = [s for s in surfaces() if object_name in s.objects]
    if len(homes) != 1:
        raise LookupError(f"object {object_name!r} is declared by {len(homes)} surfaces")
    return homes[0]


def surface(name: str) -> Surface:
    """A surface by name."""
    return next(s for s in surfaces() if s.name == name)
