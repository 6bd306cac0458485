"""The scenario engine: active scenarios (one global, any number per tenant) and their
evaluation for requests, webhook deliveries and payment attempts.

A tenant's own scenario replaces the global one for that tenant, so parallel test runs
(each with its own API key) each get their own behaviour. Active scenarios are persisted,
so a restart keeps them; counters and windows start over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.risk import Attempt, Decision
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.names import event_name
from paylab.simulator.scenarios.effects import Chaos, Plan
from paylab.simulator.scenarios.facts import Facts
from paylab.simulator.scenarios.fraud import FraudState, attempt_facts
from paylab.simulator.scenarios.lifetimes import RuleState
from paylab.simulator.scenarios.loader import build
from paylab.simulator.scenarios.model import REQUEST_EFFECTS, Scenario

GLOBAL = "*"
_P = TypeVar("_P", Plan, Chaos)
_META = "scenario:"


@dataclass
class Active:
    """A loaded scenario and its running state."""

    scenario: Scenario
    loaded_at: float
    requests: list[RuleState]
    webhooks: list[RuleState]
    fraud: FraudState


class ScenarioEngine:
    """Load, switch and evaluate scenarios."""

    def __init__(self, clock: Clock, default_seed: int, tenant_of: Callable[[str], str],
                 store: Store | None = None) -> None:
        self.clock = clock
        self.default_seed = default_seed
        self.tenant_of = tenant_of
        self.store = store
        self._scopes: dict[str, Active] = {}

    @property
    def idle(self) -> bool:
        """No scenario anywhere: requests skip the engine entirely."""
        return not self._scopes

    # -- switching ------------------------------------------------------------------------
    def load(self, scenario: Scenario, tenant: str | None = None) -> None:
        """Activate a scenario now, globally or for one tenant, replacing the previous one."""
        scope = tenant or GLOBAL
        seed = self.default_seed if scenario.seed is None else scenario.seed
        now = self.clock.now()
        requests = [RuleState(r, seed, "request", now) for r in scenario.rules
                    if r.kinds() & set(REQUEST_EFFECTS)]
        webhooks = [RuleState(r, seed, "webhook", now) for r in scenario.rules
                    if "webhook" in r.kinds()]
        self._scopes[scope] = Active(scenario, now, requests, webhooks,
                                     FraudState(scenario.fraud))
        if self.store is not None:
            self.store.set_meta(_META + scope, orjson.dumps(scenario.source).decode())

    def clear(self, tenant: str | None = None) -> bool:
        """Deactivate; returns whether anything was active."""
        scope = tenant or GLOBAL
        if self.store is not None:
            with self.store.atomic() as conn:
                conn.execute("DELETE FROM meta WHERE key = ?", (_META + scope,))
        return self._scopes.pop(scope, None) is not None

    def restore(self, contracts: Contracts) -> list[str]:
        """Re-activate the scenarios persisted before a restart; returns their scopes."""
        if self.store is None:
            return []
        rows = self.store.all("SELECT key, value FROM meta WHERE key LIKE ?", (_META + "%",))
        for key, value in rows:
            scope = key.removeprefix(_META)
            self.load(build(orjson.loads(value), contracts, self.tenant_of),
                      None if scope == GLOBAL else scope)
        return [k.removeprefix(_META) for k, _ in rows]

    def forget_tenants(self, tenant: str | None) -> None:
        """After a reset: a tenant reset drops its scenario, a full reset drops all."""
        for scope in list(self._scopes):
            if tenant is None or scope == tenant:
                self.clear(None if scope == GLOBAL else scope)

    def active(self, tenant: str | None) -> Active | None:
        """The scenario that applies to `tenant`: its own, else the global one."""
        return (self._scopes.get(tenant) if tenant else None) or self._scopes.get(GLOBAL)

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, facts: Facts) -> Plan | None:
        """The effects for one request, or None when no rule applies."""
        active = self.active(facts.tenant)
        if active is None:
            return None
        return self._fold(active.requests, facts, Plan)

    def chaos(self, tenant: str, event: Doc, endpoint: Doc) -> Chaos | None:
        """Webhook effects for one event about to be queued to one endpoint."""
        active = self.active(tenant)
        if active is None or not active.webhooks:
            return None
        obj = event.get("object") or {}
        facts = Facts(gateway=event["gateway"], method="POST", path=endpoint["url"],
                      tenant=tenant, amount=obj.get("amount"), currency=obj.get("currency"),
                      event=event_name(event["gateway"], event["type"]))
        return self._fold(active.webhooks, facts, Chaos)

    def _fold(self, states: list[RuleState], facts: Facts, make: Callable[[], _P]) -> _P | None:
        """Step every matching rule and fold the effects it yields into one plan."""
        now = self.clock.now()
        plan = None
        for state in states:
            if state.rule.match.test(facts):
                for effect in state.step(now):
                    plan = plan or make()
                    plan.add(state.rule.name, effect, state.rng)
        return plan

    def assess(self, attempt: Attempt) -> Decision | None:
        """The fraud rules' verdict on a payment attempt (the core's RiskAssessor)."""
        active = self.active(attempt.tenant)
        if active is None or not active.scenario.fraud:
            return None
        return active.fraud.assess(attempt, attempt_facts(attempt))

    # -- inspection -----------------------------------------------------------------------
    def state(self, tenant: str | None = None) -> dict[str, Any]:
        """The scenario loaded for `tenant` (or the global one, without a tenant) and its
        counters."""
        scope = tenant or GLOBAL
        active = self._scopes.get(scope)
        if active is None:
            return {"scope": scope, "scenario": None, "loaded_at": None, "rules": []}
        rules = [{"name": s.rule.name, "phase": phase, "matches": s.matches,
                  "applied": s.applied}
                 for phase, states in (("request", active.requests),
                                       ("webhook", active.webhooks)) for s in states]
        rules += [{"name": name, "phase": "fraud", "matches": count, "applied": count}
                  for name, count in active.fraud.fired.items()]
        return {"scope": scope, "scenario": active.scenario.source,
                "loaded_at": active.loaded_at, "rules": rules}

    def scopes(self) -> list[str]:
        """Every scope with an active scenario."""
        return sorted(self._scopes)
