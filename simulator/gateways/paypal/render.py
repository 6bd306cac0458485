"""PayPal's JSON for orders, authorizations, captures and refunds, with their HATEOAS
links (absolute, pointing at this simulator).

Statuses come from the core order (the ground truth) and PayPal's document beside it:
an order is CREATED (or PAYER_ACTION_REQUIRED when created with a PayPal payment source)
until approved, APPROVED until authorized or captured, then COMPLETED; an order the
buyer cancelled, that expired or whose payment was declined reads VOIDED (PayPal would
keep it open for another try; the simulator ends it, see the README).
"""

from __future__ import annotations

from typing import Any

from paylab.simulator.core.objects import Doc
from paylab.simulator.gateways.paypal import wire

#: Seller protection as PayPal shows it for a PayPal-funded payment.
PROTECTION = {"status": "ELIGIBLE",
              "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]}


class Renderer:
    """Renders PayPal resources; `base` is the API's absolute root (`.../paypal`)."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")

    # -- links ----------------------------------------------------------------------------
    def link(self, path: str, rel: str, method: str = "GET") -> dict[str, str]:
        """One HATEOAS link."""
        return {"href": f"{self.base}{path}", "rel": rel, "method": method}

    def approve_url(self, doc: Doc, core: Doc) -> str:
        """The buyer's approval page: the order id as `token` (as PayPal's checkoutnow
        link) and the order's page token, without which the page opens nothing."""
        return f"{self.base}/checkoutnow?token={doc['id']}&session={core['page_token']}"

    # -- statuses -------------------------------------------------------------------------
    @staticmethod
    def order_status(doc: Doc, core: Doc) -> str:
        """PayPal's order status."""
        if doc["authorization"] is not None or any(not c["declined"] for c in doc["captures"]):
            return "COMPLETED"
        if core["status"] == "approved":
            return "APPROVED"
        if core["status"] == "created":
            return "PAYER_ACTION_REQUIRED" if doc["payer_action"] else "CREATED"
        return "VOIDED"

    @staticmethod
    def authorization_status(doc: Doc, core: Doc) -> str:
        """CREATED, CAPTURED, PARTIALLY_CAPTURED or VOIDED."""
        captured = [c for c in doc["captures"] if not c["declined"]]
        if captured:
            whole = captured[0]["amount"] >= doc["authorization"]["amount"]
            return "CAPTURED" if whole or captured[0]["final"] else "PARTIALLY_CAPTURED"
        return "VOIDED" if core["status"] == "canceled" else "CREATED"

    @staticmethod
    def capture_status(capture: dict[str, Any], core: Doc) -> str:
        """COMPLETED, PARTIALLY_REFUNDED, REFUNDED or DECLINED."""
        if capture["declined"]:
            return "DECLINED"
        refunded = core["refunded_amount"]
        if refunded and refunded >= capture["amount"]:
            return "REFUNDED"
        return "PARTIALLY_REFUNDED" if refunded else "COMPLETED"

    # -- resources ------------------------------------------------------------------------
    def order(self, doc: Doc, core: Doc, *, minimal: bool = False) -> dict[str, Any]:
        """An order (`minimal`: id, status and links only, for `Prefer: return=minimal`)."""
        status = self.order_status(doc, core)
        self_path = f"/v2/checkout/orders/{doc['id']}"
        links = [self.link(self_path, "self")]
        if status in ("CREATED", "PAYER_ACTION_REQUIRED"):
            rel = "payer-action" if doc["payer_action"] else "approve"
            links.append({"href": self.approve_url(doc, core), "rel": rel, "method": "GET"})
        if status in ("CREATED", "PAYER_ACTION_REQUIRED", "APPROVED"):
            links.append(self.link(self_path, "update", "PATCH"))
            verb = "capture" if doc["intent"] == "CAPTURE" else "authorize"
            links.append(self.link(f"{self_path}/{verb}", verb, "POST"))
        if minimal:
            return {"id": doc["id"], "status": status, "links": links}
        out: dict[str, Any] = {"id": doc["id"], "intent": doc["intent"], "status": status}
        payer = payer_of(doc, core)
        if payer:
            out["payment_source"] = {"paypal": self.paypal_source(payer)}
        out["purchase_units"] = [self.purchase_unit(doc, core)]
        if payer:
            out["payer"] = self.payer(payer)
        out["create_time"] = wire.timestamp(doc["created"])
        if doc["update_time"] != doc["created"]:
            out["update_time"] = wire.timestamp(doc["update_time"])
        out["links"] = links
        return out

    def purchase_unit(self, doc: Doc, core: Doc) -> dict[str, Any]:
        """The purchase unit as sent, with the payee and the payments made against it."""
        unit = {k: v for k, v in doc["unit"].items() if k != "payments"}
        unit.setdefault("payee", {"email_address": "merchant@paylab.example.com",
                                  "merchant_id": doc["payee"]})
        payments: dict[str, Any] = {}
        if doc["authorization"] is not None:
            payments["authorizations"] = [self.authorization(doc, core)]
        if doc["captures"]:
            payments["captures"] = [self.capture(doc, c, core) for c in doc["captures"]]
        if doc["refunds"]:
            payments["refunds"] = [self.refund(doc, r, core) for r in doc["refunds"]]
        if payments:
            unit["payments"] = payments
        return unit

    @staticmethod
    def paypal_source(payer: dict[str, Any]) -> dict[str, Any]:
        """`payment_source.paypal` after approval."""
        return {"email_address": payer.get("email", ""), "account_id": payer["id"],
                "account_status": "VERIFIED",
                "name": {"given_name": payer.get("given_name", "Sandbox"),
                         "surname": payer.get("surname", "Buyer")},
                "address": {"country_code": payer.get("country", "US")}}

    @staticmethod
    def payer(payer: dict[str, Any]) -> dict[str, Any]:
        """The order's `payer`."""
        return {"name": {"given_name": payer.get("given_name", "Sandbox"),
                         "surname": payer.get("surname", "Buyer")},
                "email_address": payer.get("email", ""), "payer_id": payer["id"],
                "address": {"country_code": payer.get("country", "US")}}

    def authorization(self, doc: Doc, core: Doc) -> dict[str, Any]:
        """Payments v2 authorization."""
        auth = doc["authorization"]
        path = f"/v2/payments/authorizations/{auth['id']}"
        return {"id": auth["id"], "status": self.authorization_status(doc, core),
               "amount": wire.money(auth["amount"], core["currency"]),
               **_ids(doc), "seller_protection": PROTECTION,
               "expiration_time": wire.timestamp(auth["expires"]),
               "links": [self.link(path, "self"), self.link(path + "/capture", "capture", "POST"),
                         self.link(path + "/void", "void", "POST"),
                         self.link(path + "/reauthorize", "reauthorize", "POST"),
                         self.link(f"/v2/checkout/orders/{doc['id']}", "up")],
               "create_time": wire.timestamp(auth["created"]),
               "update_time": wire.timestamp(doc["update_time"]),
               "supplementary_data": {"related_ids": {"order_id": doc["id"]}}}

    def capture(self, doc: Doc, capture: dict[str, Any], core: Doc) -> dict[str, Any]:
        """Payments v2 capture."""
        path = f"/v2/payments/captures/{capture['id']}"
        gross = wire.money(capture["amount"], core["currency"])
        status = self.capture_status(capture, core)
        related = {"order_id": doc["id"]}
        up = f"/v2/checkout/orders/{doc['id']}"
        if doc["authorization"] is not None:
            related["authorization_id"] = doc["authorization"]["id"]
            up = f"/v2/payments/authorizations/{doc['authorization']['id']}"
        out: dict[str, Any] = {"id": capture["id"], "status": status}
        if status == "DECLINED":
            out["status_details"] = {"reason": "DECLINED"}
        out.update({"amount": gross, "final_capture": capture["final"], **_ids(doc),
                    "seller_protection": PROTECTION,
                    "seller_receivable_breakdown": {
                        "gross_amount": gross,
                        "paypal_fee": wire.money(0, core["currency"]),
                        "net_amount": gross},
                    "links": [self.link(path, "self"),
                              self.link(path + "/refund", "refund", "POST"),
                              self.link(up, "up")],
                    "create_time": wire.timestamp(capture["created"]),
                    "update_time": wire.timestamp(doc["update_time"]),
                    "supplementary_data": {"related_ids": related}})
        if capture.get("invoice_id"):
            out["invoice_id"] = capture["invoice_id"]
        return out

    def refund(self, doc: Doc, refund: dict[str, Any], core: Doc) -> dict[str, Any]:
        """Payments v2 refund."""
        path = f"/v2/payments/refunds/{refund['id']}"
        gross = wire.money(refund["amount"], core["currency"])
        done = sum(r["amount"] for r in doc["refunds"] if r["created"] <= refund["created"])
        out: dict[str, Any] = {
            "id": refund["id"], "status": "COMPLETED", "amount": gross,
            "seller_payable_breakdown": {
                "gross_amount": gross, "paypal_fee": wire.money(0, core["currency"]),
                "net_amount": gross,
                "total_refunded_amount": wire.money(done, core["currency"])},
            "links": [self.link(path, "self"),
                      self.link(f"/v2/payments/captures/{refund['capture']}", "up")],
            "create_time": wire.timestamp(refund["created"]),
            "update_time": wire.timestamp(refund["created"])}
        for key, name in (("invoice_id", "invoice_id"), ("note", "note_to_payer"),
                          ("custom_id", "custom_id")):
            if refund.get(key):
                out[name] = refund[key]
        return out


def _ids(doc: Doc) -> dict[str, str]:
    """The merchant's own ids of the purchase unit, as PayPal echoes them."""
    unit = doc["unit"]
    return {k: unit[k] for k in ("invoice_id", "custom_id") if unit.get(k)}



def payer_of(doc: Doc, core: Doc) -> dict[str, Any] | None:
    """Who approved: the page's login, or the account a simulated approval used."""
    if doc["payer"]:
        return doc["payer"]
    account = core.get("wallet")
    if not account or core["status"] == "created":
        return None
    email = account.get("email") or "sb-simulated-buyer@personal.example.com"
    return {"id": wire.payer_id(email), "email": email, "country": account.get("country", "US")}
