"""Alert rules and alert records: the data the engine works on.

A rule set is a list of rules, each {name, kind, severity, params, tenant?}; its document
is validated against contracts/control/alert_rules.schema.json first (see loader). An
alert record is what GET /_sim/alerts serves and what receivers are told on every
transition (see common interfaces: `record`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

#: Rules judged on each payment attempt, as it happens.
EVENT_KINDS = ("amount_above", "frequency", "geography")
#: Rules judged on window figures (the KPIs), on the virtual clock.
WINDOW_KINDS = ("failure_rate", "refund_rate", "latency_p99_above", "webhook_backlog_above")
KINDS = EVENT_KINDS + WINDOW_KINDS
SEVERITIES = ("info", "warning", "critical")
#: How long an event-driven alert stays firing without a new breach, unless its rule says.
DEFAULT_HOLD = 300.0
FIRING = "firing"
RESOLVED = "resolved"


class AlertRulesError(ValueError):
    """A rule set that cannot be loaded; `where` names the rule and field."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Rule:
    """One validated alert rule."""

    name: str
    kind: str
    severity: str
    params: dict[str, Any]
    tenant: str | None = None
    description: str = ""

    @property
    def hold(self) -> float:
        """Seconds an event-driven alert stays firing after its last breach (the window)."""
        return float(self.params.get("window", DEFAULT_HOLD))

    def applies_to(self, tenant: str | None) -> bool:
        """Whether this rule judges `tenant`'s traffic (a rule without tenant: everyone's)."""
        return self.tenant is None or self.tenant == tenant

    def doc(self) -> dict[str, Any]:
        """The rule as GET /_sim/alerts/rules shows it."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind,
                               "severity": self.severity, "params": dict(self.params)}
        if self.tenant is not None:
            out["tenant"] = self.tenant
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class RuleSet:
    """The rules of one scope (global or a tenant's) and the document they came from."""

    rules: tuple[Rule, ...]
    source: dict[str, Any] = field(default_factory=dict)

    def of_kinds(self, kinds: tuple[str, ...]) -> tuple[Rule, ...]:
        """The rules of these kinds, in their order."""
        return tuple(r for r in self.rules if r.kind in kinds)


def parse(doc: dict[str, Any], tenant_of: Callable[[str], str]) -> RuleSet:
    """Build a rule set from a document the contract accepted; names must be unique and an
    API key in `tenant` becomes its tenant id."""
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(doc.get("rules") or []):
        name = item["name"]
        if name in seen:
            raise AlertRulesError(f'rules[{index}] "{name}": name',
                                  f"two rules are named {name!r}; names must be unique")
        seen.add(name)
        params = dict(item["params"])
        if "currency" in params:
            params["currency"] = params["currency"].lower()
        if "allow" in params:
            params["allow"] = sorted({c.upper() for c in params["allow"]})
        tenant = item.get("tenant")
        rules.append(Rule(name, item["kind"], item.get("severity", "warning"), params,
                          tenant_of(tenant) if tenant else None, item.get("description", "")))
    return RuleSet(tuple(rules), doc)


def fingerprint(tenant: str | None, labels: dict[str, str]) -> str:
    """A stable hex digest of an alert's identity: its tenant and labels."""
    raw = orjson.dumps({"tenant": tenant, "labels": labels}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Breach:
    """A rule found breached: what was measured, against what, and its extra labels."""

    rule: Rule
    tenant: str | None
    value: float | None
    threshold: float | None
    labels: dict[str, str] = field(default_factory=dict)
    summary: str = ""

    def all_labels(self) -> dict[str, str]:
        """Alertmanager labels: the rule's name and severity, then this breach's own."""
        return {"alertname": self.rule.name, "severity": self.rule.severity, **self.labels}

    def fingerprint(self) -> str:
        """The identity of the alert this breach fires (or keeps firing)."""
        return fingerprint(self.tenant, self.all_labels())


def record(seq: int, breach: Breach, starts_at: float) -> dict[str, Any]:
    """A new firing alert record for `breach` (common interface shape)."""
    rule = breach.rule
    return {
        "id": f"alert_{seq}", "rule": rule.name, "kind": rule.kind, "tenant": breach.tenant,
        "status": FIRING, "labels": breach.all_labels(),
        "annotations": {"summary": breach.summary or f"{rule.name}: {rule.kind} breached",
                        "description": rule.description or _describe(breach)},
        "value": breach.value, "threshold": breach.threshold,
        "starts_at": starts_at, "ends_at": None, "fingerprint": breach.fingerprint(),
    }


def _describe(breach: Breach) -> str:
    scope = f"tenant {breach.tenant}" if breach.tenant else "all traffic"
    if breach.value is None or breach.threshold is None:
        return f"{breach.rule.kind} breached ({scope})"
    return (f"{breach.rule.kind} measured {breach.value:g} against a threshold of "
            f"{breach.threshold:g} ({scope})")
