"""Reading scenario files: YAML or JSON text -> validated document -> `Scenario`.

Validation uses contracts/control/scenario.schema.json first, then the model's own checks;
either way the error names the rule and the field.

Text comes from anyone who can reach the control API, so reading it is bounded before any
document is built: at most `MAX_BYTES`, nesting at most `MAX_DEPTH` deep (a 20,000-deep
document overflowed the parser's recursion), and no YAML anchors or aliases (a 335-byte
"billion laughs" expanded to 43 million strings and held the process for 15 s at 1.5 GB).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.scenarios.model import Scenario, ScenarioError, parse, where_of

SCHEMA = contract_id("control/scenario")
MAX_BYTES = 1024 * 1024
#: Nested mappings and lists, the document itself counting as one. The deepest scenario the
#: contract allows is about 8 deep; the rest is margin.
MAX_DEPTH = 32
#: libyaml's parser where it is built (about ten times faster), else PyYAML's own.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The messages of orjson and libyaml when a document nests past their own limits (1024,
#: 1000); past ours too, so it is our limit the error names.
_ORJSON_TOO_DEEP = "depth limit exceeded"
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


def read_text(text: str | bytes) -> dict[str, Any]:
    """Parse YAML or JSON (JSON is YAML, but its errors read better as JSON's)."""
    if len(text) > MAX_BYTES:
        raise ScenarioError("", f"scenario is larger than {MAX_BYTES} bytes")
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        doc = _json(raw) if raw.lstrip().startswith("{") else _yaml(raw)
    except ScenarioError:
        raise
    except (orjson.JSONDecodeError, yaml.YAMLError, ValueError) as exc:
        # ValueError: the YAML constructor's own, e.g. an integer of 5,000 digits
        raise ScenarioError("", f"not valid YAML or JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ScenarioError("", "a scenario is a mapping with `rules` and/or `fraud`")
    return doc


def _too_deep(where: str = "", field: str = "") -> ScenarioError:
    return ScenarioError(field, f"{where}the scenario is nested deeper than {MAX_DEPTH} "
                                f"levels (mappings and lists); at most {MAX_DEPTH} are allowed")


def _deep_field(doc: Any) -> str:
    """The top-level field whose value nests too deeply ("" when there is none to name)."""
    if isinstance(doc, dict):
        return next((str(k) for k, v in doc.items() if 1 + _depth(v) > MAX_DEPTH), "")
    return ""


def _json(raw: str) -> Any:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if exc.msg == _ORJSON_TOO_DEEP:
            raise _too_deep() from exc
        raise
    if _depth(doc) > MAX_DEPTH:
        raise _too_deep(field=_deep_field(doc))
    return doc


def _depth(doc: Any) -> int:
    """How deeply mappings and lists nest, counted without recursion, up to MAX_DEPTH + 1."""
    deepest, stack = 0, [(doc, 1)]
    while stack and deepest <= MAX_DEPTH:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if isinstance(node, (dict, list)):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in children)
    return deepest


def _yaml(raw: str) -> Any:
    """Screen the event stream (flat, so nothing is built or recursed into), then load."""
    depth = 0
    for event in _events(raw):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ScenarioError("", f"line {event.start_mark.line + 1}: YAML anchors and "
                                    "aliases (&name, *name) are not allowed in a scenario; "
                                    "write the value out where it is used")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(f"line {event.start_mark.line + 1}: ")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return yaml.load(raw, Loader=_LOADER)  # noqa: S506 - a safe loader, screened above


def _events(raw: str) -> Iterator[yaml.Event]:
    try:
        yield from yaml.parse(raw, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        if exc.problem == _LIBYAML_TOO_DEEP:
            line = exc.problem_mark.line + 1 if exc.problem_mark else 0
            raise _too_deep(f"line {line}: ") from exc
        raise


def build(doc: dict[str, Any], contracts: Contracts,
          tenant_of: Callable[[str], str]) -> Scenario:
    """Validate a document against the contract and the model's rules."""
    problem = contracts.problem(SCHEMA, doc)
    if problem is not None:
        raise ScenarioError(where_of(problem.path, doc), problem.message)
    return parse(doc, tenant_of)


def load_file(path: str | Path, contracts: Contracts,
              tenant_of: Callable[[str], str]) -> Scenario:
    """A scenario from a file on disk (`paylab serve --scenario FILE`)."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError("", f"cannot read {path}: {exc.strerror}") from exc
    return build(read_text(text), contracts, tenant_of)


def load_named(source: str, contracts: Contracts,
               tenant_of: Callable[[str], str]) -> Scenario:
    """`paylab serve --scenario SOURCE`: a file, or else a shipped preset by name."""
    check_source(source)
    if not Path(source).exists():
        return build(preset_document(source), contracts, tenant_of)
    return load_file(source, contracts, tenant_of)


def check_source(source: str) -> None:
    """Refuse a SOURCE that is neither a file nor a preset, listing the presets."""
    if not Path(source).exists() and source not in preset_names():
        raise ScenarioError("", f"no file {source} and no preset by that name (presets: "
                                f"{', '.join(preset_names())})")


def _presets() -> Any:
    return resources.files("paylab.simulator.scenarios").joinpath("presets")


def preset_names() -> list[str]:
    """Every shipped preset, by name."""
    return sorted(p.name.removesuffix(".yaml") for p in _presets().iterdir()
                  if p.name.endswith(".yaml"))


def preset_document(name: str) -> dict[str, Any]:
    """The document of a shipped preset."""
    if name not in preset_names():
        raise ScenarioError("preset", f"no preset named {name!r}; see GET /_sim/scenario/presets")
    return read_text(_presets().joinpath(f"{name}.yaml").read_text("utf-8"))


def list_presets() -> list[dict[str, str]]:
    """Name and description of every preset."""
    return [dict(summary) for summary in _preset_summaries()]


@functools.cache
def _preset_summaries() -> tuple[dict[str, str], ...]:
    # presets ship inside the package and never change while it runs; the dashboard asks
    # for them on every refresh
    docs = {name: preset_document(name) for name in preset_names()}
    return tuple({"name": name, "description": doc.get("description", "").strip()}
                 for name, doc in docs.items())
