"""Card numbers and test tokens: validation, brand, and the published test outcome.

The catalog is data (`testcards.yaml`); this module only reads it. Validation errors are
`CardDeclined` with the usual card-API codes for a bad number, expiry or CVC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from paylab.simulator.core.errors import CardDeclined, InvalidRequest
from paylab.simulator.core.vocabulary import DECLINED, NOT_EMULATED, NOT_FOUND
from paylab.simulator.core.yaml_text import load_yaml

_BRANDS = (  # (prefixes, brand), most specific first
    (("34", "37"), "amex"),
    (tuple(str(p) for p in range(3528, 3590)), "jcb"),
    (("36", "300", "301", "302", "303", "304", "305", "38", "39"), "diners"),
    (("6011", "65", "644", "645", "646", "647", "648", "649", "622"), "discover"),
    (("62",), "unionpay"),
    (tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)), "mastercard"),
    (("4",), "visa"),
)


@dataclass(frozen=True)
class Behaviour:
    """What confirming a payment with this card does."""

    outcome: str = "succeed"
    code: str = DECLINED
    decline_code: str | None = None
    message: str = "Your card was declined."
    risk_level: str = "normal"
    risk_score: int = 20
    then: Behaviour | None = None
    #: processing: virtual seconds before the payment settles with `then`
    delay: float = 0.0
    #: set when a fraud rule shaped this attempt: the rule's name, and whether it opens a review
    rule: str | None = None
    review: bool = False
    #: what saving the card for later (a setup, or attaching it) does: succeed,
    #: authenticate or decline; None: as `outcome` says (a card that declines payments
    #: declines its setup, one that needs 3-D Secure needs it on setup too)
    setup: str | None = None
    #: what a payment without the shopper (off-session, with a saved card) does: None as
    #: `outcome`, except that a card needing 3-D Secure fails `authentication_required`;
    #: `succeed` (never asks off-session), `succeed_if_set_up` (succeeds once the card
    #: went through a setup, else `authentication_required`)
    off_session: str | None = None


@dataclass(frozen=True)
class Card:
    """A validated card as the core stores it (never the full number)."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    country: str
    fingerprint: str
    bin: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    #: published card facts beyond the basics (only set for the test cards that have them):
    #: `checks` (cvc_check, address_line1_check, address_postal_code_check),
    #: `available_immediately`, `three_d_secure_supported`, `display_brand`, `networks`
    extra: dict[str, Any] = field(default_factory=dict)

    def as_doc(self) -> dict[str, Any]:
        """The stored form: card facts plus the test behaviour it triggers (a card without
        extra facts stores exactly the basic keys)."""
        return {
            "brand": self.brand, "last4": self.last4, "exp_month": self.exp_month,
            "exp_year": self.exp_year, "funding": self.funding, "country": self.country,
            "fingerprint": self.fingerprint, "bin": self.bin, **self.extra,
            "behaviour": behaviour_doc(self.behaviour),
        }


def behaviour_doc(b: Behaviour) -> dict[str, Any]:
    """The stored form of a behaviour."""
    doc = {k: v for k, v in b.__dict__.items() if k != "then"}
    doc["then"] = behaviour_doc(b.then) if b.then else None
    return doc


def behaviour_from_doc(doc: dict[str, Any]) -> Behaviour:
    """Rebuild a stored behaviour, or read one from a test-card entry (other keys are
    ignored; fields added later take their defaults)."""
    then = doc.get("then")
    known = {k: v for k, v in doc.items() if k in Behaviour.__dataclass_fields__}
    return Behaviour(**{**known, "then": behaviour_from_doc(then) if then else None})


def fingerprint(number: str) -> str:
    """A card number's stable fingerprint (spaces ignored), as card APIs show one per card."""
    return hashlib.sha256(f"paylab-card:{''.join(number.split())}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Catalog:
    """The published test cards by number and by `pm_card_*` token."""

    by_number: dict[str, dict[str, Any]]
    by_token: dict[str, str]
    default: dict[str, Any]


@cache
def catalog() -> Catalog:
    """Load `testcards.yaml` once (a token may name one card only)."""
    text = resources.files("paylab.simulator.core").joinpath("testcards.yaml").read_text("utf-8")
    data = load_yaml(text)
    by_number = {str(k): v for k, v in data["cards"].items()}
    by_token: dict[str, str] = {}
    for number, entry in by_number.items():
        for token in entry.get("tokens", ()):
            if by_token.setdefault(token, number) != number:
                raise ValueError(f"testcards.yaml: {token} names two cards")
    return Catalog(by_number=by_number, by_token=by_token, default=data["default"])


#: The verification results a card shows when its catalog entry publishes none.
DEFAULT_CHECKS = {"address_line1_check": None, "address_postal_code_check": None,
                  "cvc_check": "pass"}
#: Card facts a catalog entry may carry besides its behaviour (see testcards.yaml).
_EXTRA_FACTS = ("available_immediately", "three_d_secure_supported", "display_brand",
                "networks")


def spaced(number: str) -> str:
    """A card number as printed on the card: groups of four (an Amex-length number 4-6-5)."""
    if len(number) == 15:
        return f"{number[:4]} {number[4:10]} {number[10:]}"
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))


def refuse_not_emulated(number: str, token: str | None = None) -> None:
    """Refuse a known test card whose published behaviour is not emulated (InvalidRequest
    `not_emulated`, param `number`, or `payment_method` for a token); a caller that creates
    anything before the card is validated (a hosted page's payment) checks this first."""
    digits = "".join(number.split())
    entry = catalog().by_number.get(digits, {})
    what = entry.get("not_emulated")
    if not what:
        return
    name = token or next(iter(entry.get("tokens", ())), None)
    raise InvalidRequest(
        NOT_EMULATED,
        f"The test card {spaced(digits)} is known, but what it does is not emulated: "
        f"{what['effect']}; {what['feature']} are not emulated.",
        param="payment_method" if token else "number",
        card=spaced(digits), token=name, behaviour=what["effect"], feature=what["feature"],
    )


def _published(entry: dict[str, Any], cvc_given: bool) -> tuple[Behaviour, dict[str, Any]]:
    """The behaviour and extra card facts of a catalog entry: a CVC check is only made
    when a CVC is given, and then `with_cvc` says what the payment does."""
    behaviour = behaviour_from_doc(entry)
    extra = {k: entry[k] for k in _EXTRA_FACTS if k in entry}
    if "checks" in entry:
        checks = {**DEFAULT_CHECKS, **entry["checks"]}
        if not cvc_given:
            checks["cvc_check"] = None
        extra["checks"] = checks
    if cvc_given and entry.get("with_cvc"):
        behaviour = behaviour_from_doc({**entry, **entry["with_cvc"]})
    return behaviour, extra


def luhn_valid(number: str) -> bool:
    """The Luhn mod-10 check every card number passes."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def brand_of(number: str) -> str:
    """Card brand from the leading digits."""
    for prefixes, brand in _BRANDS:
        if number.startswith(prefixes):
            return brand
    return "unknown"


def _declined(code: str, message: str, param: str) -> CardDeclined:
    return CardDeclined(code, message, param=param, decline_code=None)


def validate_card(
    number: str, exp_month: Any, exp_year: Any, cvc: str | None, *, today: dt.date,
    token: str | None = None,
) -> Card:
    """Check a raw card as card APIs do and return its stored form and test behaviour.

    `token` is the test token the card stands for (it counts as giving a CVC). A listed
    card whose behaviour is not emulated is refused here (InvalidRequest, not_emulated),
    before anything is stored or charged.
    """
    digits = "".join(number.split())
    listed = digits in catalog().by_number  # stage cards are accepted even off-Luhn
    if not digits.isdigit() or not 12 <= len(digits) <= 19 or not (listed or luhn_valid(digits)):
        raise _declined("incorrect_number", "Your card number is incorrect.", "number")
    refuse_not_emulated(digits, token)
    entry = catalog().by_number.get(digits, catalog().default)
    month, year = _int_or_none(exp_month), _int_or_none(exp_year)
    if month is None or not 1 <= month <= 12:
        raise _declined("invalid_expiry_month", "Your card's expiration month is invalid.",
                        "exp_month")
    if year is not None and year < 100:
        year += 2000
    if year is None or year < today.year or year > today.year + 50:
        raise _declined("invalid_expiry_year", "Your card's expiration year is invalid.",
                        "exp_year")
    if (year, month) < (today.year, today.month):
        raise _declined("invalid_expiry_year", "Your card's expiration year is invalid.",
                        "exp_year")
    brand = brand_of(digits)
    if cvc is not None and cvc != "":
        want = 4 if brand == "amex" else 3
        if not cvc.isdigit() or len(cvc) not in (3, want):
            raise _declined("invalid_cvc", "Your card's security code is invalid.", "cvc")
    behaviour, extra = _published(entry, token is not None or bool(cvc))
    return Card(
        brand=brand,
        last4=digits[-4:],
        exp_month=month,
        exp_year=year,
        funding=entry.get("funding", "credit"),
        country=entry.get("country", "TW" if digits.startswith(("4311", "4000221", "4003551"))
                          else "US"),
        fingerprint=fingerprint(digits),
        bin=digits[:6],
        behaviour=behaviour,
        extra=extra,
    )


def card_for_token(token: str, *, today: dt.date) -> Card:
    """The card behind a `pm_card_*` test token."""
    number = catalog().by_token.get(token)
    if number is None:
        raise InvalidRequest(
            NOT_FOUND, f"No such payment method: '{token}'", param="payment_method",
            object="payment_method", id=token, by="reference",
        )
    return validate_card(number, 12, today.year + 3, None, today=today, token=token)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # ASCII digits only, nothing around them (int() would also take " 12\n" and "١٢")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None
