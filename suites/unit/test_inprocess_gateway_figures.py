"""Every gateway in the figures (issue 12, section 4): /_sim/stats, /_sim/metrics and
/_sim/ledger count Stripe payments and ECPay and NewebPay orders per gateway and payment
method, from the store; the journal files ECPay and NewebPay requests under their gateway."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from paylab.simulator import payment_figures
from paylab.simulator.core.kpis import gateway_methods
from paylab.simulator.metrics import Metrics
from paylab.suites.unit import ecpay_kit as ecpay
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start
from paylab.suites.unit.newebpay_client import NewebPay, stage_credentials
from paylab.suites.unit.test_inprocess_metrics import samples

NEWEBPAY_CARD = "4000221111111111"  # NewebPay's stage card (gateways.md 2.5)
NEWEBPAY = f"newebpay-{stage_credentials()['merchant_id']}"
DECLINED = "4000000000000002"  # Stripe's decline card keeps its meaning on the cashiers
ZERO = {"volume": 0, "paid": 0, "authorized": 0, "open": 0, "pending_codes": 0, "failed": 0,
        "expired": 0, "expired_codes": 0, "canceled": 0, "declines": 0, "refunds": 0,
        "amount": 0, "refunded_amount": 0}


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def ecpay_card(sim: Sim, no: str, card: str = ecpay.STAGE_CARD) -> int:
    """An ECPay credit order paid (or declined) on the cashier; the card form's status."""
    page = await ecpay.choose(sim, await ecpay.checkout(sim, no, ChoosePayment="Credit"),
                              "Credit")
    return (await ecpay.pay_card(sim, page, card)).status


async def ecpay_code(sim: Sim, no: str, choice: str) -> dict[str, Any]:
    """An ECPay order that took a code (ATM, CVS); the stored order."""
    page = await ecpay.choose(sim, await ecpay.checkout(sim, no, ChoosePayment=choice), choice)
    assert page.status == 200, page.text
    return sim.domain.orders.find_by_merchant_order(ecpay.TENANT, no)


async def newebpay_card(sim: Sim, no: str) -> None:
    nwp = NewebPay(sim)
    location = await nwp.start(MerchantOrderNo=no, Amt=300, CREDIT=1,
                               NotifyURL="http://127.0.0.1:9/notify")
    answer = await sim.page("POST", location, {"method": "CREDIT", "cardnumber": NEWEBPAY_CARD,
                                               "expiry": "12/30", "cvc": "123"})
    assert answer.status == 303, answer.text


async def known_payments(sim: Sim) -> None:
    """Stripe: 2000 paid (500 refunded), a decline, 1500 held. ECPay: 500 by card
    captured (200 refunded), a card declined twice then authorised, a CVS code pending, an
    ATM code expired, a CVS code paid (500). NewebPay: 300 by card captured, one order left
    at the cashier."""
    paid = (await sim.pay(2000)).body
    await sim.stripe("POST", "/v1/refunds", {"payment_intent": paid["id"], "amount": 500})
    assert (await sim.pay(3000, card="pm_card_chargeDeclined")).status == 402
    assert (await sim.pay(1500, capture_method="manual")).body["status"] == "requires_capture"
    assert await ecpay_card(sim, "E1") == 303
    page = await ecpay.choose(sim, await ecpay.checkout(sim, "E2", ChoosePayment="Credit"),
                              "Credit")
    for _ in range(2):
        page = await ecpay.pay_card(sim, page, DECLINED)
        assert page.status == 402  # the card form again, saying why
    assert (await ecpay.pay_card(sim, page)).status == 303
    await ecpay_code(sim, "E3", "CVS")
    atm = await ecpay_code(sim, "E4", "ATM")
    simulated = await sim.control("POST", f"/payments/{atm['id']}/simulate",
                                  {"outcome": "expired"})
    assert simulated.status == 200, simulated.body
    paid_code = await ecpay_code(sim, "E5", "CVS")
    simulated = await sim.control("POST", f"/payments/{paid_code['id']}/simulate",
                                  {"outcome": "paid"})
    assert simulated.status == 200, simulated.body
    e1 = sim.domain.orders.find_by_merchant_order(ecpay.TENANT, "E1")
    sim.domain.orders.capture(ecpay.TENANT, e1["id"])  # ECPay's cards wait for the close
    sim.domain.orders.refund(ecpay.TENANT, e1["id"], 200)
    await newebpay_card(sim, "N1")
    n1 = sim.domain.orders.find_by_merchant_order(NEWEBPAY, "N1")
    sim.domain.orders.capture(NEWEBPAY, n1["id"])
    await NewebPay(sim).start(MerchantOrderNo="N2", Amt=400, CREDIT=1, VACC=1)


def rows_of(figures: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["gateway"], r["method"]): r for r in figures}


async def test_stats_count_each_gateway_and_method_from_the_store(sim: Sim) -> None:
    await known_payments(sim)
    answer = await sim.control("GET", "/stats")
    assert answer.status == 200
    assert contracts().errors("https://paylab.dev/contracts/control/stats.schema.json",
                              answer.body) == []
    assert answer.body["gateway_methods_age"] < 1  # counted now: a small store is quick
    rows = rows_of(answer.body["gateway_methods"])
    assert list(rows) == [("ecpay", "atm"), ("ecpay", "card"), ("ecpay", "cvs"),
                          ("newebpay", "card"), ("newebpay", "unselected"),
                          ("stripe", "card")]
    assert rows[("stripe", "card")] == {
        **ZERO, "gateway": "stripe", "method": "card", "currency": "usd", "decimals": 2,
        "volume": 3, "paid": 1, "authorized": 1, "failed": 1, "declines": 1, "refunds": 1,
        "amount": 2000, "refunded_amount": 500, "success_rate": 0.6667}
    assert rows[("ecpay", "card")] == {
        **ZERO, "gateway": "ecpay", "method": "card", "currency": "twd", "decimals": 0,
        "volume": 2, "paid": 1, "authorized": 1, "declines": 2, "refunds": 1, "amount": 500,
        "refunded_amount": 200, "success_rate": 1.0}
    assert rows[("ecpay", "cvs")] == {
        **ZERO, "gateway": "ecpay", "method": "cvs", "currency": "twd", "decimals": 0,
        "volume": 2, "pending_codes": 1, "paid": 1, "amount": 500, "success_rate": 1.0}
    assert rows[("ecpay", "atm")] == {
        **ZERO, "gateway": "ecpay", "method": "atm", "currency": "twd", "decimals": 0,
        "volume": 1, "expired": 1, "expired_codes": 1, "success_rate": 0.0}
    assert rows[("newebpay", "card")] == {
        **ZERO, "gateway": "newebpay", "method": "card", "currency": "twd", "decimals": 0,
        "volume": 1, "paid": 1, "amount": 300, "success_rate": 1.0}
    assert rows[("newebpay", "unselected")]["open"] == 1
    # the window's figures count order events too, in the same terms as Stripe's
    window = {(m["gateway"], m["method"]): m for m in answer.body["methods"]}
    assert (window[("ecpay", "card")]["succeeded"], window[("ecpay", "card")]["failed"],
            window[("ecpay", "card")]["refunded"]) == (1, 2, 1)
    assert window[("newebpay", "card")]["average_amount"] == 300


async def test_figures_follow_the_tenant_and_a_reset(sim: Sim) -> None:
    await known_payments(sim)
    store = sim.domain.store
    assert {r["gateway"] for r in gateway_methods(store, ecpay.TENANT)} == {"ecpay"}
    assert [r["volume"] for r in gateway_methods(store, sim.tenant)] == [3]
    assert (await sim.control("POST", "/reset", {})).status == 200
    assert gateway_methods(store) == []


async def test_metrics_label_payments_with_gateway_and_method(sim: Sim) -> None:
    await known_payments(sim)
    text = (await sim._send("GET", "/_sim/metrics")).text
    assert "# TYPE paylab_payments_total counter" in text
    counted = {(labels["gateway"], labels["method"], labels["outcome"]): value
               for labels, value in samples(text, "paylab_payments_total")}
    assert {k: v for k, v in counted.items() if k[0] == "ecpay" and v} == {
        ("ecpay", "card", "created"): 2, ("ecpay", "card", "paid"): 1,
        ("ecpay", "card", "authorized"): 1,
        ("ecpay", "card", "declined"): 2, ("ecpay", "card", "refunded"): 1,
        ("ecpay", "cvs", "created"): 2, ("ecpay", "cvs", "code_pending"): 1,
        ("ecpay", "cvs", "paid"): 1,
        ("ecpay", "atm", "created"): 1, ("ecpay", "atm", "expired"): 1}
    assert counted[("stripe", "card", "failed")] == 1
    assert counted[("stripe", "card", "authorized")] == 1
    assert counted[("newebpay", "card", "paid")] == 1
    assert counted[("newebpay", "unselected", "open")] == 1
    amounts = {(labels["gateway"], labels["method"], labels["currency"], labels["kind"]): value
               for labels, value in samples(text, "paylab_payment_amount_total")}
    assert amounts[("ecpay", "card", "twd", "paid")] == 500
    assert amounts[("ecpay", "card", "twd", "refunded")] == 200
    assert amounts[("stripe", "card", "usd", "paid")] == 2000
    # no in-memory copy under the same name: one series per label set
    names = [line.split(" ")[0] for line in text.splitlines() if not line.startswith("#")]
    assert len(names) == len(set(names))


async def test_requests_to_each_gateway_carry_its_label(sim: Sim) -> None:
    await known_payments(sim)
    text = (await sim._send("GET", "/_sim/metrics")).text
    routes = {(labels["gateway"], labels["route"]) for labels, _ in
              samples(text, "paylab_request_duration_seconds_count")}
    assert ("ecpay", "/Cashier/AioCheckOut/V5") in routes
    assert ("newebpay", "/MPG/mpg_gateway") in routes
    assert ("stripe", "/v1/payment_intents") in routes
    requests = {labels["gateway"] for labels, _ in samples(text, "paylab_requests_total")}
    assert requests == {"ecpay", "newebpay", "stripe"}
    journal = (await sim.control("GET", "/stats", query={"gateway": "ecpay"})).body["journal"]
    assert journal and {e["gateway"] for e in journal} == {"ecpay"}
    assert any(re.fullmatch(r"/ecpay/Cashier/AioCheckOut/V5", e["path"]) for e in journal)
    merchant = (await sim.control("GET", "/stats", query={"tenant": ecpay.TENANT})).body
    assert merchant["journal"] and {e["tenant"] for e in merchant["journal"]} == {ecpay.TENANT}


async def test_the_ledger_lists_orders_with_their_gateway(sim: Sim) -> None:
    await known_payments(sim)
    answer = await sim.control("GET", "/ledger", query={"tenant": ecpay.TENANT})
    assert answer.status == 200
    assert contracts().errors("https://paylab.dev/contracts/control/ledger.schema.json",
                              answer.body) == []
    book = answer.body
    rows = {r["merchant_order_no"]: r for r in book["payments"]}
    e1 = sim.domain.orders.find_by_merchant_order(ecpay.TENANT, "E1")
    assert rows["E1"] == {"id": e1["id"], "tenant": ecpay.TENANT, "gateway": "ecpay",
                          "status": "paid", "currency": "twd", "amount": 500,
                          "authorized": 500, "captured": 500, "refunded": 200,
                          "refund_count": 1, "method": "card", "merchant_order_no": "E1"}
    assert (rows["E3"]["status"], rows["E3"]["method"], rows["E3"]["captured"]) == (
        "awaiting_payment", "cvs", 0)
    assert (rows["E4"]["status"], rows["E4"]["authorized"]) == ("expired", 0)
    # a code paid is captured whole (the order keeps no captured amount of its own)
    assert (rows["E5"]["status"], rows["E5"]["authorized"], rows["E5"]["captured"]) == (
        "paid", 500, 500)
    assert book["totals"] == {"twd": {"authorized": 1500, "captured": 1000, "refunded": 200}}
    assert book["gateway_totals"] == {"ecpay": book["totals"]}
    everything = (await sim.control("GET", "/ledger")).body
    assert {r["gateway"] for r in everything["payments"]} == {"ecpay", "newebpay", "stripe"}
    assert everything["gateway_totals"]["newebpay"]["twd"]["captured"] == 300
    assert everything["gateway_totals"]["stripe"]["usd"] == {
        "authorized": 3500, "captured": 2000, "refunded": 500}


async def test_webhook_rows_name_the_callback_target_and_what_happened(sim: Sim) -> None:
    await sim.stripe("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hook",
                                                       "enabled_events[]": "*"})
    await known_payments(sim)
    body = (await sim.control("GET", "/stats")).body
    labels = body["webhook_labels"]
    shown = {(d["gateway"], labels[str(d["id"])]["target"], labels[str(d["id"])]["event_kind"],
              labels[str(d["id"])]["event_type"]) for d in body["webhooks"]}
    assert ("newebpay", "NotifyURL", "order.authorized", "NotifyURL") in shown
    assert ("ecpay", "ReturnURL", "order.authorized", "ReturnURL") in shown
    assert ("stripe", "endpoint", "payment.created", "payment_intent.created") in shown
    urls = {labels[str(d["id"])]["endpoint_url"] for d in body["webhooks"]}
    assert "http://127.0.0.1:9/notify" in urls


def test_slow_counts_are_reused_briefly_and_fast_ones_never(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A dashboard polling a store of a long load test must not hog the event loop."""
    calls: list[int] = []

    def count(store: Any) -> list[dict[str, Any]]:
        calls.append(1)
        time.sleep(0.01)
        return [{"n": len(calls)}]

    wall = [1000.0]
    metrics = Metrics(clock=lambda: wall[0])
    monkeypatch.setattr(payment_figures, "gateway_methods", count)
    monkeypatch.setattr(payment_figures, "FIGURES_FRESH_SECONDS", 60.0)  # every count quick
    assert [metrics.figures(None) for _ in range(3)] == [
        (1000.0, [{"n": 1}]), (1000.0, [{"n": 2}]), (1000.0, [{"n": 3}])]
    monkeypatch.setattr(payment_figures, "FIGURES_FRESH_SECONDS", 0.005)  # every count slow
    first = metrics.figures(None)
    wall[0] += 0.0625  # within ten times the 10 ms or more the count took
    assert metrics.figures(None) == first == (1000.0, [{"n": 4}])
    wall[0] += 60  # long past it: counted afresh, and stamped with the time
    assert metrics.figures(None) == (1060.0625, [{"n": 5}])


async def test_a_file_store_is_counted_on_a_thread_and_answers_the_last_count_meanwhile(
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large store's count must not stall the event loop: it runs on a thread with its
    own read connection, and while it runs the previous count answers."""
    import asyncio
    import threading

    from paylab.simulator.core.store import Store

    store = Store(str(tmp_path / "figures.db"))
    loop_thread = threading.get_ident()
    threads: list[int] = []
    release = threading.Event()

    def count(reader: Any) -> list[dict[str, Any]]:
        threads.append(threading.get_ident())
        release.wait(5)
        return [{"n": len(threads)}]

    monkeypatch.setattr(payment_figures, "gateway_methods", count)
    monkeypatch.setattr(payment_figures, "FIGURES_FRESH_SECONDS", 60.0)  # never reused
    figures = payment_figures.PaymentFigures()
    release.set()
    assert (await figures.apart(store))[1] == [{"n": 1}]
    assert threads[0] != loop_thread
    release.clear()
    running = asyncio.ensure_future(figures.apart(store))
    await asyncio.sleep(0.05)  # the second count is blocked on its thread
    assert (await asyncio.wait_for(figures.apart(store), 1))[1] == [{"n": 1}]
    release.set()
    assert (await running)[1] == [{"n": 2}]
    store.close()
