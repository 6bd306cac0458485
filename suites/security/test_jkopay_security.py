"""JKOPay under attack, against the live simulator: a bad or missing digest, another
store's key, a body changed after signing, an amount changed at re-entry, another store's
order ids (isolation: 100 and 102), refund idempotency abuse (the same refund_order_id
raced with other amounts, concurrent refunds over the total), replayed and forged result_url
callbacks, and the injection catalogue in every body field of entry, refund and inquiry,
each body signed so the payload reaches its field (the generic bench cannot sign JSON into
a header: suites/security/injection/jkopay_rail.py). Every refusal is JKOPay's envelope and
changes nothing.

Each test registers its own stores on /_sim/merchants."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from paylab.suites.plugins.simulator import LiveSimulator
from paylab.suites.plugins.webhook_sink import WebhookSink
from paylab.suites.security.injection.payloads import json_literal, payloads, text
from paylab.suites.unit.jkopay_store import JkoStore, digest

#: The body fields probed per operation (their valid values come from `valid`).
PROBED = {"/platform/entry": ("platform_order_id", "store_id", "currency", "total_price",
                              "final_price", "unredeem", "valid_time", "result_url",
                              "result_display_url", "payment_type", "products"),
          "/platform/refund": ("platform_order_id", "refund_order_id", "refund_amount"),
          "/platform/inquiry": ("platform_order_id",)}
SENTINEL = "__paylab_probe__"


@pytest.fixture
def jko(simulator: LiveSimulator) -> JkoStore:
    return JkoStore.register(simulator.url, requests.Session())


@pytest.fixture
def other(simulator: LiveSimulator) -> JkoStore:
    return JkoStore.register(simulator.url, requests.Session())


def paid(jko: JkoStore, no: str, price: int = 1000, **extra: Any) -> str:
    made = jko.entry(no, price, **extra)
    assert made["result"] == "000", made
    url = made["result_object"]["payment_url"]
    assert jko.press(url, "approve").status_code in (200, 303)
    return url


def refused(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert (body["result"], body["result_object"]) == (code, None), body


def test_a_changed_body_bad_digest_and_foreign_key_are_refused(jko: JkoStore,
                                                               other: JkoStore) -> None:
    raw = json.dumps({"platform_order_id": "S-1", "store_id": jko.store_id,
                      "currency": "TWD", "total_price": 10, "final_price": 10,
                      "unredeem": 0}).encode()
    good = digest(jko.secret_key, raw)
    url = f"{jko.base}/jkopay/platform/entry"
    cases = [(raw.replace(b"10", b"11", 1), good, jko.api_key, 403),
             (raw, good.upper(), jko.api_key, 403), (raw, "", jko.api_key, 403),
             (raw, digest(other.secret_key, raw), jko.api_key, 403),
             (raw, good, other.api_key, 403),  # the body names the other store's store_id
             (raw, good, "", 401), (raw, good, jko.api_key + "x", 401)]
    for body, sig, key, status in cases:
        refused(requests.post(url, data=body, timeout=10, headers={
            "api-key": key, "digest": sig, "Content-Type": "application/json"}), status, "201")
    rows = jko.inquiry_get("S-1")["result_object"]["transactions"]
    assert rows[0]["status"] == 102


def test_another_stores_orders_are_not_found(jko: JkoStore, other: JkoStore) -> None:
    url = paid(jko, "S-mine", 700)
    assert other.refund("S-mine", "steal", 700)["result"] == "100"
    assert other.inquiry_get("S-mine")["result_object"]["transactions"][0]["status"] == 102
    assert other.inquiry_post("S-mine")["result_object"]["transactions"][0]["status"] == 102
    # the same platform_order_id at another store is that store's own order
    theirs = other.entry("S-mine", 5)
    assert theirs["result"] == "000"
    assert theirs["result_object"]["payment_url"] != url
    mine = jko.inquiry_get("S-mine")["result_object"]["transactions"][0]
    assert (mine["status"], mine["final_price"], mine["refund_history"]) == (0, 700, [])


def test_an_amount_changed_at_reentry_is_refused(jko: JkoStore) -> None:
    first = jko.entry("S-amount", 900)
    assert jko.entry("S-amount", 1)["result"] == "201"
    again = jko.entry("S-amount", 900)
    assert again == first
    page = requests.get(first["result_object"]["payment_url"], timeout=10)
    assert "NT$ 900" in page.text


def test_refund_idempotency_cannot_be_abused(jko: JkoStore) -> None:
    paid(jko, "S-refund", 1000)

    def refund(args: tuple[str, int]) -> str:
        return jko.refund("S-refund", args[0], args[1])["result"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        same = list(pool.map(refund, [("R-same", 600)] * 6 + [("R-same", 500)] * 2))
    assert set(same) <= {"000", "105"} and same.count("000") >= 1
    with ThreadPoolExecutor(max_workers=8) as pool:
        raced = list(pool.map(refund, [(f"R-{i}", 300) for i in range(8)]))
    assert raced.count("000") == 1 and set(raced) == {"000", "113"}
    tx = jko.inquiry_get("S-refund")["result_object"]["transactions"][0]
    assert sum(h["debit_amount"] for h in tx["refund_history"]) == 900
    assert [h["refund_order_id"] for h in tx["refund_history"]].count("R-same") == 1


def test_a_replayed_callback_is_the_same_signed_bytes(jko: JkoStore, simulator: LiveSimulator,
                                                      webhook_sink: WebhookSink) -> None:
    """A replay carries a valid digest (no time is signed): the receiver, not the digest,
    must make it harmless, by acting once per platform_order_id and status (and checking
    final_price against its own order); forged copies fail the digest."""
    paid(jko, "S-callback", 1000, result_url=f"{webhook_sink.url}/jko")
    [genuine] = webhook_sink.wait_for(1)
    deliveries = requests.get(f"{simulator.url}/_sim/webhooks", timeout=10,
                              params={"tenant": jko.tenant}).json()["deliveries"]
    probe = f"{simulator.url}/_sim/webhooks/{deliveries[0]['id']}/probe"
    for attack in ("replay", "tampered", "wrong_secret", "missing_signature"):
        assert requests.post(probe, json={"attack": attack}, timeout=10).status_code == 200
    received = webhook_sink.wait_for(5)
    assert len(received) == 5

    def signed(item: Any) -> bool:
        sig = {k.lower(): v for k, v in item.headers.items()}.get("digest", "")
        return sig == digest(jko.secret_key, item.body)

    replay, tampered, wrong, missing = received[1:]
    assert replay.body == genuine.body and signed(replay)
    assert json.loads(tampered.body)["transaction"]["final_price"] == 1 and not signed(tampered)
    assert not signed(wrong) and not signed(missing)


def _probe_body(valid: dict[str, Any], field: str, payload: Any) -> bytes:
    body = json.dumps({**valid, field: SENTINEL}, ensure_ascii=False).encode()
    return body.replace(json.dumps(SENTINEL).encode(), json_literal(payload))


def _valid(jko: JkoStore, path: str, n: int) -> dict[str, Any]:
    if path == "/platform/entry":
        return {"platform_order_id": f"P-{n}", "store_id": jko.store_id, "currency": "TWD",
                "total_price": 100, "final_price": 100, "unredeem": 0,
                "valid_time": "2099-01-01 00:00:00", "result_url": "https://shop.example/r",
                "result_display_url": "https://shop.example/d", "payment_type": "onetime",
                "products": [{"name": "tea", "unit_count": 1, "unit_price": 100,
                              "unit_final_price": 100}]}
    if path == "/platform/refund":
        return {"platform_order_id": "P-paid", "refund_order_id": f"PR-{n}",
                "refund_amount": 1}
    return {"platform_order_id": "P-paid"}


@pytest.mark.parametrize("path", list(PROBED))
def test_hostile_values_in_every_body_field_reach_it_and_are_answered_safely(
        jko: JkoStore, path: str) -> None:
    paid(jko, "P-paid", 100_000)
    chosen = [p for ps in payloads().values() for p in ps[:2]]
    problems, n = [], 0
    for field in PROBED[path]:
        for payload in chosen:
            n += 1
            raw = _probe_body(_valid(jko, path, n), field, payload)
            answer = requests.post(f"{jko.base}/jkopay{path}", data=raw, timeout=10, headers={
                "api-key": jko.api_key, "digest": digest(jko.secret_key, raw),
                "Content-Type": "application/json"})
            where = f"{path} {field} {text(payload) or payload!r:.40}"
            if answer.status_code >= 500 or not answer.headers["Content-Type"].startswith(
                    "application/json"):
                problems.append(f"{where}: {answer.status_code} {answer.text[:120]}")
                continue
            body = answer.json()
            if answer.status_code in (401, 403) and field not in body["message"]:
                problems.append(f"{where}: stopped by authentication ({body['message']})")
            elif body["result"] != "000" and body["result"] in ("200", "201") and not (
                    field in body["message"] or "body" in body["message"]):
                problems.append(f"{where}: refused naming another field: {body['message']}")
    assert not problems, "\n".join(problems[:15])
    # the paid order took at most one refund per accepted probe, and never more than paid
    tx = jko.inquiry_get("P-paid")["result_object"]["transactions"][0]
    assert sum(h["debit_amount"] for h in tx["refund_history"]) <= 100_000
