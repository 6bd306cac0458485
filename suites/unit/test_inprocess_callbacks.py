"""Per-payment callback targets through the durable outbox, with a gateway's own success
contract (`1|OK` in the body) and retry schedule: delivery to an in-process receiver,
retries of every other answer on the gateway's schedule, giving up, an explicit schedule
overriding it, refused URLs, a deleted target, probes, and a restart in the middle."""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from paylab.simulator.app import DISPATCHER
from paylab.simulator.core.errors import InvalidRequest
from paylab.simulator.core.objects import Doc
from paylab.simulator.core.outbox import DEFAULT_RETRY_SCHEDULE
from paylab.suites.unit.inprocess import RETRIES, ClientFactory, Sim, eventually, start

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
GATEWAY = "fakegw"
TENANT = "fakegw-M1"
#: The fake gateway's own schedule: it retries 30, then 60 virtual seconds after a failure.
SCHEDULE = (30.0, 60.0)


class FormNotifier:
    """A gateway notifying per-payment URLs with form bodies, ECPay-style: only an answer
    of exactly `1|OK` (on a 200) counts as received."""

    retry_schedule = SCHEDULE

    def render(self, event: Doc, endpoint: Doc, wall_time: int, *,
               bad_signature: bool = False) -> tuple[bytes, dict[str, str]]:
        body = urllib.parse.urlencode({
            "Subject": event["object"]["id"], "Kind": event["type"], "Target": endpoint["id"],
            "Role": endpoint["metadata"].get("role", ""), "Sig": "bad" if bad_signature else "ok"})
        return body.encode(), {"Content-Type": "application/x-www-form-urlencoded"}

    def accepts(self, status_code: int, body: str) -> bool:
        return status_code == 200 and body.strip() == "1|OK"


@dataclass
class Receiver:
    """A merchant's callback URL: records every form POST, answers with `answers` in turn
    (status, body), then `200 1|OK`."""

    url: str = ""
    answers: list[tuple[int, str]] = field(default_factory=list)
    received: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(dict(await request.post()))  # type: ignore[arg-type]
        status, text = self.answers.pop(0) if self.answers else (200, "1|OK")
        return web.Response(status=status, text=text)


async def started(aiohttp_client: ClientFactory, **settings: Any) -> Sim:
    """A simulator whose `fakegw` gateway notifies through FormNotifier. The default
    schedule leaves each gateway its own (an explicit one applies to all)."""
    sim = await start(aiohttp_client, **{"retry_schedule": DEFAULT_RETRY_SCHEDULE, **settings})
    sim.app[DISPATCHER].notifiers[GATEWAY] = FormNotifier()  # type: ignore[index]
    return sim


@pytest.fixture
async def sim(aiohttp_client: ClientFactory) -> Sim:
    return await started(aiohttp_client)


@pytest.fixture
async def receiver(aiohttp_server: ServerFactory) -> Receiver:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/notify", hook.handle)
    server = await aiohttp_server(app)
    hook.url = str(server.make_url("/notify"))
    return hook


def emit(sim: Sim, subject: str, kind: str = "order.paid") -> Doc:
    """The core emits an event about `subject` on the fake gateway."""
    return sim.domain.events.emit(TENANT, GATEWAY, kind, "order", {"id": subject, "amount": 100})


async def rows(sim: Sim) -> list[dict[str, Any]]:
    answer = await sim.control("GET", "/webhooks", query={"tenant": TENANT})
    assert answer.status == 200, answer.body
    return answer.body["deliveries"]


def attempts(sim: Sim, n: int, status: str | None = None) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = await rows(sim)
        return bool(found) and found[0]["attempt_count"] == n and (
            status is None or found[0]["status"] == status)

    return check


async def test_a_callback_gets_its_subjects_matching_events_and_1_ok_settles_it(
        sim: Sim, receiver: Receiver) -> None:
    target = sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url,
                                           ["order.paid"], metadata={"role": "result"})
    assert target["id"].startswith("cb_") and target["subject_id"] == "ord_1"
    other = sim.domain.callbacks.register(TENANT, GATEWAY, "ord_2", receiver.url, ["*"])
    emit(sim, "ord_1", "order.code_issued")  # a kind this callback does not want
    paid = emit(sim, "ord_1")
    emit(sim, "ord_3")  # no callback bound to ord_3
    emit(sim, "ord_2", "order.anything")  # `*` wants every kind
    await eventually(lambda: _all_settled(sim, 2))
    assert sorted(r["Subject"] + ":" + r["Kind"] for r in receiver.received) == [
        "ord_1:order.paid", "ord_2:order.anything"]
    first = next(r for r in receiver.received if r["Subject"] == "ord_1")
    assert first == {"Subject": "ord_1", "Kind": "order.paid", "Target": target["id"],
                     "Role": "result", "Sig": "ok"}
    listed = {r["endpoint_id"]: r for r in await rows(sim)}
    assert set(listed) == {target["id"], other["id"]}
    row = listed[target["id"]]
    assert row["event_id"] == paid["id"] and row["gateway"] == GATEWAY
    assert row["attempt_count"] == 1 and row["attempts"][0]["response"] == "1|OK"


async def _all_settled(sim: Sim, count: int) -> bool:
    found = await rows(sim)
    return len(found) == count and all(r["status"] == "delivered" for r in found)


async def test_every_other_answer_is_retried_on_the_gateways_schedule_then_given_up(
        sim: Sim, receiver: Receiver) -> None:
    receiver.answers = [(200, "0|CheckMacValue Error"), (200, "OK"), (500, "1|OK")]
    sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url, ["order.paid"])
    emit(sim, "ord_1")
    await eventually(attempts(sim, 1))
    first = (await rows(sim))[0]
    assert first["status"] == "pending"
    assert first["next_attempt_at"] == pytest.approx(first["attempts"][0]["started"] + 30,
                                                     abs=1.5)
    for n, wait in ((2, 30), (3, 60)):
        await sim.control("POST", "/clock/advance", {"seconds": wait - 2})
        await asyncio.sleep(0.1)
        assert (await rows(sim))[0]["attempt_count"] == n - 1  # not yet due
        await sim.control("POST", "/clock/advance", {"seconds": 2.5})
        await eventually(attempts(sim, n))
    given_up = (await rows(sim))[0]
    assert given_up["status"] == "failed" and given_up["next_attempt_at"] is None
    assert [(a["status_code"], a["response"]) for a in given_up["attempts"]] == [
        (200, "0|CheckMacValue Error"), (200, "OK"), (500, "1|OK")]
    assert len(receiver.received) == 3
    redelivered = await sim.control("POST", f"/webhooks/{given_up['id']}/redeliver")
    assert redelivered.status == 200
    await eventually(attempts(sim, 4, "delivered"))


async def test_an_explicit_schedule_applies_to_every_gateway(
        aiohttp_client: ClientFactory, receiver: Receiver) -> None:
    sim = await started(aiohttp_client, retry_schedule=RETRIES)
    health = (await sim.control("GET", "/health")).body["webhooks"]
    assert health["retry_schedule"] == list(RETRIES)
    assert health["gateway_schedules"][GATEWAY] == list(RETRIES)
    assert health["gateway_schedules"]["stripe"] == list(RETRIES)
    receiver.answers = [(200, "0|error")]
    sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url, ["order.paid"])
    emit(sim, "ord_1")
    await eventually(attempts(sim, 1))
    first = (await rows(sim))[0]
    assert first["next_attempt_at"] == pytest.approx(first["attempts"][0]["started"] + 10,
                                                     abs=1.5)


async def test_health_publishes_each_gateways_own_schedule(sim: Sim) -> None:
    health = (await sim.control("GET", "/health")).body["webhooks"]
    assert health["retry_schedule"] == list(DEFAULT_RETRY_SCHEDULE)
    assert health["gateway_schedules"][GATEWAY] == list(SCHEDULE)
    assert health["gateway_schedules"]["stripe"] == list(DEFAULT_RETRY_SCHEDULE)


async def test_urls_reaching_the_control_api_and_empty_kinds_are_refused(sim: Sim) -> None:
    with pytest.raises(InvalidRequest) as refused:
        sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1",
                                      "http://127.0.0.1:8080/_sim/reset", ["*"])
    assert refused.value.code == "invalid_url" and refused.value.param == "url"
    with pytest.raises(InvalidRequest) as empty:
        sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", "http://shop.example/n", [])
    assert empty.value.code == "missing_parameter" and empty.value.param == "kinds"
    for bad in ("/notify", "ftp://shop.example/n", "http:///n", "shop.example/n"):
        with pytest.raises(InvalidRequest) as malformed:
            sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", bad, ["*"])
        assert str(malformed.value) == (f"Invalid callback URL {bad!r}: it must be an "
                                        "absolute http or https URL.")
    assert sim.domain.callbacks.for_subject(TENANT, "ord_1") == []


async def test_a_deleted_callback_is_abandoned_and_cannot_be_probed(
        sim: Sim, receiver: Receiver) -> None:
    receiver.answers = [(200, "0|busy")]
    target = sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url, ["*"])
    emit(sim, "ord_1")
    await eventually(attempts(sim, 1))
    row = (await rows(sim))[0]
    probe = await sim.control("POST", f"/webhooks/{row['id']}/probe", {"attack": "genuine"})
    assert probe.status == 409
    assert probe.body["error"]["message"] == (
        f"delivery {row['id']} is a {GATEWAY} notification: this simulator cannot probe "
        "that gateway's receivers")
    sim.domain.objects.delete(TENANT, "callback", target["id"])
    await sim.control("POST", "/clock/advance", {"seconds": 31})
    await eventually(attempts(sim, 2, "abandoned"))
    assert (await rows(sim))[0]["attempts"][-1]["error"] == "callback target deleted"
    assert len(receiver.received) == 1


async def test_a_pending_callback_survives_a_restart(
        aiohttp_client: ClientFactory, receiver: Receiver, tmp_path: Path) -> None:
    db = str(tmp_path / "paylab.db")
    receiver.answers = [(200, "0|later")]
    before = await started(aiohttp_client, db=db)
    target = before.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url, ["*"])
    emit(before, "ord_1")
    await eventually(attempts(before, 1, "pending"))
    await before.client.close()  # the app stops; the row stays on disk

    after = await started(aiohttp_client, db=db)
    assert (await rows(after))[0]["endpoint_id"] == target["id"]
    await after.control("POST", "/clock/advance", {"seconds": 31})
    await eventually(attempts(after, 2, "delivered"))
    assert [r["Target"] for r in receiver.received] == [target["id"], target["id"]]
    assert [a["response"] for a in (await rows(after))[0]["attempts"]] == ["0|later", "1|OK"]


class ForgingNotifier(FormNotifier):
    """FormNotifier that can also forge a probe: `Sig=forged:<attack>`."""

    def forge(self, attack: str, event: Doc, endpoint: Doc, now: int,
              signed_at: int | None) -> tuple[bytes, dict[str, str]]:
        body, headers = self.render(event, endpoint, now)
        return body.replace(b"Sig=ok", f"Sig=forged:{attack}".encode()), headers


async def test_probes_of_a_callback_are_judged_by_the_gateways_contract(
        sim: Sim, receiver: Receiver) -> None:
    sim.app[DISPATCHER].notifiers[GATEWAY] = ForgingNotifier()  # type: ignore[index]
    sim.domain.callbacks.register(TENANT, GATEWAY, "ord_1", receiver.url, ["*"])
    emit(sim, "ord_1")
    await eventually(attempts(sim, 1, "delivered"))
    row = (await rows(sim))[0]
    verdicts = []
    for attack, answer in (("tampered", (200, "0|CheckMacValue Error")),
                           ("tampered", (200, "1|OK")), ("genuine", (200, "1|OK")),
                           ("genuine", (200, "0|error"))):
        receiver.answers = [answer]
        probe = await sim.control("POST", f"/webhooks/{row['id']}/probe", {"attack": attack})
        assert probe.status == 200, probe.body
        verdicts.append(probe.body["verdict"])
    assert verdicts == ["safe", "vulnerable", "ok", "rejected"]
    assert [r["Sig"] for r in receiver.received[1:]] == [
        "forged:tampered", "forged:tampered", "forged:genuine", "forged:genuine"]
    assert (await rows(sim))[0]["attempt_count"] == 1  # probes change no delivery
