"""Reading scenario files: YAML or JSON text -> validated document -> `Scenario`.

Validation uses contracts/control/scenario.schema.json first, then the model's own checks;
either way the error names the rule and the field.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
import yaml

from simulator.contracts import Contracts, contract_id
from simulator.scenarios.model import Scenario, ScenarioError, parse, where_of

SCHEMA = contract_id("control/scenario")
MAX_BYTES = 1024 * 1024


def read_text(text: str | bytes) -> dict[str, Any]:
    """Parse YAML or JSON (JSON is YAML, but its errors read better as JSON's)."""
    if len(text) > MAX_BYTES:
        raise ScenarioError("", f"scenario is larger than {MAX_BYTES} bytes")
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        doc = orjson.loads(raw) if raw.lstrip().startswith("{") else yaml.safe_load(raw)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError("", f"not valid YAML or JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ScenarioError("", "a scenario is a mapping with `rules` and/or `fraud`")
    return doc


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


def _presets() -> Any:
    return resources.files("simulator.scenarios").joinpath("presets")


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
