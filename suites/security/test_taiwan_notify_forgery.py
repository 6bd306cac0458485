"""Forged and replayed notifications to the shop's ECPay and NewebPay receivers
(`/notify/ecpay`, `/notify/newebpay`).

Two ways in: the simulator's probe (`/_sim/webhooks/{id}/probe`) re-sends the real,
delivered notice of a paid order with one attack applied by the gateway's notifier
(`forge`: replay, tampered, wrong_secret, missing_signature); and direct posts, signed with
the project's signing functions, for what a notifier cannot forge: a notice correctly
signed with the shop's own keys but naming another amount, another merchant's correctly
signed notice, and a genuine notice for a pending order sent twice. The shop must refuse
every forgery with a 4xx and fulfil nothing; a genuine notice fulfils exactly once.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from paylab.simulator.gateways.newebpay import crypto
from paylab.simulator.webhooks.signing import ecpay_check_mac_value
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.rails import (
    NewebPay,
    form_of,
    pay_at_ecpay,
    pay_at_newebpay,
    shop_checkout,
)
from paylab.suites.security.webhook_probes import judge

#: The shop's rail by gateway: its checkout choice, how its shopper pays, its receiver.
RAILS = {"ecpay": ("ecpay-credit", pay_at_ecpay), "newebpay": ("newebpay", pay_at_newebpay)}
#: The notifiers' forgeries that apply to each gateway (neither signs a time or a version).
ATTACKS = ("replay", "tampered", "wrong_secret", "missing_signature")
#: Probes a notice without a signed time or signature version cannot carry.
NOT_APPLICABLE = ("stale", "future", "v0_only")


@dataclass
class Order:
    """One shop order on a form-post rail."""

    shop: Shop
    gateway: str
    order_id: str
    action: str
    form: dict[str, str]
    session: requests.Session

    def status(self) -> dict[str, Any]:
        """The shop's view of the order."""
        return self.session.get(f"{self.shop.url}/orders/{self.order_id}/status",
                                timeout=10).json()

    def fulfilments(self) -> int:
        """How often the shop fulfilled it."""
        return int(self.status()["fulfilments"])


def merchants(simulator: LiveSimulator, gateway: str) -> dict[str, dict[str, Any]]:
    """The simulator's merchants of `gateway` by id (published ones with their keys)."""
    listed = requests.get(f"{simulator.url}/_sim/merchants", params={"gateway": gateway},
                          timeout=10).json()["merchants"]
    return {m["merchant_id"]: m for m in listed}


def start(shop: Shop, simulator: LiveSimulator, gateway: str) -> Order:
    """A pending order checked out on `gateway`; skipped when the shop does not pay
    through this simulator."""
    session, order_id, action, form = shop_checkout(shop.url, RAILS[gateway][0])
    if not action.startswith(simulator.url):
        pytest.skip(f"the shop posts its {gateway} form to {action}, not to this simulator")
    return Order(shop, gateway, order_id, action, form, session)


def deliveries(simulator: LiveSimulator, tenant: str) -> list[dict[str, Any]]:
    """The simulator's notification deliveries to one merchant's URLs."""
    return requests.get(f"{simulator.url}/_sim/webhooks", params={"tenant": tenant},
                        timeout=10).json()["deliveries"]


def paid(shop: Shop, simulator: LiveSimulator, gateway: str) -> tuple[Order, int]:
    """An order paid on the gateway's page, and the one delivery that told the shop."""
    order = start(shop, simulator, gateway)
    merchant_id = order.form["MerchantID"]
    tenant = f"{gateway}-{merchant_id}"
    before = {d["id"] for d in deliveries(simulator, tenant)}
    RAILS[gateway][1](order.action, order.form)
    deadline = time.monotonic() + 15
    while order.status()["status"] != "paid":
        assert time.monotonic() < deadline, f"the {gateway} order was never paid"
        time.sleep(0.1)
    while True:  # the shop answered: the simulator records the attempt a moment later
        new = [d for d in deliveries(simulator, tenant) if d["id"] not in before]
        if new and all(d["status"] == "delivered" for d in new):
            break
        assert time.monotonic() < deadline, f"the {gateway} notice was never recorded: {new}"
        time.sleep(0.1)
    assert len(new) == 1, f"expected one delivered notice, found {new}"
    return order, new[0]["id"]


@pytest.fixture(scope="module")
def paid_orders(shop: Shop, simulator: LiveSimulator) -> dict[str, tuple[Order, int]]:
    """A paid order per gateway, and the delivery that paid it."""
    return {gateway: paid(shop, simulator, gateway) for gateway in RAILS}


def probe(simulator: LiveSimulator, delivery: int, attack: str) -> requests.Response:
    """The simulator re-sends a delivery with one attack applied."""
    return requests.post(f"{simulator.url}/_sim/webhooks/{delivery}/probe",
                         json={"attack": attack}, timeout=30)


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("gateway", list(RAILS))
def test_the_shop_refuses_forged_and_replayed_notices(
        simulator: LiveSimulator, paid_orders: dict[str, tuple[Order, int]], gateway: str,
        attack: str) -> None:
    order, delivery = paid_orders[gateway]
    assert order.fulfilments() == 1, "the paid order was not fulfilled exactly once"
    answer = probe(simulator, delivery, attack)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    verdict = judge(attack, result["status_code"], 1, order.fulfilments())
    assert verdict.ok, f"{verdict.reason}: {result}"
    assert result["verdict"] in (("acknowledged", "safe") if attack == "replay"
                                 else ("safe",)), result
    assert order.status()["status"] == "paid"


@pytest.mark.parametrize("attack", NOT_APPLICABLE)
@pytest.mark.parametrize("gateway", list(RAILS))
def test_a_probe_the_notice_cannot_carry_is_refused_not_judged(
        simulator: LiveSimulator, paid_orders: dict[str, tuple[Order, int]], gateway: str,
        attack: str) -> None:
    """Neither gateway signs a time or a signature version: a stale, future or v0-only
    copy would be the genuine bytes again, which an idempotent receiver rightly
    acknowledges, so the probe must say it does not apply instead of calling the receiver
    vulnerable."""
    order, delivery = paid_orders[gateway]
    answer = probe(simulator, delivery, attack)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "endpoint_gone"
    assert order.fulfilments() == 1


# -- direct posts -------------------------------------------------------------------------
def ecpay_notice(order: Order, keys: dict[str, Any], **changes: str) -> dict[str, str]:
    """A ReturnURL notice of a paid card trade for `order`, signed with `keys`."""
    fields = {"MerchantID": order.form["MerchantID"],
              "MerchantTradeNo": order.form["MerchantTradeNo"], "StoreID": "",
              "RtnCode": "1", "RtnMsg": "交易成功", "TradeNo": "2612020000000001",
              "TradeAmt": order.form["TotalAmount"], "PaymentDate": "2026/12/02 10:00:00",
              "PaymentType": "Credit_CreditCard", "PaymentTypeChargeFee": "0",
              "TradeDate": "2026/12/02 10:00:00", "SimulatePaid": "0", "CustomField1": "",
              "CustomField2": "", "CustomField3": "", "CustomField4": "", **changes}
    return {**fields, "CheckMacValue": ecpay_check_mac_value(
        fields, keys["hash_key"], keys["hash_iv"], 1)}


def newebpay_notice(order: Order, keys: dict[str, Any], shop_keys: dict[str, Any],
                    *, outer_merchant: str | None = None, **changes: Any) -> dict[str, str]:
    """A NotifyURL post of a paid card trade for `order`, sealed with `keys`."""
    info = dict(urllib.parse.parse_qsl(crypto.decrypt(
        order.form["TradeInfo"], shop_keys["hash_key"], shop_keys["hash_iv"])))
    result = {"MerchantID": info["MerchantID"], "Amt": int(info["Amt"]),
              "TradeNo": "26120200000000001", "MerchantOrderNo": info["MerchantOrderNo"],
              "PaymentType": "CREDIT", "RespondType": "JSON",
              "PayTime": "2026-12-02 10:00:00", "IP": "127.0.0.1", "EscrowBank": "KGI",
              **changes}
    plain = json.dumps({"Status": "SUCCESS", "Message": "授權成功", "Result": result})
    sealed = crypto.encrypt(plain, keys["hash_key"], keys["hash_iv"])
    return {"Status": "SUCCESS", "MerchantID": outer_merchant or info["MerchantID"],
            "Version": "2.0", "TradeInfo": sealed,
            "TradeSha": crypto.trade_sha(sealed, keys["hash_key"], keys["hash_iv"])}


@dataclass
class Rail:
    """How to forge a notice for one gateway: (order, keys, **changes) -> form."""

    receiver: str
    notice: Callable[..., dict[str, str]]
    amount: str             # the notice field holding the amount
    shop_keys: dict[str, Any]
    other_keys: dict[str, Any]


@pytest.fixture(params=list(RAILS))
def rail(request: pytest.FixtureRequest, simulator: LiveSimulator, shop: Shop
         ) -> tuple[str, Rail]:
    """One gateway's receiver, notice builder and keys (the shop's and another merchant's)."""
    gateway: str = request.param
    if gateway == "ecpay":
        known = merchants(simulator, "ecpay")
        shop_keys, other_keys = known["3002607"], known["2000132"]
        return gateway, Rail("/notify/ecpay", ecpay_notice, "TradeAmt", shop_keys, other_keys)
    shop_keys = merchants(simulator, "newebpay")["MS127874575"]
    other = NewebPay.registered(simulator.url)
    other_keys = {"merchant_id": other.merchant_id, "hash_key": other.hash_key,
                  "hash_iv": other.hash_iv}

    def notice(order: Order, keys: dict[str, Any], **changes: Any) -> dict[str, str]:
        return newebpay_notice(order, keys, shop_keys, **changes)

    return gateway, Rail("/notify/newebpay", notice, "Amt", shop_keys, other_keys)


def post(shop: Shop, rail: Rail, form: dict[str, str]) -> requests.Response:
    """Post a notice to the shop's receiver, as the gateway's server would."""
    return requests.post(shop.url + rail.receiver, data=form, timeout=10)


def test_a_correctly_signed_notice_with_another_amount_is_refused(
        shop: Shop, simulator: LiveSimulator, rail: tuple[str, Rail]) -> None:
    gateway, r = rail
    order = start(shop, simulator, gateway)
    for amount in ("1", "0", "999999"):
        answer = post(shop, r, r.notice(order, r.shop_keys, **{r.amount: amount}))
        assert answer.status_code == 400, answer.text
        assert "Amount Error" in answer.text
    assert (order.status()["status"], order.fulfilments()) == ("pending", 0)


def test_another_merchants_correctly_signed_notice_is_refused(
        shop: Shop, simulator: LiveSimulator, rail: tuple[str, Rail]) -> None:
    gateway, r = rail
    order = start(shop, simulator, gateway)
    other_id = r.other_keys["merchant_id"]
    forged = [r.notice(order, r.other_keys),  # the shop's MerchantID, the other's keys
              r.notice(order, r.other_keys, MerchantID=other_id)]  # all the other's
    if gateway == "newebpay":
        forged.append(newebpay_notice(order, r.other_keys, r.shop_keys,
                                      outer_merchant=other_id, MerchantID=other_id))
        forged.append(r.notice(order, r.shop_keys, MerchantID=other_id))  # shop-sealed
    else:
        forged.append(r.notice(order, r.shop_keys, MerchantID=other_id))  # shop-signed
    for form in forged:
        answer = post(shop, r, form)
        assert answer.status_code == 400, answer.text
    assert (order.status()["status"], order.fulfilments()) == ("pending", 0)


def test_a_genuine_notice_fulfils_once_however_often_it_comes(
        shop: Shop, simulator: LiveSimulator, rail: tuple[str, Rail]) -> None:
    """The control of the direct posts: the same builder with the shop's keys and the
    order's own amount is accepted, so the refusals above are about what was changed."""
    gateway, r = rail
    order = start(shop, simulator, gateway)
    form = r.notice(order, r.shop_keys)
    answers = [post(shop, r, form) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], answers[0].text
    if gateway == "ecpay":
        assert [a.text for a in answers] == ["1|OK"] * 3
    assert (order.status()["status"], order.fulfilments()) == ("paid", 1)


def test_the_forms_the_shop_signs_carry_no_secret(shop: Shop, simulator: LiveSimulator,
                                                   rail: tuple[str, Rail]) -> None:
    """The browser sees the signed form: neither HashKey nor HashIV may be in it."""
    gateway, r = rail
    order = start(shop, simulator, gateway)
    page = order.session.get(f"{shop.url}/orders/{order.order_id}", timeout=10).text
    shown = json.dumps(order.form) + page + json.dumps(form_of(page))
    assert r.shop_keys["hash_key"] not in shown and r.shop_keys["hash_iv"] not in shown
