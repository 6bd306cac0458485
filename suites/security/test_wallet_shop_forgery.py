"""Forged and replayed callbacks to the shop's wallet receivers: JKOPay's result_url
(`POST /notify/jkopay`) and PayPal's webhook (`POST /notify/paypal`).

Two ways in, as test_taiwan_notify_forgery.py does for ECPay and NewebPay: the simulator's
probe (`/_sim/webhooks/{id}/probe`) re-sends a real delivery that reached the shop with one
attack applied by the wallet's notifier (replay, tampered, wrong_secret,
missing_signature); and direct posts for what a notifier cannot forge: JKOPay callbacks
correctly signed with the stage store's keys naming another amount, another store or an
unknown order, or status 101 after the order was paid; PayPal events the shop must check
with PayPal (no or malformed transmission headers, a capture of the pending order's PayPal
order with a made-up signature), and a genuine PayPal event about an order the shop did not
create. The shop refuses every forgery with a 4xx and fulfils nothing; a genuine message
fulfils exactly once, however often it comes.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests
from paylab.simulator.webhooks.signing import jkopay_digest
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.wallet_shop import (
    TIMEOUT,
    WalletOrder,
    approve,
    check_out,
    delivered_to_shop,
    delivery_ids,
    ledger_row,
    merchant,
    paypal_order,
    probe,
    registered,
    verify_calls,
)
from paylab.suites.security.webhook_probes import judge

ATTACKS = ("replay", "tampered", "wrong_secret", "missing_signature")
#: Probes a wallet's callback cannot carry: JKOPay signs no time and has one scheme,
#: PayPal's signatures have no version.
NOT_APPLICABLE = [("jkopay", "stale"), ("jkopay", "future"), ("jkopay", "v0_only"),
                  ("paypal", "v0_only")]
#: The deliveries paying an order tells the shop of: JKOPay's callback; PayPal's
#: CHECKOUT.ORDER.APPROVED (the shop captures) and PAYMENT.CAPTURE.COMPLETED.
DELIVERIES = {"jkopay": 1, "paypal": 2}


def tenant(simulator: LiveSimulator, wallet: str) -> str:
    """The stage merchant's tenant (the shop pays through the published credentials)."""
    return merchant(simulator, wallet)["tenant"]


def paid_without_return(shop: Shop, simulator: LiveSimulator, wallet: str
                        ) -> tuple[WalletOrder, list[int]]:
    """An order approved at the wallet whose shopper never came back: the callback (JKOPay)
    or the webhooks (PayPal: approved, the shop captures, captured) pay it."""
    order = check_out(shop, simulator, wallet)
    before = delivery_ids(simulator, tenant(simulator, wallet))
    approve(order)
    order.wait_paid()
    return order, delivered_to_shop(simulator, order, tenant(simulator, wallet), before,
                                    DELIVERIES[wallet])


@pytest.fixture(scope="module")
def paid(shop: Shop, simulator: LiveSimulator) -> dict[str, tuple[WalletOrder, list[int]]]:
    """A paid order per wallet, and the deliveries that told the shop."""
    return {wallet: paid_without_return(shop, simulator, wallet) for wallet in DELIVERIES}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("wallet", list(DELIVERIES))
def test_the_shop_refuses_forged_and_replayed_wallet_callbacks(
        simulator: LiveSimulator, paid: dict[str, tuple[WalletOrder, list[int]]],
        wallet: str, attack: str) -> None:
    """Each real delivery sent again with the attack: refused (a replay: acknowledged) and
    never fulfilled again. The shop refuses PayPal's forgeries because PayPal's verify call
    said FAILURE (a changed body, another secret: the journal counts the shop's calls), or
    without asking when there is no signature to ask about."""
    order, deliveries = paid[wallet]
    assert order.state() == ("paid", 1), "the paid order was not fulfilled exactly once"
    asked = verify_calls(simulator, tenant(simulator, wallet))
    for delivery in deliveries:
        answer = probe(simulator, delivery, attack)
        assert answer.status_code == 200, answer.text
        result = answer.json()
        verdict = judge(attack, result["status_code"], 1, order.state()[1])
        assert verdict.ok, f"{verdict.reason}: {result}"
        assert result["verdict"] in (("acknowledged", "safe") if attack == "replay"
                                     else ("safe",)), result
        if wallet == "paypal" and attack != "replay":
            assert "invalid signature" in result["response"], result
    if wallet == "paypal" and attack in ("tampered", "wrong_secret"):
        assert verify_calls(simulator, tenant(simulator, wallet)) == asked + len(deliveries)
    assert order.state() == ("paid", 1)


@pytest.mark.parametrize(("wallet", "attack"), NOT_APPLICABLE)
def test_a_probe_the_callback_cannot_carry_is_refused_not_judged(
        simulator: LiveSimulator, paid: dict[str, tuple[WalletOrder, list[int]]],
        wallet: str, attack: str) -> None:
    order, deliveries = paid[wallet]
    answer = probe(simulator, deliveries[0], attack)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "endpoint_gone"
    assert order.state() == ("paid", 1)


@pytest.mark.parametrize("attack", ["stale", "future"])
def test_a_paypal_copy_signed_at_another_time_fulfils_nothing_again(
        simulator: LiveSimulator, paid: dict[str, tuple[WalletOrder, list[int]]],
        attack: str) -> None:
    """The simulator's verify-webhook-signature does not look at the transmission time
    (our reading of PayPal's), and the shop trusts its answer, so it cannot tell an
    hour-old copy of a genuine event from the event: it may acknowledge it, but it must
    answer cleanly and apply nothing again."""
    order, deliveries = paid["paypal"]
    for delivery in deliveries:
        result = probe(simulator, delivery, attack).json()
        assert result["status_code"] is not None and 200 <= result["status_code"] < 500, result
    assert order.state() == ("paid", 1)


# -- JKOPay, direct posts -------------------------------------------------------------------
def jkopay_callback(reference: str, amount: Any, **fields: Any) -> bytes:
    """A result_url body of a paid order, as the simulator renders one."""
    transaction = {"platform_order_id": reference, "status": 0, "tradeNo": "JK2612020001",
                   "trans_time": "2026-12-02 10:00:00", "currency": "TWD",
                   "final_price": amount, "redeem_amount": 0,
                   "redeem_detail": {"jko_coin_amount": 0, "official_coupon_amount": 0,
                                     "store_coupon_amount": 0},
                   "debit_amount": amount, "invoice_vehicle": "", "channel_type": "account",
                   "maskNo": "", **fields}
    return json.dumps({"transaction": transaction}).encode()


def post_jkopay(shop: Shop, body: bytes, secret: str | None, **headers: str
                ) -> requests.Response:
    """Post a callback as JKOPay would, its digest keyed with `secret` (None: no digest)."""
    sent = {"Content-Type": "application/json", **headers}
    if secret is not None:
        sent["digest"] = jkopay_digest(secret, body)
    return requests.post(f"{shop.url}/notify/jkopay", data=body, headers=sent,
                         timeout=TIMEOUT)


@pytest.fixture
def jko(shop: Shop, simulator: LiveSimulator) -> tuple[WalletOrder, dict[str, Any], int]:
    """A pending JKOPay order, the stage store's keys (the shop's) and the order's amount
    (whole TWD, as JKOPay has it)."""
    order = check_out(shop, simulator, "jkopay")
    return (order, merchant(simulator, "jkopay")["credentials"],
            ledger_row(simulator, order)["amount"])


def test_a_correctly_signed_jkopay_callback_for_another_amount_is_refused(
        shop: Shop, jko: tuple[WalletOrder, dict[str, Any], int]) -> None:
    order, keys, amount = jko
    amounts: list[Any] = [1, 0, amount - 1, amount + 1, amount * 100, amount + 0.5,
                          f"{amount}.5", -amount, None, True]
    for other in amounts:
        answer = post_jkopay(shop, jkopay_callback(order.reference, other),
                             keys["secret_key"])
        assert answer.status_code == 400, (other, answer.text)
    answer = post_jkopay(shop, jkopay_callback(order.reference, amount, currency="USD"),
                         keys["secret_key"])
    assert answer.status_code == 400, answer.text
    assert order.state() == ("pending", 0)


def test_another_stores_or_an_unknown_orders_jkopay_callback_is_refused(
        shop: Shop, simulator: LiveSimulator, jko: tuple[WalletOrder, dict[str, Any], int]
        ) -> None:
    order, keys, amount = jko
    other = registered(simulator, "jkopay")["credentials"]
    body = jkopay_callback(order.reference, amount)
    forged = {
        "another store's digest": post_jkopay(shop, body, other["secret_key"]),
        "all the other store's": post_jkopay(
            shop, jkopay_callback(order.reference, amount, store_id=other["store_id"]),
            other["secret_key"], **{"api-key": other["api_key"]}),
        "the shop's digest, another store's id": post_jkopay(
            shop, jkopay_callback(order.reference, amount, store_id=other["store_id"]),
            keys["secret_key"]),
        "the shop's digest, another store's api-key": post_jkopay(
            shop, body, keys["secret_key"], **{"api-key": other["api_key"]}),
        "an unknown order": post_jkopay(shop, jkopay_callback("PL" + uuid.uuid4().hex[:16], amount),
                                        keys["secret_key"]),
        "no digest": post_jkopay(shop, body, None),
        "the digest in upper case": requests.post(
            f"{shop.url}/notify/jkopay", data=body, timeout=TIMEOUT, headers={
                "digest": jkopay_digest(keys["secret_key"], body).upper()}),
        "the digest of another body": requests.post(
            f"{shop.url}/notify/jkopay", data=body + b" ", timeout=TIMEOUT, headers={
                "digest": jkopay_digest(keys["secret_key"], body)}),
    }
    assert {name: a.status_code for name, a in forged.items()} == dict.fromkeys(forged, 400)
    assert order.state() == ("pending", 0)


def test_a_genuine_jkopay_callback_fulfils_once_and_101_does_not_unpay(
        shop: Shop, jko: tuple[WalletOrder, dict[str, Any], int]) -> None:
    """The control of the direct posts: the same builder, the shop's keys and the order's
    own amount is accepted, so the refusals above are about what was changed."""
    order, keys, amount = jko
    body = jkopay_callback(order.reference, amount)
    answers = [post_jkopay(shop, body, keys["secret_key"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], answers[0].text
    assert order.state() == ("paid", 1)
    unpaid = post_jkopay(shop, jkopay_callback(order.reference, 0, status=101,
                                               debit_amount=0), keys["secret_key"])
    assert 200 <= unpaid.status_code < 500, unpaid.text
    assert order.state() == ("paid", 1)


# -- PayPal, direct posts -------------------------------------------------------------------
def capture_event(paypal_order_id: str, amount: dict[str, str]) -> dict[str, Any]:
    """A PAYMENT.CAPTURE.COMPLETED event for `paypal_order_id`, as PayPal shapes one."""
    return {"id": f"WH-{uuid.uuid4().hex[:17].upper()}", "event_version": "1.0",
            "create_time": "2026-12-02T10:00:00Z", "resource_type": "capture",
            "resource_version": "2.0", "event_type": "PAYMENT.CAPTURE.COMPLETED",
            "summary": "Payment completed", "resource": {
                "id": uuid.uuid4().hex[:17].upper(), "status": "COMPLETED", "amount": amount,
                "final_capture": True,
                "supplementary_data": {"related_ids": {"order_id": paypal_order_id}}}}


def transmission(**changes: str | None) -> dict[str, str]:
    """PayPal-looking transmission headers with a made-up signature."""
    headers = {"PAYPAL-AUTH-ALGO": "SHA256withRSA",
               "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-1",
               "PAYPAL-TRANSMISSION-ID": str(uuid.uuid4()),
               "PAYPAL-TRANSMISSION-SIG": "bm90IGEgc2lnbmF0dXJl",
               "PAYPAL-TRANSMISSION-TIME": "2026-12-02T10:00:00Z", **changes}
    return {k: v for k, v in headers.items() if v is not None}


def test_forged_paypal_webhooks_are_refused(shop: Shop, simulator: LiveSimulator) -> None:
    """A capture of the pending order's own PayPal order for its amount, with made-up,
    missing or malformed transmission headers, and one about an order the shop does not
    have: the shop's verify call says FAILURE (or there is nothing to verify) and the shop
    answers 400, not a 5xx that would have PayPal retry a forgery for days."""
    pending = check_out(shop, simulator, "paypal")
    unit = paypal_order(simulator, pending)
    genuine_looking = json.dumps(capture_event(pending.transaction, unit["amount"])).encode()
    unknown = json.dumps(capture_event("5O190127TN364715T", unit["amount"])).encode()
    cases = {
        "made-up signature": (genuine_looking, transmission()),
        "no transmission headers": (genuine_looking, {}),
        "no signature": (genuine_looking, transmission(**{"PAYPAL-TRANSMISSION-SIG": None})),
        "empty transmission id": (genuine_looking,
                                  transmission(**{"PAYPAL-TRANSMISSION-ID": ""})),
        "an algorithm PayPal does not name": (
            genuine_looking, transmission(**{"PAYPAL-AUTH-ALGO": "SHA-256/../x"})),
        "an overlong transmission id": (
            genuine_looking, transmission(**{"PAYPAL-TRANSMISSION-ID": "x" * 200})),
        "an order the shop does not have": (unknown, transmission()),
    }
    answers = {name: requests.post(f"{shop.url}/notify/paypal", data=body, timeout=TIMEOUT,
                                   headers={"Content-Type": "application/json", **headers})
               for name, (body, headers) in cases.items()}
    assert {n: a.status_code for n, a in answers.items()} == dict.fromkeys(cases, 400), \
        {n: a.text for n, a in answers.items()}
    assert pending.state() == ("pending", 0)


def test_a_genuine_paypal_event_about_an_order_the_shop_did_not_create_fulfils_nothing(
        shop: Shop, simulator: LiveSimulator) -> None:
    """Another order on the shop's PayPal app (made with its keys, not by its checkout)
    naming a pending shop order in custom_id, approved and captured for the
    same amount: PayPal's genuine events about it reach the shop, which acknowledges them
    and pays nothing (the shop knows its orders by the PayPal order id it created)."""
    pending = check_out(shop, simulator, "paypal")
    unit = paypal_order(simulator, pending)
    api = {"Authorization": f"Bearer {unit['token']}"}
    made = requests.post(f"{simulator.url}/paypal/v2/checkout/orders", headers=api,
                         timeout=TIMEOUT, json={"intent": "CAPTURE", "purchase_units": [{
                             "custom_id": pending.order_id, "amount": unit["amount"],
                             "description": unit.get("description", "")}]})
    assert made.status_code == 201, made.text  # (PayPal refuses the invoice_id again)
    paypal_id = made.json()["id"]
    wallet_tenant = tenant(simulator, "paypal")
    before = delivery_ids(simulator, wallet_tenant)
    ledger = requests.get(f"{simulator.url}/_sim/ledger", params={"tenant": wallet_tenant},
                          timeout=TIMEOUT).json()["payments"]
    core = next(p["id"] for p in ledger if p["merchant_order_no"] == paypal_id)
    approved = requests.post(f"{simulator.url}/_sim/payments/{core}/simulate",
                             json={"outcome": "approved"}, timeout=TIMEOUT)
    assert approved.status_code == 200, approved.text
    captured = requests.post(f"{simulator.url}/paypal/v2/checkout/orders/{paypal_id}/capture",
                             headers=api, json={}, timeout=TIMEOUT)
    assert captured.status_code == 201, captured.text
    other = WalletOrder(shop, "paypal", pending.session, "")
    delivered_to_shop(simulator, other, wallet_tenant, before, DELIVERIES["paypal"])
    assert pending.state() == ("pending", 0)
