"""What a rule can match on: facts about a request (or an event), and the matching."""

from __future__ import annotations

import fnmatch
import ipaddress
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Facts:
    """A gateway-neutral view of one request or one webhook event."""

    gateway: str
    method: str
    path: str
    tenant: str | None = None
    amount: int | None = None
    currency: str | None = None
    card: str | None = None
    email: str | None = None
    ip: str | None = None
    country: str | None = None
    device: str | None = None
    run: str | None = None
    event: str | None = None
    #: The payment method a request pays with, in the core's words (card, atm, cvs, ...).
    payment_method: str | None = None


#: Fields compared case-insensitively.
_FOLDED = frozenset({"method", "currency", "country", "email"})


@dataclass(frozen=True)
class Match:
    """Every given field must match one of its patterns; no fields matches everything."""

    patterns: dict[str, tuple[str, ...]]
    amount_min: int | None = None
    amount_max: int | None = None

    @classmethod
    def parse(cls, spec: dict[str, Any] | None, tenant_of: Any) -> Match:
        """Build from the scenario's `match` object; API keys become tenant ids."""
        spec = dict(spec or {})
        amount = spec.pop("amount", None) or {}
        patterns: dict[str, tuple[str, ...]] = {}
        for field, value in spec.items():
            values = (value,) if isinstance(value, str) else tuple(value)
            if field == "tenant":
                values = tuple(tenant_of(v) for v in values)
            if field in _FOLDED:
                values = tuple(v.lower() for v in values)
            patterns[field] = values
        return cls(patterns, amount.get("min"), amount.get("max"))

    def test(self, facts: Facts) -> bool:
        """Whether these facts satisfy every pattern."""
        if self.amount_min is not None or self.amount_max is not None:
            if facts.amount is None:
                return False
            if self.amount_min is not None and facts.amount < self.amount_min:
                return False
            if self.amount_max is not None and facts.amount > self.amount_max:
                return False
        for field, options in self.patterns.items():
            if not _field_matches(field, facts, options):
                return False
        return True


def _field_matches(field: str, facts: Facts, options: tuple[str, ...]) -> bool:
    if field == "bin":
        card = facts.card
        return card is not None and any(card.startswith(o.rstrip("*")) for o in options)
    value = getattr(facts, field)
    if value is None:
        return False
    value = str(value)
    if field in _FOLDED:
        value = value.lower()
    if field == "ip":
        return any(_ip_matches(value, o) for o in options)
    return any(fnmatch.fnmatchcase(value, o) for o in options)


def _ip_matches(ip: str, pattern: str) -> bool:
    if "/" in pattern:
        try:
            return ipaddress.ip_address(ip) in ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
    return fnmatch.fnmatchcase(ip, pattern)
