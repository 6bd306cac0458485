"""Alert receivers: the Alertmanager webhook body (exact values), Standard Webhooks
signatures the real `standardwebhooks` verifier accepts, configuration per scope over
/_sim/alerts/receivers, delivery through the durable outbox with its retries, and secrets
that appear once and never in the journal or the logs."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import standardwebhooks
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.alerts import receivers as r
from paylab.simulator.app import SETTINGS
from paylab.simulator.contracts import contract_id
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.gateways.stripe.wire import tenant_for_key
from paylab.suites.unit.inprocess import ClientFactory, Sim, contracts, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
BASE = "http://127.0.0.1:8080"
SECRET = "whsec_" + base64.b64encode(bytes(range(24))).decode()
ALERT: dict[str, Any] = {
    "id": "alr_1", "rule": "high-failure-rate", "kind": "failure_rate", "tenant": None,
    "status": "firing",
    "labels": {"alertname": "high-failure-rate", "severity": "critical", "gateway": "ecpay",
               "method": "card"},
    "annotations": {"summary": "ecpay card failing", "description": "60% failed"},
    "value": 0.6, "threshold": 0.5, "starts_at": 1_767_225_600.5, "ends_at": None,
    "fingerprint": "0123456789abcdef",
}


# -- the body, value by value ------------------------------------------------------------
def test_times_are_rfc3339_utc_with_milliseconds() -> None:
    assert r.rfc3339(0) == "1970-01-01T00:00:00.000Z"
    assert r.rfc3339(1_767_225_600.5) == "2026-01-01T00:00:00.500Z"
    assert r.rfc3339(59.9999) == "1970-01-01T00:00:59.999Z"
    assert r.ZERO_TIME == "0001-01-01T00:00:00Z"


def test_group_key_is_alertmanagers_root_route_form() -> None:
    assert r.group_key({"alertname": "x"}) == '{}:{alertname="x"}'
    assert r.group_key({"tenant": "t1", "alertname": 'a"b'}) == \
        '{}:{alertname="a\\"b", tenant="t1"}'
    assert r.group_key({}) == "{}:{}"


def test_a_firing_alert_is_alertmanagers_version_4_body() -> None:
    body = r.payload(ALERT, "ops", BASE + "/")
    assert body == {
        "version": "4", "groupKey": '{}:{alertname="high-failure-rate"}',
        "truncatedAlerts": 0, "status": "firing", "receiver": "ops",
        "groupLabels": {"alertname": "high-failure-rate"},
        "commonLabels": ALERT["labels"], "commonAnnotations": ALERT["annotations"],
        "externalURL": "http://127.0.0.1:8080/_sim/",
        "alerts": [{
            "status": "firing", "labels": ALERT["labels"], "annotations": ALERT["annotations"],
            "startsAt": "2026-01-01T00:00:00.500Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://127.0.0.1:8080/_sim/alerts?status=all",
            "fingerprint": "0123456789abcdef",
        }],
    }
    assert contracts().problem(contract_id("control/alertmanager_webhook"), body) is None


def test_a_resolved_tenant_alert_says_when_it_ended_and_whose_it_is() -> None:
    alert = {**ALERT, "status": "resolved", "ends_at": 1_767_225_660, "tenant": "t_9",
             "labels": {"alertname": "card-burst", "n": 3, "gone": None}}
    body = r.payload(alert, "pager", BASE)
    one = body["alerts"][0]
    assert (body["status"], one["status"]) == ("resolved", "resolved")
    assert one["endsAt"] == "2026-01-01T00:01:00.000Z"
    assert one["labels"] == {"alertname": "card-burst", "n": "3", "tenant": "t_9"}
    assert body["groupLabels"] == {"alertname": "card-burst", "tenant": "t_9"}
    assert body["groupKey"] == '{}:{alertname="card-burst", tenant="t_9"}'
    assert one["generatorURL"] == "http://127.0.0.1:8080/_sim/alerts?status=all&tenant=t_9"
    assert contracts().problem(contract_id("control/alertmanager_webhook"), body) is None
    firing_again = r.payload({**alert, "status": "firing"}, "pager", BASE)
    assert firing_again["alerts"][0]["endsAt"] == r.ZERO_TIME  # ends_at ignored while firing
    no_name = r.payload({**ALERT, "labels": {}}, "pager", BASE)
    assert no_name["alerts"][0]["labels"] == {"alertname": "high-failure-rate"}


def test_secrets_are_standard_webhooks_secrets() -> None:
    made = r.new_secret()
    assert made.startswith("whsec_")
    assert len(base64.b64decode(made.removeprefix("whsec_"))) == 32
    assert made != r.new_secret()
    for size in (24, 64):
        r.check_secret("whsec_" + base64.b64encode(b"k" * size).decode())
    for bad in ("whsec_" + base64.b64encode(b"k" * 23).decode(),
                "whsec_" + base64.b64encode(b"k" * 65).decode(),
                base64.b64encode(b"k" * 32).decode(), "whsec_" + "!" * 44):
        with pytest.raises(InvalidRequest) as caught:
            r.check_secret(bad)
        assert (caught.value.code, caught.value.param) == ("invalid_secret", "secret")
    assert r.mask(SECRET) == "whsec_..." + SECRET[-4:]
    assert r.scope_of(None) == "~alerts" and r.scope_of("t1") == "~alerts:t1"


def test_the_notifier_signs_what_standardwebhooks_verifies() -> None:
    notice = {"id": "amn_1", "alert": ALERT}
    body, headers = r.AlertNotifier(BASE).render(notice, {"name": "ops", "secret": SECRET},
                                                 1_767_225_600)
    assert headers["webhook-id"] == "amn_1" and headers["webhook-timestamp"] == "1767225600"
    assert headers["Content-Type"] == "application/json"
    verifier = standardwebhooks.Webhook(SECRET)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        verifier.verify(body, headers)  # ten years ago: outside the verifier's tolerance
    bad, bad_headers = r.AlertNotifier(BASE).render(
        notice, {"name": "ops", "secret": SECRET}, 1_767_225_600, bad_signature=True)
    assert bad == body and bad_headers["webhook-signature"] != headers["webhook-signature"]
    assert headers["webhook-signature"].startswith("v1,")


# -- in-process: configuration, delivery, retries -----------------------------------------
@dataclass
class Receiver:
    """An alert receiver: records every POST, answers `statuses` in turn (then 204)."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((await request.read(), dict(request.headers)))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 204)


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await start(aiohttp_client)


@pytest.fixture
async def hook(aiohttp_server: ServerFactory) -> Receiver:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/alerts", receiver.handle)
    server = await aiohttp_server(app)
    receiver.url = str(server.make_url("/alerts"))
    return receiver


async def put(sim: Sim, receivers: list[dict[str, Any]], **query: Any) -> dict[str, Any]:
    answer = await sim.control("PUT", "/alerts/receivers", {"receivers": receivers},
                               query=query or None)
    assert answer.status == 200, answer.body
    assert contracts().problem(contract_id("control/alert_receivers#/$defs/state"),
                               answer.body) is None
    return answer.body


def notify(sim: Sim, alert: dict[str, Any]) -> None:
    r.Receivers(sim.domain).notify(alert)
    sim.domain.clock.advance(0)  # wakes the dispatcher (it would poll within a second)


async def test_a_receiver_gets_the_alert_signed_and_in_alertmanagers_shape(
        sim: Sim, hook: Receiver, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    made = (await put(sim, [{"name": "ops", "url": hook.url}]))["receivers"][0]
    secret = made["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40  # generated, shown once
    listed = (await sim.control("GET", "/alerts/receivers")).body
    assert listed == {"scope": None, "receivers": [{**made, "secret": r.mask(secret)}]}
    notify(sim, ALERT)
    await eventually(lambda: _count(hook, 1))
    body, headers = hook.received[0]
    assert standardwebhooks.Webhook(secret).verify(body, headers)["receiver"] == "ops"
    sent = json.loads(body)
    assert contracts().problem(contract_id("control/alertmanager_webhook"), sent) is None
    assert sent["alerts"][0]["fingerprint"] == ALERT["fingerprint"]
    journal = (await sim.control("GET", "/journal", query={"limit": 500})).text
    deliveries = (await sim.control("GET", "/webhooks")).text
    stored = sim.domain.store.all("SELECT * FROM journal")
    for text in (journal, deliveries, caplog.text, repr(stored)):
        assert secret not in text and secret.removeprefix("whsec_") not in text


async def test_a_failing_receiver_is_retried_on_the_outbox_schedule(
        sim: Sim, hook: Receiver) -> None:
    secret = (await put(sim, [{"name": "ops", "url": hook.url, "secret": SECRET}]))[
        "receivers"][0]["secret"]
    assert secret == SECRET  # a given secret is kept, and shown in the PUT's answer
    hook.statuses = [500]
    notify(sim, ALERT)
    await eventually(lambda: _count(hook, 1))
    await eventually(lambda: _delivery_status(sim, "pending", attempts=1))
    sim.domain.advance_clock(10.0)  # the in-process schedule's first retry
    await eventually(lambda: _count(hook, 2))
    await eventually(lambda: _delivery_status(sim, "delivered", attempts=2))
    listed = (await sim.control("GET", "/webhooks")).body  # beside the gateways' deliveries
    assert contracts().problem(contract_id("control/webhooks"), listed) is None
    (row,) = listed["deliveries"]
    assert (row["gateway"], row["tenant"], row["attempt_count"]) == ("alerts", "~alerts", 2)
    assert [a["status_code"] for a in row["attempts"]] == [500, 204]
    first, second = hook.received
    assert first[0] == second[0] and first[1]["webhook-id"] == second[1]["webhook-id"]
    assert standardwebhooks.Webhook(SECRET).verify(*second)["status"] == "firing"


async def test_tenant_receivers_hear_their_tenant_only_and_global_ones_everything(
        sim: Sim, hook: Receiver) -> None:
    await sim.pay()  # the tenant is known
    tenant_url = hook.url + "?who=tenant"
    await put(sim, [{"name": "all", "url": hook.url}])
    await put(sim, [{"name": "mine", "url": tenant_url}], tenant=sim.key)
    notify(sim, {**ALERT, "tenant": sim.tenant, "fingerprint": "aa"})
    notify(sim, {**ALERT, "tenant": "someone-else", "fingerprint": "bb"})
    notify(sim, {**ALERT, "fingerprint": "cc"})
    await eventually(lambda: _count(hook, 4))
    got = sorted((json.loads(b)["receiver"], json.loads(b)["alerts"][0]["fingerprint"])
                 for b, _ in hook.received)
    assert got == [("all", "aa"), ("all", "bb"), ("all", "cc"), ("mine", "aa")]
    events = await sim.stripe("GET", "/v1/events")
    assert all(not e["id"].startswith("amn_") for e in events.body["data"])
    assert "amr_" not in (await sim.stripe("GET", "/v1/webhook_endpoints")).text


async def test_re_putting_keeps_ids_and_secrets_and_delete_clears(
        sim: Sim, hook: Receiver) -> None:
    first = (await put(sim, [{"name": "a", "url": hook.url}, {"name": "b", "url": hook.url}]))
    again = await put(sim, [{"name": "a", "url": hook.url + "?v=2"}])
    (kept,) = again["receivers"]
    assert kept["id"] == first["receivers"][0]["id"] and kept["url"] == hook.url + "?v=2"
    assert kept["secret"] == r.mask(first["receivers"][0]["secret"])  # kept, so masked
    rotated = (await put(sim, [{"name": "a", "url": hook.url, "secret": SECRET}]))
    assert rotated["receivers"][0]["secret"] == SECRET
    notify(sim, ALERT)  # queued for `a`, then `a` goes: the notice is abandoned, not sent
    gone = await sim.control("DELETE", "/alerts/receivers")
    assert gone.body == {"scope": None, "receivers": [], "cleared": 1}
    await eventually(lambda: _delivery_status(sim, "abandoned", attempts=1))
    assert hook.received == []
    empty = (await sim.control("DELETE", "/alerts/receivers")).body
    assert empty["cleared"] == 0


@pytest.mark.parametrize(("body", "code", "where"), [
    ({"receivers": [{"name": "a", "url": "ftp://x.example/h"}]}, "invalid_url",
     "receivers/0/url"),
    ({"receivers": [{"name": "a", "url": "https://x.example/h"},
                    {"name": "a", "url": "https://y.example/h"}]}, "duplicate_receiver",
     "receivers/1/name"),
    ({"receivers": [{"name": "a", "url": "https://x.example/h",
                     "secret": "whsec_" + base64.b64encode(b"k" * 65).decode()}]},
     "invalid_secret", "receivers/0/secret"),
    ({"receivers": [{"name": "a", "url": "https://x.example/h", "secret": "whsec_" + "A" * 33}]},
     "invalid_secret", "receivers/0/secret"),
    ({"receivers": [{"name": "a", "url": "https://x.example/h", "secret": "whsec_nope"}]},
     "invalid_parameter", "receivers/0/secret"),
    ({"receivers": [{"name": "a", "url": "https://x.example/h", "x": 1}]},
     "invalid_parameter", "receivers/0/x"),
    ({"receivers": [{"name": "", "url": "https://x.example/h"}]}, "invalid_parameter",
     "receivers/0/name"),
    ({"receivers": [{"name": f"r{i}", "url": "https://x.example/h"} for i in range(21)]},
     "invalid_parameter", "receivers"),
    ({}, "invalid_parameter", "receivers"),
    ({"receivers": {"secret": "whsec_" + "A" * 40}}, "invalid_parameter", "receivers"),
])
async def test_bad_receivers_are_refused_with_nothing_changed(
        sim: Sim, body: dict[str, Any], code: str, where: str | None) -> None:
    answer = await sim.control("PUT", "/alerts/receivers", body)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["code"] == code
    assert answer.body["error"]["field"] == where
    assert "k" * 8 not in answer.text and "A" * 40 not in answer.text  # no secret echoed
    assert (await sim.control("GET", "/alerts/receivers")).body["receivers"] == []


async def test_bad_scopes_and_bodies_get_the_control_error(sim: Sim) -> None:
    missing = await sim.control("GET", "/alerts/receivers", query={"tenant": "sk_test_nobody"})
    assert missing.status == 404 and missing.body["error"]["code"] == "unknown_tenant"
    raw = await sim.control("PUT", "/alerts/receivers", raw="{nope")
    assert raw.status == 400 and raw.body["error"]["code"] == "invalid_json"
    here = sim.domain.endpoints.self_address
    assert here is not None
    self_url = f"http://127.0.0.1:{sim.app[SETTINGS].port}/_sim/reset"  # its own control API
    looping = await sim.control("PUT", "/alerts/receivers",
                                {"receivers": [{"name": "loop", "url": self_url}]})
    assert looping.status == 400, looping.body
    assert looping.body["error"]["field"] == "receivers/0/url"
    ahead = await put(sim, [{"name": "a", "url": "https://x.example/h"}],
                      tenant="sk_test_later", ahead="true")
    assert ahead["scope"] == tenant_for_key("sk_test_later")
    assert (await sim.control("GET", "/alerts/receivers", query={"tenant": "sk_test_later"})
            ).status == 200


async def _count(hook: Receiver, n: int) -> bool:
    return len(hook.received) >= n


async def _delivery_status(sim: Sim, status: str, *, attempts: int) -> bool:
    rows = sim.domain.store.all(
        "SELECT status, attempts FROM deliveries WHERE gateway = ?", (r.GATEWAY,))
    return rows == [(status, attempts)]


async def test_an_alert_the_engine_fires_reaches_the_receiver_then_its_resolution(
        sim: Sim, hook: Receiver) -> None:
    secret = (await put(sim, [{"name": "ops", "url": hook.url}]))["receivers"][0]["secret"]
    rules = {"rules": [{"name": "big-one", "kind": "amount_above", "severity": "warning",
                        "params": {"amount": 1000, "window": 60}}]}
    answer = await sim.control("PUT", "/alerts/rules", rules)
    assert answer.status == 200, answer.body
    await sim.pay(amount=5000)
    await eventually(lambda: _count(hook, 1))
    fired = standardwebhooks.Webhook(secret).verify(*hook.received[0])
    assert (fired["status"], fired["commonLabels"]["alertname"]) == ("firing", "big-one")
    assert fired["alerts"][0]["endsAt"] == r.ZERO_TIME
    sim.domain.advance_clock(120.0)  # past the rule's window: the alert resolves
    await eventually(lambda: _count(hook, 2))
    resolved = standardwebhooks.Webhook(secret).verify(*hook.received[1])
    assert resolved["status"] == "resolved" and resolved["alerts"][0]["endsAt"] != r.ZERO_TIME
    assert resolved["alerts"][0]["fingerprint"] == fired["alerts"][0]["fingerprint"]
