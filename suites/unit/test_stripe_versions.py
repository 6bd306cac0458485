"""Stripe API versions, `Stripe-Account` and Stripe's indented JSON: the version rules and
the reshaping as pure functions, then through an in-process simulator (answers, errors,
replays, events over the API and webhook bodies by the endpoint's pinned version)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.contracts import CONTRACTS_DIR
from paylab.simulator.gateways.stripe import render, versions
from paylab.suites.unit.inprocess import ClientFactory, Sim, eventually, start

OLD = "2022-08-01"  # before 2022-11-15: charges and refunds embedded
SOURCE = "2018-11-08"  # before 2019-02-11: requires_source statuses too


def test_the_latest_version_is_the_one_events_are_stamped_with() -> None:
    assert versions.LATEST == render.DEFAULT_API_VERSION == versions.RELEASED[-1]
    assert versions.OLDEST == "2011-01-01"
    assert list(versions.RELEASED) == sorted(versions.RELEASED)


@pytest.mark.parametrize(("asked", "served"), [
    (None, versions.LATEST), ("2011-01-01", "2011-01-01"), ("2020-08-27", "2020-08-27"),
    ("2024-09-30.acacia", "2024-09-30.acacia"), (versions.LATEST, versions.LATEST),
    ("2099-01-01", versions.LATEST), ("2099-01-01.zebra", versions.LATEST),
    # refused: malformed, older than the oldest, a date Stripe released nothing on
    ("1999-01-01", None), ("2010-12-31", None), ("garbage", None), ("2019-2-19", None),
    ("2022-08-02", None), ("2024-09-30.basil", None), ("2099-13-45", None), ("", None),
    ("2020-08-27 ", None), ("2019-12-03, 2019-12-03", None),
])
def test_which_version_a_request_is_served(asked: str | None, served: str | None) -> None:
    assert versions.served(asked) == served


def _intent(**fields: Any) -> dict[str, Any]:
    return {"id": "pi_1", "object": "payment_intent", "capture_method": "automatic",
            "client_secret": "s", "latest_charge": "ch_2", "next_action": None,
            "status": "succeeded", **fields}


CHARGES = [{"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "refunded": False,
            "review": None},
           {"id": "ch_2", "object": "charge", "payment_intent": "pi_1", "refunded": True,
            "review": None},
           {"id": "ch_3", "object": "charge", "payment_intent": "pi_1", "refunded": False,
            "review": None}]


def _related(kind: str, node: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == "charge":
        return [dict(c) for c in CHARGES]
    return [{"id": "re_1", "object": "refund", "charge": node["id"]}] if node["refunded"] else []


def test_before_2022_11_15_an_intent_lists_its_charges_up_to_its_latest_in_place() -> None:
    old = versions.reshape({"object": "list", "data": [_intent()]}, OLD, _related)
    intent = old["data"][0]
    assert list(intent)[:5] == ["id", "object", "capture_method", "charges", "client_secret"]
    charges = intent["charges"]
    assert (charges["object"], charges["total_count"], charges["has_more"], charges["url"]) == (
        "list", 2, False, "/v1/charges?payment_intent=pi_1")
    assert [c["id"] for c in charges["data"]] == ["ch_1", "ch_2"]
    # the charges inside are reshaped too: each lists its refunds
    assert [c["refunds"]["total_count"] for c in charges["data"]] == [0, 1]
    assert charges["data"][1]["refunds"]["url"] == "/v1/charges/ch_2/refunds"
    assert list(charges["data"][1])[-3:] == ["refunded", "refunds", "review"]
    unpaid = versions.reshape(_intent(latest_charge=None), OLD, _related)
    assert unpaid["charges"]["data"] == []
    assert "charges" not in versions.reshape(_intent(), "2022-11-15", _related)


def test_before_2019_02_11_intents_speak_of_sources() -> None:
    action = {"redirect_to_url": {"url": "u", "return_url": "r"}, "type": "redirect_to_url"}
    old = versions.reshape(_intent(status="requires_action", next_action=action,
                                   latest_charge=None), SOURCE, _related)
    assert old["status"] == "requires_source_action" and "next_action" not in old
    assert old["next_source_action"] == {"authorize_with_url": {"url": "u", "return_url": "r"},
                                         "type": "authorize_with_url"}
    keys = list(old)
    assert keys[keys.index("latest_charge") + 1] == "next_source_action"
    assert versions.reshape(_intent(status="requires_payment_method", latest_charge=None),
                            SOURCE, _related)["status"] == "requires_source"
    assert versions.reshape(_intent(status="requires_action", latest_charge=None),
                            "2019-02-11", _related)["status"] == "requires_action"
    event = {"id": "evt_1", "object": "event", "api_version": versions.LATEST, "data": {
        "object": _intent(latest_charge=None),
        "previous_attributes": {"status": "requires_payment_method"}}}
    shaped = versions.reshape(event, SOURCE, _related)
    assert shaped["api_version"] == SOURCE
    assert shaped["data"]["previous_attributes"] == {"status": "requires_source"}
    assert shaped["data"]["object"]["status"] == "succeeded"


def test_before_2020_08_27_a_customer_lists_sources_subscriptions_and_tax_ids() -> None:
    customer = {"id": "cus_1", "object": "customer", "address": None, "currency": None,
                "email": "a@example.com", "shipping": None, "tax_exempt": "none",
                "test_clock": None}
    old = versions.reshape(customer, "2020-03-02", _related)
    assert list(old) == ["id", "object", "address", "currency", "email", "shipping",
                         "sources", "subscriptions", "tax_exempt", "tax_ids", "test_clock"]
    assert old["tax_ids"] == {"object": "list", "data": [], "has_more": False,
                              "total_count": 0, "url": "/v1/customers/cus_1/tax_ids"}
    assert old["sources"]["url"] == "/v1/customers/cus_1/sources"
    assert versions.reshape(customer, "2020-08-27", _related) == customer
    unset = versions.reshape({**customer, "sources": None}, "2020-03-02", _related)
    assert unset["sources"]["total_count"] == 0 and list(unset)[-1] == "sources"


def test_deleted_objects_and_parts_without_ids_are_left_alone() -> None:
    deleted = {"id": "cus_1", "object": "customer", "deleted": True}
    assert versions.reshape(deleted, "2011-01-01", _related) == deleted
    price = {"object": "list", "data": [{"object": "payment_intent", "amount": 1}]}
    assert versions.reshape(price, "2011-01-01", _related) == price


def test_the_latest_version_leaves_the_answer_as_it_is() -> None:
    tree = {"object": "list", "data": [_intent()]}
    assert versions.reshape(tree, versions.LATEST, _related) is tree


# -- through the simulator -----------------------------------------------------------------
@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def test_answers_are_indented_like_stripes_and_echo_the_version(sim: Sim) -> None:
    paid = await sim.pay(1500)
    assert paid.text.startswith('{\n  "id": "pi_') and paid.text.endswith("\n}")
    assert paid.text == json.dumps(paid.body, indent=2, ensure_ascii=False)
    assert paid.headers["Stripe-Version"] == versions.LATEST
    missing = await sim.stripe("GET", "/v1/payment_intents/pi_nope")
    assert missing.text.startswith('{\n  "error": {\n    "type": "invalid_request_error"')
    unrouted = await sim.stripe("GET", "/v1/nowhere")
    assert unrouted.status == 404 and unrouted.text.startswith('{\n  "error": {\n')
    once = {"amount": 900, "currency": "usd"}
    first = await sim.stripe("POST", "/v1/payment_intents", once, idempotency_key="k1")
    replay = await sim.stripe("POST", "/v1/payment_intents", once, idempotency_key="k1")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.text == first.text
    pinned = await sim.stripe("GET", f"/v1/payment_intents/{paid.body['id']}",
                              headers={"Stripe-Version": "2020-08-27"})
    assert pinned.headers["Stripe-Version"] == "2020-08-27"
    assert pinned.text.startswith('{\n  "id": "pi_')
    newer = await sim.stripe("GET", "/v1/payment_intents", headers={"Stripe-Version":
                                                                     "2099-01-01"})
    assert newer.status == 200 and newer.headers["Stripe-Version"] == versions.LATEST


@pytest.mark.parametrize("version", ["1999-01-01", "garbage", "2022-08-02"])
async def test_a_version_stripe_never_released_is_refused_before_anything_runs(
        sim: Sim, version: str) -> None:
    answer = await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"},
                              headers={"Stripe-Version": version})
    assert answer.status == 400
    assert answer.body["error"]["type"] == "invalid_request_error"
    assert answer.body["error"]["message"] == f"Invalid Stripe API version: {version}"
    assert answer.body["error"]["param"] == "Stripe-Version"
    listed = await sim.stripe("GET", "/v1/payment_intents")
    assert listed.body["data"] == []


async def test_stripe_account_is_refused_nothing_stored_and_journaled(sim: Sim) -> None:
    answer = await sim.stripe("POST", "/v1/payment_intents", {"amount": 100, "currency": "usd"},
                              headers={"Stripe-Account": "acct_1032D82eZvKYlo2C"})
    assert answer.status == 403
    error = answer.body["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "account_invalid")
    assert error["message"] == (
        f"The provided key '{sim.key[:8]}****{sim.key[-4:]}' does not have access to account "
        "'acct_1032D82eZvKYlo2C' (or that account does not exist). Application access may "
        "have been revoked.")
    assert error["doc_url"].endswith("/account-invalid")
    assert (await sim.stripe("GET", "/v1/payment_intents")).body["data"] == []
    journal = (await sim.control("GET", "/journal", query={"tenant": sim.key})).body
    assert sorted((e["method"], e["status"]) for e in journal["entries"]) == [
        ("GET", 200), ("POST", 403)]


async def test_an_old_version_embeds_charges_and_refunds_everywhere(sim: Sim) -> None:
    paid = (await sim.pay(2000)).body
    refund = (await sim.stripe("POST", "/v1/refunds",
                               {"payment_intent": paid["id"], "amount": 500})).body
    old = {"Stripe-Version": OLD}
    intent = (await sim.stripe("GET", f"/v1/payment_intents/{paid['id']}", headers=old)).body
    assert [c["id"] for c in intent["charges"]["data"]] == [paid["latest_charge"]]
    charge = intent["charges"]["data"][0]
    assert [r["id"] for r in charge["refunds"]["data"]] == [refund["id"]]
    retrieved = (await sim.stripe("GET", f"/v1/charges/{paid['latest_charge']}",
                                  headers=old)).body
    assert retrieved["refunds"]["url"] == f"/v1/charges/{paid['latest_charge']}/refunds"
    expanded = (await sim.stripe("GET", f"/v1/refunds/{refund['id']}",
                                 {"expand": ["charge"]}, headers=old)).body
    assert expanded["charge"]["refunds"]["total_count"] == 1
    latest = (await sim.stripe("GET", f"/v1/payment_intents/{paid['id']}")).body
    assert "charges" not in latest
    events = (await sim.stripe("GET", "/v1/events", headers=old)).body["data"]
    assert {e["api_version"] for e in events} == {OLD}
    succeeded = next(e for e in events if e["type"] == "payment_intent.succeeded")
    assert succeeded["data"]["object"]["charges"]["total_count"] == 1


async def test_an_old_version_lists_a_customers_sources(sim: Sim) -> None:
    made = await sim.stripe("POST", "/v1/customers", {"email": "old@example.com"},
                            headers={"Stripe-Version": "2020-03-02"})
    assert made.status == 200, made.body
    assert made.body["subscriptions"]["url"] == f"/v1/customers/{made.body['id']}/subscriptions"
    now = await sim.stripe("GET", f"/v1/customers/{made.body['id']}")
    assert "sources" not in now.body


async def test_a_reshaping_bug_leaves_the_latest_shape_not_a_500(
        sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(versions, "reshape", broken)
    answer = await sim.stripe("POST", "/v1/payment_intents",
                              {"amount": 1000, "currency": "usd"},
                              headers={"Stripe-Version": OLD})
    assert answer.status == 200 and "charges" not in answer.body
    assert answer.text.startswith('{\n  "id": "pi_')


async def test_a_declined_card_error_carries_the_old_intent_shape(sim: Sim) -> None:
    declined = await sim.stripe("POST", "/v1/payment_intents", {
        "amount": 1500, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
        "confirm": "true"}, headers={"Stripe-Version": SOURCE})
    assert declined.status == 402
    intent = declined.body["error"]["payment_intent"]
    assert intent["status"] == "requires_source"
    assert intent["charges"]["total_count"] == 1


Delivered = list[tuple[bytes, str]]


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[Delivered, str]:
    bodies: Delivered = []

    async def keep(request: web.Request) -> web.Response:
        bodies.append((await request.read(), request.headers["Stripe-Signature"]))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hooks", keep)
    server: TestServer = await aiohttp_server(app)
    return bodies, str(server.make_url("/hooks"))


async def test_webhook_bodies_follow_the_endpoint_pinned_version_and_are_signed_as_sent(
        sim: Sim, receiver: tuple[Delivered, str]) -> None:
    bodies, url = receiver
    made = await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": url, "enabled_events": ["payment_intent.succeeded"], "api_version": OLD})
    assert made.status == 200, made.body
    await sim.pay(1200)

    async def delivered() -> bool:
        return len(bodies) == 1

    await eventually(delivered)
    body, signature = bodies[0]
    assert body.startswith(b'{\n  "id": "evt_') and body.endswith(b"\n}")
    event = stripe.Webhook.construct_event(body.decode(), signature, made.body["secret"])
    assert event["api_version"] == OLD
    assert event["data"]["object"]["charges"]["total_count"] == 1


async def test_a_reshaping_bug_still_delivers_the_webhook_in_the_latest_shape(
        sim: Sim, receiver: tuple[Delivered, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise KeyError("bug")

    monkeypatch.setattr(versions, "reshape", broken)
    bodies, url = receiver
    await sim.stripe("POST", "/v1/webhook_endpoints", {
        "url": url, "enabled_events": ["payment_intent.succeeded"], "api_version": OLD})
    await sim.pay(1200)

    async def delivered() -> bool:
        return len(bodies) == 1

    await eventually(delivered)
    assert "charges" not in json.loads(bodies[0][0])["data"]["object"]


def test_a_webhook_endpoint_pins_only_a_released_version() -> None:
    schema = json.loads((CONTRACTS_DIR / "stripe" / "requests" /
                         "webhook_endpoint_create.schema.json").read_text("utf-8"))
    assert schema["properties"]["api_version"]["enum"] == list(versions.RELEASED)
