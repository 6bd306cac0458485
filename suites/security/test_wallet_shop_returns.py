"""The shopper's browser coming back to the shop from a wallet, with what an attacker can
change in the URL: LINE Pay's confirmUrl (`/return/linepay/{order}?transactionId=…`),
PayPal's return_url (`/return/paypal/{order}?token=…`) and JKOPay's result_display_url
(`/return/jkopay/{order}?platform_order_id=…`).

The shop confirms or captures only the transaction it asked for at checkout, with its own
amount: another order's transactionId or token, or a tampered one, is refused (400) and
nothing is confirmed, captured or fulfilled; a confirm answered 1153 (another amount than
LINE Pay reserved) fulfils nothing; the genuine return fulfils once, however often it is
reloaded. Confirm with another amount is refused by the simulator itself (1153).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from typing import Any

import pytest
import requests
from paylab.simulator.webhooks.signing import linepay_signature
from paylab.suites.plugins.shop import Shop
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.security.wallet_shop import (
    TIMEOUT,
    WalletOrder,
    approve,
    check_out,
    come_back,
    ledger_row,
    merchant,
    paypal_order,
    with_query,
)


def to_order_page(answer: requests.Response, order: WalletOrder) -> bool:
    """Whether a return sent the browser on to the order's page."""
    return answer.status_code == 303 and answer.headers["Location"] == \
        f"/orders/{order.order_id}"


@pytest.fixture
def approved(shop: Shop, simulator: LiveSimulator) -> WalletOrder:
    """A LINE Pay order the shopper approved; the browser has not come back yet."""
    return approve(check_out(shop, simulator, "linepay"))


@pytest.fixture
def two_approved(shop: Shop, simulator: LiveSimulator) -> tuple[WalletOrder, WalletOrder]:
    """Two LINE Pay orders the shopper approved; neither browser has come back yet."""
    return (approve(check_out(shop, simulator, "linepay")),
            approve(check_out(shop, simulator, "linepay")))


def test_a_linepay_return_naming_another_transaction_confirms_nothing(
        simulator: LiveSimulator, two_approved: tuple[WalletOrder, WalletOrder]) -> None:
    """B's transactionId on A's return (B approved too, so LINE Pay would confirm it),
    tampered ids, none: refused, and neither transaction is confirmed."""
    a, b = two_approved
    tampered = [b.transaction, str(int(a.transaction) + 1), a.transaction + "0",
                "0" + a.transaction, f" {a.transaction}", "", "-1", "1e3", "x" * 300]
    answers = {t: come_back(a, with_query(a.back, transactionId=t)) for t in tampered}
    answers["none"] = come_back(a, with_query(a.back, transactionId=None))
    assert {t: r.status_code for t, r in answers.items()} == dict.fromkeys(answers, 400)
    assert (a.state(), b.state()) == (("pending", 0), ("pending", 0))
    assert [ledger_row(simulator, o)["status"] for o in (a, b)] == \
        ["approved", "approved"], "a refused return confirmed a transaction"
    assert to_order_page(come_back(b), b) and b.state() == ("paid", 1)  # the controls
    assert to_order_page(come_back(a), a) and a.state() == ("paid", 1)


def test_a_reloaded_linepay_return_fulfils_once(
        simulator: LiveSimulator, two_approved: tuple[WalletOrder, WalletOrder]) -> None:
    a, b = two_approved
    answers = [come_back(a) for _ in range(3)]
    assert all(to_order_page(r, a) for r in answers), [r.status_code for r in answers]
    assert a.state() == ("paid", 1)
    row = ledger_row(simulator, a)
    assert (row["status"], row["captured"]) == ("paid", row["amount"])
    # A's genuine return again after B's was refused on it: still nothing more
    assert come_back(a, with_query(a.back, transactionId=b.transaction)).status_code == 400
    assert to_order_page(come_back(a), a)
    assert (a.state(), b.state()) == (("paid", 1), ("pending", 0))


def linepay_confirm(simulator: LiveSimulator, transaction: str, amount: int,
                    currency: str = "TWD") -> dict[str, Any]:
    """Confirm API, signed with the stage channel's keys (the shop's)."""
    keys = merchant(simulator, "linepay")["credentials"]
    path = f"/v3/payments/{transaction}/confirm"
    body, nonce = json.dumps({"amount": amount, "currency": currency}), str(uuid.uuid4())
    answer = requests.post(f"{simulator.url}/linepay{path}", data=body, timeout=TIMEOUT,
                           headers={"Content-Type": "application/json",
                                    "X-LINE-ChannelId": keys["channel_id"],
                                    "X-LINE-Authorization-Nonce": nonce,
                                    "X-LINE-Authorization": linepay_signature(
                                        keys["channel_secret"], path, body, nonce)})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_confirm_for_another_amount_is_refused_and_fulfils_nothing(
        simulator: LiveSimulator, approved: WalletOrder) -> None:
    """Someone with the channel's keys confirms the approved transaction for less, more,
    or in another currency: LINE Pay answers 1153 and confirms nothing; the shop's order
    waits, and its own confirm (its amount) then pays it once."""
    amount = ledger_row(simulator, approved)["amount"]
    codes = [linepay_confirm(simulator, approved.transaction, other)["returnCode"]
             for other in (1, amount - 1, amount + 1, amount * 100)]
    codes.append(linepay_confirm(simulator, approved.transaction, amount, "JPY")["returnCode"])
    assert codes == ["1153"] * 5
    assert ledger_row(simulator, approved)["status"] == "approved"
    assert approved.state() == ("pending", 0)
    assert to_order_page(come_back(approved), approved) and approved.state() == ("paid", 1)
    assert ledger_row(simulator, approved)["captured"] == amount


def test_the_shops_confirm_answered_1153_fulfils_nothing(
        shop: Shop, simulator: LiveSimulator, approved: WalletOrder) -> None:
    """The shop's own record of the amount disagrees with what LINE Pay reserved (a bug,
    or a tampered record): its confirm is answered 1153 and it must not fulfil; with the
    record right again, the shopper's reload pays the order once."""
    if shop.db is None:
        pytest.skip("needs the reference shop's database to change its amount")
    amount = ledger_row(simulator, approved)["amount"]

    def record(value: int) -> None:
        with sqlite3.connect(shop.db) as db:
            db.execute("UPDATE wallet_payments SET value = ? WHERE order_id = ?",
                       (str(value), approved.order_id))

    record(amount + 1)
    try:
        refused = come_back(approved)
    finally:
        record(amount)
    assert refused.status_code < 500 and "1153" in refused.text, refused.text[-500:]
    assert approved.state() == ("pending", 0)
    assert ledger_row(simulator, approved)["status"] == "approved"
    assert to_order_page(come_back(approved), approved) and approved.state() == ("paid", 1)


def test_a_paypal_return_naming_another_order_captures_nothing(
        shop: Shop, simulator: LiveSimulator) -> None:
    """A pending order's return with the token of another PayPal order (approved, so it
    could be captured), tampered or none, or its own before the shopper approved: nothing
    is captured or fulfilled; the other order stays paid once."""
    pending = check_out(shop, simulator, "paypal")
    paypal_order(simulator, pending)
    other = approve(check_out(shop, simulator, "paypal"))
    other.wait_paid()  # its CHECKOUT.ORDER.APPROVED webhook had the shop capture it
    back = f"{shop.url}/return/paypal/{pending.order_id}?PayerID=8ACZUSW8YWG85"
    refused = {t: come_back(pending, with_query(back, token=t)) for t in (
        other.transaction, pending.transaction + "X", pending.transaction.lower(), "", None)}
    assert {t: r.status_code for t, r in refused.items()} == dict.fromkeys(refused, 400)
    early = come_back(pending, with_query(back, token=pending.transaction))
    assert early.status_code < 500 and "ORDER_NOT_APPROVED" in early.text, early.text[-300:]
    assert (pending.state(), other.state()) == (("pending", 0), ("paid", 1))
    rows = [ledger_row(simulator, o) for o in (pending, other)]
    assert [r["captured"] for r in rows] == [0, rows[1]["amount"]]


def test_a_jkopay_return_naming_another_order_pays_nothing(
        shop: Shop, simulator: LiveSimulator) -> None:
    """The display return asks JKOPay about the order's own payment, whatever its query
    names: another order's paid platform_order_id does not pay a pending order."""
    pending = check_out(shop, simulator, "jkopay")
    other = approve(check_out(shop, simulator, "jkopay"))
    other.wait_paid()
    back = f"{shop.url}/return/jkopay/{pending.order_id}"
    for query in (other.reference, pending.reference, None):
        answer = come_back(pending, with_query(back, platform_order_id=query))
        assert to_order_page(answer, pending), answer.text[-300:]
    assert (pending.state(), other.state()) == (("pending", 0), ("paid", 1))
