"""Checkout sessions: a hosted payment page's state, on top of payments.

A session collects line items and a card on the hosted page, pays through an ordinary
payment (so 3-D Secure, declines and scenarios behave exactly as on the API), and ends
`complete` or `expired`, each with its event.

In `setup` mode a session has no line items and no amount: the hosted page saves a card
through an ordinary setup (3-D Secure when the card asks for it), to the session's
customer when it has one, and the session completes when the setup succeeds.
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core import cards, money
from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.clock import Clock
from paylab.simulator.core.credentials import new_credential
from paylab.simulator.core.errors import InvalidRequest, InvalidState
from paylab.simulator.core.events import Events
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.core.origin import NOWHERE, Origin
from paylab.simulator.core.payments import Payments
from paylab.simulator.core.rand import Rand
from paylab.simulator.core.setups import CANCELABLE as SETUP_CANCELABLE
from paylab.simulator.core.setups import Setups
from paylab.simulator.core.timers import Timers

KIND = "checkout_session"
DEFAULT_LIFETIME = 24 * 3600
MIN_LIFETIME = 30 * 60
#: Parameters that only a payment-mode session takes.
PAYMENT_ONLY = ("line_items", "amount", "payment_data")
#: A parameter the session's mode does not take: context `field` and `mode`.
NOT_IN_MODE = "not_in_mode"


class Sessions:
    """Create, pay, complete and expire checkout sessions."""

    def __init__(self, objects: Objects, events: Events, payments: Payments, timers: Timers,
                 clock: Clock, rand: Rand, setups: Setups) -> None:
        self.objects = objects
        self.events = events
        self.payments = payments
        self.timers = timers
        self.clock = clock
        self.rand = rand
        self.setups = setups
        events.subscribe(self._on_event)

    def _on_event(self, tenant: str, event: Doc) -> None:
        """A session completes when its payment goes through, however that happens
        (at once, after 3-D Secure, or when a `pending` payment settles)."""
        if event["type"] not in (v.PAYMENT_SUCCEEDED, v.PAYMENT_AUTHORIZED, v.SETUP_SUCCEEDED):
            return
        session = self.objects.tagged(tenant, KIND, event["object"]["id"])
        if session is not None and session["status"] == "open":
            self.complete(tenant, session["id"])
    def get(self, tenant: str, session_id: str) -> Doc:
        """One session of this tenant."""
        return self.objects.get(tenant, KIND, session_id, param="session")

    def page(self, tenant: str, payment: str | None = None,
             **paging: Any) -> tuple[list[Doc], bool]:
        """A page of sessions, newest first; only the one paid by `payment` if given
        (sessions are filed under their payment's id once it exists)."""
        return self.objects.page(tenant, KIND, tags=[payment] if payment else None,
                                 **paging)

    def create(self, tenant: str, gateway: str, params: dict[str, Any]) -> Doc:
        """A new open session for `line_items` (or a plain `amount` and `currency`); in
        `setup` mode, for saving a card (no items, no amount, `currency` optional)."""
        if params.get("customer") and params.get("customer_email"):
            raise InvalidRequest(
                v.CONFLICTING_PARAMETERS, "customer and customer_email exclude each other.",
                param="customer_email", names=("customer", "customer_email"))
        if params.get("customer") and params.get("customer_creation"):
            raise InvalidRequest(
                v.CONFLICTING_PARAMETERS, "customer and customer_creation exclude each other.",
                param="customer_creation", names=("customer", "customer_creation"))
        mode = params.get("mode", "payment")
        if mode == "setup":
            items, currency, total = self._setup_terms(params)
        else:
            items, currency, total = self._payment_terms(params)
        now = int(self.clock.now())
        expires_at = params.get("expires_at", now + DEFAULT_LIFETIME)
        if not now + MIN_LIFETIME <= expires_at <= now + DEFAULT_LIFETIME:
            raise InvalidRequest(v.OUT_OF_RANGE,
                                 "expires_at must be between 30 minutes and 24 hours from now.",
                                 param="expires_at", low=now + MIN_LIFETIME,
                                 high=now + DEFAULT_LIFETIME)
        sid = self.rand.new_id("cs_test", 58)
        intent = params.get("payment_data") or {}
        setup = params.get("setup_data") or {}
        doc = {
            "id": sid, "gateway": gateway, "mode": mode,
            "status": "open", "payment_status": "no_payment_required" if mode == "setup"
            else "unpaid", "currency": currency,
            "amount_subtotal": total, "amount_total": total, "line_items": items,
            "success_url": params["success_url"], "cancel_url": params.get("cancel_url"),
            "customer_email": params.get("customer_email"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": dict(params.get("metadata") or {}),
            "payment_data": {
                "capture_method": intent.get("capture_method", "automatic"),
                "description": intent.get("description"),
                "metadata": dict(intent.get("metadata") or {}),
            },
            "payment": None, "customer_details": None, "created": now,
            "expires_at": expires_at,
            # The hosted page's URL carries this token: the seeded id alone opens nothing.
            "page_token": new_credential(32),
        }
        if params.get("customer_creation"):
            doc["customer_creation"] = params["customer_creation"]
        if params.get("customer") or mode == "setup" or params.get("customer_creation"):
            # a payment session without a customer keeps the bytes it always had
            doc.update(customer=params.get("customer"), setup=None, setup_data={
                "description": setup.get("description"),
                "metadata": dict(setup.get("metadata") or {})})
        with self.objects.store.atomic():
            self.setups.customers.check(tenant, params.get("customer"))
            self.objects.insert(tenant, KIND, doc)
            self.timers.schedule(tenant, "expire_checkout", sid, expires_at - self.clock.now(),
                                 {})
        return doc

    def _setup_terms(self, params: dict[str, Any]
                     ) -> tuple[list[dict[str, Any]], str | None, int | None]:
        """A setup session's (items, currency, total): none, the optional currency, none."""
        for name in PAYMENT_ONLY:
            if params.get(name):
                raise InvalidRequest(NOT_IN_MODE, f"{name} cannot be used in setup mode.",
                                     param=name, field=name, mode="setup")
        currency = (params.get("currency") or "").lower() or None
        if currency is not None and currency not in money.SUPPORTED_CURRENCIES:
            raise InvalidRequest(
                v.UNSUPPORTED_CURRENCY, f"Unsupported currency: {currency}.",
                param="currency", currency=currency, supported=money.SUPPORTED_CURRENCIES)
        return [], currency, None

    def _payment_terms(self, params: dict[str, Any]
                       ) -> tuple[list[dict[str, Any]], str, int]:
        """A payment session's (items, currency, total)."""
        if params.get("setup_data"):
            raise InvalidRequest(NOT_IN_MODE, "setup_data can only be used in setup mode.",
                                 param="setup_data", field="setup_data",
                                 mode=params.get("mode", "payment"))
        items = [_line_item(i, item) for i, item in enumerate(params.get("line_items") or [])]
        if not items and "amount" in params:
            items = [{"name": params.get("description") or "Payment", "description": None,
                      "quantity": 1, "unit_amount": params["amount"],
                      "currency": params.get("currency", "usd").lower()}]
        if not items:
            raise InvalidRequest(v.MISSING_PARAMETER, "Missing required param: line_items.",
                                 param="line_items", names=("line_items",))
        currencies = {i["currency"] for i in items}
        if len(currencies) > 1:
            raise InvalidRequest(v.INVALID_VALUE, "All line items must use the same currency.",
                                 param="line_items")
        currency = currencies.pop()
        if params.get("currency") and params["currency"].lower() != currency:
            raise InvalidRequest(v.INVALID_VALUE,
                                 f"currency {params['currency'].lower()} does not match the "
                                 f"line items' currency {currency}.", param="currency")
        total = sum(i["unit_amount"] * i["quantity"] for i in items)
        money.check_amount(total, currency)
        return items, currency, total

    def pay(self, tenant: str, session_id: str, card: dict[str, Any], *, name: str | None,
            email: str | None, return_url: str, origin: Origin = NOWHERE) -> tuple[Doc, Doc]:
        """Pay an open session with a card from the hosted form.

        Returns the session and its payment; the payment may need 3-D Secure
        (`needs_action`). A decline raises `CardDeclined` and leaves the session open
        for another card.
        """
        session = self._open(tenant, session_id)
        cards.refuse_not_emulated(str(card.get("number", "")))  # before any payment exists
        if session["payment"]:
            payment = self.payments.get(tenant, session["payment"])
            if payment["status"] in (v.SUCCEEDED, v.AUTHORIZED, v.PENDING):
                return self.get(tenant, session_id), payment  # a repeated submit charges once
        billing = {"name": name, "email": email or session["customer_email"]}
        data = {"type": "card", "card": card, "billing_details": billing}
        if session["payment"]:  # a second try after a decline reuses the payment
            self._attach(tenant, session, {"id": session["payment"]}, billing)
            payment = self.payments.confirm(tenant, session["payment"], {
                "payment_method_data": data, "return_url": return_url}, origin=origin)
        else:
            payment = self._create_payment(tenant, session, data, return_url, origin)
        return self.get(tenant, session_id), payment

    def save_card(self, tenant: str, session_id: str, card: dict[str, Any], *,
                  name: str | None, email: str | None, return_url: str,
                  origin: Origin = NOWHERE) -> tuple[Doc, Doc]:
        """Save a card from the hosted form of a `setup` session.

        Returns the session and its setup; the setup may need 3-D Secure
        (`needs_action`). A decline raises `CardDeclined` and leaves the session open
        for another card.
        """
        session = self._open(tenant, session_id)
        if session["mode"] != "setup":
            raise InvalidState(v.INVALID_VALUE, "This checkout takes a payment.",
                               id=session_id, status=session["status"])
        cards.refuse_not_emulated(str(card.get("number", "")))  # before any setup exists
        if session["setup"]:
            setup = self.setups.get(tenant, session["setup"])
            if setup["status"] == v.SUCCEEDED:
                return self.get(tenant, session_id), setup  # a repeated submit saves once
        billing = {"name": name, "email": email or session["customer_email"]}
        data = {"type": "card", "card": card, "billing_details": billing}
        with self.objects.store.atomic():
            self._create_customer(tenant, session, billing, origin)
            if not session["setup"]:
                extra = session["setup_data"]
                setup = self.setups.create(tenant, session["gateway"], {
                    "customer": session["customer"], "usage": "off_session",
                    "description": extra["description"], "metadata": extra["metadata"],
                }, origin=origin)
            self._attach(tenant, session, setup, billing, field="setup")
        setup = self.setups.confirm(tenant, setup["id"], {
            "payment_method_data": data, "return_url": return_url}, origin=origin)
        return self.get(tenant, session_id), setup

    def complete(self, tenant: str, session_id: str, *, origin: Origin = NOWHERE) -> Doc:
        """Mark a session whose payment (or setup) went through as complete (idempotent)."""
        with self.objects.store.atomic():
            session = self.get(tenant, session_id)
            if session["status"] == "complete":
                return session
            if session["mode"] == "setup":
                return self._complete_setup(tenant, session, origin)
            payment = self.payments.get(tenant, session["payment"] or "")
            if payment["status"] not in (v.SUCCEEDED, v.AUTHORIZED):
                raise InvalidState(v.CHECKOUT_UNPAID, "This checkout has not been paid.",
                                   id=session_id, status=session["status"])
            session.update(status="complete", payment_status="paid"
                           if payment["status"] == v.SUCCEEDED else "unpaid")
            self.objects.update(tenant, KIND, session)
            self.events.emit(tenant, session["gateway"], v.CHECKOUT_COMPLETED, KIND,
                             session, origin=origin)
        return session

    def expire(self, tenant: str, session_id: str, *, origin: Origin = NOWHERE) -> Doc:
        """Expire an open session now; its unpaid payment is canceled."""
        with self.objects.store.atomic():
            session = self.get(tenant, session_id)
            if session["status"] != "open":
                raise InvalidState(
                    v.CHECKOUT_NOT_OPEN,
                    f"Only open checkouts can be expired; this one is {session['status']}.",
                    id=session_id, status=session["status"])
            if session["payment"]:
                payment = self.payments.get(tenant, session["payment"])
                if payment["status"] in (v.NEEDS_METHOD, v.NEEDS_CONFIRMATION, v.NEEDS_ACTION):
                    self.payments.cancel(tenant, payment["id"], "abandoned", origin=origin)
            if session.get("setup"):
                setup = self.setups.get(tenant, session["setup"])
                if setup["status"] in SETUP_CANCELABLE:
                    self.setups.cancel(tenant, setup["id"], "abandoned", origin=origin)
            session["status"] = "expired"
            self.objects.update(tenant, KIND, session)
            self.events.emit(tenant, session["gateway"], v.CHECKOUT_EXPIRED, KIND,
                             session, origin=origin)
        return session

    def expire_due(self, tenant: str, session_id: str, payload: dict[str, Any]) -> None:
        """Timer handler: expire the session if it is still open at `expires_at`."""
        doc = self.objects.find(tenant, KIND, session_id)
        if doc is not None and doc["status"] == "open":
            self.expire(tenant, session_id)

    # -- internals ------------------------------------------------------------------------
    def _complete_setup(self, tenant: str, session: Doc, origin: Origin) -> Doc:
        setup = self.setups.get(tenant, session["setup"] or "")
        if setup["status"] != v.SUCCEEDED:
            raise InvalidState(v.CHECKOUT_UNPAID, "This checkout has not saved a card.",
                               id=session["id"], status=session["status"])
        session["status"] = "complete"
        self.objects.update(tenant, KIND, session)
        self.events.emit(tenant, session["gateway"], v.CHECKOUT_COMPLETED, KIND, session,
                         origin=origin)
        return session

    def _open(self, tenant: str, session_id: str) -> Doc:
        session = self.get(tenant, session_id)
        if session["status"] == "expired" or session["expires_at"] <= self.clock.now():
            raise InvalidState(v.CHECKOUT_EXPIRED_ERROR, "This checkout has expired.",
                               id=session_id, status=session["status"])
        return session

    def _create_payment(self, tenant: str, session: Doc, data: dict[str, Any],
                        return_url: str, origin: Origin) -> Doc:
        intent = session["payment_data"]
        # filed under the payment's id before it is confirmed, so its events find the session
        with self.objects.store.atomic():
            self._create_customer(tenant, session, data["billing_details"], origin)
            payment = self.payments.create(tenant, session["gateway"], {
                "amount": session["amount_total"], "currency": session["currency"],
                "capture_method": intent["capture_method"],
                "description": intent["description"], "metadata": intent["metadata"],
                "receipt_email": data["billing_details"]["email"],
                **({"customer": session["customer"]} if session.get("customer") else {}),
            }, origin=origin)
            self._attach(tenant, session, payment, data["billing_details"])
        return self.payments.confirm(tenant, payment["id"], {
            "payment_method_data": data, "return_url": return_url}, origin=origin)

    def _create_customer(self, tenant: str, session: Doc, billing: dict[str, Any],
                         origin: Origin) -> None:
        """With `customer_creation=always` and no customer yet, the shopper becomes one
        (from the form's email and name) before the first attempt."""
        if session.get("customer_creation") != "always" or session.get("customer"):
            return
        made = self.setups.customers.create(tenant, session["gateway"], {
            "email": billing.get("email"), "name": billing.get("name")}, origin=origin)
        session["customer"] = made["id"]
        self.objects.update(tenant, KIND, session)

    def _attach(self, tenant: str, session: Doc, payment: Doc, billing: dict[str, Any], *,
                field: str = "payment") -> None:
        """File the session under its payment's (or setup's, `field="setup"`) id."""
        session[field] = payment["id"]
        session["customer_details"] = {"email": billing.get("email"), "name": billing.get("name")}
        self.objects.update(tenant, KIND, session)
        self.objects.retag(tenant, KIND, session["id"], payment["id"])


def _line_item(index: int, item: dict[str, Any]) -> dict[str, Any]:
    """A session's line item: from a catalog price (resolved and checked beforehand by
    `Catalog.resolve_line_items`, which puts the price itself in `price`), or inline from
    `price_data`."""
    if isinstance(item.get("price"), dict):
        known = item["price"]
        return {"name": known["product_name"], "description": known["product_description"],
                "quantity": item["quantity"], "unit_amount": known["unit_amount"],
                "currency": known["currency"], "price": known}
    if item.get("price"):
        raise InvalidRequest(v.INVALID_VALUE,
                             f"line_items[{index}][price] must be resolved through the catalog.",
                             param=("line_items", index, "price"))
    price = item.get("price_data")
    if not price:
        raise InvalidRequest(v.MISSING_PARAMETER,
                             f"Missing required param: line_items[{index}][price_data].",
                             param=("line_items", index, "price_data"), names=("price_data",))
    product = price.get("product_data") or {}
    return {
        "name": product.get("name", "Item"),
        "description": product.get("description"),
        "quantity": item.get("quantity", 1),
        "unit_amount": price["unit_amount"],
        "currency": price["currency"].lower(),
    }
