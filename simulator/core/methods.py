"""Payment methods: raw cards and published test tokens become stored payment methods.

A card can come from a device wallet (Apple Pay, Google Pay): real wallets need a device,
so the simulator stands in for the wallet's token. Wallet test tokens (`wallets:` in
testcards.yaml) and the simulated wallet sheets of the hosted pages give a card whose
stored form carries `wallet` (its type and the device account's `dynamic_last4`); a plain
card has no `wallet` key at all, so its stored and rendered forms stay as they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from paylab.simulator.core import cards
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.customers import find_customer
from paylab.simulator.core.endpoints import merge_metadata
from paylab.simulator.core.errors import CardDeclined, InvalidRequest, NotFound
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.saved import check_reusable
from paylab.simulator.core.vocabulary import (
    CUSTOMER,
    DECLINED,
    INVALID_VALUE,
    METHOD_ATTACHED,
    METHOD_DETACHED,
    METHOD_UPDATED,
    NOT_FOUND,
)
from paylab.simulator.core.yaml_text import load_yaml

KIND = "payment_method"
#: Device wallets a card can come from (neutral names; adapters render their own words).
WALLETS = ("apple_pay", "google_pay")


@cache
def _wallet_data() -> dict[str, Any]:
    text = resources.files("paylab.simulator.core").joinpath("testcards.yaml").read_text("utf-8")
    data = load_yaml(text)
    return {"wallets": data.get("wallets") or {}, "sheets": data.get("sheets") or {}}


def wallet_tokens() -> dict[str, dict[str, Any]]:
    """Wallet test token -> {number, wallet, dynamic_last4} (testcards.yaml `wallets:`)."""
    return _wallet_data()["wallets"]


def sheet_cards(wallet: str) -> list[tuple[str, dict[str, Any]]]:
    """The cards a simulated `wallet` sheet holds, as (token, entry); the first is the
    default. KeyError for a wallet that is not one of WALLETS."""
    if wallet not in WALLETS:
        raise KeyError(wallet)
    return [(token, wallet_tokens()[token]) for token in _wallet_data()["sheets"][wallet]]


def wallet_doc(entry: dict[str, Any]) -> dict[str, str]:
    """The stored `wallet` part of a card from a wallet token's entry."""
    return {"type": entry["wallet"], "dynamic_last4": str(entry["dynamic_last4"])}


@lru_cache(maxsize=256)
def _token_card_cached(token: str, today: dt.date) -> cards.Card:
    return cards.card_for_token(token, today=today)


def _token_card(token: str, today: dt.date) -> cards.Card:
    """The card behind a `pm_card_*` token on `today` (issue16: C2: validated once per
    token and day, a pure function of both; its nested facts copied, never shared)."""
    card = _token_card_cached(token, today)
    if not any(isinstance(value, dict) for value in card.extra.values()):
        return card
    return dataclasses.replace(card, extra={
        k: dict(value) if isinstance(value, dict) else value for k, value in card.extra.items()})


class Methods:
    """Create card payment methods and resolve references to them."""

    def __init__(self, objects: Objects, clock: Clock, rand: Rand, events: Events) -> None:
        self.objects = objects
        self.clock = clock
        self.rand = rand
        self.events = events

    def today(self) -> dt.date:
        """The virtual clock's date, for expiry checks."""
        return dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC).date()

    def create_card(
        self,
        tenant: str,
        card: dict[str, Any],
        *,
        at: tuple[str, ...] = ("card",),
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
    ) -> Doc:
        """Validate raw card fields (number, exp_month, exp_year, cvc) and store the method.

        `at` is where the card sits in the request, so errors name the full parameter path.
        A `wallet` entry ({type, dynamic_last4}) marks a card from a device wallet's sheet;
        only the hosted pages set it (the API's contract has no such card field).
        """
        wallet = card.get("wallet")
        if wallet is not None and (not isinstance(wallet, dict)
                                   or wallet.get("type") not in WALLETS):
            raise InvalidRequest(INVALID_VALUE, "Unknown device wallet.",
                                 param=(*at, "wallet"))
        try:
            validated = cards.validate_card(
                str(card.get("number", "")), card.get("exp_month"), card.get("exp_year"),
                card.get("cvc"), today=self.today(),
            )
        except (CardDeclined, InvalidRequest) as exc:  # a bad or a not-emulated card
            exc.param = (*at, exc.param)
            raise
        return self._store(tenant, validated, billing_details, metadata,
                           wallet=dict(wallet) if wallet else None)

    def resolve(self, tenant: str, reference: str, *, param: str = "payment_method") -> Doc:
        """A stored method of this tenant, or a fresh one for a `pm_card_*` test token
        (a wallet token's card carries its wallet)."""
        if reference in cards.catalog().by_token:
            return self._store(tenant, _token_card(reference, self.today()))
        entry = wallet_tokens().get(reference)
        if entry is not None:
            today = self.today()
            card = cards.validate_card(entry["number"], 12, today.year + 3, None, today=today)
            return self._store(tenant, card, wallet=wallet_doc(entry))
        doc = self.objects.find(tenant, KIND, reference)
        if doc is None:
            raise NotFound(NOT_FOUND, f"No such payment method: '{reference}'", param=param,
                           object="payment_method", id=reference, by="reference")
        return doc

    def get(self, tenant: str, method_id: str, *, param: str = "id") -> Doc:
        """One stored method."""
        return self.objects.get(tenant, KIND, method_id, param=param)

    def page(self, tenant: str, *, customer: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of stored methods, newest first; only `customer`'s saved ones if given."""
        return self.objects.page(tenant, KIND, parent=customer, **paging)

    def saved(self, tenant: str, customer_id: str, *, kind: str | None = None,
              **paging: Any) -> tuple[list[Doc], bool]:
        """A page of the methods saved to a customer named in the path (`not_found` when
        there is no such customer); `kind` other than card matches nothing."""
        self.objects.get(tenant, CUSTOMER, customer_id, param="customer")
        if kind not in (None, "card"):
            return [], False
        return self.page(tenant, customer=customer_id, **paging)

    def listing(self, tenant: str, customer_id: str | None, *, kind: str | None = None,
                **paging: Any) -> tuple[list[Doc], bool]:
        """A page of the methods saved to `customer_id` (named in a parameter), or of all
        the tenant's methods; `kind` other than card matches nothing."""
        if customer_id is not None:
            find_customer(self.objects, tenant, customer_id)
        if kind not in (None, "card"):
            return [], False
        return self.page(tenant, customer=customer_id, **paging)

    def attach(self, tenant: str, method_id: str, customer_id: str, *,
               origin: Origin = NOWHERE) -> Doc:
        """Save a method to a customer (the customer must exist; a method belongs to one
        customer at most, and attaching it again to the same one changes nothing).

        Saving checks the card with its issuer, as card APIs do: a card whose setup
        declines (its `setup` behaviour, or its payment outcome when it has none) is
        refused and nothing is saved; cards that need 3-D Secure are saved.
        """
        with self.objects.store.atomic():
            customer = find_customer(self.objects, tenant, customer_id)
            doc = self.resolve(tenant, method_id)
            if doc.get("customer") == customer_id:
                return doc
            check_reusable(doc)
            if doc.get("customer"):
                raise InvalidRequest(
                    INVALID_VALUE, f"The payment method {doc['id']} is already attached to "
                    "another customer.", param="payment_method", id=doc["id"],
                    customer=doc["customer"], reason="attached_elsewhere")
            decline = setup_decline(doc)
            if decline is not None:
                raise decline
            doc["customer"] = customer_id
            self.objects.update(tenant, KIND, doc)
            self.objects.reparent(tenant, KIND, doc["id"], customer_id)
            self.events.emit(tenant, customer["gateway"], METHOD_ATTACHED, KIND, doc,
                             origin=origin)
        return doc

    def detach(self, tenant: str, method_id: str, gateway: str, *,
               origin: Origin = NOWHERE) -> Doc:
        """Unsave a method from its customer (it can no longer be charged off-session);
        it stops being the customer's default method."""
        with self.objects.store.atomic():
            doc = self.get(tenant, method_id, param="payment_method")
            if not doc.get("customer"):
                raise InvalidRequest(
                    INVALID_VALUE, f"The payment method {doc['id']} is not attached to a "
                    "customer.", param="payment_method", id=doc["id"], reason="not_attached")
            previous = {"customer": doc["customer"]}
            customer = self.objects.find(tenant, CUSTOMER, doc["customer"])
            if customer is not None and customer.get("default_method") == doc["id"]:
                customer["default_method"] = None
                self.objects.update(tenant, CUSTOMER, customer)
            doc.update(customer=None, detached=True)
            self.objects.update(tenant, KIND, doc)
            self.objects.reparent(tenant, KIND, doc["id"], None)
            self.events.emit(tenant, gateway, METHOD_DETACHED, KIND, doc, previous,
                             origin=origin)
        return doc

    def update(self, tenant: str, method_id: str, params: dict[str, Any], gateway: str, *,
               origin: Origin = NOWHERE) -> Doc:
        """Change a saved method's billing details, metadata or card expiry (only a method
        saved to a customer can change; an empty string clears a detail)."""
        with self.objects.store.atomic():
            doc = self.get(tenant, method_id, param="payment_method")
            if not doc.get("customer"):
                raise InvalidRequest(
                    INVALID_VALUE, "Save this payment method to a customer before updating "
                    "it.", id=doc["id"], reason="update_unattached")
            previous: Doc = {}
            details = params.get("billing_details")
            if details is not None:
                previous["billing_details"] = dict(doc["billing_details"])
                for key, value in details.items():
                    doc["billing_details"][key] = value if value != "" else None
            if "allow_redisplay" in params:
                doc["redisplay"] = params["allow_redisplay"]
            if "metadata" in params:
                previous["metadata"] = doc["metadata"]
                doc["metadata"] = merge_metadata(doc["metadata"], params["metadata"])
            card = params.get("card") or {}
            if card:
                previous["card"] = {k: doc["card"][k] for k in ("exp_month", "exp_year")}
                month = card.get("exp_month", doc["card"]["exp_month"])
                year = card.get("exp_year", doc["card"]["exp_year"])
                year = year + 2000 if year < 100 else year
                self._check_expiry(month, year)
                doc["card"].update(exp_month=month, exp_year=year)
            self.objects.update(tenant, KIND, doc)
            self.events.emit(tenant, gateway, METHOD_UPDATED, KIND, doc, previous,
                             origin=origin)
        return doc

    def save_for_later(self, tenant: str, method_id: str, customer_id: str | None, *,
                       origin: Origin = NOWHERE) -> Doc:
        """After a payment that asked to keep its method: save it to the payment's
        customer (when there is one) and record it as set up."""
        doc = (self.attach(tenant, method_id, customer_id, origin=origin) if customer_id
               else self.get(tenant, method_id))
        self.mark_set_up(tenant, doc)
        return doc

    def mark_set_up(self, tenant: str, doc: Doc) -> None:
        """Record that a method went through a setup with the shopper present (3-D Secure
        passed when asked): cards that only ask once then pay off-session."""
        if not doc.get("set_up"):
            doc["set_up"] = True
            self.objects.update(tenant, KIND, doc)

    def _check_expiry(self, month: int, year: int) -> None:
        today = self.today()
        if not 1 <= month <= 12:
            raise CardDeclined("invalid_expiry_month", "Your card's expiration month is "
                               "invalid.", param=("card", "exp_month"), decline_code=None)
        if (year, month) < (today.year, today.month) or year > today.year + 50:
            raise CardDeclined("invalid_expiry_year", "Your card's expiration year is "
                               "invalid.", param=("card", "exp_year"), decline_code=None)

    def _store(
        self,
        tenant: str,
        card: cards.Card,
        billing_details: dict[str, Any] | None = None,
        metadata: dict[str, str] | None = None,
        *,
        wallet: dict[str, str] | None = None,
    ) -> Doc:
        details = billing_details or {}
        stored = card.as_doc()
        if wallet is not None:  # a plain card keeps no `wallet` key: its bytes are unchanged
            stored["wallet"] = wallet
        doc = {
            "id": self.rand.new_id("pm"),
            "type": "card",
            "card": stored,
            "billing_details": {
                "name": details.get("name"),
                "email": details.get("email"),
                "phone": details.get("phone"),
                "address": details.get("address"),
            },
            "metadata": dict(metadata or {}),
            "created": int(self.clock.now()),
            "customer": None,
        }
        return self.objects.insert(tenant, KIND, doc)


def setup_decline(doc: Doc) -> CardDeclined | None:
    """The decline saving this card meets, or None: its `setup` behaviour, else its
    payment outcome (a card that declines payments declines its setup; one that needs
    3-D Secure is saved)."""
    b = cards.behaviour_from_doc(doc["card"]["behaviour"])
    setup = b.setup or b.outcome
    if setup not in ("decline", "block"):
        return None
    blocked = setup == "block"
    return CardDeclined(
        DECLINED if blocked else b.code, "Your card was declined." if blocked else b.message,
        decline_code="fraudulent" if blocked else (b.decline_code or "generic_decline"),
    )
