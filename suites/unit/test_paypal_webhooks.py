"""PayPal webhooks in process: registration per app (create, list, show, delete, refusals),
deliveries in PayPal's envelope with its transmission headers, only the subscribed event
types, and the verify call (SUCCESS for what was delivered, FAILURE for anything changed)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.suites.unit import paypal_kit as pp
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
EVENT = "https://paylab.dev/contracts/paypal/event.schema.json"


class Hook:
    """A merchant's webhook listener: keeps each delivery's headers and body."""

    def __init__(self) -> None:
        self.url = ""
        self.got: list[tuple[dict[str, str], bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.got]


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


async def _hook(aiohttp_server: ServerFactory, path: str = "/paypal-hook") -> Hook:
    hook = Hook()
    app = web.Application()
    app.router.add_post(path, hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url(path))
    return hook


async def _register(sim: Sim, access: str, url: str, *names: str) -> dict[str, Any]:
    answer = await pp.api(sim, access, "POST", "/v1/notifications/webhooks",
                          {"url": url, "event_types": [{"name": n} for n in names]})
    assert answer.status == 201, answer.body
    return answer.body


def _verify_body(webhook_id: str, headers: dict[str, str], event: Any) -> dict[str, Any]:
    return {"auth_algo": headers["PAYPAL-AUTH-ALGO"], "cert_url": headers["PAYPAL-CERT-URL"],
            "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
            "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
            "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
            "webhook_id": webhook_id, "webhook_event": event}


async def _paid_and_refunded(sim: Sim, access: str) -> dict[str, Any]:
    order = await pp.create(sim, access, value="12.50")
    await pp.approve(sim, order)
    captured = await pp.api(sim, access, "POST", f"/v2/checkout/orders/{order['id']}/capture")
    capture = captured.body["purchase_units"][0]["payments"]["captures"][0]
    refund = await pp.api(sim, access, "POST", f"/v2/payments/captures/{capture['id']}/refund",
                          {"amount": {"currency_code": "USD", "value": "2.50"}})
    assert refund.status == 201, refund.body
    return order


async def test_deliveries_carry_the_envelope_and_verify(sim: Sim,
                                                        aiohttp_server: ServerFactory) -> None:
    access = await pp.bearer(sim)
    hook = await _hook(aiohttp_server)
    webhook = await _register(sim, access, hook.url, "*")
    assert contracts().is_valid("https://paylab.dev/contracts/paypal/webhook.schema.json",
                                webhook)
    order = await _paid_and_refunded(sim, access)

    async def three() -> bool:
        return len(hook.got) >= 3
    await eventually(three)
    events = hook.events()
    assert [e["event_type"] for e in events] == [
        "CHECKOUT.ORDER.APPROVED", "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.REFUNDED"]
    for event in events:
        assert not contracts().errors(EVENT, event), contracts().errors(EVENT, event)
    assert events[0]["resource"]["id"] == order["id"]
    assert events[1]["resource"]["amount"]["value"] == "12.50"
    assert events[2]["resource"]["amount"]["value"] == "2.50"
    headers, body = hook.got[1]
    assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
    assert headers["PAYPAL-CERT-URL"].startswith("http")

    good = await pp.api(sim, access, "POST", "/v1/notifications/verify-webhook-signature",
                        _verify_body(webhook["id"], headers, json.loads(body)))
    assert good.status == 200 and good.body == {"verification_status": "SUCCESS"}
    changed = json.loads(body)
    changed["resource"]["amount"]["value"] = "0.01"
    bad = await pp.api(sim, access, "POST", "/v1/notifications/verify-webhook-signature",
                       _verify_body(webhook["id"], headers, changed))
    assert bad.body == {"verification_status": "FAILURE"}
    other_headers, _ = hook.got[0]
    swapped = await pp.api(sim, access, "POST", "/v1/notifications/verify-webhook-signature",
                           _verify_body(webhook["id"], other_headers, json.loads(body)))
    assert swapped.body == {"verification_status": "FAILURE"}
    unknown = await pp.api(sim, access, "POST", "/v1/notifications/verify-webhook-signature",
                           _verify_body("0000000000000000X", headers, json.loads(body)))
    assert unknown.status == 404


async def test_only_subscribed_types_arrive(sim: Sim, aiohttp_server: ServerFactory) -> None:
    access = await pp.bearer(sim)
    hook = await _hook(aiohttp_server)
    await _register(sim, access, hook.url, "PAYMENT.CAPTURE.REFUNDED")
    await _paid_and_refunded(sim, access)

    async def one() -> bool:
        return len(hook.got) >= 1
    await eventually(one)
    await sim.control("POST", "/clock/advance", {"seconds": 1})
    assert [e["event_type"] for e in hook.events()] == ["PAYMENT.CAPTURE.REFUNDED"]


async def test_registration_list_show_delete_and_refusals(sim: Sim) -> None:
    access = await pp.bearer(sim)
    made = await _register(sim, access, "https://shop.example/hooks", "CHECKOUT.ORDER.APPROVED",
                           "PAYMENT.CAPTURE.COMPLETED")
    assert [t["name"] for t in made["event_types"]] == ["CHECKOUT.ORDER.APPROVED",
                                                        "PAYMENT.CAPTURE.COMPLETED"]
    again = await pp.api(sim, access, "POST", "/v1/notifications/webhooks",
                         {"url": "https://shop.example/hooks", "event_types": [{"name": "*"}]})
    assert again.status == 400
    assert again.body["details"][0]["issue"] == "WEBHOOK_URL_ALREADY_EXISTS"
    odd = await pp.api(sim, access, "POST", "/v1/notifications/webhooks",
                       {"url": "https://shop.example/x", "event_types": [{"name": "NOPE"}]})
    assert odd.status == 400 and odd.body["details"][0]["field"] == "/event_types/0/name"
    listed = await pp.api(sim, access, "GET", "/v1/notifications/webhooks")
    assert [w["id"] for w in listed.body["webhooks"]] == [made["id"]]
    shown = await pp.api(sim, access, "GET", f"/v1/notifications/webhooks/{made['id']}")
    assert shown.body == made
    gone = await pp.api(sim, access, "DELETE", f"/v1/notifications/webhooks/{made['id']}")
    assert gone.status == 204
    missing = await pp.api(sim, access, "GET", f"/v1/notifications/webhooks/{made['id']}")
    assert missing.status == 404
    assert sim.domain.endpoints.active(pp.TENANT, "paypal") == []


async def test_types_never_sent_register_and_stay_silent(sim: Sim,
                                                         aiohttp_server: ServerFactory) -> None:
    access = await pp.bearer(sim)
    hook = await _hook(aiohttp_server)
    made = await _register(sim, access, hook.url, "CHECKOUT.ORDER.COMPLETED")
    assert [t["name"] for t in made["event_types"]] == ["CHECKOUT.ORDER.COMPLETED"]
    await _paid_and_refunded(sim, access)
    await sim.control("POST", "/clock/advance", {"seconds": 1})
    rows = await sim.control("GET", "/webhooks", query={"tenant": pp.TENANT})
    assert rows.body["deliveries"] == [] and hook.got == []


async def test_a_url_reaching_the_control_api_is_refused(sim: Sim) -> None:
    access = await pp.bearer(sim)
    answer = await pp.api(sim, access, "POST", "/v1/notifications/webhooks", {
        "url": "http://127.0.0.1:8080/_sim/reset", "event_types": [{"name": "*"}]})
    assert answer.status == 400 and answer.body["details"][0]["field"] == "/url"
    assert sim.domain.endpoints.active(pp.TENANT, "paypal") == []
