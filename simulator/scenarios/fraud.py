"""Fraud rules: velocity, amount thresholds, BIN/IP country mismatch, block lists and a
card-testing detector, evaluated on every authorisation attempt of a tenant.

The sliding windows and how often each rule fired are kept in the store
(scenarios/tally.py), so attempts served by different worker processes count together."""

from __future__ import annotations

import fnmatch
import ipaddress
from typing import Any

from paylab.simulator.core.cards import fingerprint
from paylab.simulator.core.risk import Attempt, Decision
from paylab.simulator.scenarios.facts import Facts
from paylab.simulator.scenarios.model import FraudRule
from paylab.simulator.scenarios.tally import Tally

PHASE = "fraud"


class FraudState:
    """The fraud rules of one loaded scenario, their windows and counts in `tally`."""

    def __init__(self, rules: tuple[FraudRule, ...], tally: Tally | None = None,
                 scope: str = "*") -> None:
        self.rules = rules
        self.tally = tally if tally is not None else Tally()
        self.scope = scope
        self.blocked_cards = {
            r.index: {fingerprint(n) for n in (r.spec.get("block_list") or {}).get("cards", [])}
            for r in rules
        }

    def assess(self, attempt: Attempt, facts: Facts) -> Decision | None:
        """Record the attempt in every window, then return the first rule that fires."""
        decision = None
        for rule in self.rules:
            if not rule.match.test(facts):
                continue
            results = [check(self, rule, attempt) for check in _checks(rule)]
            if decision is None and results and all(results):
                self.tally.count(self.scope, PHASE, rule.index)
                level = "highest" if rule.action == "decline" else "elevated"
                decision = Decision(rule.action, rule.name, rule.risk_score, level)
        return decision

    @property
    def fired(self) -> dict[str, int]:
        """How often each rule decided an attempt (every process's)."""
        counts = self.tally.counts(self.scope)
        return {r.name: counts.get((PHASE, r.index), (0, 0))[1] for r in self.rules}

    def _window(self, rule: FraudRule, name: str, key: str | None, window: float, at: float,
                amount: int, record: bool = True) -> list[int] | None:
        """The amounts inside a rule's window for `key` (this attempt recorded first
        unless not `record`); None without a key."""
        if key is None:
            return None
        return self.tally.window(self.scope, f"{PHASE}/{rule.index}/{name}/{key}", at,
                                 window, amount, record)


def _key(attempt: Attempt, kind: str) -> str | None:
    return {
        "card": attempt.card_fingerprint, "email": (attempt.email or "").lower() or None,
        "ip": attempt.client.ip, "device": attempt.client.device, "tenant": attempt.tenant,
    }[kind]


def _velocity(state: FraudState, rule: FraudRule, attempt: Attempt) -> bool:
    spec = rule.spec["velocity"]
    slot = state._window(rule, "velocity", _key(attempt, spec["key"]), spec["window"],
                         attempt.at, attempt.amount)
    if slot is None:
        return False
    over_count = "count" in spec and len(slot) > spec["count"]
    over_sum = "sum" in spec and sum(slot) > spec["sum"]
    return over_count or over_sum


def _card_testing(state: FraudState, rule: FraudRule, attempt: Attempt) -> bool:
    spec = rule.spec["card_testing"]
    small = attempt.amount <= spec.get("small_amount", 300)
    slot = state._window(rule, "card_testing", _key(attempt, spec.get("key", "ip")),
                         spec["window"], attempt.at, attempt.amount, record=small)
    return slot is not None and len(slot) > spec["count"]


def _amount_above(state: FraudState, rule: FraudRule, attempt: Attempt) -> bool:
    return attempt.amount > rule.spec["amount_above"]


def _country_mismatch(state: FraudState, rule: FraudRule, attempt: Attempt) -> bool:
    card, client = attempt.card_country, attempt.client.country
    return bool(card and client and card.upper() != client.upper())


def _block_list(state: FraudState, rule: FraudRule, attempt: Attempt) -> bool:
    lists: dict[str, Any] = rule.spec["block_list"]
    if attempt.card_fingerprint in state.blocked_cards[rule.index]:
        return True
    if any(attempt.card_bin.startswith(b[:6]) for b in lists.get("bins", [])):
        return True
    email = (attempt.email or "").lower()
    if email and any(fnmatch.fnmatchcase(email, e.lower()) for e in lists.get("emails", [])):
        return True
    country = (attempt.client.country or "").upper()
    if country and country in {c.upper() for c in lists.get("countries", [])}:
        return True
    ip = attempt.client.ip
    if ip:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in lists.get("ips", []))
    return False


_CHECKS = {
    "velocity": _velocity,
    "amount_above": _amount_above,
    "country_mismatch": _country_mismatch,
    "block_list": _block_list,
    "card_testing": _card_testing,
}


def _checks(rule: FraudRule) -> list[Any]:
    return [fn for name, fn in _CHECKS.items() if name in rule.spec]


def attempt_facts(attempt: Attempt) -> Facts:
    """The facts a fraud rule's `match` sees for an attempt."""
    client = attempt.client
    # A saved payment method leaves only its BIN to match a card pattern against.
    return Facts(gateway=client.gateway or "*", method="POST", path="", tenant=attempt.tenant,
                 amount=attempt.amount, currency=attempt.currency,
                 card=client.card or f"{attempt.card_bin}*", email=attempt.email,
                 ip=client.ip, country=client.country, device=client.device, run=client.run)
