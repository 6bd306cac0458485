"""The alert engine: which rules apply, judging them, and firing/resolving alerts.

Event-driven rules (amount_above, frequency, geography) judge every payment attempt of
every gateway as the core assesses it (the same `Attempt` the fraud rules read: amount,
card fingerprint and BIN country, e-mail, the client's IP and country), inside the
attempt's transaction. Window rules (failure_rate, refund_rate, latency_p99_above,
webhook_backlog_above) judge the KPI window figures (`domain.kpis`) on every tick of the
background loop and before GET /_sim/alerts answers. Rule sets live in the store's meta
(one global, any number per tenant: a tenant's own replaces the global one for it), so
every process sharing the database judges by the same rules.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import orjson
from aiohttp import web
from paylab.simulator.alerts import loader
from paylab.simulator.alerts.model import EVENT_KINDS, WINDOW_KINDS, Breach, Rule, RuleSet
from paylab.simulator.alerts.requests import RequestOutcomes
from paylab.simulator.alerts.state import AlertState
from paylab.simulator.alerts.windows import window_breaches
from paylab.simulator.contracts import Contracts
from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import StorageUnavailable
from paylab.simulator.core.risk import Attempt, Decision, RiskAssessor
from paylab.simulator.waiting import wait_event

log = logging.getLogger("paylab.alerts")

_META = "alert_rules:"
GLOBAL = "*"
#: Real seconds between two ticks of the background loop (sooner when the clock moves).
TICK_SECONDS = 1.0
#: Hits older than the longest window a rule may have are pruned.
MAX_WINDOW = 86400.0
Notify = Callable[[dict[str, Any]], None]


class Alerts:
    """Rule sets, evaluation and transitions, on one domain."""

    def __init__(self, domain: Domain, contracts: Contracts, tenant_of: Callable[[str], str],
                 base: RuleSet | None = None, base_source: str = "default",
                 notify: Notify | None = None) -> None:
        self.domain = domain
        self.contracts = contracts
        self.tenant_of = tenant_of
        self.base = base or loader.build(loader.defaults_document(), contracts, tenant_of)
        self.base_source = base_source
        self.state = AlertState(domain.store)
        self.calls = RequestOutcomes(domain.store, domain.clock)
        self.notify = notify
        self._parsed: dict[str, RuleSet] = {}

    @classmethod
    def start(cls, domain: Domain, contracts: Contracts, tenant_of: Callable[[str], str],
              rules_file: str | None = None) -> Alerts:
        """The engine of a simulator: rules from `rules_file` (--alert-rules) or the
        defaults, transitions told to the configured receivers."""
        base = loader.load_file(rules_file, contracts, tenant_of) if rules_file else None
        return cls(domain, contracts, tenant_of, base, "file" if rules_file else "default",
                   notifier_for(domain))

    # -- rule sets --------------------------------------------------------------------------
    def _stored(self, scope: str) -> RuleSet | None:
        raw = self.domain.store.get_meta(_META + scope)
        if raw is None:
            return None
        parsed = self._parsed.get(raw)
        if parsed is None:  # another process may have written it: parse once per text
            parsed = loader.build(orjson.loads(raw), self.contracts, self.tenant_of)
            self._parsed = {raw: parsed, **dict(list(self._parsed.items())[:31])}
        return parsed

    def rules_for(self, tenant: str | None) -> tuple[RuleSet, str]:
        """The rule set judging `tenant` (its own, else the global one) and its source."""
        if tenant:
            own = self._stored(tenant)
            if own is not None:
                return own, "custom"
        stored = self._stored(GLOBAL)
        return (stored, "custom") if stored is not None else (self.base, self.base_source)

    def put(self, rules: RuleSet, tenant: str | None) -> None:
        """Replace the global rules, or one tenant's."""
        self.domain.store.set_meta(_META + (tenant or GLOBAL),
                                   orjson.dumps(rules.source).decode())

    def clear(self, tenant: str | None) -> bool:
        """Back to the defaults (global) or to the global rules (a tenant)."""
        key = _META + (tenant or GLOBAL)
        with self.domain.store.atomic() as conn:
            return conn.execute("DELETE FROM meta WHERE key = ?", (key,)).rowcount > 0

    def describe(self, tenant: str | None) -> dict[str, Any]:
        """GET /_sim/alerts/rules: the rules that judge a tenant (or the global ones)."""
        rules, source = self.rules_for(tenant)
        if tenant and self._stored(tenant) is None:
            source = "global"
        return {"scope": tenant or GLOBAL, "source": source,
                "description": rules.source.get("description"),
                "rules": [r.doc() for r in rules.rules]}

    def tenant_scopes(self) -> list[str]:
        """Every tenant with rules of its own."""
        rows = self.domain.store.all("SELECT key FROM meta WHERE key LIKE ? AND key != ?",
                                     (_META + "%", _META + GLOBAL))
        return sorted(r[0].removeprefix(_META) for r in rows)

    # -- event-driven rules -----------------------------------------------------------------
    def observe(self, attempt: Attempt) -> list[dict[str, Any]]:
        """Judge one payment attempt; returns the alerts it started firing."""
        rules, _ = self.rules_for(attempt.tenant)
        started = []
        for rule in rules.of_kinds(EVENT_KINDS):
            if not rule.applies_to(attempt.tenant):
                continue
            breach = _JUDGES[rule.kind](self, rule, attempt)
            if breach is not None:
                doc = self.state.breach(breach, attempt.at)
                if doc is not None:
                    started.append(doc)
                    self._tell(doc)
        return started

    def assessor(self, inner: RiskAssessor | None) -> RiskAssessor:
        """A risk assessor that shows every attempt to the alert rules, then asks `inner`."""
        return _Observing(self, inner)

    # -- window rules and resolution --------------------------------------------------------
    def tick(self) -> list[dict[str, Any]]:
        """Resolve what aged out, judge the window rules; returns every transition."""
        now = self.domain.clock.now()
        changed: list[dict[str, Any]] = []
        for seq in self.state.stale(EVENT_KINDS, now):
            changed.extend(self._resolved(seq, now))
        breaches = self._window_breaches(getattr(self.domain, "kpis", None))
        for breach in breaches:
            doc = self.state.breach(breach, now)
            if doc is not None:
                changed.append(doc)
                self._tell(doc)
        breached = {b.fingerprint() for b in breaches}
        for seq, fp in self.state.firing(WINDOW_KINDS):
            if fp not in breached:
                changed.extend(self._resolved(seq, now))
        self.state.prune(now - MAX_WINDOW)
        self.calls.prune()
        return changed

    def _window_breaches(self, kpis: Any) -> list[Breach]:
        """Judge each scope's window rules: the global set on all traffic (and its rules
        naming a tenant on that tenant's), each tenant's own set on its traffic."""
        own = self.tenant_scopes()
        judged: list[tuple[str | None, Rule]] = []
        for rule in self.rules_for(None)[0].of_kinds(WINDOW_KINDS):
            if rule.tenant not in own:
                judged.append((rule.tenant, rule))
        for tenant in own:
            judged += [(tenant, r) for r in self.rules_for(tenant)[0].of_kinds(WINDOW_KINDS)
                       if r.applies_to(tenant)]
        return [b for tenant, rule in judged
                for b in window_breaches(kpis, self.calls, rule, tenant)]

    def _resolved(self, seq: int, now: float) -> list[dict[str, Any]]:
        doc = self.state.resolve(seq, now)
        if doc is None:
            return []
        self._tell(doc)
        return [doc]

    def _tell(self, doc: dict[str, Any]) -> None:
        """Hand a transition to the receivers (they queue it in this transaction)."""
        notify = self.notify
        if notify is None:
            return
        try:
            notify(doc)
        except StorageUnavailable:
            raise
        except Exception:  # a receiver's bug must not undo the alert or the payment
            log.exception("alert receivers failed on %s", doc["id"])

    async def run(self) -> None:
        """Tick until cancelled: every second, and at once when the clock is advanced."""
        wake = asyncio.Event()
        self.domain.clock.subscribe(wake.set)
        while True:
            wake.clear()
            try:
                self.tick()
                await self.domain.store.durable()
            except (StorageUnavailable, sqlite3.Error) as exc:
                log.warning("alert evaluation paused: %s", exc)
            await wait_event(wake, TICK_SECONDS)


def notifier_for(domain: Domain) -> Notify | None:
    """The receivers' `notify` (imported here, late: the engine runs without them)."""
    try:
        from paylab.simulator.alerts.receivers import Receivers
    except ImportError:
        log.warning("no alert receivers module: alerts are recorded, not sent")
        return None
    return Receivers(domain).notify


class _Observing:
    """The core's risk assessor, with the alert rules looking on."""

    def __init__(self, alerts: Alerts, inner: RiskAssessor | None) -> None:
        self.alerts = alerts
        self.inner = inner

    def assess(self, attempt: Attempt) -> Decision | None:
        """Show the attempt to the alert rules, then return `inner`'s verdict."""
        try:
            self.alerts.observe(attempt)
        except StorageUnavailable:
            raise
        except Exception:  # an alert rule must never fail a payment
            log.exception("alert rules failed on an attempt of %s", attempt.tenant)
        return self.inner.assess(attempt) if self.inner is not None else None


# -- judges of event-driven rules ---------------------------------------------------------------
def _amount_above(alerts: Alerts, rule: Rule, attempt: Attempt) -> Breach | None:
    currency = rule.params.get("currency")
    if currency is not None and attempt.currency.lower() != currency:
        return None
    limit = rule.params["amount"]
    if attempt.amount <= limit:
        return None
    labels = {"currency": attempt.currency.lower()}
    return Breach(rule, attempt.tenant, attempt.amount, limit, labels,
                  f"A payment of {attempt.amount} {attempt.currency.lower()} (minor units) "
                  f"is above {limit}")


def _key_of(attempt: Attempt, key: str) -> str | None:
    return {"card": attempt.card_fingerprint or None,
            "email": (attempt.email or "").lower() or None,
            "ip": attempt.client.ip, "merchant": attempt.tenant}[key]


def _frequency(alerts: Alerts, rule: Rule, attempt: Attempt) -> Breach | None:
    kind, limit, window = rule.params["key"], rule.params["count"], rule.params["window"]
    value = _key_of(attempt, kind)
    if value is None:
        return None
    # counted up to one past the limit: enough to judge, and a burst costs no more
    count = alerts.state.hit(attempt.tenant, rule.name, value, attempt.at, window, limit + 1)
    if count <= limit:
        return None
    return Breach(rule, attempt.tenant, count, limit, {"key": kind, "key_value": value},
                  f"more than {limit} attempts from one {kind} within {window:g} s")


def _geography(alerts: Alerts, rule: Rule, attempt: Attempt) -> Breach | None:
    source = rule.params.get("source", "client")
    country = attempt.client.country if source == "client" else attempt.card_country
    if not country or country.upper() in rule.params["allow"]:
        return None
    country = country.upper()
    return Breach(rule, attempt.tenant, None, None,
                  {"country": country, "source": source},
                  f"A payment from {country} ({source} country), outside the allow list")


_JUDGES: dict[str, Callable[[Alerts, Rule, Attempt], Breach | None]] = {
    "amount_above": _amount_above, "frequency": _frequency, "geography": _geography,
}

#: Where the app keeps its alert engine (control handlers reach it through the request).
ALERTS = web.AppKey("alerts", Alerts)
