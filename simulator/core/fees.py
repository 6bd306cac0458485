"""Fee schedules: what a gateway keeps of each payment, as data.

A schedule is a document (a gateway's YAML file, or a tenant's override stored in the
store): per payment method a percentage, a fixed fee per currency (with a fallback for
the currencies the gateway publishes none for), surcharges for cards issued outside the
gateway's home country and for currencies it settles only after conversion, what a
refund does with the fee (`refund_fee`), and how many days after capture the funds
become available. `compute` turns a schedule and one payment into the fee and its parts.

The grammar (every key optional; amounts are minor units of the currency as ISO 4217
counts them: cents, or whole yen; NT$5 is 500 for `twd`):

    description: text                   home_country: TW (cards issued elsewhere pay
    settlement_currencies: [twd]          the international surcharge)
    available_after_days: 4             refund_available_after_days: 0
    refund_fee: kept | returned | returned_percent
    monthly_fee: {twd: 0}               a fee per calendar month, not per payment
    methods:
      <neutral method>:
        family: card | bank_transfer | convenience_store | wallet (default by the method's
                name, see FAMILIES; comparisons map methods across gateways by it)
        percent: 2.75                   fixed: {twd: 500}   fixed_fallback: 0
        international_percent: 0.75     conversion_percent: 0
        minimum: {twd: 500}             the smallest fee of one payment (per currency)
        refund_fixed: {twd: 1000}       a fee charged on every refund (per currency)

`refund_fee`: `kept`, the gateway keeps the payment's fee; `returned`, it gives back the
refunded share of it; `returned_percent`, the refunded share of the fee less the fixed
part (the fixed fee is kept). A method's `refund_fixed` is charged on each refund on top.
A fee is rounded half up to the minor unit, raised to the method's minimum, and never
more than the payment. A gateway that counts an amount in other units (whole TWD on the
form-post rails: `decimals` 0) gets its fee in those units (`compute(..., decimals=)`).

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

from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.money import exponent
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.vocabulary import INVALID_VALUE
from paylab.simulator.core.yaml_text import load_yaml

#: The store kind of a tenant's override (one per gateway: the id is the gateway's name).
OVERRIDE_KIND = "fee_schedule"
#: What a refund does with the fee kept on the payment: the gateway keeps it (refund
#: entries carry no fee), or gives back the refunded share of it (a negative fee).
REFUND_FEE_RULES = ("kept", "returned", "returned_percent")
#: The neutral method families: the same kind of payment on two gateways (a comparison
#: maps a method to the other gateway's method of its family).
FAMILY_NAMES = ("card", "bank_transfer", "convenience_store", "wallet")
#: The family of a neutral method when its schedule names none.
FAMILIES = {"card": "card", "apple_pay": "card", "google_pay": "card",
            "atm": "bank_transfer", "webatm": "bank_transfer",
            "cvs": "convenience_store", "barcode": "convenience_store", "wallet": "wallet"}
#: Per-currency amounts of a method (minor units, not negative).
_AMOUNT_MAPS = ("fixed", "minimum", "refund_fixed")
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
    text = Path(path).read_text(encoding="utf-8")
    doc = load_yaml(text) or {}
    check(doc)
    return doc


def check(doc: Doc) -> None:
    """Refuse a schedule `compute` could not use (the control API validates its contract
    first; this guards files and merged overrides)."""
    rule = doc.get("refund_fee", "kept")
    if rule not in REFUND_FEE_RULES:
        raise InvalidRequest(INVALID_VALUE, f"refund_fee must be one of {REFUND_FEE_RULES}.",
                             param="refund_fee")
    _amounts(doc.get("monthly_fee"), "monthly_fee")
    for name, method in (doc.get("methods") or {}).items():
        for key in ("percent", "international_percent", "conversion_percent"):
            if Decimal(str(method.get(key, 0))) < 0:
                raise InvalidRequest(INVALID_VALUE, f"methods.{name}.{key} may not be negative.",
                                     param=f"methods.{name}.{key}")
        for key in _AMOUNT_MAPS:
            _amounts(method.get(key), f"methods.{name}.{key}")
        family = method.get("family")
        if family is not None and family not in FAMILY_NAMES:
            raise InvalidRequest(INVALID_VALUE, f"methods.{name}.family must be one of "
                                 f"{FAMILY_NAMES}.", param=f"methods.{name}.family")


def _amounts(value: Any, where: str) -> None:
    """A per-currency map of amounts: whole minor units, not negative."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise InvalidRequest(INVALID_VALUE, f"{where} must map currencies to amounts.",
                             param=where)
    for currency, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidRequest(INVALID_VALUE, f"{where}.{currency} must be a whole "
                                 "number of minor units, not negative.",
                                 param=f"{where}.{currency}")


def family_of(schedule: Doc, method: str) -> str | None:
    """The family of `method` in `schedule`: its own `family`, else by its name."""
    rates = (schedule.get("methods") or {}).get(method) or {}
    return rates.get("family") or FAMILIES.get(method)


def method_for(schedule: Doc, method: str, family: str | None) -> str | None:
    """The method of `schedule` that takes a payment made by `method` (of `family`): the
    same method if the schedule prices it, else its first method of that family."""
    methods = schedule.get("methods") or {}
    if method in methods:
        return method
    for name in methods:
        if family is not None and family_of(schedule, name) == family:
            return name
    return None


def monthly_fee(schedule: Doc, currency: str) -> int:
    """The schedule's fee per calendar month in `currency` (zero when it has none)."""
    return int((schedule.get("monthly_fee") or {}).get(currency.lower(), 0))


def compute(schedule: Doc, method: str, amount: int, currency: str,
            card_country: str | None = None, *, decimals: int | None = None) -> Fee:
    """The fee of a payment of `amount` (minor units of `currency`) by `method`; a card
    issued outside the schedule's home country pays the international surcharge, a
    currency outside its settlement currencies the conversion surcharge. `decimals`:
    how many decimals `amount` is counted in when not the currency's own (an order's
    whole TWD: 0); the fee comes back in the same units, each part rounded half up."""
    currency = currency.lower()
    shift = exponent(currency) - decimals if decimals is not None else 0
    if shift:
        fee = compute(schedule, method, _rescale(amount, shift), currency, card_country)
        return _rescaled(fee, -shift, amount)
    rates = (schedule.get("methods") or {}).get(method)
    if not rates or amount <= 0:
        return Fee(0)
    parts = [_percent("percent", rates.get("percent", 0), amount)]
    fixed = (rates.get("fixed") or {}).get(currency, rates.get("fixed_fallback", 0))
    parts.append(FeePart("fixed", int(fixed)))
    home = schedule.get("home_country")
    if home and card_country and card_country.upper() != home.upper():
        parts.append(_percent("international", rates.get("international_percent", 0), amount))
    settles = [c.lower() for c in schedule.get("settlement_currencies") or []]
    if settles and currency not in settles:
        parts.append(_percent("conversion", rates.get("conversion_percent", 0), amount))
    minimum = int((rates.get("minimum") or {}).get(currency, 0))
    below = minimum - sum(p.amount for p in parts)
    if below > 0:
        parts.append(FeePart("minimum", below))
    kept = tuple(p for p in parts if p.amount)
    return Fee(min(sum(p.amount for p in kept), amount), kept)


def _rescaled(fee: Fee, shift: int, amount: int) -> Fee:
    """`fee` in units `shift` decimal places away: the total rounded once (half up), the
    parts rounded each, the first absorbing what their rounding left over."""
    total = min(_rescale(fee.amount, shift), amount)
    parts = [FeePart(p.kind, _rescale(p.amount, shift), p.rate) for p in fee.parts]
    if parts:
        first = parts[0]
        parts[0] = FeePart(first.kind, first.amount + total - sum(p.amount for p in parts),
                           first.rate)
    return Fee(total, tuple(p for p in parts if p.amount))


def _rescale(amount: int, shift: int) -> int:
    """`amount` moved `shift` decimal places (up: exact; down: rounded half up)."""
    value = Decimal(amount).scaleb(shift)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def refund_fee(schedule: Doc, payment_fee: int, payment_amount: int, refunded: int,
               *, method: str | None = None, currency: str | None = None,
               decimals: int | None = None) -> int:
    """The fee on a refund entry: negative, what the gateway gives back of the payment's
    fee by the `refund_fee` rule; plus the method's `refund_fixed` in `currency`. With
    `decimals` (amounts counted in other units than the currency's own, as `compute`),
    the schedule's fixed figures are moved into those units."""
    rates = (schedule.get("methods") or {}).get(method or "") or {}
    cur = (currency or "").lower()
    shift = decimals - exponent(cur) if decimals is not None and cur else 0
    charged = _rescale(int((rates.get("refund_fixed") or {}).get(cur, 0)), shift)
    rule = schedule.get("refund_fee", "kept")
    if rule == "kept" or payment_amount <= 0:
        return charged
    base = payment_fee
    if rule == "returned_percent":
        fixed = (rates.get("fixed") or {}).get(cur, rates.get("fixed_fallback", 0))
        base = max(payment_fee - _rescale(int(fixed), shift), 0)
    share = Decimal(base) * Decimal(refunded) / Decimal(payment_amount)
    return charged - int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


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

    def gateways(self) -> list[str]:
        """The gateways that offer a schedule, in the order they offered it."""
        return list(self._defaults)

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
                *, card_country: str | None = None, decimals: int | None = None) -> Fee:
        """The fee of one payment of a tenant on a gateway, by its effective schedule.
        `decimals`: an order's (0 when the order has none: whole units), so the fee is in
        the order's own units; None: `amount` is in the currency's ISO minor units."""
        return compute(self.effective(tenant, gateway), method, amount, currency,
                       card_country, decimals=decimals)

    def refund_fee_for(self, tenant: str, gateway: str, method: str, payment_amount: int,
                       payment_fee: int, refunded: int, *, currency: str | None = None,
                       decimals: int | None = None) -> int:
        """The fee on a refund of `refunded` (minor units) of a payment that was charged
        `payment_fee`: negative when the gateway gives fee back, positive when it charges
        a refund fee, zero when it keeps the payment's fee and charges nothing more."""
        return refund_fee(self.effective(tenant, gateway), payment_fee, payment_amount,
                          refunded, method=method, currency=currency, decimals=decimals)

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
