"""KPI windows over HTTP (issue 15, section 1): `kpis` of /_sim/stats (its contract, the
tenant filter, the virtual clock moving figures out of a window) and the KPI families of
/_sim/metrics, from a simulator served in-process."""

from __future__ import annotations

from typing import Any

import pytest
from paylab.simulator.kpi_metrics import kpi_lines
from paylab.suites.unit import ecpay_kit as ecpay
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, start
from paylab.suites.unit.test_inprocess_gateway_figures import DECLINED, ecpay_card
from paylab.suites.unit.test_inprocess_metrics import samples

STATS = "https://paylab.dev/contracts/control/stats.schema.json"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def kpis(sim: Sim, **query: Any) -> dict[str, Any]:
    answer = await sim.control("GET", "/stats", query=query or None)
    assert answer.status == 200, answer.body
    assert contracts().errors(STATS, answer.body) == []
    return answer.body["kpis"]


def by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["gateway"], r["method"]): r for r in rows}


async def some_payments(sim: Sim) -> None:
    """Stripe: 2000 paid (500 refunded), one declined, one blocked, one challenged.
    ECPay: a card order declined once, then paid (500)."""
    paid = (await sim.pay(2000)).body
    await sim.stripe("POST", "/v1/refunds", {"payment_intent": paid["id"], "amount": 500})
    assert (await sim.pay(3000, card="pm_card_chargeDeclined")).status == 402
    assert (await sim.pay(3000, card="pm_card_radarBlock")).status == 402
    assert (await sim.pay(900, card="pm_card_threeDSecure2Required")).status == 200
    page = await ecpay.choose(sim, await ecpay.checkout(sim, "K1", ChoosePayment="Credit"),
                              "Credit")
    assert (await ecpay.pay_card(sim, page, DECLINED)).status == 402
    assert await ecpay_card(sim, "K2") == 303


async def test_stats_carry_every_window_and_the_series(sim: Sim) -> None:
    await some_payments(sim)
    body = await kpis(sim)
    assert list(body["windows"]) == ["1m", "15m", "1h", "run"]
    assert body["at"] == pytest.approx(sim.domain.clock.now(), abs=5)
    for window in body["windows"].values():
        stripe = by_key(window)[("stripe", "card")]
        assert (stripe["volume"], stripe["succeeded"], stripe["failed"]) == (4, 1, 2)
        assert stripe["declines"] == {"fraudulent": 1, "generic_decline": 1}
        assert (stripe["fraud_blocks"], stripe["challenges"], stripe["challenge_rate"]) == (
            1, 1, 0.25)
        assert (stripe["refunds"], stripe["refunded_amount"]) == (1, {"usd": 500})
        assert stripe["success_rate"] == 0.3333
        assert stripe["latency_ms"]["count"] >= 5  # the gateway's requests, every tenant
    rows = by_key(body["windows"]["1m"])
    assert sorted(rows) == [("ecpay", "card"), ("stripe", "card")]
    card = rows[("ecpay", "card")]
    assert (card["succeeded"], card["failed"], card["amount"]) == (1, 1, {"twd": 500})
    assert {(p["gateway"], p["method"]) for p in body["series"]} == set(rows)


async def test_the_tenant_filter_and_the_clock(sim: Sim) -> None:
    await some_payments(sim)
    mine = await kpis(sim, tenant=ecpay.TENANT)
    assert [(r["gateway"], r["method"]) for r in mine["windows"]["run"]] == [("ecpay", "card")]
    assert (await sim.control("POST", "/clock/advance", {"seconds": 61})).status == 200
    moved = await kpis(sim, tenant=ecpay.TENANT)
    # no payment in the last minute; the gateway's notifications still queued, if any
    assert [r["method"] for r in moved["windows"]["1m"]] in ([], ["*"])
    assert all(r["volume"] == 0 for r in moved["windows"]["1m"])
    assert by_key(moved["windows"]["15m"])[("ecpay", "card")]["succeeded"] == 1


async def test_metrics_carry_the_kpi_families(sim: Sim) -> None:
    await some_payments(sim)
    text = (await sim.control("GET", "/metrics")).text
    declines = {(s["gateway"], s["method"], s["reason"]): v
                for s, v in samples(text, "paylab_declines_total")}
    assert declines == {("stripe", "card", "fraudulent"): 1, ("stripe", "card",
                                                               "generic_decline"): 1,
                        ("ecpay", "card", "generic_decline"): 1}
    assert samples(text, "paylab_fraud_blocks_total") == [
        ({"gateway": "stripe", "method": "card"}, 1.0)]
    assert samples(text, "paylab_challenges_total") == [
        ({"gateway": "stripe", "method": "card"}, 1.0)]
    # the families the KPI windows add are declared once each, with their TYPE
    own = "\n".join(kpi_lines(sim.domain.store)) + "\n"
    for family, kind in (("paylab_declines_total", "counter"),
                         ("paylab_fraud_blocks_total", "counter"),
                         ("paylab_challenges_total", "counter"),
                         ("paylab_webhook_deliveries_total", "counter"),
                         ("paylab_webhook_backlog", "gauge"),
                         ("paylab_webhook_lag_seconds", "histogram")):
        assert own.count(f"# TYPE {family} {kind}\n") == 1, family


async def test_the_whole_scrape_declares_each_family_once(sim: Sim) -> None:
    """Prometheus refuses a scrape that declares a family twice: the endpoint's own text,
    not only the KPI part of it."""
    await some_payments(sim)
    text = (await sim.control("GET", "/metrics")).text
    declared = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert len(declared) == len(set(declared)), sorted(
        f for f in declared if declared.count(f) > 1)
    assert "paylab_webhook_backlog" in declared


async def test_a_tenants_latency_is_in_its_own_window(sim: Sim) -> None:
    """The request middleware files each call's latency under its tenant, so a tenant's
    rows (and its latency alert) see its calls."""
    await sim.pay(2000)
    mine = by_key((await kpis(sim, tenant=sim.tenant))["windows"]["run"])
    assert mine[("stripe", "card")]["latency_ms"]["count"] >= 1
