"""The dashboard's figures (issue 11): faults count against the success rate, latency does
not; the journal can be filtered and opened, with secrets and card numbers masked."""

from __future__ import annotations

import json

import aiohttp
import pytest
from paylab.simulator.journal_bodies import MASK, JournalBodies, mask_text, masked_body
from paylab.suites.unit.inprocess import KEY, ClientFactory, Sim, start

CARD = "4242424242424242"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def scenario(sim: Sim, *rules: dict) -> None:
    answer = await sim.control("PUT", "/scenario",
                               raw=json.dumps({"name": "t", "rules": list(rules)}))
    assert answer.status == 200, answer.body


async def stats(sim: Sim, **query: object) -> dict:
    answer = await sim.control("GET", "/stats", query=query)
    assert answer.status == 200, answer.body
    return answer.body


async def test_network_faults_count_against_success_and_latency_does_not(sim: Sim) -> None:
    await scenario(sim, {"name": "slow", "match": {"method": "GET"},
                         "effects": [{"latency": {"fixed": 1}}]},
                   {"name": "lost", "match": {"method": "POST"},
                    "effects": [{"network": {"fault": "reset", "when": "after"}}]})
    for _ in range(3):
        await sim.stripe("GET", "/v1/payment_intents")
    with pytest.raises(aiohttp.ClientError):  # the answer is lost on the way
        await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    health = (await stats(sim))["health"]
    assert (health["calls"], health["failed"], health["faults"],
            health["latency_only"]) == (4, 1, 1, 3)
    assert health["success_rate"] == 0.75
    assert health["error_rate"] == 0.25


async def test_injected_errors_count_against_success(sim: Sim) -> None:
    await scenario(sim, {"name": "down", "match": {"method": "GET"},
                         "effects": [{"error": {"status": 503}}]})
    await sim.stripe("GET", "/v1/payment_intents")
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    health = (await stats(sim))["health"]
    assert (health["calls"], health["failed"], health["faults"]) == (2, 1, 1)
    assert health["success_rate"] == 0.5


async def test_the_journal_tail_filters_by_status_effect_and_tenant(sim: Sim) -> None:
    await scenario(sim, {"name": "slow", "match": {"method": "POST"},
                         "effects": [{"latency": {"fixed": 1}}]})
    await sim.stripe("GET", "/v1/payment_intents/pi_missing")
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    missing = (await stats(sim, status="4xx"))["journal"]
    assert [e["status"] for e in missing] == [404]
    slowed = (await stats(sim, effect="latency"))["journal"]
    assert [e["method"] for e in slowed] == ["POST"]
    assert (await stats(sim, tenant=KEY))["journal"]
    assert (await stats(sim, tenant="sk_test_nobody_here"))["journal"] == []
    assert (await sim.control("GET", "/stats", query={"status": "9xx"})).status == 400


async def test_an_opened_row_shows_masked_bodies(sim: Sim) -> None:
    await sim.stripe("POST", "/v1/payment_methods", {
        "type": "card", "card[number]": CARD, "card[exp_month]": "12",
        "card[exp_year]": "2034", "card[cvc]": "987"})
    endpoint = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": "https://example.com/hook", "enabled_events[]": "*"})
    rows = (await stats(sim))["journal"]
    method_row = next(r for r in rows if r["path"].endswith("/payment_methods"))
    opened = (await stats(sim, open=method_row["seq"]))["opened"]
    assert "card[number]=" + MASK in opened["request"]
    assert "card[cvc]=" + MASK in opened["request"]
    assert CARD not in opened["request"] and "987" not in opened["request"]
    assert '"last4": "4242"' in opened["response"]
    endpoint_row = next(r for r in rows if r["path"].endswith("/webhook_endpoints"))
    shown = json.dumps(await stats(sim, open=endpoint_row["seq"]))
    assert endpoint.body["secret"].startswith("whsec_")
    assert endpoint.body["secret"] not in shown and "\\u2022" in shown
    assert (await stats(sim, open=999999))["opened"] is None


def test_masking_covers_keys_secrets_tokens_and_cards() -> None:
    text = ("sk_test_abc123 whsec_Zz9+/= pi_123_secret_abc "
            "https://x/checkout/cs_1?token=T0k3n&a=1 4242 4242 4242 4242 ts 1764668000")
    assert mask_text(text) == (f"sk_test_{MASK} whsec_{MASK} pi_123_secret_{MASK} "
                               f"https://x/checkout/cs_1?token={MASK}&a=1 {MASK} 4242 "
                               "ts 1764668000")
    body = masked_body(b'{"client_secret": "pi_1_secret_x", "amount": 2000}',
                       "application/json") or ""
    assert f'"client_secret": "{MASK}"' in body and '"amount": 2000' in body
    assert len(masked_body(b"a=" + b"x" * 10_000, "application/x-www-form-urlencoded")
               or "") < 4200


async def test_a_timed_window_says_how_long_it_has_left(sim: Sim) -> None:
    answer = await sim.control("PUT", "/scenario", query={"preset": "gateway-outage"})
    assert answer.status == 200, answer.body
    windows = (await stats(sim))["scenario_windows"]
    assert [(w["rule"], w["state"], w["end"]) for w in windows] == [("outage", "open", 30)]
    scale = sim.domain.clock.time_scale
    assert 0 < windows[0]["ends_in"] <= 30 / scale
    await sim.control("POST", "/clock/advance", {"seconds": 31})
    assert (await stats(sim))["scenario_windows"][0]["state"] == "closed"


async def test_checkout_page_tokens_and_client_secrets_stay_masked(sim: Sim) -> None:
    session = await sim.stripe("POST", "/v1/checkout/sessions", {
        "success_url": "https://shop.example/ok", "amount": 1200, "currency": "usd"})
    token = session.body["url"].split("token=")[1]
    intent = await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    rows = (await stats(sim))["journal"]
    opened = [(await stats(sim, open=r["seq"]))["opened"] for r in rows]
    shown = json.dumps(opened, ensure_ascii=False)
    assert token not in shown and intent.body["client_secret"] not in shown
    responses = "".join(o["response"] or "" for o in opened)
    assert f"token={MASK}" in responses and f'"client_secret": "{MASK}"' in responses


async def test_bodies_of_reset_rows_are_swept(sim: Sim) -> None:
    for _ in range(2):
        await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"})
    store = sim.domain.journal.store
    assert store.one("SELECT COUNT(*) FROM journal_bodies")[0] == 2
    sim.domain.store.reset()
    bodies = JournalBodies(store)
    bodies._added = 999  # the next add sweeps
    store.write("INSERT INTO journal (at, gateway, method, path, status, latency_ms) "
                "VALUES (1, 'stripe', 'GET', '/x', 200, 1)")
    bodies.add(1, "a=1", None)
    assert store.all("SELECT seq, request FROM journal_bodies") == [(1, "a=1")]
