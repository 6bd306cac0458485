"""The scenario engine: active scenarios (one global, any number per tenant) and their
evaluation for requests, webhook deliveries and payment attempts.

A tenant's own scenario replaces the global one for that tenant, so parallel test runs
(each with its own API key) each get their own behaviour. Active scenarios, their rules'
counters and windows live in the store (tables `scenarios`, `scenario_counters`,
`scenario_hits`): every worker process on it applies a scenario loaded through any of
them from its next request on, and counts one sequence per rule; a restart keeps them.
Each process caches the loaded scenarios and reloads them when the shared version moves
(core/shared.py), so an idle simulator pays one `PRAGMA data_version` per request.
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
from paylab.simulator.core.shared import Shared
from paylab.simulator.core.store import Store
from paylab.simulator.gateways.names import event_name
from paylab.simulator.scenarios.effects import Chaos, Plan
from paylab.simulator.scenarios.facts import Facts
from paylab.simulator.scenarios.fraud import FraudState, attempt_facts
from paylab.simulator.scenarios.lifetimes import RuleState
from paylab.simulator.scenarios.loader import build
from paylab.simulator.scenarios.model import REQUEST_EFFECTS, Scenario
from paylab.simulator.scenarios.tally import Tally

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
    stored: tuple[str, float]  # (source as stored, loaded_at): what a reload compares


class ScenarioEngine:
    """Load, switch and evaluate scenarios."""

    def __init__(self, clock: Clock, default_seed: int, tenant_of: Callable[[str], str],
                 store: Store | None = None, shared: Shared | None = None,
                 contracts: Contracts | None = None) -> None:
        """`store`: where scenarios and counters live (none: a private in-memory one);
        `shared`: the domain's watch on other processes' changes (none: the engine's own)."""
        self.clock = clock
        self.default_seed = default_seed
        self.tenant_of = tenant_of
        self.store = store if store is not None else Store(":memory:")
        self.tally = Tally(self.store)
        self.shared = shared if shared is not None else Shared(self.store)
        self.contracts = contracts
        self._scopes: dict[str, Active] = {}
        self.shared.subscribe(self._reload)

    @property
    def idle(self) -> bool:
        """No scenario anywhere (as of the latest change by any process): requests skip
        the engine entirely."""
        self.shared.refresh()
        return not self._scopes

    # -- switching ------------------------------------------------------------------------
    def load(self, scenario: Scenario, tenant: str | None = None) -> None:
        """Activate a scenario now, globally or for one tenant, replacing the previous one
        (its counters and windows start over)."""
        scope = tenant or GLOBAL
        now = self.clock.now()
        source = orjson.dumps(scenario.source).decode()
        with self.store.atomic() as conn:
            conn.execute("INSERT OR REPLACE INTO scenarios (scope, source, loaded_at) "
                         "VALUES (?, ?, ?)", (scope, source, now))
            self.tally.forget(scope)
            self.shared.bump()
        self._scopes[scope] = self._activate(scope, scenario, source, now)

    def _activate(self, scope: str, scenario: Scenario, source: str, loaded_at: float
                  ) -> Active:
        seed = self.default_seed if scenario.seed is None else scenario.seed
        requests = [RuleState(r, seed, "request", loaded_at, self.tally, scope)
                    for r in scenario.rules if r.kinds() & set(REQUEST_EFFECTS)]
        webhooks = [RuleState(r, seed, "webhook", loaded_at, self.tally, scope)
                    for r in scenario.rules if "webhook" in r.kinds()]
        return Active(scenario, loaded_at, requests, webhooks,
                      FraudState(scenario.fraud, self.tally, scope), (source, loaded_at))

    def clear(self, tenant: str | None = None) -> bool:
        """Deactivate; returns whether anything was active."""
        scope = tenant or GLOBAL
        with self.store.atomic() as conn:
            gone = conn.execute("DELETE FROM scenarios WHERE scope = ?", (scope,)).rowcount
            self.tally.forget(scope)
            self.shared.bump()
        return self._scopes.pop(scope, None) is not None or gone > 0

    def restore(self, contracts: Contracts) -> list[str]:
        """Re-activate the scenarios persisted before a restart (or by other processes);
        returns their scopes."""
        self.contracts = contracts
        legacy = self.store.all("SELECT key, value FROM meta WHERE key LIKE ?", (_META + "%",))
        if legacy:  # kept in meta by older versions: move them to their table
            with self.store.atomic() as conn:
                for key, value in legacy:
                    conn.execute("INSERT OR IGNORE INTO scenarios (scope, source, loaded_at) "
                                 "VALUES (?, ?, ?)",
                                 (key.removeprefix(_META), value, self.clock.now()))
                    conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        self._reload()
        return sorted(self._scopes)

    def _reload(self) -> None:
        """Take the scenarios as stored (another process may have changed them)."""
        rows = self.store.all("SELECT scope, source, loaded_at FROM scenarios")
        scopes: dict[str, Active] = {}
        for scope, source, loaded_at in rows:
            known = self._scopes.get(scope)
            if known is not None and known.stored == (source, loaded_at):
                scopes[scope] = known
                continue
            contracts = self.contracts = self.contracts or Contracts()
            scenario = build(orjson.loads(source), contracts, self.tenant_of)
            scopes[scope] = self._activate(scope, scenario, source, loaded_at)
        self._scopes = scopes

    def forget_tenants(self, tenant: str | None) -> None:
        """After a reset: a tenant reset drops its scenario, a full reset drops all."""
        for scope in list(self._scopes):
            if tenant is None or scope == tenant:
                self.clear(None if scope == GLOBAL else scope)

    def active(self, tenant: str | None) -> Active | None:
        """The scenario that applies to `tenant`: its own, else the global one."""
        self.shared.refresh()
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
        self.shared.refresh()
        active = self._scopes.get(scope)
        if active is None:
            return {"scope": scope, "scenario": None, "loaded_at": None, "rules": []}
        counts = self.tally.counts(scope)
        rules = []
        for phase, states in (("request", active.requests), ("webhook", active.webhooks)):
            for s in states:
                matches, applied = counts.get((phase, s.rule.index), (0, 0))
                rules.append({"name": s.rule.name, "phase": phase, "matches": matches,
                              "applied": applied})
        rules += [{"name": name, "phase": "fraud", "matches": count, "applied": count}
                  for name, count in active.fraud.fired.items()]
        return {"scope": scope, "scenario": active.scenario.source,
                "loaded_at": active.loaded_at, "rules": rules}

    def scopes(self) -> list[str]:
        """Every scope with an active scenario."""
        self.shared.refresh()
        return sorted(self._scopes)
