"""Scenario effects as clients of an in-process simulator see them: latency, injected
errors, network faults, forced outcomes, webhook chaos and fraud rules, switched through
the control API."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.suites.unit.inprocess import OTHER_KEY, Answer, ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
EFFECT = "Paylab-Effect"


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def load(sim: Sim, scenario: dict[str, Any], **query: Any) -> Answer:
    answer = await sim.control("PUT", "/scenario", raw=json.dumps(scenario), query=query)
    assert answer.status == 200, answer.body
    return answer


def one_rule(effects: list[dict[str, Any]], match: dict[str, Any] | None = None,
             **extra: Any) -> dict[str, Any]:
    return {"name": "test", "seed": 3, "rules": [
        {"name": "r", "match": match or {"path": "/v1/payment_intents*"}, "effects": effects,
         **extra}]}


# -- switching --------------------------------------------------------------------------------
async def test_a_scenario_is_loaded_shown_counted_and_cleared(sim: Sim) -> None:
    loaded = (await load(sim, one_rule([{"error": {"status": 503}}],
                                       lifetime={"first": 1}))).body
    assert loaded["scope"] == "*" and loaded["scenario"]["name"] == "test"
    assert loaded["rules"] == [{"name": "r", "phase": "request", "matches": 0, "applied": 0}]
    assert (await sim.pay()).status == 503
    assert (await sim.pay()).status == 200
    state = (await sim.control("GET", "/scenario")).body
    assert state["rules"] == [{"name": "r", "phase": "request", "matches": 2, "applied": 1}]
    cleared = (await sim.control("DELETE", "/scenario")).body
    assert cleared == {"cleared": True, "scope": "*"}
    assert (await sim.control("DELETE", "/scenario")).body["cleared"] is False
    assert (await sim.control("GET", "/scenario")).body["scenario"] is None


async def test_a_tenant_scenario_replaces_the_global_one_for_that_tenant(sim: Sim) -> None:
    await load(sim, one_rule([{"error": {"status": 503}}]))
    await load(sim, one_rule([{"error": {"status": 429, "retry_after": 7}}]),
               tenant=OTHER_KEY, ahead="true")  # before its first call
    assert (await sim.pay()).status == 503
    limited = await sim.pay(key=OTHER_KEY)
    assert limited.status == 429 and limited.headers["Retry-After"] == "7"
    assert limited.error == {
        "type": "invalid_request_error", "code": "rate_limit",
        "message": "Too many requests hit the API too quickly. We recommend an exponential "
                   "backoff of your requests."}
    mine = (await sim.control("GET", "/scenario", query={"tenant": OTHER_KEY})).body
    assert mine["scope"].startswith("acct_") and mine["scenario"]["name"] == "test"
    reset = await sim.control("POST", "/reset", {"api_key": OTHER_KEY})
    assert reset.body == {"reset": mine["scope"]}
    assert (await sim.pay(key=OTHER_KEY)).status == 503  # the global one applies again


async def test_bad_scenarios_are_refused_and_the_active_one_stays(sim: Sim) -> None:
    await load(sim, one_rule([{"error": {"status": 503}}]))
    bad = await sim.control("PUT", "/scenario", raw=json.dumps(
        {"rules": [{"name": "x", "effects": [{"latency": {"uniform": [50, 10]}}]}]}))
    assert bad.status == 400
    assert bad.body["error"]["code"] == "invalid_scenario"
    assert bad.body["error"]["message"] == (
        'rules[0] "x": effects[0]: latency.uniform needs [low, high] with low <= high')
    unreadable = await sim.control("PUT", "/scenario", raw="rules: [")
    assert unreadable.status == 400
    assert unreadable.body["error"]["message"].startswith("not valid YAML or JSON")
    empty = await sim.control("PUT", "/scenario", raw="")
    assert empty.body["error"]["message"] == "send a scenario (YAML or JSON) or ?preset=name"
    assert (await sim.pay()).status == 503


async def test_presets_load_by_name(sim: Sim) -> None:
    presets = (await sim.control("GET", "/scenario/presets")).body["presets"]
    names = [p["name"] for p in presets]
    assert "gateway-outage" in names and all(p["description"] for p in presets)
    loaded = await sim.control("PUT", "/scenario", query={"preset": "gateway-outage"})
    assert loaded.status == 200 and loaded.body["scenario"]["name"] == "gateway-outage"
    unknown = await sim.control("PUT", "/scenario", query={"preset": "nope"})
    assert unknown.status == 400
    assert unknown.body["error"]["message"] == (
        "preset: no preset named 'nope'; see GET /_sim/scenario/presets")
    both = await sim.control("PUT", "/scenario", raw="rules: []",
                             query={"preset": "gateway-outage"})
    assert both.body["error"]["message"] == "preset: give a preset or a body, not both"


# -- request effects --------------------------------------------------------------------------
async def test_latency_delays_the_answer_and_is_journaled(sim: Sim) -> None:
    await load(sim, one_rule([{"latency": {"fixed": 150}}], match={"method": "post"}))
    started = time.monotonic()
    answer = await sim.pay()
    assert time.monotonic() - started >= 0.14
    assert answer.status == 200 and answer.headers[EFFECT] == "r:latency=150.00ms"
    quick = await sim.stripe("GET", "/v1/payment_intents")
    assert EFFECT not in quick.headers
    journal = (await sim.control("GET", "/journal", query={"tenant": sim.key})).body["entries"]
    assert [e["effect"] for e in journal] == ["r:latency=150.00ms", None]
    assert journal[0]["latency_ms"] >= 140 and journal[0]["method"] == "POST"
    assert journal[0]["path"] == "/stripe/v1/payment_intents" and journal[0]["status"] == 200


@pytest.mark.parametrize(("status", "code", "message"), [
    (500, "api_error", "An unknown error occurred while processing the request."),
    (502, "bad_gateway", "The gateway received an invalid response upstream."),
    (503, "service_unavailable",
     "The payment gateway is temporarily unavailable. Please retry later."),
    (504, "gateway_timeout", "The gateway timed out waiting for an upstream."),
])
async def test_injected_errors_have_the_gateway_shape_and_do_nothing(
        sim: Sim, status: int, code: str, message: str) -> None:
    await load(sim, one_rule([{"error": {"status": status}}]))
    answer = await sim.pay()
    assert answer.status == status
    assert answer.error == {"type": "api_error", "code": code, "message": message}
    assert answer.headers[EFFECT] == f"r:error={status}"
    assert answer.headers["Request-Id"] == "req_injected"
    await sim.control("DELETE", "/scenario")
    assert (await sim.stripe("GET", "/v1/payment_intents")).body["data"] == []


async def test_an_error_after_the_work_loses_only_the_answer(sim: Sim) -> None:
    await load(sim, one_rule([{"error": {"status": 500, "when": "after",
                                         "message": "lost"}}]))
    answer = await sim.pay()
    assert answer.status == 500 and answer.error["message"] == "lost"
    assert answer.headers[EFFECT] == "r:error=500@after"
    await sim.control("DELETE", "/scenario")
    paid = (await sim.stripe("GET", "/v1/payment_intents")).body["data"]
    assert [p["status"] for p in paid] == ["succeeded"]


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_reset_connection_never_answers(sim: Sim, when: str) -> None:
    await load(sim, one_rule([{"network": {"fault": "reset", "when": when}}]))
    with pytest.raises(aiohttp.ClientError):
        await sim.pay()
    await sim.control("DELETE", "/scenario")
    paid = (await sim.stripe("GET", "/v1/payment_intents")).body["data"]
    assert len(paid) == (1 if when == "after" else 0)
    journal = (await sim.control("GET", "/journal", query={"tenant": sim.key})).body
    assert journal["entries"][0]["status"] == 0
    assert journal["entries"][0]["effect"] == "r:network=reset"


async def test_an_empty_reply_and_a_short_hang(sim: Sim) -> None:
    await load(sim, one_rule([{"network": {"fault": "hang", "seconds": 0.2}}]))
    started = time.monotonic()
    with pytest.raises(aiohttp.ClientError):
        await sim.pay()
    assert time.monotonic() - started >= 0.19
    await load(sim, one_rule([{"network": {"fault": "empty_reply"}}]))
    with pytest.raises(aiohttp.ClientError):
        await sim.pay()


async def test_body_faults_spoil_a_real_answer(sim: Sim) -> None:
    await load(sim, one_rule([{"network": {"fault": "wrong_content_type"}}]))
    html = await sim.pay()
    assert html.status == 200 and html.headers["Content-Type"].startswith("text/html")
    assert json.loads(html.text)["status"] == "succeeded"
    assert html.headers[EFFECT] == "r:network=wrong_content_type"
    await load(sim, one_rule([{"network": {"fault": "malformed"}}]))
    broken = await sim.pay()
    assert broken.headers["Content-Type"].startswith("application/json")
    assert '\x00<!-- upstream error -->{"' in broken.text
    with pytest.raises(ValueError, match=r"."):
        json.loads(broken.text)
    await load(sim, one_rule([{"network": {"fault": "slow_drip", "seconds": 0.2}}]))
    started = time.monotonic()
    slow = await sim.pay()
    assert time.monotonic() - started >= 0.15
    assert json.loads(slow.text)["status"] == "succeeded"
    await load(sim, one_rule([{"network": {"fault": "truncate"}}]))
    with pytest.raises(aiohttp.ClientError):
        await sim.pay()
    await sim.control("DELETE", "/scenario")
    assert len((await sim.stripe("GET", "/v1/payment_intents")).body["data"]) == 4


async def test_forced_outcomes_override_the_card(sim: Sim) -> None:
    await load(sim, one_rule([{"outcome": {"decline": "insufficient_funds"}}],
                             match={"amount": {"min": 5000}}))
    small = await sim.pay(4999)
    assert small.status == 200 and EFFECT not in small.headers
    big = await sim.pay(5000)
    assert big.status == 402 and big.error["decline_code"] == "insufficient_funds"
    assert big.error["message"] == "Your card has insufficient funds."
    assert big.headers[EFFECT] == "r:outcome=decline:insufficient_funds"
    await load(sim, one_rule([{"outcome": {"decline": "fraudulent"}}]))
    blocked = await sim.pay()
    assert blocked.error["decline_code"] == "fraudulent"
    await load(sim, one_rule([{"outcome": {"decline": "made_up_code"}}]))
    generic = await sim.pay()
    assert (generic.error["code"], generic.error["message"]) == (
        "card_declined", "Your card was declined.")
    assert generic.error["decline_code"] == "made_up_code"
    await load(sim, one_rule([{"outcome": {"require_3ds": True}}]))
    challenged = await sim.pay()
    assert challenged.body["status"] == "requires_action"
    assert challenged.headers[EFFECT] == "r:outcome=require_3ds"


@pytest.mark.parametrize(("then", "status", "label"), [
    ("succeed", "succeeded", "r:outcome=processing:30s->succeed"),
    ("decline:card_velocity_exceeded", "requires_payment_method",
     "r:outcome=processing:30s->decline:card_velocity_exceeded"),
])
async def test_processing_settles_by_itself_later(sim: Sim, then: str, status: str,
                                                  label: str) -> None:
    await load(sim, one_rule([{"outcome": {"processing": {"seconds": 30, "then": then}}}]))
    answer = await sim.pay()
    assert answer.status == 200 and answer.body["status"] == "processing"
    assert answer.headers[EFFECT] == label
    pid = answer.body["id"]
    await sim.control("POST", "/clock/advance", {"seconds": 29})
    assert (await sim.stripe("GET", f"/v1/payment_intents/{pid}")).body["status"] == \
        "processing"
    await sim.control("POST", "/clock/advance", {"seconds": 2})

    async def settled() -> bool:
        return (await sim.stripe("GET", f"/v1/payment_intents/{pid}")).body["status"] == status

    await eventually(settled)
    types = await sim.event_types()
    assert types[:2] == ["payment_intent.created", "payment_intent.processing"]
    assert types[-1] == ("payment_intent.succeeded" if then == "succeed"
                         else "payment_intent.payment_failed")


async def test_sequences_and_lifetimes_through_http(sim: Sim) -> None:
    await load(sim, {"name": "seq", "rules": [{
        "name": "two-503s", "match": {"path": "/v1/payment_intents"},
        "lifetime": {"sequence": [{"error": {"status": 503}}, {"error": {"status": 503}},
                                  "pass"]}}]})
    assert [(await sim.pay()).status for _ in range(4)] == [503, 503, 200, 200]


async def test_matching_on_headers_country_ip_and_run(sim: Sim) -> None:
    await load(sim, one_rule([{"error": {"status": 503}}],
                             match={"country": "tw", "run": "ci-*", "ip": "10.0.0.0/8"}))
    headers = {"X-Paylab-Country": "TW", "X-Paylab-Run": "ci-7",
               "X-Forwarded-For": "10.1.2.3, 192.0.2.1"}
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true"}
    hit = await sim.stripe("POST", "/v1/payment_intents", body, headers=headers)
    assert hit.status == 503
    for missing in ("X-Paylab-Country", "X-Paylab-Run", "X-Forwarded-For"):
        other = {k: v for k, v in headers.items() if k != missing}
        assert (await sim.stripe("POST", "/v1/payment_intents", body,
                                 headers=other)).status == 200
    entries = (await sim.control("GET", "/journal", query={"run": "ci-7"})).body["entries"]
    assert [e["status"] for e in entries] == [503, 200, 200]


async def test_rules_match_the_payment_behind_an_id(sim: Sim) -> None:
    pay = (await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 7000, "currency": "usd", "receipt_email": "vip@example.com"})).body
    await load(sim, one_rule([{"error": {"status": 502}}],
                             match={"amount": {"min": 6000, "max": 8000}, "currency": "USD",
                                    "email": "*@EXAMPLE.com"}))
    confirm = await sim.stripe("POST", f"/v1/payment_intents/{pay['id']}/confirm",
                               {"payment_method": "pm_card_visa"})
    assert confirm.status == 502


async def test_card_and_bin_matching(sim: Sim) -> None:
    await load(sim, one_rule([{"outcome": {"decline": "lost_card"}}],
                             match={"bin": "555555*"}))
    assert (await sim.pay(card="pm_card_mastercard")).status == 402
    assert (await sim.pay(card="pm_card_visa")).status == 200
    raw = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "confirm": "true", "payment_method_data": {
            "type": "card", "card": {"number": "5555 5555 5555 4444", "exp_month": 1,
                                     "exp_year": 2040}}})
    assert raw.status == 402 and raw.error["decline_code"] == "lost_card"


# -- fraud rules ------------------------------------------------------------------------------
async def test_velocity_per_card_declines_then_reviews(sim: Sim) -> None:
    await load(sim, {"name": "fraud", "fraud": [
        {"name": "fast-card", "velocity": {"key": "card", "count": 2, "window": 600},
         "action": "decline"}]})
    assert [(await sim.pay()).status for _ in range(3)] == [200, 200, 402]
    blocked = await sim.pay()
    assert blocked.error["decline_code"] == "fraudulent"
    charge = (await sim.stripe("GET", f"/v1/charges/{blocked.error['charge']}")).body
    assert charge["outcome"]["type"] == "blocked"
    assert charge["outcome"]["reason"] == "rule"
    assert charge["outcome"]["rule"] == {"id": "fast-card", "action": "block"}
    assert (charge["outcome"]["risk_level"], charge["outcome"]["risk_score"]) == ("highest", 90)
    assert (await sim.pay(card="pm_card_mastercard")).status == 200
    state = (await sim.control("GET", "/scenario")).body
    assert state["rules"] == [{"name": "fast-card", "phase": "fraud", "matches": 2,
                               "applied": 2}]


async def test_a_fraud_rule_scoped_by_gateway_card_and_run_fires_through_http(sim: Sim) -> None:
    await load(sim, {"name": "fraud", "fraud": [
        {"name": "this-card", "match": {"gateway": "stripe", "card": "5555555555554444"},
         "amount_above": 0, "action": "decline"},
        {"name": "this-run", "match": {"run": "run-7"}, "amount_above": 0,
         "action": "decline"}]})
    assert (await sim.pay(card="pm_card_visa")).status == 200
    blocked = await sim.pay(card="pm_card_mastercard")
    assert blocked.status == 402 and blocked.error["decline_code"] == "fraudulent"
    tagged = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true"},
        headers={"X-Paylab-Run": "run-7"})
    assert tagged.status == 402 and tagged.error["decline_code"] == "fraudulent"


async def test_a_review_rule_lets_the_payment_through_flagged(sim: Sim) -> None:
    await load(sim, {"name": "fraud", "fraud": [
        {"name": "big", "amount_above": 10000, "action": "review", "risk_score": 80}]})
    assert (await sim.pay(10000)).body["review"] is None
    flagged = (await sim.pay(10001)).body
    assert flagged["status"] == "succeeded" and flagged["review"].startswith("prv_")
    charge = (await sim.stripe("GET", f"/v1/charges/{flagged['latest_charge']}")).body
    assert charge["outcome"] == {
        "type": "manual_review", "network_status": "approved_by_network", "reason": "rule",
        "risk_level": "elevated", "risk_score": 80,
        "seller_message": "Stripe evaluated this payment as having elevated risk, and placed "
                          "it in review.",
        "rule": {"id": "big", "action": "review"}}
    review = (await sim.events(type="review.opened"))[0]["data"]["object"]
    assert (review["payment_intent"], review["charge"], review["open"]) == (
        flagged["id"], flagged["latest_charge"], True)
    assert (review["reason"], review["opened_reason"]) == ("rule", "rule")


async def test_a_require_3ds_rule_challenges_foreign_cards(sim: Sim) -> None:
    await load(sim, {"name": "geo", "fraud": [
        {"name": "abroad", "country_mismatch": True, "action": "require_3ds"}]})
    body = {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true"}
    home = await sim.stripe("POST", "/v1/payment_intents", body,
                            headers={"X-Paylab-Country": "us"})
    assert home.body["status"] == "succeeded"
    abroad = await sim.stripe("POST", "/v1/payment_intents", body,
                              headers={"CF-IPCountry": "TW"})
    assert abroad.body["status"] == "requires_action"


async def test_block_lists_and_card_testing(sim: Sim) -> None:
    await load(sim, {"name": "lists", "fraud": [
        {"name": "blocked-email", "block_list": {"emails": ["*@fraud.example"]},
         "action": "decline"},
        {"name": "testing", "card_testing": {"small_amount": 100, "count": 2, "window": 60,
                                             "key": "ip"}, "action": "decline"}]})
    assert (await sim.pay(receipt_email="a@fraud.example")).status == 402
    assert (await sim.pay(receipt_email="a@shop.example")).status == 200
    small = [(await sim.pay(60)).status for _ in range(3)]
    assert small == [200, 200, 402]


# -- webhook chaos ----------------------------------------------------------------------------
@pytest.fixture
async def hooks(aiohttp_server: ServerFactory) -> tuple[str, list[tuple[bytes, str]]]:
    received: list[tuple[bytes, str]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((await request.read(), request.headers.get("Stripe-Signature", "")))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/hooks", handle)
    server = await aiohttp_server(app)
    return str(server.make_url("/hooks")), received


async def webhook_endpoint(sim: Sim, url: str) -> str:
    answer = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": url, "enabled_events": ["payment_intent.created"]})
    return answer.body["secret"]


async def test_duplicated_and_delayed_webhooks(sim: Sim, hooks: tuple) -> None:
    url, received = hooks
    await load(sim, {"name": "chaos", "rules": [
        {"name": "dup", "match": {"event": "payment_intent.*"},
         "effects": [{"webhook": {"delay": 30, "duplicate": 2}}]}]})
    secret = await webhook_endpoint(sim, url)
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})
    rows = (await sim.control("GET", "/webhooks", query={"tenant": sim.key})).body["deliveries"]
    assert sorted(r["copy"] for r in rows) == [0, 1, 2]
    assert {r["effect"].split(" (copy")[0] for r in rows} == {
        "dup:webhook=delay=30,duplicate=2"}
    assert all(r["next_attempt_at"] >= r["created"] + 30 for r in rows)
    assert received == []
    await sim.control("POST", "/clock/advance", {"seconds": 31})

    async def all_three() -> bool:
        return len(received) == 3

    await eventually(all_three)
    ids = {json.loads(body)["id"] for body, _ in received}
    assert len(ids) == 1
    for body, signature in received:
        stripe.Webhook.construct_event(body.decode(), signature, secret)


async def test_bad_signatures_stale_stamps_and_dropped_attempts(sim: Sim,
                                                               hooks: tuple) -> None:
    url, received = hooks
    await load(sim, {"name": "chaos", "rules": [
        {"name": "bad", "match": {"event": "payment_intent.created"},
         "effects": [{"webhook": {"bad_signature": True, "stale_timestamp": 600,
                                  "drop_then_retry": 1}}]}]})
    secret = await webhook_endpoint(sim, url)
    await sim.stripe("POST", "/v1/payment_intents", {"amount": 900, "currency": "usd"})

    async def dropped_once() -> bool:
        rows = (await sim.control("GET", "/webhooks",
                                  query={"tenant": sim.key})).body["deliveries"]
        return bool(rows) and rows[0]["attempt_count"] == 1

    await eventually(dropped_once)
    row = (await sim.control("GET", "/webhooks", query={"tenant": sim.key})).body[
        "deliveries"][0]
    assert row["attempts"][0]["error"].startswith("dropped by scenario: bad:webhook=")
    assert received == []
    await sim.control("POST", "/clock/advance", {"seconds": 11})

    async def sent() -> bool:
        return len(received) == 1

    await eventually(sent)
    body, signature = received[0]
    stamp = int(signature.split(",")[0].removeprefix("t="))
    assert time.time() - stamp == pytest.approx(600, abs=5)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), signature, secret, tolerance=None)
