"""Fee schedules: what a gateway keeps of each payment, as data.

A schedule is a document (a gateway's YAML file, or a tenant's override stored in the
store): per payment method a percentage, a fixed fee per currency (with a fallback for
the currencies the gateway publishes none for), surcharges for cards issued outside the
gateway's home country and for currencies it settles only after conversion, what a
refund does with the fee (`refund_fee`), and how many days after capture the funds
become available. `compute` turns a schedule and one payment into the fee and its parts.

Gateways offer their default schedule (`FeeSchedules.offer`); a gateway that offers none
keeps no fee. A tenant may override any part of its gateway's schedule; the override is
merged over the default and lives in the store, so it survives restarts and is forgotten
with the tenant's other state on reset.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.vocabulary import INVALID_VALUE

#: The store kind of a tenant's override (one per gateway: the id is the gateway's name).
OVERRIDE_KIND = "fee_schedule"
#: What a refund does with the fee kept on the payment: the gateway keeps it (refund
#: entries carry no fee), or gives back the refunded share of it (a negative fee).
REFUND_FEE_RULES = ("kept", "returned")
#: A schedule with no fee at all: gateways that offer none.
NO_FEES: Doc = {"methods": {}, "available_after_days": 0, "refund_fee": "kept",
                "settlement_currencies": [], "home_country": None,
                "description": "processing fees"}


@dataclass(frozen=True)
class FeePart:
    """One line of a fee: what it is for (`kind`: percent, fixed, international,
    conversion), its amount in minor units and, for percentages, the rate."""

    kind: str
    amount: int
    rate: str | None = None

    def doc(self) -> Doc:
        """The part as stored on a balance entry."""
        return {"kind": self.kind, "amount": self.amount, "rate": self.rate}


@dataclass(frozen=True)
class Fee:
    """A computed fee: the total and the parts it adds up from."""

    amount: int
    parts: tuple[FeePart, ...] = field(default_factory=tuple)


def load(path: str | Path) -> Doc:
    """Read a schedule file (YAML) and check it."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    check(doc)
    return doc


def check(doc: Doc) -> None:
    """Refuse a schedule `compute` could not use (the control API validates its contract
    first; this guards files and merged overrides)."""
    rule = doc.get("refund_fee", "kept")
    if rule not in REFUND_FEE_RULES:
        raise InvalidRequest(INVALID_VALUE, f"refund_fee must be one of {REFUND_FEE_RULES}.",
                             param="refund_fee")
    for name, method in (doc.get("methods") or {}).items():
        for key in ("percent", "international_percent", "conversion_percent"):
            if Decimal(str(method.get(key, 0))) < 0:
                raise InvalidRequest(INVALID_VALUE, f"methods.{name}.{key} may not be negative.",
                                     param=f"methods.{name}.{key}")


def compute(schedule: Doc, method: str, amount: int, currency: str,
            card_country: str | None = None) -> Fee:
    """The fee of a payment of `amount` (minor units of `currency`) by `method`; a card
    issued outside the schedule's home country pays the international surcharge, a
    currency outside its settlement currencies the conversion surcharge."""
    rates = (schedule.get("methods") or {}).get(method)
    if not rates or amount <= 0:
        return Fee(0)
    currency = currency.lower()
    parts = [_percent("percent", rates.get("percent", 0), amount)]
    fixed = (rates.get("fixed") or {}).get(currency, rates.get("fixed_fallback", 0))
    parts.append(FeePart("fixed", int(fixed)))
    home = schedule.get("home_country")
    if home and card_country and card_country.upper() != home.upper():
        parts.append(_percent("international", rates.get("international_percent", 0), amount))
    settles = [c.lower() for c in schedule.get("settlement_currencies") or []]
    if settles and currency not in settles:
        parts.append(_percent("conversion", rates.get("conversion_percent", 0), amount))
    kept = tuple(p for p in parts if p.amount)
    return Fee(min(sum(p.amount for p in kept), amount), kept)


def refund_fee(schedule: Doc, payment_fee: int, payment_amount: int, refunded: int,
               *, method: str | None = None, currency: str | None = None) -> int:
    """The fee on a refund entry (zero or negative: what the gateway gives back)."""
    if schedule.get("refund_fee", "kept") != "returned" or payment_amount <= 0:
        return 0
    share = Decimal(payment_fee) * Decimal(refunded) / Decimal(payment_amount)
    return -int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(kind: str, rate: Any, amount: int) -> FeePart:
    value = Decimal(str(rate)) * Decimal(amount) / Decimal(100)
    return FeePart(kind, int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), str(rate))


def merge(base: Doc, override: Doc) -> Doc:
    """`override` laid over `base`, mappings merged key by key (lists replace)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class FeeSchedules:
    """The gateways' default schedules and the tenants' overrides of them."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self._defaults: dict[str, Doc] = {}

    def offer(self, gateway: str, schedule: str | Path | Doc) -> None:
        """A gateway's default schedule: a file path or a document."""
        doc = schedule if isinstance(schedule, dict) else load(schedule)
        check(doc)
        self._defaults[gateway] = doc

    def offered(self, gateway: str) -> bool:
        """Whether the gateway offers a schedule."""
        return gateway in self._defaults

    def default(self, gateway: str) -> Doc:
        """The gateway's own schedule (no fee when it offers none)."""
        return copy.deepcopy(self._defaults.get(gateway, NO_FEES))

    def override(self, tenant: str, gateway: str) -> Doc | None:
        """The tenant's override of the gateway's schedule, if any."""
        stored = self.objects.find(tenant, OVERRIDE_KIND, gateway)
        return stored["schedule"] if stored else None

    def effective(self, tenant: str, gateway: str) -> Doc:
        """The schedule a tenant's next payment on `gateway` is charged by."""
        override = self.override(tenant, gateway)
        base = self.default(gateway)
        return merge(base, override) if override else base

    def fee_for(self, tenant: str, gateway: str, method: str, amount: int, currency: str,
                *, card_country: str | None = None) -> Fee:
        """The fee of one payment of a tenant on a gateway, by its effective schedule."""
        return compute(self.effective(tenant, gateway), method, amount, currency, card_country)

    def refund_fee_for(self, tenant: str, gateway: str, method: str, payment_amount: int,
                       payment_fee: int, refunded: int, *, currency: str | None = None) -> int:
        """The fee on a refund of `refunded` (minor units) of a payment that was charged
        `payment_fee`: negative when the gateway gives fee back, positive when it charges
        a refund fee, zero when it keeps the payment's fee and charges nothing more."""
        return refund_fee(self.effective(tenant, gateway), payment_fee, payment_amount,
                          refunded, method=method, currency=currency)

    def set_override(self, tenant: str, gateway: str, override: Doc, now: int) -> Doc:
        """Store (or replace) the tenant's override; returns the effective schedule."""
        check(merge(self.default(gateway), override))
        doc = {"id": gateway, "created": now, "schedule": override}
        with self.objects.store.atomic():
            if self.objects.find(tenant, OVERRIDE_KIND, gateway) is None:
                self.objects.insert(tenant, OVERRIDE_KIND, doc)
            else:
                self.objects.update(tenant, OVERRIDE_KIND, doc)
        return self.effective(tenant, gateway)

    def clear_override(self, tenant: str, gateway: str) -> bool:
        """Back to the gateway's schedule; whether there was an override."""
        existed = self.override(tenant, gateway) is not None
        self.objects.delete(tenant, OVERRIDE_KIND, gateway)
        return existed
