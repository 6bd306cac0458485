"""Orders v2 on the core: create an order from its purchase unit, then (once the buyer
approved it) authorize or capture it; Payments v2: capture or void an authorization and
refund a capture.

The core order is created with `methods=["wallet"]` and `confirm=True`: the buyer's
approval makes it `approved`, and the merchant's authorize or capture call is the
confirmation (`capture=False` for intent AUTHORIZE). Every step writes the core change,
PayPal's ids and the event in one transaction; a decline is recorded, then refused.
"""

from __future__ import annotations

import decimal
from typing import Any

from paylab.simulator.core.domain import Domain
from paylab.simulator.core.errors import CardDeclined, CoreError
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.origin import Origin
from paylab.simulator.gateways.paypal import state, wire
from paylab.simulator.gateways.paypal.wire import PaypalError

#: Which breakdown parts add to the amount and which subtract from it.
ADDED = ("item_total", "tax_total", "shipping", "handling", "insurance")
SUBTRACTED = ("shipping_discount", "discount")
DESCRIPTION_LIMIT = 127


def _money(node: dict[str, Any], currency: str, field: str) -> int:
    if node["currency_code"] != currency:
        raise PaypalError("CURRENCY_MISMATCH", field=field + "/currency_code",
                          value=node["currency_code"])
    return wire.to_minor(node["value"], currency, field + "/value")


def unit_amount(unit: dict[str, Any]) -> tuple[int, str]:
    """The purchase unit's amount in minor units and its currency, after PayPal's checks:
    a supported currency, the right precision, a breakdown that adds up and items that add
    up to item_total."""
    amount, base = unit["amount"], "/purchase_units/0/amount"
    currency = amount["currency_code"]
    total = wire.to_minor(amount["value"], currency, base + "/value")
    breakdown = amount.get("breakdown") or {}
    parts = {name: _money(breakdown[name], currency, f"{base}/breakdown/{name}")
             for name in (*ADDED, *SUBTRACTED) if name in breakdown}
    if parts and sum(parts.get(n, 0) for n in ADDED) - sum(
            parts.get(n, 0) for n in SUBTRACTED) != total:
        raise PaypalError("AMOUNT_MISMATCH", field=base + "/value", value=amount["value"])
    items = unit.get("items") or []
    if items:
        if "item_total" not in parts:
            raise PaypalError("MISSING_REQUIRED_PARAMETER", field=base + "/breakdown/item_total")
        added = 0
        for i, item in enumerate(items):
            price = _money(item["unit_amount"], currency,
                           f"/purchase_units/0/items/{i}/unit_amount")
            try:
                quantity = int(decimal.Decimal(item["quantity"]))
            except decimal.InvalidOperation as exc:
                raise PaypalError("INVALID_PARAMETER_SYNTAX", value=item["quantity"],
                                  field=f"/purchase_units/0/items/{i}/quantity") from exc
            added += price * quantity
        if added != parts["item_total"]:
            raise PaypalError("ITEM_TOTAL_MISMATCH", field=base + "/breakdown/item_total",
                              value=breakdown["item_total"]["value"])
    return total, currency


def experience(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The return/cancel URLs and page settings, and whether the order was created with a
    PayPal payment source (then PayPal answers PAYER_ACTION_REQUIRED and a `payer-action`
    link rather than CREATED and `approve`)."""
    paypal = (body.get("payment_source") or {}).get("paypal")
    context = dict(body.get("application_context") or {})
    if isinstance(paypal, dict):
        context.update(paypal.get("experience_context") or {})
    keep = ("return_url", "cancel_url", "brand_name", "user_action", "locale",
            "shipping_preference", "landing_page")
    return {k: context[k] for k in keep if k in context}, isinstance(paypal, dict)


def create(domain: Domain, tenant: str, body: dict[str, Any], origin: Origin) -> Doc:
    """POST /v2/checkout/orders: the core order and PayPal's document beside it."""
    unit = body["purchase_units"][0]
    amount, currency = unit_amount(unit)
    context, payer_action = experience(body)
    order_id = state.new_id(domain)
    now = domain.clock.now()
    invoice = unit.get("invoice_id")
    with domain.store.atomic():
        if invoice is not None and domain.objects.tagged(tenant, state.ORDER_KIND,
                                                         "invoice:" + invoice) is not None:
            raise PaypalError("DUPLICATE_INVOICE_ID", field="/purchase_units/0/invoice_id",
                              value=invoice)
        core = domain.orders.create(
            tenant, wire.GATEWAY, merchant_order_no=order_id, amount=amount,
            currency=currency.lower(), methods=["wallet"],
            description=(unit.get("description") or _items_text(unit))[:DESCRIPTION_LIMIT],
            callbacks={k: context[k] for k in ("return_url", "cancel_url") if k in context},
            extra={"intent": body["intent"], "invoice_id": invoice,
                   "custom_id": unit.get("custom_id")},
            expires_at=now + state.APPROVAL_WINDOW, capture=body["intent"] == "CAPTURE",
            confirm=True, decimals=wire.CURRENCIES[currency], origin=origin)
        doc = {"id": order_id, "object": state.ORDER_KIND, "order": core["id"],
               "intent": body["intent"], "unit": {"reference_id": "default", **unit},
               "experience": context, "payer_action": payer_action, "payer": None,
               "payee": wire.payer_id("merchant:" + tenant),
               "authorization": None, "captures": [], "refunds": [],
               "created": int(now), "update_time": int(now)}
        domain.objects.insert(tenant, state.ORDER_KIND, doc,
                              tag="invoice:" + invoice if invoice is not None else None)
    return doc


def _items_text(unit: dict[str, Any]) -> str:
    return ", ".join(str(item.get("name", "")) for item in unit.get("items") or [])


def record_payer(domain: Domain, tenant: str, doc: Doc, account: dict[str, Any]) -> None:
    """Keep who approved (the page's login), for `payer` and `payment_source`."""
    doc["payer"] = {k: account[k] for k in ("id", "email", "country", "given_name", "surname")
                    if k in account}
    state.save(domain, tenant, doc)


def _check_approved(doc: Doc, core: Doc, intent: str) -> None:
    """PayPal's refusals before an order-level authorize or capture."""
    if doc["intent"] != intent:
        raise PaypalError("ACTION_DOES_NOT_MATCH_INTENT", field="intent", value=doc["intent"])
    if doc["captures"] and intent == "CAPTURE":
        raise PaypalError("ORDER_ALREADY_CAPTURED")
    if doc["authorization"] is not None:
        raise PaypalError("ORDER_ALREADY_AUTHORIZED")
    if core["status"] == "expired":
        raise PaypalError("ORDER_EXPIRED")
    if core["status"] != "approved":
        raise PaypalError("ORDER_NOT_APPROVED")


def complete(domain: Domain, tenant: str, doc: Doc, intent: str, origin: Origin) -> Doc:
    """POST /v2/checkout/orders/{id}/capture or /authorize: confirm the approved order for
    its own amount; a decline (scenario override) records a DECLINED capture and answers
    INSTRUMENT_DECLINED."""
    refused: CoreError | None = None
    with domain.store.atomic():
        core = state.core_order(domain, tenant, doc)
        _check_approved(doc, core, intent)
        try:
            core = domain.orders.confirm(tenant, core["id"], amount=core["amount"],
                                         currency=core["currency"], origin=origin)
        except (CardDeclined, CoreError) as exc:  # committed by the core: keep it, refuse
            refused = exc
        ref_id, now = state.new_id(domain), int(domain.clock.now())
        if refused is None and intent == "AUTHORIZE":
            doc["authorization"] = {"id": ref_id, "amount": core["amount"], "created": now,
                                    "expires": now + state.AUTHORIZATION_DAYS * 86400}
            state.file_ref(domain, tenant, ref_id, "authorization", doc["id"])
        elif refused is None or isinstance(refused, CardDeclined):
            doc["captures"].append({"id": ref_id, "amount": core["amount"], "created": now,
                                    "declined": refused is not None, "final": True})
            state.file_ref(domain, tenant, ref_id, "capture", doc["id"])
        state.save(domain, tenant, doc)
    if isinstance(refused, CardDeclined):
        raise PaypalError("INSTRUMENT_DECLINED")
    if refused is not None:
        raise refused
    return doc


def capture_authorization(domain: Domain, tenant: str, doc: Doc, body: dict[str, Any],
                          origin: Origin) -> dict[str, Any]:
    """POST /v2/payments/authorizations/{id}/capture: all of it, or `amount` of it."""
    core = state.core_order(domain, tenant, doc)
    authorization = doc["authorization"]
    if doc["captures"]:
        raise PaypalError("AUTHORIZATION_ALREADY_CAPTURED")
    if core["status"] == "canceled":
        raise PaypalError("AUTHORIZATION_VOIDED")
    if domain.clock.now() >= authorization["expires"]:
        raise PaypalError("AUTHORIZATION_EXPIRED")
    amount = authorization["amount"]
    if body.get("amount") is not None:
        amount = _money(body["amount"], core["currency"].upper(), "/amount")
        if amount > authorization["amount"]:
            raise PaypalError("MAX_CAPTURE_AMOUNT_EXCEEDED", field="/amount/value",
                              value=body["amount"]["value"])
    with domain.store.atomic():
        domain.orders.capture(tenant, core["id"], amount, origin=origin)
        capture = {"id": state.new_id(domain), "amount": amount,
                   "created": int(domain.clock.now()), "declined": False,
                   "final": bool(body.get("final_capture", True)),
                   "invoice_id": body.get("invoice_id"), "note": body.get("note_to_payer")}
        doc["captures"].append(capture)
        state.file_ref(domain, tenant, capture["id"], "capture", doc["id"])
        state.save(domain, tenant, doc)
    return capture


def void_authorization(domain: Domain, tenant: str, doc: Doc, origin: Origin) -> None:
    """POST /v2/payments/authorizations/{id}/void."""
    core = state.core_order(domain, tenant, doc)
    if doc["captures"]:
        raise PaypalError("AUTHORIZATION_ALREADY_CAPTURED")
    if core["status"] == "canceled":
        raise PaypalError("PREVIOUSLY_VOIDED")
    with domain.store.atomic():
        domain.orders.void(tenant, core["id"], origin=origin)
        state.save(domain, tenant, doc)


def refund(domain: Domain, tenant: str, doc: Doc, capture: dict[str, Any],
           body: dict[str, Any], origin: Origin) -> dict[str, Any]:
    """POST /v2/payments/captures/{id}/refund: all that is left, or `amount` of it."""
    core = state.core_order(domain, tenant, doc)
    if capture["declined"]:
        raise PaypalError("CAPTURE_NOT_COMPLETED")
    left = capture["amount"] - core["refunded_amount"]
    if left <= 0:
        raise PaypalError("CAPTURE_FULLY_REFUNDED")
    amount = left
    if body.get("amount") is not None:
        amount = _money(body["amount"], core["currency"].upper(), "/amount")
        if amount > left:
            raise PaypalError("REFUND_AMOUNT_EXCEEDED", field="/amount/value",
                              value=body["amount"]["value"])
    with domain.store.atomic():
        refund_id = state.new_id(domain)
        domain.orders.refund(tenant, core["id"], amount, reference=refund_id, origin=origin)
        made = {"id": refund_id, "capture": capture["id"], "amount": amount,
                "created": int(domain.clock.now()), "invoice_id": body.get("invoice_id"),
                "note": body.get("note_to_payer"), "custom_id": body.get("custom_id")}
        doc["refunds"].append(made)
        state.file_ref(domain, tenant, refund_id, "refund", doc["id"])
        state.save(domain, tenant, doc)
    return made
