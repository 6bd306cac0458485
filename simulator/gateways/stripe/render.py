"""Core documents rendered as Stripe API objects (and expanded on request)."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

from paylab.simulator.core import vocabulary as v
from paylab.simulator.core.balance import entry_id
from paylab.simulator.core.objects import Doc, Objects
from paylab.simulator.gateways.stripe import vocabulary as words
from paylab.simulator.gateways.stripe.shapes import balance, catalog, customers, setup

#: The API version stamped on events when an endpoint did not pin one.
DEFAULT_API_VERSION = "2026-10-28.endive"

#: Stripe object -> {field: the core kind it refers to}.
_EXPANDABLE = {
    "payment_intent": {"customer": v.CUSTOMER, "latest_charge": "charge",
                       "payment_method": "payment_method"},
    "charge": {"balance_transaction": v.BALANCE_ENTRY, "customer": v.CUSTOMER,
               "payment_intent": v.PAYMENT, "payment_method": "payment_method"},
    "refund": {"balance_transaction": v.BALANCE_ENTRY, "charge": "charge",
               "payment_intent": v.PAYMENT},
    "checkout_session": {"customer": v.CUSTOMER, "payment_intent": v.PAYMENT,
                         "line_items": "line_items", "setup_intent": v.SETUP},
    "payment_method": {"customer": v.CUSTOMER},
    "setup_intent": {"customer": v.CUSTOMER, "payment_method": "payment_method"},
    "price": {"product": v.PRODUCT},
    # a balance transaction's source is a charge or a refund: the expander tells by prefix
    "balance_transaction": {"source": "source"},
    "customer": {},
    "product": {"default_price": v.PRICE},
    "balance": {},
}
#: A balance transaction's source by its id's prefix -> the core kind.
_SOURCE_KIND = {"ch": "charge", "re": "refund"}


def targets(kind: str, field: str) -> tuple[str, ...]:
    """The Stripe objects a field of `kind` expands into (none: not expandable); `kind`
    "list:<object>" is a list of them, whose field `data` leads to its items."""
    if kind.startswith("list:"):
        return (kind.removeprefix("list:"),) if field == "data" else ()
    target = _EXPANDABLE.get(kind, {}).get(field)
    if target is None:
        return ()
    if target == "source":
        return tuple(words.OBJECT.get(k, k) for k in _SOURCE_KIND.values())
    if target == "line_items":
        return ("list:item",)
    return (words.OBJECT.get(target, target),)


def _by_head(paths: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """Expand paths grouped by their first field: {field: [the rest of each path]}."""
    out: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        out.setdefault(head, [])
        if rest:
            out[head].append(rest)
    return out


class Renderer:
    """Renders documents; `public_url` is where browsers reach the simulator."""

    def __init__(self, objects: Objects, public_url: str) -> None:
        self.objects = objects
        self.public_url = public_url.rstrip("/")

    def render(self, kind: str, doc: Doc, tenant: str | None = None,
               expand: list[str] | tuple[str, ...] = (), *,
               fresh: Callable[[str, Doc], Doc] | None = None) -> dict[str, Any]:
        """Any supported document kind (a Stripe object name or a core kind), with `expand`
        paths (nested: `latest_charge.balance_transaction`) resolved for `tenant`;
        `fresh(kind, doc)` brings a found document up to date (a balance entry's status by
        the clock). A reference to nothing stays the id."""
        kind = words.OBJECT.get(kind, kind)
        out = getattr(self, kind)(doc)
        if tenant is None:
            return out
        for head, rests in _by_head(expand).items():
            target = _EXPANDABLE.get(kind, {}).get(head)
            if target is None:
                continue  # validated by `check_expand` before we get here
            if target == "line_items":
                out["line_items"] = self.listing(
                    self.line_items(doc), False, f"/v1/checkout/sessions/{doc['id']}/line_items")
                continue
            ref = out.get(head)
            if not isinstance(ref, str):
                continue
            child_kind = _SOURCE_KIND.get(ref.partition("_")[0]) if target == "source" else target
            child = self.objects.find(tenant, child_kind, ref) if child_kind else None
            if child is not None:
                child = fresh(child_kind, child) if fresh else child
                out[head] = self.render(child_kind, child, tenant, rests, fresh=fresh)
        return out

    # -- objects --------------------------------------------------------------------------
    def payment_intent(self, d: Doc) -> dict[str, Any]:
        """A PaymentIntent."""
        return {
            "id": d["id"], "object": "payment_intent", "amount": d["amount"],
            "amount_capturable": d["amount_capturable"], "amount_details": {"tip": {}},
            "amount_received": d["amount_received"], "application": None,
            "application_fee_amount": None,
            "automatic_payment_methods": d.get("automatic_payment_methods"),
            "canceled_at": d["canceled_at"], "cancellation_reason": d["cancellation_reason"],
            "capture_method": d["capture_method"], "client_secret": d["client_secret"],
            "confirmation_method": d["confirmation_method"], "created": d["created"],
            "currency": d["currency"], "customer": d.get("customer"),
            "description": d["description"],
            "last_payment_error": self._payment_error(d["last_payment_error"]),
            "latest_charge": d["latest_charge"], "livemode": False, "metadata": d["metadata"],
            "next_action": self._next_action(d), "on_behalf_of": None,
            "payment_method": d["payment_method"],
            "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
            "payment_method_types": d["payment_method_types"], "processing": None,
            "receipt_email": d["receipt_email"], "review": d.get("review"),
            "setup_future_usage": d.get("setup_future_usage"),
            "shipping": customers.shipping(d.get("shipping")), "source": None,
            "statement_descriptor": d["statement_descriptor"],
            "statement_descriptor_suffix": d.get("statement_descriptor_suffix"),
            "status": words.status(d["status"]),
            "transfer_data": None,
            "transfer_group": None,
        }

    def charge(self, d: Doc) -> dict[str, Any]:
        """A Charge."""
        return {
            "id": d["id"], "object": "charge", "amount": d["amount"],
            "amount_captured": d["amount_captured"], "amount_refunded": d["amount_refunded"],
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": entry_id(d["id"]) if d["captured"] else None,
            "billing_details": _billing(d.get("billing_details")),
            "calculated_statement_descriptor": "PAYLAB", "captured": d["captured"],
            "created": d["created"], "currency": d["currency"], "customer": d.get("customer"),
            "description": d["description"], "disputed": False,
            "failure_balance_transaction": None,
            "failure_code": words.code(d["failure_code"]) if d["failure_code"] else None,
            "failure_message": d["failure_message"], "fraud_details": {}, "livemode": False,
            "metadata": d["metadata"], "outcome": _outcome(d["outcome"]), "paid": d["paid"],
            "payment_intent": d["payment"], "payment_method": d["payment_method"],
            "payment_method_details": {
                "type": "card", "card": _card(d["card"], d.get("three_d_secure")),
            },
            "receipt_email": d["receipt_email"], "receipt_url": None,
            "refunded": d["refunded"], "review": None, "shipping": None, "status": d["status"],
        }

    def refund(self, d: Doc) -> dict[str, Any]:
        """A Refund."""
        return {
            "id": d["id"], "object": "refund", "amount": d["amount"],
            "balance_transaction": entry_id(d["id"]), "charge": d["charge"],
            "created": d["created"], "currency": d["currency"], "metadata": d["metadata"],
            "payment_intent": d["payment"], "reason": d["reason"],
            "receipt_number": None, "source_transfer_reversal": None, "status": d["status"],
            "transfer_reversal": None,
        }

    def payment_method(self, d: Doc) -> dict[str, Any]:
        """A PaymentMethod (never the test behaviour behind it)."""
        return {
            "id": d["id"], "object": "payment_method",
            "allow_redisplay": d.get("redisplay", "unspecified"),
            "billing_details": _billing(d.get("billing_details")),
            "card": _card(d["card"], None), "created": d["created"],
            "customer": d.get("customer"),
            "livemode": False, "metadata": d["metadata"], "type": "card",
        }

    def checkout_session(self, d: Doc) -> dict[str, Any]:
        """A Checkout Session; `url` is the hosted page while the session is open."""
        return {
            "id": d["id"], "object": "checkout.session",
            "amount_subtotal": d["amount_subtotal"], "amount_total": d["amount_total"],
            "cancel_url": d["cancel_url"], "client_reference_id": d["client_reference_id"],
            "created": d["created"], "currency": d["currency"], "customer": d.get("customer"),
            "customer_creation": d.get("customer_creation"),
            "customer_details": d["customer_details"], "customer_email": d["customer_email"],
            "expires_at": d["expires_at"], "livemode": False, "metadata": d["metadata"],
            "mode": d["mode"], "payment_intent": d["payment"],
            "payment_method_types": ["card"], "payment_status": d["payment_status"],
            "setup_intent": d.get("setup"), "status": d["status"],
            "success_url": d["success_url"],
            "url": self.checkout_url(d) if d["status"] == "open" else None,
        }

    def checkout_url(self, d: Doc, page: str = "") -> str:
        """Where the hosted payment page of a session lives (`page`: a sub-page such as
        `/return`); the session's page token makes the URL a bearer capability."""
        return f"{self.public_url}{hosted_path(d, page)}"

    @staticmethod
    def line_items(d: Doc) -> list[dict[str, Any]]:
        """A session's line items as Stripe lists them: `price` is the Price the item was
        sold at (an inline one, with its `product_data`, for a `price_data` item)."""
        return [{
            "id": f"li_{d['id'][8:30]}{i}", "object": "item", "amount_discount": 0,
            "amount_subtotal": item["unit_amount"] * item["quantity"], "amount_tax": 0,
            "amount_total": item["unit_amount"] * item["quantity"], "currency": item["currency"],
            "description": item["name"], "quantity": item["quantity"],
            "price": catalog.line_item_price(item, d["id"], i, d["created"]),
        } for i, item in enumerate(d["line_items"])]

    def customer(self, d: Doc) -> dict[str, Any]:
        """A Customer."""
        return customers.customer(self, d)

    def setup_intent(self, d: Doc) -> dict[str, Any]:
        """A SetupIntent."""
        return setup.setup_intent(self, d)

    def product(self, d: Doc) -> dict[str, Any]:
        """A Product."""
        return catalog.product(self, d)

    def price(self, d: Doc) -> dict[str, Any]:
        """A Price."""
        return catalog.price(self, d)

    def balance_transaction(self, d: Doc) -> dict[str, Any]:
        """A BalanceTransaction."""
        return balance.balance_transaction(self, d)

    def review(self, d: Doc) -> dict[str, Any]:
        """A Radar Review."""
        return {
            "id": d["id"], "object": "review", "billing_zip": None, "charge": d["charge"],
            "closed_reason": d["closed_reason"], "created": d["created"], "ip_address": None,
            "livemode": False, "open": d["open"], "opened_reason": d["opened_reason"],
            "payment_intent": d["payment"], "reason": d["reason"],
        }

    def webhook_endpoint(self, d: Doc, *, with_secret: bool = False) -> dict[str, Any]:
        """A WebhookEndpoint; the secret only on creation, as Stripe does."""
        out = {
            "id": d["id"], "object": "webhook_endpoint", "api_version": d["api_version"],
            "application": None, "created": d["created"], "description": d["description"],
            "enabled_events": words.enabled_events(d["enabled_events"]), "livemode": False,
            "metadata": d["metadata"], "status": d["status"], "url": d["url"],
        }
        if with_secret:
            out["secret"] = d["secret"]
        return out

    def event(self, d: Doc, api_version: str | None = None) -> dict[str, Any]:
        """An Event; `data.object` is the snapshot taken when it happened."""
        data: dict[str, Any] = {"object": self.render(d["object_kind"], d["object"])}
        if d.get("previous_attributes"):
            data["previous_attributes"] = _previous(d["object_kind"], d["previous_attributes"])
        return {
            "id": d["id"], "object": "event", "api_version": api_version or DEFAULT_API_VERSION,
            "created": d["created"], "data": data, "livemode": False, "pending_webhooks": 0,
            "request": d["request"], "type": words.event_type(d["type"]),
        }

    @staticmethod
    def listing(items: list[dict[str, Any]], has_more: bool, url: str) -> dict[str, Any]:
        """Stripe's list envelope."""
        return {"object": "list", "data": items, "has_more": has_more, "url": url}

    # -- parts ----------------------------------------------------------------------------
    def _next_action(self, d: Doc, intent: str = "payment_intent") -> dict[str, Any] | None:
        """The 3-D Secure redirect of a PaymentIntent (or, `intent="setup_intent"`, of a
        SetupIntent) waiting for its challenge."""
        auth = d.get("authentication") or {}
        if d["status"] != v.NEEDS_ACTION or auth.get("status") != "pending":
            return None
        query = urllib.parse.urlencode({intent: d["id"], "client_secret": d["client_secret"]})
        return {
            "type": "redirect_to_url",
            "redirect_to_url": {
                "url": f"{self.public_url}/stripe/3ds/authenticate?{query}",
                "return_url": d.get("return_url"),
            },
        }

    def _payment_error(self, e: Doc | None) -> dict[str, Any] | None:
        if e is None:
            return None
        out: dict[str, Any] = {
            "type": "card_error" if e["category"] == v.DECLINED else "invalid_request_error",
            "code": words.code(e["code"]),
            "message": words.AUTHENTICATION_FAILED if e["code"] == v.AUTHENTICATION_FAILED
            else e["message"],
            "doc_url": doc_url(words.code(e["code"])),
        }
        if e.get("decline_code"):
            out["decline_code"] = e["decline_code"]
        if e.get("charge"):
            out["charge"] = e["charge"]
        if e.get("payment_method"):
            out["payment_method"] = self.payment_method(e["payment_method"])
        return out


def hosted_path(d: Doc, page: str = "") -> str:
    """The path and query of a session's hosted page (or of its sub-page `page`)."""
    return f"/stripe/checkout/{d['id']}{page}?token={d.get('page_token', '')}"


def doc_url(code: str) -> str:
    """Stripe's documentation link for an error code."""
    return f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"


def _outcome(o: Doc) -> dict[str, Any]:
    """A charge's outcome with Stripe's seller message, in Stripe's key order."""
    return {"type": o["type"], "network_status": o["network_status"], "reason": o["reason"],
            "risk_level": o["risk_level"], "risk_score": o["risk_score"],
            "seller_message": words.seller_message(o["type"]), "rule": o["rule"]}


def _previous(kind: str, previous: Doc) -> Doc:
    """What changed, in Stripe's words (a payment's earlier status is a PaymentIntent's)."""
    if kind == v.PAYMENT and "status" in previous:
        return {**previous, "status": words.status(previous["status"])}
    if kind == v.CUSTOMER and "default_method" in previous:
        changed = {k: value for k, value in previous.items() if k != "default_method"}
        changed["invoice_settings"] = {"default_payment_method": previous["default_method"]}
        return changed
    return previous


def _card(card: Doc, three_d_secure: Doc | None) -> dict[str, Any]:
    """A card's details; a published test card shows its own verification checks, 3-D
    Secure support and co-brand (core/testcards.yaml), other cards the usual ones."""
    return {
        "brand": card["brand"], "display_brand": card.get("display_brand", card["brand"]),
        "checks": dict(card.get("checks") or {"address_line1_check": None,
                                              "address_postal_code_check": None,
                                              "cvc_check": "pass"}),
        "country": card["country"], "exp_month": card["exp_month"],
        "exp_year": card["exp_year"], "fingerprint": card["fingerprint"],
        "funding": card["funding"], "last4": card["last4"], "network": card["brand"],
        "networks": {"available": list(card.get("networks", [card["brand"]])),
                     "preferred": None},
        "three_d_secure": three_d_secure,
        "three_d_secure_usage": {"supported": card.get("three_d_secure_supported", True)},
        "wallet": _wallet(card.get("wallet")),
    }


def _wallet(wallet: Doc | None) -> dict[str, Any] | None:
    """`card.wallet` as Stripe shapes it: the type, a sub-hash named after it (empty for
    Apple Pay and Google Pay) and the device account's last four; None for a plain card."""
    if not wallet:
        return None
    out: dict[str, Any] = {wallet["type"]: {}, "dynamic_last4": wallet["dynamic_last4"],
                           "type": wallet["type"]}
    return dict(sorted(out.items()))  # Stripe lists the wallet's keys alphabetically


def _billing(b: Doc | None) -> dict[str, Any]:
    b = b or {}
    return {"address": b.get("address"), "email": b.get("email"), "name": b.get("name"),
            "phone": b.get("phone")}
