"""Scenario data, parsed from a validated document, with the checks JSON Schema cannot make.

Errors name the rule and the field (`rules[2] "slow-creates": lifetime.ramp ...`), because a
QA engineer fixing a file needs exactly that.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass, field
from typing import Any

from paylab.simulator.scenarios.facts import Match

REQUEST_EFFECTS = ("latency", "error", "network", "outcome")
WEBHOOK_EFFECTS = ("webhook",)


class ScenarioError(ValueError):
    """A scenario document that cannot be loaded; `where` names the rule and field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Effect:
    """One effect: its kind (latency, error, ...) and its validated settings."""

    kind: str
    spec: dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """A request/webhook rule."""

    index: int
    name: str
    match: Match
    lifetime: dict[str, Any]
    effects: tuple[Effect, ...] = ()
    steps: tuple[tuple[Effect, ...], ...] = ()

    def kinds(self) -> set[str]:
        """Every effect kind this rule can apply."""
        return {e.kind for e in self.effects} | {e.kind for s in self.steps for e in s}


@dataclass(frozen=True)
class FraudRule:
    """A fraud rule: checks and the action when they all hold."""

    index: int
    name: str
    match: Match
    spec: dict[str, Any]
    action: str
    risk_score: int


@dataclass(frozen=True)
class Scenario:
    """A loaded scenario."""

    name: str
    description: str
    seed: int | None
    rules: tuple[Rule, ...]
    fraud: tuple[FraudRule, ...]
    source: dict[str, Any] = field(default_factory=dict)


def where_of(path: tuple[Any, ...], doc: dict[str, Any]) -> str:
    """`("rules", 2, "effects", 0)` -> `rules[2] "slow-creates": effects[0]`."""
    if len(path) >= 2 and path[0] in ("rules", "fraud") and isinstance(path[1], int):
        items = doc.get(path[0]) or []
        name = items[path[1]].get("name") if path[1] < len(items) and isinstance(
            items[path[1]], dict) else None
        head = f"{path[0]}[{path[1]}]" + (f' "{name}"' if name else "")
        rest = _dotted(path[2:])
        return f"{head}: {rest}" if rest else head
    return _dotted(path)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _effects(items: list[dict[str, Any]]) -> tuple[Effect, ...]:
    return tuple(Effect(kind, spec) for item in items for kind, spec in item.items())


def _check_effect(effect: Effect, where: str) -> None:
    if effect.kind == "latency" and "lognormal" in effect.spec:
        p50, p99 = effect.spec["lognormal"]["p50"], effect.spec["lognormal"]["p99"]
        if not 0 < p50 <= p99:
            raise ScenarioError(where, "latency.lognormal needs 0 < p50 <= p99")
    if effect.kind == "latency" and "uniform" in effect.spec:
        low, high = effect.spec["uniform"]
        if low > high:
            raise ScenarioError(where, "latency.uniform needs [low, high] with low <= high")


def parse(doc: dict[str, Any], tenant_of: Any) -> Scenario:
    """Build a scenario from a document that already passed the JSON Schema."""
    rules = []
    for i, raw in enumerate(doc.get("rules") or []):
        where = where_of(("rules", i), doc)
        lifetime = dict(raw.get("lifetime") or {})
        kinds = [k for k in ("always", "first", "every", "probability", "sequence", "ramp", "rate")
                 if k in lifetime]
        if len(kinds) > 1:
            raise ScenarioError(f"{where}: lifetime", f"choose one of {', '.join(kinds)}")
        steps: tuple[tuple[Effect, ...], ...] = ()
        if "sequence" in lifetime:
            if raw.get("effects"):
                raise ScenarioError(f"{where}: effects",
                                    "a sequence lifetime carries the effects in its steps")
            steps = tuple(() if s == "pass" else _effects(s if isinstance(s, list) else [s])
                          for s in lifetime["sequence"])
        elif not raw.get("effects"):
            raise ScenarioError(f"{where}: effects", "a rule needs effects (or a sequence)")
        window = lifetime.get("window") or {}
        if "end" in window and window["end"] <= window.get("start", 0):
            raise ScenarioError(f"{where}: lifetime.window", "end must be after start")
        rule = Rule(i, raw["name"], Match.parse(raw.get("match"), tenant_of), lifetime,
                    _effects(raw.get("effects") or []), steps)
        for n, effect in enumerate((*rule.effects, *(e for s in rule.steps for e in s))):
            _check_effect(effect, f"{where}: effects[{n}]")
        mixed = rule.kinds() & set(WEBHOOK_EFFECTS) and rule.kinds() & set(REQUEST_EFFECTS)
        if mixed:
            raise ScenarioError(f"{where}: effects",
                                "webhook effects and request effects need separate rules")
        rules.append(rule)
    fraud = []
    for i, raw in enumerate(doc.get("fraud") or []):
        where = where_of(("fraud", i), doc)
        checks = [k for k in ("velocity", "amount_above", "country_mismatch", "block_list",
                              "card_testing") if k in raw]
        if not checks:
            raise ScenarioError(where, "a fraud rule needs at least one check: velocity, "
                                       "amount_above, country_mismatch, block_list, card_testing")
        velocity = raw.get("velocity") or {}
        if velocity and not ({"count", "sum"} & velocity.keys()):
            raise ScenarioError(f"{where}: velocity", "give a count, a sum, or both")
        for ip in (raw.get("block_list") or {}).get("ips", []):
            try:
                ipaddress.ip_network(ip, strict=False)
            except ValueError as exc:
                raise ScenarioError(f"{where}: block_list.ips",
                                    f"not an IP or CIDR: {ip}") from exc
        default_score = {"decline": 90, "require_3ds": 65, "review": 75}[raw["action"]]
        fraud.append(FraudRule(i, raw["name"], Match.parse(raw.get("match"), tenant_of),
                               raw, raw["action"], raw.get("risk_score", default_score)))
    seed = doc.get("seed")
    if seed is not None and not math.isfinite(seed):
        raise ScenarioError("seed", "must be an integer")
    return Scenario(doc.get("name", "unnamed"), doc.get("description", ""), seed,
                    tuple(rules), tuple(fraud), doc)
