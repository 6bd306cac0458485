"""Reading alert rules: YAML or JSON text -> validated document -> `RuleSet`.

Text is read with the scenario loader's bounded reader (size, depth, no YAML aliases), so
both take the same input the same way; the document is checked against
contracts/control/alert_rules.schema.json, then by the model (unique names).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from paylab.simulator.alerts.model import AlertRulesError, RuleSet, parse
from paylab.simulator.contracts import Contracts, contract_id
from paylab.simulator.scenarios import loader as scenario_loader
from paylab.simulator.scenarios.model import ScenarioError, where_of

SCHEMA = contract_id("control/alert_rules")
DEFAULTS = "defaults.yaml"


def read_text(text: str | bytes) -> dict[str, Any]:
    """Parse YAML or JSON into a mapping (bounded like a scenario)."""
    try:
        doc = scenario_loader.read_text(text)
    except ScenarioError as exc:
        message = exc.message.replace("a scenario is a mapping with `rules` and/or `fraud`",
                                      "alert rules are a mapping with `rules`")
        raise AlertRulesError(exc.where, message.replace("scenario", "rule set")) from exc
    return doc


def build(doc: Any, contracts: Contracts, tenant_of: Callable[[str], str]) -> RuleSet:
    """Validate a document against the contract and the model's rules."""
    if not isinstance(doc, dict):
        raise AlertRulesError("", "alert rules are a mapping with `rules`")
    problem = contracts.problem(SCHEMA, doc)
    if problem is not None:
        raise AlertRulesError(where_of(problem.path, doc), problem.message)
    return parse(doc, tenant_of)


def defaults_document() -> dict[str, Any]:
    """The shipped default rules (simulator/alerts/defaults.yaml)."""
    text = resources.files("paylab.simulator.alerts").joinpath(DEFAULTS).read_text("utf-8")
    return read_text(text)


def load_file(path: str | Path, contracts: Contracts,
              tenant_of: Callable[[str], str]) -> RuleSet:
    """A rule set from a file on disk (`paylab serve --alert-rules FILE`)."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise AlertRulesError("", f"cannot read {path}: {exc.strerror}") from exc
    return build(read_text(text), contracts, tenant_of)
