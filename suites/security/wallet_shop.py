"""A shopper paying at the shop with a wallet, over plain HTTP (no browser), for the
security probes of the shop's wallet receivers and returns: checkout, the wallet's
approval page (JKOPay's Approve, LINE Pay's sheet, PayPal's login and Approve), the shop's
order as it reports it, the simulator's deliveries that reached the shop, and the stage
merchants' keys to sign forgeries with.

The approval pages tell what the shop gave the wallet: JKOPay's shows the shop's
result_display_url (its order id and platform_order_id), LINE Pay's and PayPal's Approve
redirect to the shop's return URL (the order id, and the transactionId or token).
"""

from __future__ import annotations

import html
import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator

TIMEOUT = 10
#: The shop's receivers (server to server) by wallet.
RECEIVERS = {"jkopay": "/notify/jkopay", "paypal": "/notify/paypal"}
_LINKS = re.compile(r'(?:action|href)="([^"]+)"')


@dataclass
class WalletOrder:
    """One shop order paid (or to be paid) with a wallet."""

    shop: Shop
    wallet: str
    session: requests.Session        # the shopper's cookies at the shop
    approval: str                    # the wallet's approval page
    order_id: str = ""               # the shop's order id, once known
    reference: str = ""              # what the shop sent the wallet as its order number
    transaction: str = ""            # LINE Pay's transactionId, PayPal's order id
    back: str = ""                   # the shop's return URL the wallet sent the browser to
    core: str = ""                   # the simulator's payment (ledger id; PayPal's order id)
    seen: dict[str, Any] = field(default_factory=dict)

    def status(self) -> dict[str, Any]:
        """The shop's view of the order."""
        return self.session.get(f"{self.shop.url}/orders/{self.order_id}/status",
                                timeout=TIMEOUT).json()

    def state(self) -> tuple[str, int]:
        """(status, fulfilments) as the shop reports them."""
        found = self.status()
        return found["status"], int(found["fulfilments"])

    def wait_paid(self, timeout: float = 10.0) -> None:
        """Until the shop says paid (a callback or webhook may be on its way)."""
        deadline = time.monotonic() + timeout
        while self.status()["status"] != "paid":
            assert time.monotonic() < deadline, f"the {self.wallet} order was never paid"
            time.sleep(0.05)


def check_out(shop: Shop, simulator: LiveSimulator, wallet: str) -> WalletOrder:
    """One tea checked out with `wallet`; skipped when the shop does not pay through this
    simulator."""
    session = requests.Session()
    session.get(shop.url, timeout=TIMEOUT)
    session.post(f"{shop.url}/cart/add", data={"product": "alishan-oolong"}, timeout=TIMEOUT)
    answer = session.post(f"{shop.url}/checkout", data={"pay_with": wallet},
                          allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 303, answer.text[-500:]
    approval = answer.headers["Location"]
    if not approval.startswith(f"{simulator.url}/{wallet}/"):
        pytest.skip(f"the shop sends its {wallet} shopper to {approval}, not to this simulator")
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(approval).query))
    order = WalletOrder(shop, wallet, session, approval, core=query.get(
        "transactionReserveId") or query.get("token", ""))
    if wallet == "jkopay":  # the page links back to the shop's result_display_url
        links = [html.unescape(u) for u in _LINKS.findall(
            requests.get(approval, timeout=TIMEOUT).text)]
        back = next(u for u in links if u.startswith(f"{shop.url}/return/jkopay/"))
        order.order_id = urllib.parse.urlsplit(back).path.rsplit("/", 1)[1]
        order.reference = urllib.parse.parse_qs(
            urllib.parse.urlsplit(back).query)["platform_order_id"][0]
        order.seen["approve"] = next(u for u in links if "/approve?" in u)
        order.core = urllib.parse.urlsplit(approval).path.rsplit("/", 1)[1]
    return order


def approve(order: WalletOrder) -> WalletOrder:
    """The shopper approves on the wallet's page; the browser is not sent back yet (see
    `come_back`): `order.back` is where the wallet sends it."""
    browser = requests.Session()
    if order.wallet == "jkopay":
        answer = browser.post(order.seen["approve"], allow_redirects=False, timeout=TIMEOUT)
    elif order.wallet == "linepay":
        answer = browser.post(order.approval, data={"action": "approve", "funding": "balance"},
                              allow_redirects=False, timeout=TIMEOUT)
    else:
        login = browser.get(order.approval, timeout=TIMEOUT)
        review = browser.post(urllib.parse.urljoin(order.approval, _form(
            login.text, "paypal-login-form")), data={"email": "buyer@example.com",
                                                      "password": "x"}, timeout=TIMEOUT)
        answer = browser.post(urllib.parse.urljoin(order.approval, _form(
            review.text, "paypal-approve-form")), data={"email": "buyer@example.com"},
            allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 303, answer.text[-500:]
    order.back = answer.headers["Location"]
    parts = urllib.parse.urlsplit(order.back)
    query = dict(urllib.parse.parse_qsl(parts.query))
    order.order_id = parts.path.split("/")[3]
    order.transaction = query.get("transactionId") or query.get("token") or ""
    order.reference = order.reference or query.get("orderId", "")  # LINE Pay appends it
    return order


def come_back(order: WalletOrder, url: str | None = None) -> requests.Response:
    """The shopper's browser at the shop's return URL (`url`: a changed one)."""
    return order.session.get(url or order.back, allow_redirects=False, timeout=TIMEOUT)


def with_query(url: str, **changes: str | None) -> str:
    """`url` with query parameters replaced (None removes one)."""
    parts = urllib.parse.urlsplit(url)
    query = {**dict(urllib.parse.parse_qsl(parts.query)), **changes}
    kept = {k: v for k, v in query.items() if v is not None}
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(kept)))


def _form(text: str, testid: str) -> str:
    match = re.search(r'action="([^"]+)" data-testid="' + testid, text)
    assert match is not None, f"no form {testid} on the page: {text[:300]}"
    return html.unescape(match.group(1))


# -- the simulator's side ------------------------------------------------------------------
def merchant(simulator: LiveSimulator, wallet: str, merchant_id: str | None = None
             ) -> dict[str, Any]:
    """A published merchant of `wallet` with its keys (the first, or `merchant_id`)."""
    listed = requests.get(f"{simulator.url}/_sim/merchants", params={"gateway": wallet},
                          timeout=TIMEOUT).json()["merchants"]
    return next(m for m in listed if merchant_id in (None, m["merchant_id"]))


def paypal_order(simulator: LiveSimulator, pending: WalletOrder) -> dict[str, Any]:
    """The PayPal order behind a pending checkout, read with the stage app's keys; the
    shop's order id is its custom_id, the shop's reference its invoice_id."""
    keys = merchant(simulator, "paypal")["credentials"]
    token = requests.post(f"{simulator.url}/paypal/v1/oauth2/token", timeout=TIMEOUT,
                          auth=(keys["client_id"], keys["client_secret"]),
                          data={"grant_type": "client_credentials"}).json()["access_token"]
    pending.transaction = pending.core
    found = requests.get(f"{simulator.url}/paypal/v2/checkout/orders/{pending.transaction}",
                         headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT)
    assert found.status_code == 200, found.text
    unit = found.json()["purchase_units"][0]
    pending.order_id, pending.reference = unit["custom_id"], unit["invoice_id"]
    return {"token": token, **unit}


def ledger_row(simulator: LiveSimulator, order: WalletOrder) -> dict[str, Any]:
    """The simulator's row of the order's payment (ground truth: status, amount in the
    wallet's units, captured)."""
    rows = requests.get(f"{simulator.url}/_sim/ledger", timeout=TIMEOUT, params={
        "tenant": merchant(simulator, order.wallet)["tenant"]}).json()["payments"]
    found, = (r for r in rows if order.core in (r["id"], r["merchant_order_no"]))
    return found


def registered(simulator: LiveSimulator, wallet: str) -> dict[str, Any]:
    """A new merchant of `wallet` (another store or app than the shop's)."""
    answer = requests.post(f"{simulator.url}/_sim/merchants", json={"gateway": wallet},
                           timeout=TIMEOUT)
    assert answer.status_code == 201, answer.text
    return answer.json()


def delivery_ids(simulator: LiveSimulator, tenant: str) -> set[int]:
    """Every delivery of a tenant so far."""
    return {d["id"] for d in _deliveries(simulator, tenant)}


def _deliveries(simulator: LiveSimulator, tenant: str) -> list[dict[str, Any]]:
    return requests.get(f"{simulator.url}/_sim/webhooks", params={"tenant": tenant},
                        timeout=TIMEOUT).json()["deliveries"]


def delivered_to_shop(simulator: LiveSimulator, order: WalletOrder, tenant: str,
                      before: set[int], count: int, timeout: float = 10.0) -> list[int]:
    """The ids of the `count` deliveries made since `before` to the shop's receiver, once
    each has been delivered (the journal's outgoing rows say where each event went)."""
    target = order.shop.url + RECEIVERS[order.wallet]
    deadline = time.monotonic() + timeout
    while True:
        sent = {e["request_id"] for e in requests.get(
            f"{simulator.url}/_sim/journal", params={"tenant": tenant, "limit": 5000},
            timeout=TIMEOUT).json()["entries"]
            if e.get("direction") == "out" and e["path"] == target}
        new = [d for d in _deliveries(simulator, tenant)
               if d["id"] not in before and d["event_id"] in sent]
        if len(new) >= count and all(d["status"] == "delivered" for d in new):
            assert len(new) == count, f"expected {count} deliveries to the shop: {new}"
            return sorted(d["id"] for d in new)
        assert time.monotonic() < deadline, f"the shop's deliveries never arrived: {new}"
        time.sleep(0.05)


def verify_calls(simulator: LiveSimulator, tenant: str) -> int:
    """How often the tenant's app asked PayPal's verify-webhook-signature (answered 200)."""
    return sum(1 for e in requests.get(
        f"{simulator.url}/_sim/journal", params={"tenant": tenant, "limit": 5000},
        timeout=TIMEOUT).json()["entries"]
        if e["path"].endswith("/v1/notifications/verify-webhook-signature")
        and e["status"] == 200)


def probe(simulator: LiveSimulator, delivery: int, attack: str) -> requests.Response:
    """The simulator re-sends a delivery with one attack applied (/_sim/webhooks/{id}/probe)."""
    return requests.post(f"{simulator.url}/_sim/webhooks/{delivery}/probe",
                         json={"attack": attack}, timeout=30)
