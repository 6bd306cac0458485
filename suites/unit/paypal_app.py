"""A PayPal app against a live simulator, over plain HTTP (`requests`): its own client id
(registered on /_sim/merchants), a Bearer token, JSON calls, orders, the buyer's approval
through the pages, and the core id behind an order (for /_sim/payments/{id}/simulate).
Used by the security, reliability and load tests; the contract suite drives the SDK."""

from __future__ import annotations

import base64
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import requests

BUYER = "sb-paylab-buyer@personal.example.com"
SHOP = "https://shop.example/paypal"


def order_body(value: str = "10.00", currency: str = "USD", intent: str = "CAPTURE",
               **unit: Any) -> dict[str, Any]:
    """A one-unit order with return and cancel URLs."""
    return {"intent": intent,
            "purchase_units": [{"amount": {"currency_code": currency, "value": value},
                                **unit}],
            "application_context": {"return_url": f"{SHOP}/return",
                                    "cancel_url": f"{SHOP}/cancel"}}


def link(resource: dict[str, Any], rel: str) -> str:
    """The href of a resource's link `rel`."""
    return next(item["href"] for item in resource["links"] if item["rel"] == rel)


def form_action(html: str, testid: str) -> str:
    """The action of the page's form with `data-testid`."""
    match = re.search(r'action="([^"]+)" data-testid="' + testid, html)
    if match is None:
        raise AssertionError(f"no form {testid} on the page: {html[:300]}")
    return match.group(1).replace("&amp;", "&")


@dataclass
class PaypalApp:
    """One registered app and its session."""

    base: str
    client_id: str
    secret: str
    tenant: str
    session: requests.Session = field(default_factory=requests.Session)
    access: str = ""

    @classmethod
    def register(cls, base: str, session: requests.Session | None = None) -> PaypalApp:
        """A fresh app (its own tenant) with a token."""
        http = session or requests.Session()
        made = http.post(f"{base}/_sim/merchants", json={"gateway": "paypal"}, timeout=10)
        made.raise_for_status()
        body = made.json()
        app = cls(base, body["merchant_id"], body["hash_key"], body["tenant"], http)
        app.access = app.token().json()["access_token"]
        return app

    def token(self, secret: str | None = None) -> requests.Response:
        """POST /v1/oauth2/token with HTTP Basic."""
        basic = base64.b64encode(f"{self.client_id}:{secret or self.secret}".encode()).decode()
        return self.session.post(f"{self.base}/paypal/v1/oauth2/token",
                                 data={"grant_type": "client_credentials"}, timeout=10,
                                 headers={"Authorization": f"Basic {basic}"})

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
             headers: dict[str, str] | None = None, access: str | None = None
             ) -> requests.Response:
        """A REST call (`path` after /paypal) with the app's token and a JSON body."""
        sent = {"Authorization": f"Bearer {access or self.access}",
                "Content-Type": "application/json", **(headers or {})}
        data = raw if raw is not None else (None if body is None and method == "GET"
                                            else requests.compat.json.dumps(body or {}))
        return self.session.request(method, f"{self.base}/paypal{path}", data=data,
                                    headers=sent, timeout=10)

    def create(self, **kwargs: Any) -> dict[str, Any]:
        """A created order."""
        answer = self.call("POST", "/v2/checkout/orders", order_body(**kwargs))
        assert answer.status_code == 201, answer.text
        return answer.json()

    def approve(self, order: dict[str, Any], email: str = BUYER) -> requests.Response:
        """The buyer opens the approve link, logs in and approves (the redirect answer)."""
        url = link(order, "approve")
        login = self.session.get(url, timeout=10)
        review = self.session.post(urllib.parse.urljoin(url, form_action(
            login.text, "paypal-login-form")), data={"email": email, "password": "x"},
            timeout=10)
        return self.session.post(urllib.parse.urljoin(url, form_action(
            review.text, "paypal-approve-form")), data={"email": email},
            allow_redirects=False, timeout=10)

    def core_id(self, order_id: str) -> str:
        """The simulator's payment id behind a PayPal order (the ledger's row)."""
        ledger = self.session.get(f"{self.base}/_sim/ledger", params={"tenant": self.tenant},
                                  timeout=10).json()
        return next(p["id"] for p in ledger["payments"]
                    if p.get("merchant_order_no") == order_id)

    def simulate(self, order_id: str, outcome: str = "approved") -> requests.Response:
        """/_sim/payments/{id}/simulate on the order's payment."""
        return self.session.post(f"{self.base}/_sim/payments/{self.core_id(order_id)}/simulate",
                                 json={"outcome": outcome}, timeout=10)

    def ledger_row(self, order_id: str) -> dict[str, Any]:
        """The ledger's ground truth for the order."""
        ledger = self.session.get(f"{self.base}/_sim/ledger", params={"tenant": self.tenant},
                                  timeout=10).json()
        return next(p for p in ledger["payments"] if p.get("merchant_order_no") == order_id)
