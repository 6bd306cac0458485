"""The Stripe wire, byte for byte: a fixed script of calls against a seeded simulator,
compared with the answers recorded before the gateway kit reshaped the code under it.

Every operation, its errors, the hosted pages, the events and the webhook bodies are in
the script. Only what must differ between runs is masked: wall-clock timestamps, the
test server's port, and credentials drawn from `secrets` (client secrets, signing secrets,
page tokens). Re-record on purpose only, when the wire is meant to change:
`PAYLAB_RECORD_WIRE=1 pytest suites/unit/test_stripe_wire_identity.py`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from paylab.simulator.gateways.stripe import GATEWAY as STRIPE
from paylab.suites.unit.inprocess import OTHER_KEY, ClientFactory, Sim, start

BASELINE = Path(__file__).parent / "data" / "stripe_wire_baseline.json"
#: Headers whose values are part of the wire (the rest are aiohttp's own).
WIRE_HEADERS = ("Content-Type", "Request-Id", "Stripe-Version", "Idempotency-Key",
                "Idempotent-Replayed", "Stripe-Should-Retry", "Location", "Cache-Control")

_MASKS = (
    (re.compile(r"_secret_[A-Za-z0-9_-]+"), "_secret_<secret>"),
    (re.compile(r"whsec_[A-Za-z0-9_-]+"), "whsec_<secret>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\b1[7-9]\d{8}\b"), "<time>"),
    (re.compile(r"(token|session_token|t)=[A-Za-z0-9_-]{16,}"), r"\1=<token>"),
    (re.compile(r"(name=\"(?:token|csrf|attempt)\" value=\")[^\"]+"), r"\1<token>"),
    (re.compile(r"v1=[0-9a-f]{64}"), "v1=<signature>"),
)


def _mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


async def _script(sim: Sim) -> list[dict[str, Any]]:
    """Run the script; one record per call."""
    records: list[dict[str, Any]] = []

    async def call(label: str, method: str, path: str, data: Any = None, **kw: Any) -> Any:
        answer = await sim.stripe(method, path, data, **kw)
        _record(records, label, answer)
        return answer

    async def page(label: str, method: str, url: str, data: Any = None) -> Any:
        answer = await sim.page(method, url, data)
        _record(records, label, answer)
        return answer

    pi = "/v1/payment_intents"
    await call("create minimal", "POST", pi, {"amount": 2000, "currency": "usd"})
    ok = await call("create+confirm visa", "POST", pi, {
        "amount": 1500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
        "metadata": {"order": "A-1"}, "description": "wire"})
    await call("create+confirm decline", "POST", pi, {
        "amount": 1500, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
        "confirm": "true"})
    await call("create+confirm insufficient", "POST", pi, {
        "amount": 1500, "currency": "usd", "confirm": "true",
        "payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})
    three_ds = await call("create+confirm 3ds", "POST", pi, {
        "amount": 990, "currency": "eur", "payment_method": "pm_card_authenticationRequired",
        "confirm": "true", "return_url": "https://shop.example/return"})
    manual = await call("create manual capture", "POST", pi, {
        "amount": 5000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
        "capture_method": "manual"})
    later = await call("create to confirm later", "POST", pi, {
        "amount": 700, "currency": "jpy"})
    await call("zero-decimal too small", "POST", pi, {"amount": 0, "currency": "jpy"})
    await call("missing currency", "POST", pi, {"amount": 100})
    await call("unknown parameter", "POST", pi, {"amount": 100, "currency": "usd", "colour": "red"})
    await call("bad amount type", "POST", pi, {"amount": "ten", "currency": "usd"})
    await call("bad currency", "POST", pi, {"amount": 100, "currency": "zzz"})
    await call("json body refused", "POST", pi, None,
               headers={"Content-Type": "application/json"})
    await call("no key", "GET", pi, key="")
    await call("bad key", "GET", pi, key="pk_test_nope")
    await call("retrieve missing", "GET", f"{pi}/pi_missing")
    ok_id = ok.body["id"]
    await call("retrieve expand", "GET", f"{pi}/{ok_id}",
               {"expand": ["latest_charge", "payment_method"]})
    await call("retrieve bad expand", "GET", f"{pi}/{ok_id}", {"expand": ["nothing"]})
    await call("update metadata", "POST", f"{pi}/{later.body['id']}",
               {"metadata": {"k": "v"}, "amount": 800})
    await call("confirm later", "POST", f"{pi}/{later.body['id']}/confirm",
               {"payment_method": "pm_card_mastercard"})
    await call("confirm succeeded again", "POST", f"{pi}/{ok_id}/confirm", {})
    await call("capture partial", "POST", f"{pi}/{manual.body['id']}/capture",
               {"amount_to_capture": 3000})
    await call("capture again", "POST", f"{pi}/{manual.body['id']}/capture", {})
    await call("cancel succeeded", "POST", f"{pi}/{ok_id}/cancel", {})
    await call("cancel 3ds", "POST", f"{pi}/{three_ds.body['id']}/cancel",
               {"cancellation_reason": "requested_by_customer"})
    await call("list", "GET", pi, {"limit": 3})
    await call("list next", "GET", pi, {"limit": 2, "starting_after": ok_id})
    await call("other tenant cannot see", "GET", f"{pi}/{ok_id}", key=OTHER_KEY)
    # idempotency
    await call("idem first", "POST", pi, {"amount": 1234, "currency": "usd"},
               idempotency_key="wire-key-1")
    await call("idem replay", "POST", pi, {"amount": 1234, "currency": "usd"},
               idempotency_key="wire-key-1")
    await call("idem mismatch", "POST", pi, {"amount": 4321, "currency": "usd"},
               idempotency_key="wire-key-1")
    # payment methods, charges, refunds
    pm = await call("create pm", "POST", "/v1/payment_methods",
                    {"type": "card", "card": {"token": "tok_visa"}})
    await call("retrieve pm", "GET", f"/v1/payment_methods/{pm.body.get('id', 'x')}")
    await call("create pm bad", "POST", "/v1/payment_methods", {"type": "card"})
    charge = ok.body.get("latest_charge")
    await call("retrieve charge", "GET", f"/v1/charges/{charge}")
    await call("list charges", "GET", "/v1/charges", {"payment_intent": ok_id})
    await call("refund partial", "POST", "/v1/refunds", {"payment_intent": ok_id, "amount": 500})
    refund = await call("refund rest", "POST", "/v1/refunds", {"charge": charge})
    await call("refund too much", "POST", "/v1/refunds", {"charge": charge, "amount": 1})
    await call("refund unpaid", "POST", "/v1/refunds", {"payment_intent": later.body["id"],
                                                         "amount": 99999})
    await call("retrieve refund", "GET", f"/v1/refunds/{refund.body.get('id', 'x')}")
    await call("list refunds", "GET", "/v1/refunds", {"limit": 5})
    # webhook endpoints and events
    endpoint = await call("create endpoint", "POST", "/v1/webhook_endpoints", {
        "url": "https://hooks.example/stripe", "enabled_events": ["payment_intent.succeeded",
                                                                  "charge.refunded"]})
    we = endpoint.body.get("id", "we_x")
    await call("create endpoint bad event", "POST", "/v1/webhook_endpoints", {
        "url": "https://hooks.example/stripe", "enabled_events": ["nope.nope"]})
    await call("list endpoints", "GET", "/v1/webhook_endpoints")
    await call("update endpoint", "POST", f"/v1/webhook_endpoints/{we}", {"disabled": "true"})
    await call("retrieve endpoint", "GET", f"/v1/webhook_endpoints/{we}")
    await call("delete endpoint", "DELETE", f"/v1/webhook_endpoints/{we}")
    events = await call("list events", "GET", "/v1/events", {"limit": 100})
    await call("list events by type", "GET", "/v1/events", {"type": "payment_intent.*"})
    for event in events.body["data"][:40]:
        await call(f"event {event['type']}", "GET", f"/v1/events/{event['id']}")
    # checkout and hosted pages
    session = await call("create session", "POST", "/v1/checkout/sessions", {
        "mode": "payment", "success_url": "https://shop.example/ok",
        "cancel_url": "https://shop.example/no",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 1200,
                                       "product_data": {"name": "Mug"}}, "quantity": 2}]})
    cs = session.body.get("id", "cs_x")
    await call("retrieve session", "GET", f"/v1/checkout/sessions/{cs}")
    await call("session line items", "GET", f"/v1/checkout/sessions/{cs}/line_items")
    await call("list sessions", "GET", "/v1/checkout/sessions")
    await call("session bad mode", "POST", "/v1/checkout/sessions", {"mode": "subscription"})
    url = session.body.get("url")
    if url:
        await page("hosted page", "GET", url)
        await page("hosted pay incomplete", "POST", url, {"card_number": "4000000000000002",
                                                         "expiry": "12/34", "cvc": "123"})
        shown = await sim.page("GET", url)
        attempt = re.search(r'name="attempt" value="([^"]+)"', shown.text)
        form = {"attempt": attempt.group(1) if attempt else "", "email": "a@b.example",
                "cardnumber": "4000 0000 0000 0002", "expiry": "12 / 34", "cvc": "123",
                "name": "Wire Test"}
        await page("hosted pay decline", "POST", url, form)
        await page("hosted pay success", "POST", url, {**form, "cardnumber": "4242424242424242"})
    other = await call("create session 2", "POST", "/v1/checkout/sessions", {
        "mode": "payment", "success_url": "https://shop.example/ok",
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": 300,
                                       "product_data": {"name": "Pen"}}, "quantity": 1}]})
    await call("expire session", "POST",
               f"/v1/checkout/sessions/{other.body.get('id', 'x')}/expire")
    fresh = await call("create+confirm 3ds again", "POST", pi, {
        "amount": 990, "currency": "eur", "payment_method": "pm_card_authenticationRequired",
        "confirm": "true", "return_url": "https://shop.example/return"})
    redirect = ((fresh.body.get("next_action") or {}).get("redirect_to_url") or {}).get("url")
    if redirect:
        await page("3ds challenge page", "GET", redirect)
    # webhook bodies, as the notifier signs them at a fixed time
    notifier = STRIPE.notifier(sim.domain, "http://127.0.0.1:1")
    endpoint_doc = {"id": "we_wire", "secret": "whsec_wire", "api_version": None}
    for event in events.body["data"][:12]:
        stored = sim.domain.events.get(sim.tenant, event["id"])
        body, headers = notifier.render(stored, endpoint_doc, 1_800_000_000)
        records.append({"call": f"webhook {event['type']}", "status": 0,
                        "headers": {k: _mask(v) for k, v in headers.items()},
                        "body": _mask(body.decode())})
    await call("unrouted", "GET", "/v1/nothing")
    await call("wrong method", "DELETE", pi)
    return records


def _record(records: list[dict[str, Any]], label: str, answer: Any) -> None:
    headers = {name: _mask(answer.headers[name]) for name in WIRE_HEADERS
               if name in answer.headers}
    records.append({"call": label, "status": answer.status, "headers": headers,
                    "body": _mask(answer.text)})


async def test_the_stripe_wire_is_byte_identical_to_the_recorded_baseline(
        aiohttp_client: ClientFactory) -> None:
    """Every answer of the script equals the recorded one, headers and body bytes."""
    sim = await start(aiohttp_client)
    records = await _script(sim)
    if os.environ.get("PAYLAB_RECORD_WIRE") == "1":
        BASELINE.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert [r["call"] for r in records] == [r["call"] for r in baseline]
    for got, want in zip(records, baseline, strict=True):
        assert got == want, f"the answer to {got['call']!r} changed"
